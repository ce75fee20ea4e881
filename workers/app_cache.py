"""A per-process, watch-fed index of what the beat tick needs to know about each Application.

`ApplicationCache.start()` LISTs the management namespace's Applications once (in the caller), then a
daemon thread WATCHes them from the list's resourceVersion (with BOOKMARKs, so the version stays
current). For each app it keeps only an `AppView` (refresh-interval and one-shot refresh annotations,
operation present, resources finalizer pending), never the whole object, so 10,000 apps cost a few MB.
- 410 Gone (the version left the server's window) or a broken watch (connection error, non-2xx answer,
  a stream silent past its read timeout): `synced` turns False and the thread LISTs again (after
  `retry_seconds` for an error), then watches from the new version; a watch ending at its server-side
  timeout is resumed from the last version seen, without a LIST.
- `synced` is False until the first LIST and while the watch is broken: the tick then LISTs itself.
- Names whose view changed are collected for one consumer (`take_changes`), so the tick touches only
  what changed; `take_all` hands the whole index (after the consumer lost track, e.g. a fallback LIST).
Started lazily by the tick, so after the worker's fork; one per process (workers/tick.py).
The generic informer for AppProjects/Secrets (gitops/registry/informer.py) could absorb this list+watch
loop later; only `AppView` and the change set are specific to the tick.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from gitops.errors import ClusterError
from gitops.registry.applications import APPLICATIONS, GROUP, VERSION
from gitops.triggers.due import INTERVAL_ANNOTATION
from workers.app_deletion import needs_finalizing
from workers.sync import has_operation

log = logging.getLogger("bosun.app_cache")
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
WATCH_SECONDS = 55  # server-side timeout of one WATCH request; the stream is then resumed
READ_MARGIN_SECONDS = 20  # a stream silent this long past the timeout is a broken watch
RETRY_SECONDS = 2.0
PAGE_SIZE = 500
Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AppView:
    """The fields of one Application the tick acts on."""

    name: str
    interval: str | None  # raw `bosun.dev/refresh-interval` annotation (None: the default interval)
    refresh: str | None  # `normal` or `hard` while the one-shot refresh annotation is set
    operation: bool  # an operation is requested or running (workers.sync.has_operation)
    finalizing: bool  # deleted, its resources finalizer still to run (workers.app_deletion)


def view_of(app: Mapping[str, Any]) -> AppView | None:
    """The app's view; None for an object without a name."""
    meta = app.get("metadata") or {}
    name = meta.get("name")
    if not name:
        return None
    annotations = meta.get("annotations") or {}
    interval = annotations.get(INTERVAL_ANNOTATION)
    refresh = annotations.get(REFRESH_ANNOTATION)
    return AppView(
        name=str(name),
        interval=None if interval is None else str(interval),
        refresh=refresh if refresh in ("normal", "hard") else None,
        operation=has_operation(app),
        finalizing=needs_finalizing(app),
    )


class ApplicationCache:
    """List then watch the Applications of one namespace; thread-safe reads of the views."""

    def __init__(
        self,
        api_client: client.ApiClient,
        namespace: str,
        watch_seconds: int = WATCH_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.api = client.CustomObjectsApi(api_client)
        self.namespace = namespace
        self.watch_seconds, self.retry_seconds = watch_seconds, retry_seconds
        self.lists = 0  # LISTs done by this cache (logs, tests)
        self._lock = threading.Lock()
        self._views: dict[str, AppView] = {}
        self._changed: set[str] = set()
        self._version: str | None = None
        self._healthy = False
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._response: Any = None

    @property
    def synced(self) -> bool:
        """True while the views follow the cluster: listed, and the watch neither broken nor dead."""
        return self._healthy and self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """LIST now (raises ClusterError when that fails), then watch in a daemon thread; idempotent
        (a watch thread that died is started again, and lists first)."""
        if self._thread is None:
            self._relist()
        elif self._thread.is_alive() or self._stopped.is_set():
            return
        else:
            self._healthy = False
        self._thread = threading.Thread(target=self._run, name="bosun-app-cache", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        _shutdown(self._response)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def view(self, name: str) -> AppView | None:
        with self._lock:
            return self._views.get(name)

    def take_changes(self) -> dict[str, AppView | None]:
        """The current view of every app changed since the last take (None: deleted)."""
        with self._lock:
            changed, self._changed = self._changed, set()
            return {name: self._views.get(name) for name in changed}

    def take_all(self) -> dict[str, AppView]:
        """Every app's view (and forget the pending changes: the caller starts over from these)."""
        with self._lock:
            self._changed = set()
            return dict(self._views)

    # --- the list+watch loop ---

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                if not self._healthy:
                    self._relist()
                self._watch()
            except ApiException as exc:
                self._healthy = False
                if exc.status == 410:
                    log.info("Application watch expired (410 Gone); listing again")
                    continue
                log.warning(
                    "Application watch failed (HTTP %s); listing again in %.0fs",
                    exc.status,
                    self.retry_seconds,
                )
                self._stopped.wait(self.retry_seconds)
            except Exception as exc:  # unreachable API server, read timeout, ClusterError from a LIST
                self._healthy = False
                if self._stopped.is_set():
                    return
                log.warning(
                    "Application watch broken (%s); listing again in %.0fs",
                    type(exc).__name__,
                    self.retry_seconds,
                )
                self._stopped.wait(self.retry_seconds)

    def _relist(self) -> None:
        items, version = self._list()
        fresh = {view.name: view for view in map(view_of, items) if view is not None}
        with self._lock:
            self._changed.update(name for name in self._views if name not in fresh)
            self._changed.update(name for name, view in fresh.items() if self._views.get(name) != view)
            self._views, self._version, self._healthy = fresh, version, True
        self.lists += 1
        log.info("listed %d Applications at resourceVersion %s", len(fresh), version)

    def _list(self) -> tuple[list[Obj], str]:
        items: list[Obj] = []
        version, token = "", None
        while True:
            kwargs: dict[str, Any] = {"limit": PAGE_SIZE}
            if token:
                kwargs["_continue"] = token
            try:
                page = cast(
                    Obj,
                    self.api.list_namespaced_custom_object(
                        GROUP, VERSION, self.namespace, APPLICATIONS, **kwargs
                    ),
                )
            except ApiException as exc:
                raise ClusterError(
                    f"management cluster answered {exc.status} {exc.reason} to a LIST of Applications",
                    target=f"applications in namespace {self.namespace}",
                    hint="check the CRDs from deploy/crds are installed and Bosun may list/watch them",
                ) from None
            meta = page.get("metadata") or {}
            version = version or str(meta.get("resourceVersion") or "")  # the first page's snapshot
            items.extend(page.get("items") or [])
            token = meta.get("continue")
            if not token:
                return items, version

    def _watch(self) -> None:
        """Follow one WATCH request until its server-side timeout (or stop); raises on 410 or an error."""
        response: Any = self.api.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, APPLICATIONS, watch=True, resource_version=self._version,
            allow_watch_bookmarks=True, timeout_seconds=self.watch_seconds, _preload_content=False,
            _request_timeout=(10, self.watch_seconds + READ_MARGIN_SECONDS),
        )  # fmt: skip
        self._response = response  # a urllib3 response, streamed
        try:
            for line in iter_resp_lines(response):
                if self._stopped.is_set():
                    return
                if line.strip():
                    self._apply(json.loads(line))
        finally:
            self._response = None
            response.close()  # a half-read stream must not go back to the pool
            response.release_conn()

    def _apply(self, event: Obj) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            raise ApiException(
                status=int(obj.get("code") or 500), reason=str(obj.get("message") or "watch error")
            )
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        view = view_of(obj) if kind in ("ADDED", "MODIFIED", "DELETED") else None
        with self._lock:
            if view is not None:
                old = self._views.get(view.name)
                if kind == "DELETED":
                    if self._views.pop(view.name, None) is not None:
                        self._changed.add(view.name)
                elif old != view:
                    self._views[view.name] = view
                    self._changed.add(view.name)
            if version:
                self._version = version


def _shutdown(response: Any) -> None:
    """Unblock a thread reading a watch stream (best effort)."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
