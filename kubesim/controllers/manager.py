"""The controller manager: watches the Api through its listener and writes status the way
kube-controller-manager and the kubelet would, after a configurable delay.

For each object of a handled kind the manager remembers when it first saw the current generation
(`t0`). Until `delay` seconds have passed the object keeps the status it has (none after a create, the
previous generation's after a change: clients read that as "progressing"); then the manager writes the
finished status, or the failure the failure switch asks for. Timestamps are derived from `t0`, so a
second pass writes nothing and the loop settles. (The reconcilers can also render the in-progress
status, `due=False`; the manager does not write it so that clients' read-modify-write cycles right
after a create rarely meet a 409.) Paused, the manager only remembers which objects
changed; `resume()` reconciles them (their delay starts then). Without a running asyncio loop, events
are queued and `settle()` finishes them at once (for synchronous use of the Api).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from kubesim.controllers import pods, workloads
from kubesim.controllers.common import Obj, Reconciler

log = logging.getLogger("kubesim.controllers")
Key = tuple[str, str, str, str]  # group, plural, namespace ("" if cluster-scoped), name

RECONCILERS: dict[tuple[str, str], Reconciler] = {
    ("apps", "Deployment"): workloads.deployment_status,
    ("apps", "ReplicaSet"): workloads.replica_set_status,
    ("apps", "StatefulSet"): workloads.stateful_set_status,
    ("apps", "DaemonSet"): workloads.daemon_set_status,
    ("batch", "Job"): pods.job_status,
    ("", "Pod"): pods.pod_status,
    ("", "PersistentVolumeClaim"): pods.pvc_status,
    ("", "Service"): pods.service_status,
    ("networking.k8s.io", "Ingress"): pods.ingress_status,
    ("autoscaling", "HorizontalPodAutoscaler"): workloads.hpa_status,
    ("apiregistration.k8s.io", "APIService"): pods.api_service_status,
}
_API_VERSIONS = {
    "apps": "apps/v1",
    "batch": "batch/v1",
    "": "v1",
    "networking.k8s.io": "networking.k8s.io/v1",
}


class ResourceTypeLike(Protocol):
    @property
    def group(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def plural(self) -> str: ...

    @property
    def namespaced(self) -> bool: ...


class ApiLike(Protocol):
    """What the manager needs of `kubesim.api.Api`."""

    def add_listener(self, cb: Callable[[str, Any, Obj], None]) -> None: ...

    def remove_listener(self, cb: Callable[[str, Any, Obj], None]) -> None: ...

    def get(self, rt: Any, namespace: str | None, name: str) -> Obj: ...

    def list(self, rt: Any, namespace: str | None = None) -> Obj: ...

    def rt_for(self, api_version: str, kind: str) -> Any: ...

    def write_status(self, rt: Any, namespace: str | None, name: str, status: Obj) -> Obj | None: ...


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ControllerManager:
    """Simulated controllers over one Api; `delay` seconds from "progressing" to "done"."""

    def __init__(self, api: ApiLike, *, delay: float = 0.05, paused: bool = False) -> None:
        self.api = api
        self.delay = delay
        self._paused = paused
        self._seen: dict[Key, tuple[tuple[str, Any], float, float]] = {}  # marker, monotonic t0, wall t0
        self._types: dict[Key, Any] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._dirty: set[Key] = set()
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.api.add_listener(self.on_event)
        self._resync_existing()

    def stop(self) -> None:
        if self._started:
            self.api.remove_listener(self.on_event)
        self._started = False
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop writing status (safe to call from any thread)."""
        self._on_loop(self._pause)

    def resume(self) -> None:
        """Reconcile what changed while paused; its delay starts now (safe from any thread)."""
        self._on_loop(self._resume)

    def _pause(self) -> None:
        self._paused = True
        for key, handle in list(self._timers.items()):
            handle.cancel()
            self._dirty.add(key)
        self._timers.clear()

    def _resume(self) -> None:
        self._paused = False
        dirty, self._dirty = self._dirty, set()
        for key in dirty:
            self._seen.pop(key, None)
            self._schedule(key, 0.0)

    def state(self) -> dict[str, Any]:
        return {"paused": self._paused, "delay": self.delay, "tracked": len(self._seen)}

    def configure(self, *, delay: float | None = None, paused: bool | None = None) -> None:
        if delay is not None:
            if delay < 0:
                raise ValueError("delay must be >= 0 seconds")
            self.delay = delay
        if paused is True:
            self.pause()
        elif paused is False and self._paused:
            self.resume()

    # ---- events -------------------------------------------------------------------------------------------
    def on_event(self, event_type: str, rt: Any, obj: Obj) -> None:
        if (rt.group, rt.kind) not in RECONCILERS:
            return
        md = obj.get("metadata") or {}
        key: Key = (rt.group, rt.plural, md.get("namespace") or "", md.get("name") or "")
        if event_type == "DELETED":
            self._forget(key)
            return
        self._types[key] = rt
        if self._paused:
            self._dirty.add(key)
            return
        self._schedule(key, 0.0)

    def _forget(self, key: Key) -> None:
        self._seen.pop(key, None)
        self._types.pop(key, None)
        self._dirty.discard(key)
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _on_loop(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the server's event loop (waiting for it) when called from another thread."""
        loop = self._loop
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is None or current is loop or not loop.is_running():
            fn()
            return
        done = threading.Event()

        def call() -> None:
            try:
                fn()
            finally:
                done.set()

        loop.call_soon_threadsafe(call)
        done.wait(10)

    def _schedule(self, key: Key, after: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._dirty.add(key)  # no loop: settle() finishes it
            return
        self._loop = loop
        existing = self._timers.pop(key, None)
        if existing is not None:
            existing.cancel()
        self._timers[key] = loop.call_later(max(after, 0.0), self._fire, key)

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        if self._paused:
            self._dirty.add(key)
            return
        try:
            remaining = self.reconcile(key)
        except Exception:  # a controller bug must not break the server
            log.exception("kubesim controller failed on %s", key)
            return
        if remaining is not None:
            self._schedule(key, remaining)

    # ---- reconcile ----------------------------------------------------------------------------------------
    def reconcile(self, key: Key, *, force_due: bool = False) -> float | None:
        """Write the status the object should have now; return seconds until it is due, else None."""
        rt = self._types.get(key)
        if rt is None:
            return None
        group, _, namespace, name = key
        try:
            obj = self.api.get(rt, namespace or None, name)
        except Exception:
            self._forget(key)
            return None
        md = obj.get("metadata") or {}
        marker = (str(md.get("uid", "")), md.get("generation"))
        seen = self._seen.get(key)
        if seen is None or seen[0] != marker:
            seen = (marker, time.monotonic(), time.time())
            self._seen[key] = seen
        elapsed = time.monotonic() - seen[1]
        due = force_due or elapsed >= self.delay
        if not due:
            return self.delay - elapsed
        status = RECONCILERS[(group, rt.kind)](obj, True, _iso(seen[2] + self.delay))
        if status is not None and status != obj.get("status"):
            self.api.write_status(rt, namespace or None, name, status)
        return None

    def settle(self) -> None:
        """Finish every pending object now (for use without an event loop)."""
        if self._paused:
            return
        for _ in range(3):
            dirty, self._dirty = self._dirty, set()
            for key in dirty:
                self.reconcile(key, force_due=True)

    def _resync_existing(self) -> None:
        for group, kind in RECONCILERS:
            try:
                rt = self.api.rt_for(_API_VERSIONS[group], kind)
                items = self.api.list(rt).get("items", []) if rt is not None else []
            except Exception:
                continue
            for obj in items:
                self.on_event("ADDED", rt, obj)
