"""A per-process, watch-fed cache of one kind of the management cluster (an informer).

`Informer(what, list_call, args, params)` LISTs through a `kubernetes` client list function (e.g.
`CoreV1Api(api).list_namespaced_secret`, args `(namespace,)`, params `{"label_selector": ...}`), then
WATCHes from the list's resourceVersion with `kubernetes.watch.Watch` on the same function, applying
ADDED / MODIFIED / DELETED to its store. Its daemon thread starts lazily on the first read, so in a
Celery prefork worker it is created in the child after the fork (a store inherited across a fork is
dropped and rebuilt). A watch the server ends (its `timeoutSeconds`) resumes from the last version
seen; 410 Gone, an error answer or a broken connection re-LISTs, after a bounded exponential backoff
(`backoff`, jittered) once failures repeat.

Reads: `current()` is the watched snapshot, or None while the informer is not synced (before its first
LIST, between a broken watch and the next LIST, or when it has heard nothing from the server for
longer than the bound below); `snapshot()` falls back to a direct LIST then (`list_now()`), so a
reader never gets data the informer cannot vouch for. `Derived(informer, build)` memoizes
`build(items)` per store revision, so a steady state costs no LIST and no re-parse.

Staleness bound: while synced, a change is seen after the watch's latency (milliseconds on a healthy
connection). Every WATCH request asks the server to end it after `watch_seconds` and reads with a
time limit of `watch_seconds + grace_seconds`; a snapshot is served only if the thread heard from the
server (an event, a bookmark, the start or the clean end of a watch) within `watch_seconds +
grace_seconds` (15 s by default). So a silently dead connection (no RST) serves data at most that old
before readers fall back to direct LISTs; in every other failure the fallback is immediate.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from gitops.errors import ClusterError

Obj = dict[str, Any]
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The objects of one moment, in (namespace, name) order; read-only (shared with other readers).
    `revision` identifies the informer's store state; None for a direct LIST."""

    items: tuple[Obj, ...]
    revision: int | None


def _key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


@dataclass
class _State:
    """What a process's informer holds; replaced wholesale in a forked child."""

    pid: int = field(default_factory=os.getpid)
    lock: threading.Lock = field(default_factory=threading.Lock)
    objects: dict[str, Obj] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    synced: bool = False
    heard_at: float = 0.0
    thread: threading.Thread | None = None
    first_sync: threading.Event = field(default_factory=threading.Event)
    waited: bool = False
    stopped: threading.Event = field(default_factory=threading.Event)


class Informer:
    """LIST + WATCH of one kind (see the module docstring); `stats` counts LIST requests (`lists`,
    `direct_lists` of them by readers), watches, events, re-lists and 410s (`expired`)."""

    def __init__(
        self,
        what: str,
        list_call: Callable[..., Any],
        args: tuple[Any, ...] = (),
        params: Mapping[str, Any] | None = None,
        *,
        watch_seconds: int = 10,
        grace_seconds: float = 5.0,
        backoff: tuple[float, float] = (0.5, 10.0),
        first_wait: float = 5.0,
        page_size: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.list_call, self.args, self.params = what, list_call, args, dict(params or {})
        self.watch_seconds, self.grace_seconds = watch_seconds, grace_seconds
        self.backoff, self.first_wait, self.page_size, self.clock = backoff, first_wait, page_size, clock
        self.stats = {"lists": 0, "direct_lists": 0, "watches": 0, "events": 0, "relists": 0, "expired": 0}
        self._revision = 0  # never reset, also not in a forked child (Derived values compare it)
        self._state = _State()
        self._guard = threading.Lock()

    # --- reads ---
    def current(self) -> Snapshot | None:
        """The watched snapshot, or None when the informer cannot vouch for it (not synced, or silent
        for longer than the staleness bound). Starts the thread on first use; the very first call
        waits up to `first_wait` seconds for the first LIST."""
        state = self._running()
        if not state.waited:
            state.waited = True
            state.first_sync.wait(self.first_wait)
        with state.lock:
            if not state.synced or self.clock() - state.heard_at > self.watch_seconds + self.grace_seconds:
                return None
            if state.snapshot is None:
                state.snapshot = Snapshot(
                    tuple(state.objects[k] for k in sorted(state.objects)), self._revision
                )
            return state.snapshot

    def snapshot(self) -> Snapshot:
        """The watched snapshot, else a direct LIST (ClusterError if the server refuses it)."""
        return self.current() or self.list_now()

    def items(self) -> list[Obj]:
        return list(self.snapshot().items)

    def list_now(self) -> Snapshot:
        """A direct LIST, not touching the store (the fallback while not synced)."""
        self.stats["direct_lists"] += 1
        try:
            items, _version = self._list()
        except ApiException as exc:
            raise ClusterError(
                f"management cluster answered {exc.status} {exc.reason}",
                target=self.what,
                hint="check the management cluster is reachable and Bosun may list these resources",
            ) from None
        return Snapshot(tuple(items), None)

    @property
    def synced(self) -> bool:
        return self.current() is not None

    def stop(self) -> None:
        """Stop the thread (it ends after its current WATCH request at the latest)."""
        self._state.stopped.set()

    # --- the thread ---
    def _running(self) -> _State:
        with self._guard:
            state = self._state
            if state.pid != os.getpid():  # forked: the parent's thread and lock are not ours
                state = self._state = _State()
                self._revision += 1
            if state.thread is None and not state.stopped.is_set():
                state.thread = threading.Thread(
                    target=self._run, args=(state,), name=f"bosun-informer {self.what}", daemon=True
                )
                state.thread.start()
            return state

    def _list(self) -> tuple[list[Obj], str]:
        items: list[Obj] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {**self.params, "limit": self.page_size, "_preload_content": False,
                                      "_request_timeout": (5.0, self.watch_seconds + self.grace_seconds)}  # fmt: skip
            if token:
                kwargs["_continue"] = token
            self.stats["lists"] += 1
            page = json.loads(self.list_call(*self.args, **kwargs).data)
            items.extend(page.get("items") or [])
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return items, str(meta.get("resourceVersion") or "")

    def _relist(self, state: _State) -> str:
        items, version = self._list()
        with state.lock:
            state.objects = {_key(item): item for item in items}
            self._changed(state)
            state.synced, state.heard_at = True, self.clock()
        state.first_sync.set()
        return version

    def _changed(self, state: _State) -> None:
        self._revision += 1
        state.snapshot = None

    def _unsync(self, state: _State) -> None:
        with state.lock:
            state.synced = False

    def _watch(self, state: _State, version: str) -> str:
        self.stats["watches"] += 1
        watcher = watch.Watch()
        stream = watcher.stream(self.list_call, *self.args, **self.params, resource_version=version,
                                timeout_seconds=self.watch_seconds, allow_watch_bookmarks=True,
                                _request_timeout=(5.0, self.watch_seconds + self.grace_seconds))  # fmt: skip
        with state.lock:
            state.heard_at = self.clock()
        for event in stream:
            if not isinstance(event, dict):
                continue
            raw = event.get("raw_object") or {}
            version = str((raw.get("metadata") or {}).get("resourceVersion") or version)
            with state.lock:
                if event.get("type") in ("ADDED", "MODIFIED"):
                    state.objects[_key(raw)] = raw
                    self._changed(state)
                elif event.get("type") == "DELETED":
                    state.objects.pop(_key(raw), None)
                    self._changed(state)
                state.heard_at = self.clock()
            self.stats["events"] += 1
            if state.stopped.is_set():
                watcher.stop()
        with state.lock:
            state.heard_at = self.clock()  # the server ended the watch cleanly: resume from `version`
        return version

    def _run(self, state: _State) -> None:
        version: str | None = None
        failures = 0
        while not state.stopped.is_set():
            try:
                if version is None:
                    version = self._relist(state)
                    log.info("informer: %s listed at resourceVersion %s", self.what, version)
                version = self._watch(state, version)
                failures = 0
            except ApiException as exc:
                self._unsync(state)
                version, failures = None, failures + 1
                self.stats["relists"] += 1
                self.stats["expired"] += exc.status == 410
                if exc.status == 410 and failures == 1:
                    log.info("informer: watch of %s expired (410 Gone); listing again", self.what)
                    continue
                self._log_failure(failures, f"{self.what} answered HTTP {exc.status}")
                state.stopped.wait(self._delay(failures))
            except Exception as exc:  # unreachable server, read timeout, cut connection
                self._unsync(state)
                version, failures = None, failures + 1
                self.stats["relists"] += 1
                self._log_failure(failures, f"watch of {self.what} broken ({type(exc).__name__})")
                state.stopped.wait(self._delay(failures))

    @staticmethod
    def _log_failure(failures: int, what: str) -> None:
        """Warn on the first failure and every 10th in a row (readers LIST directly meanwhile)."""
        level = logging.WARNING if failures % 10 == 1 else logging.DEBUG
        log.log(level, "informer: %s; listing again (%d failures in a row)", what, failures)

    def _delay(self, failures: int) -> float:
        low, high = self.backoff
        return min(high, low * 2 ** (failures - 1)) * random.uniform(0.8, 1.0)


class Derived(Generic[T]):
    """`build(items)` of an informer's snapshot, rebuilt only when the store changed; while the
    informer is not synced, built from a direct LIST on every call (never from held data)."""

    def __init__(self, informer: Informer, build: Callable[[tuple[Obj, ...]], T]) -> None:
        self.informer, self.build = informer, build
        self._held: tuple[int, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        snapshot = self.informer.current()
        if snapshot is None or snapshot.revision is None:
            return self.build(self.informer.list_now().items)
        with self._lock:
            if self._held is None or self._held[0] != snapshot.revision:
                self._held = (snapshot.revision, self.build(snapshot.items))
            return self._held[1]
