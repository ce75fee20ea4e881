"""Fast drift detection: WATCH the objects apps track and enqueue a refresh of the owning app.

`DriftWatcher.run()` (run by `bosun beat --watch` in a daemon thread, or alone by `bosun watch`)
rescans the Applications every `rescan_seconds` and keeps one `KindWatch` thread per (destination
cluster, kind) that any app's `status.resources` lists. Each watches, from the current
resourceVersion, the objects of its kind carrying the label `bosun.dev/app` (gitops.tracking), re-lists
on 410 Gone (then refreshes every app seen in the list, as events may have been missed), and on
MODIFIED or DELETED maps the label value (the app name or its hash) back to the app and requests a
refresh through workers.enqueue.request_refresh, which coalesces: Bosun's own writes cost at most one
extra refresh per app, never a loop (a refresh writes no tracked object). Watchers hold no state
another process needs; running two (two beats) only doubles the coalesced requests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from celery import Celery
from kubernetes.client.exceptions import ApiException

from gitops.cluster.kube import KubeClusterPort
from gitops.clusters import ClusterPorts
from gitops.clusters.ports import in_cluster_port
from gitops.clusters.store import ClusterSecretStore
from gitops.errors import BosunError
from gitops.registry import management_api_client
from gitops.tracking import APP_LABEL, app_label_value
from workers.context import WorkerContext
from workers.enqueue import request_refresh

log = logging.getLogger("bosun.watch")
WATCH_SECONDS = 25  # server-side timeout of one WATCH request (below the port's request time limit)
RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class WatchKey:
    """One kind in one destination cluster."""

    cluster: str
    api_version: str
    kind: str

    def __str__(self) -> str:
        return f"{self.api_version}/{self.kind} in cluster {self.cluster}"


def tracked_kinds(app: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every resource in the app's `status.resources`."""
    kinds: set[tuple[str, str]] = set()
    for resource in (app.get("status") or {}).get("resources") or []:
        group, version, kind = (str(resource.get(k) or "") for k in ("group", "version", "kind"))
        if kind and version:
            kinds.add((f"{group}/{version}" if group else version, kind))
    return kinds


class KindWatch(threading.Thread):
    """List then WATCH one kind by the app label until stopped; `on_change(label_value, why)` per drift."""

    def __init__(
        self,
        key: WatchKey,
        port: KubeClusterPort,
        on_change: Callable[[str, str], None],
        resource_version: str | None = None,
    ) -> None:
        """`resource_version`: resume from it instead of listing first (a resumed watcher, tests)."""
        super().__init__(name=f"bosun-watch {key}", daemon=True)
        self.key, self.port, self.on_change = key, port, on_change
        self.start_version = resource_version
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        version: str | None = self.start_version
        resync = False
        while not self.stopped.is_set():
            try:
                resource = self.port.dynamic.resources.get(
                    api_version=self.key.api_version, kind=self.key.kind
                )
                if version is None:
                    version = self._list(resource, resync)
                    log.info("watching %s from resourceVersion %s", self.key, version)
                version = self._watch(resource, version)
            except ApiException as exc:
                if exc.status == 410:  # our resourceVersion left the server's window: list again
                    log.info("watch of %s expired (410 Gone); listing again", self.key)
                    version, resync = None, True
                    continue
                log.warning("watch of %s failed (HTTP %s); retrying", self.key, exc.status)
                self.stopped.wait(RETRY_SECONDS)
            except Exception as exc:  # unreachable cluster, read timeout: retry from the same version
                log.warning("watch of %s interrupted (%s); retrying", self.key, type(exc).__name__)
                self.stopped.wait(RETRY_SECONDS)

    def _list(self, resource: Any, resync: bool) -> str:
        listing = resource.get(label_selector=APP_LABEL)
        raw = listing.to_dict() if hasattr(listing, "to_dict") else dict(listing)
        if resync:  # events between the lost version and now are unknown: refresh every owner seen
            for label in {
                (i.get("metadata") or {}).get("labels", {}).get(APP_LABEL) for i in raw.get("items") or []
            }:
                if label:
                    self.on_change(str(label), f"{self.key} re-listed after 410 Gone")
        return str((raw.get("metadata") or {}).get("resourceVersion") or "")

    def _watch(self, resource: Any, version: str) -> str:
        events = self.port.dynamic.watch(resource, label_selector=APP_LABEL, resource_version=version,
                                         timeout=WATCH_SECONDS, allow_watch_bookmarks=True)  # fmt: skip
        for event in events:
            raw = event.get("raw_object") or {}
            meta = raw.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            label = (meta.get("labels") or {}).get(APP_LABEL)
            if event.get("type") in ("MODIFIED", "DELETED") and label:
                where = f"{meta['namespace']}/" if meta.get("namespace") else ""
                self.on_change(
                    str(label), f"{self.key.kind} {where}{meta.get('name')} {event['type'].lower()}"
                )
            if self.stopped.is_set():
                break
        return version


class DriftWatcher:
    """Keeps the KindWatch threads in line with what the apps track; enqueues the refreshes."""

    def __init__(self, ctx: WorkerContext, celery: Celery, rescan_seconds: float = 5.0) -> None:
        self.ctx, self.celery, self.rescan_seconds = ctx, celery, rescan_seconds
        api_client = management_api_client(ctx.settings)
        self.ports = ClusterPorts(ctx.settings, ClusterSecretStore(api_client, ctx.settings.namespace).list,
                                  lambda: in_cluster_port(management_api_client(ctx.settings), ctx.settings))  # fmt: skip
        self.apps_by_label: dict[str, str] = {}
        self.watches: dict[WatchKey, KindWatch] = {}
        self.stopped = threading.Event()

    def on_change(self, label: str, why: str) -> None:
        app = self.apps_by_label.get(label)
        if app is None:
            return  # not (yet) a known app: the next rescan learns it
        try:
            queued = request_refresh(self.celery, self.ctx.refreshes, app)
            outcome = "refresh requested" if queued else "a refresh was already queued"
            self.ctx.events.record(app, "drift", f"{why}: {outcome}", by="watch")
        except Exception as exc:  # Redis or broker down: the periodic refresh still comes
            log.warning("cannot request a refresh of %s: %s", app, type(exc).__name__)

    def wanted(self, apps: Iterable[Mapping[str, Any]]) -> dict[WatchKey, KubeClusterPort]:
        """The (cluster, kind) pairs to watch and each cluster's port."""
        wanted: dict[WatchKey, KubeClusterPort] = {}
        for app in apps:
            name = str((app.get("metadata") or {}).get("name") or "")
            kinds = tracked_kinds(app)
            if not kinds:
                continue
            try:
                record, port = self.ports.resolve((app.get("spec") or {}).get("destination") or {}, name)
            except BosunError:
                continue  # the app's refresh reports the bad destination
            if not isinstance(port, KubeClusterPort):
                continue
            for api_version, kind in kinds:
                wanted[WatchKey(record.name, api_version, kind)] = port
        return wanted

    def rescan(self) -> None:
        apps = self.ctx.registry.applications()
        names = [str((a.get("metadata") or {}).get("name") or "") for a in apps]
        self.apps_by_label = {app_label_value(n): n for n in names if n}
        wanted = self.wanted(apps)
        for key in [k for k, w in self.watches.items() if k not in wanted or w.port is not wanted[k]]:
            self.watches.pop(key).stop()
        for key, port in wanted.items():
            if key not in self.watches:
                self.watches[key] = KindWatch(key, port, self.on_change)
                self.watches[key].start()

    def run(self) -> None:
        """Rescan until stop(); errors (management cluster unreachable) are logged and retried."""
        log.info("drift watcher started (rescan every %.1f s)", self.rescan_seconds)
        while not self.stopped.is_set():
            try:
                self.rescan()
            except Exception as exc:
                log.warning("drift watcher rescan failed (%s); retrying", type(exc).__name__)
            self.stopped.wait(self.rescan_seconds)
        for watch in self.watches.values():
            watch.stop()

    def stop(self) -> None:
        self.stopped.set()


def start_drift_watcher(ctx: WorkerContext, celery: Celery) -> DriftWatcher:
    """A DriftWatcher running in a daemon thread of this process."""
    watcher = DriftWatcher(ctx, celery)
    threading.Thread(target=watcher.run, name="bosun-drift-watcher", daemon=True).start()
    return watcher
