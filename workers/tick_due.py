"""Which apps a tick must look at, kept between ticks in the process, so a tick costs O(due apps).

`DueSchedule` holds the `AppView` of every app (fed with the changes of the watch cache, or with a
whole LIST), the sets the tick acts on at every tick (apps with an operation, apps being finalized,
apps carrying the one-shot refresh annotation), and a heap of the time each app's next refresh slot
starts (gitops.triggers.due: interval + stable jitter, stable phase). `due(now)` pops the apps whose
slot started since this process last looked and returns each (app, slot) once; the Redis claim
`due:<app>:<slot>` (SET NX, done by the tick) still decides which process enqueues it, so any number
of processes and beats enqueue a slot once, exactly as when every tick looked at every app.
An app whose interval or refresh annotation changes (or that is new) is looked at again at the next
tick; an app with the refresh annotation is skipped here (the tick requests it at every tick) until the
annotation is removed; an app with periodic refresh off (`never`) waits for its annotation to change.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from gitops.triggers.due import app_period, current_slot, parse_interval, slot_start
from workers.app_cache import AppView


@dataclass(frozen=True, slots=True)
class DueSlot:
    """A refresh slot this process has not tried yet; `ttl` is how long its claim must live."""

    app: str
    slot: int
    ttl: int


class DueSchedule:
    """Per-process state of the tick (not thread-safe: the tick holds a lock around it)."""

    def __init__(self, default_interval: float, max_jitter: float) -> None:
        self.default_interval, self.max_jitter = default_interval, max_jitter
        self.views: dict[str, AppView] = {}
        self.operating: set[str] = set()
        self.finalizing: set[str] = set()
        self.annotated: dict[str, str] = {}
        self._tried: dict[str, int] = {}  # last slot of each app this process returned
        self._next: dict[str, tuple[float, int]] = {}  # app -> (due time, entry id) of its live heap entry
        self._heap: list[tuple[float, int, str]] = []
        self._ids = itertools.count()

    def interval(self, view: AppView) -> float:
        """The app's refresh interval: its annotation when readable, else the default (0: never)."""
        parsed = None if view.interval is None else parse_interval(view.interval)
        return self.default_interval if parsed is None else parsed

    def apply(self, changes: Mapping[str, AppView | None]) -> None:
        """Take the current view of changed apps (None: the app is gone)."""
        for name, view in changes.items():
            self._set(name, view)

    def reset(self, views: Mapping[str, AppView]) -> None:
        """Take a whole fleet (a LIST): apps not in it are gone."""
        self.apply({**{name: None for name in self.views if name not in views}, **views})

    def forget_tried(self) -> None:
        """Look at every app's current slot again (the claims were lost with Redis: re-claim them)."""
        self._tried.clear()
        for name in self.views:
            self._push(name, -math.inf)

    def due(self, now: float) -> list[DueSlot]:
        """The slots started by `now` that this process has not returned yet (each returned once)."""
        found: list[DueSlot] = []
        later: list[tuple[str, float]] = []
        while self._heap and self._heap[0][0] <= now:
            _due, entry, name = heapq.heappop(self._heap)
            if self._next.get(name, (0.0, -1))[1] != entry:
                continue  # superseded by a newer entry, or the app is gone
            del self._next[name]
            view = self.views[name]
            interval = self.interval(view)
            slot = current_slot(name, now, interval, self.max_jitter)
            if view.refresh is not None or slot is None:
                continue  # requested through the annotation / periodic refresh off: see _set
            if slot > self._tried.get(name, -math.inf):
                self._tried[name] = slot
                ttl = int(app_period(name, interval, self.max_jitter) * 2) + 1
                found.append(DueSlot(name, slot, ttl))
            later.append((name, slot_start(name, slot + 1, interval, self.max_jitter)))
        for name, when in later:  # after the loop: a float-rounded start <= now is not popped again
            self._push(name, when)
        if len(self._heap) > 2 * len(self._next) + 1024:
            self._compact()
        return found

    def _set(self, name: str, view: AppView | None) -> None:
        old = self.views.get(name)
        if view is None:
            self.views.pop(name, None)
            for table in (self.operating, self.finalizing):
                table.discard(name)
            for mapping in (self.annotated, self._tried, self._next):
                mapping.pop(name, None)
            return
        self.views[name] = view
        _toggle(self.operating, name, view.operation)
        _toggle(self.finalizing, name, view.finalizing)
        if view.refresh is None:
            self.annotated.pop(name, None)
        else:
            self.annotated[name] = view.refresh
        if old is not None and old.interval != view.interval:
            self._tried.pop(name, None)  # slot numbers of another interval are not comparable
        if old is None or old.interval != view.interval or old.refresh != view.refresh:
            self._push(name, -math.inf)  # look at it at the next tick, as a full scan would

    def _push(self, name: str, when: float) -> None:
        entry = next(self._ids)
        self._next[name] = (when, entry)
        heapq.heappush(self._heap, (when, entry, name))

    def _compact(self) -> None:
        self._heap = [(when, entry, name) for name, (when, entry) in self._next.items()]
        heapq.heapify(self._heap)


def _toggle(table: set[str], name: str, present: bool) -> None:
    if present:
        table.add(name)
    else:
        table.discard(name)
