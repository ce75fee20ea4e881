"""The body of `bosun.tick`: enqueue every app whose refresh slot started and that no tick claimed yet.

Safe with any number of beats: the (app, slot) claim is a Redis SET NX, so a slot enqueues once.
Apps carrying the one-shot `argocd.argoproj.io/refresh` annotation are requested at once.
An app whose operation is Running but whose chain of sync steps stalled (no step for
`workers.sync.stall_seconds`) gets a step queued again, so the engine's timeout check always runs.
A deleted app whose resources finalizer is pending gets a deletion step queued (workers/app_deletion.py).

The tick does not LIST the Applications: each process keeps a watch-fed index of them
(workers/app_cache.py, started at its first tick, after the fork) and a schedule of the apps' next
slots (workers/tick_due.py), so a tick touches only the apps that are due, have an operation, are
being finalized or are annotated. While the index is not synced (first LIST failed, watch broken) the
tick LISTs, as it always did, and the schedule catches up from that list.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from celery import Celery

from gitops.registry import management_api_client
from workers.app_cache import ApplicationCache, view_of
from workers.app_deletion import request_finalize
from workers.appsets import enqueue_due_appsets
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step
from workers.sync import mark_alive
from workers.tick_due import DueSchedule

log = logging.getLogger(__name__)


def redrive_sync(ctx: WorkerContext, celery: Celery, name: str) -> None:
    """Queue a step for an operation whose chain stalled (coalesced: nothing if one is queued)."""
    if request_sync_step(celery, ctx.sync_steps, name):
        ctx.events.record(name, "sync-redriven", "operation had no step for a while; a step was queued")
    mark_alive(ctx, name)


def stalled_chains(ctx: WorkerContext, names: list[str]) -> list[str]:
    """The apps among `names` whose step chain stalled: workers.sync.chain_stalled, one round trip."""
    if not names:
        return []
    pipe = ctx.redis.pipeline(transaction=False)
    for name in names:
        pipe.exists(ctx.keys.sync_alive(name))
    return [name for name, alive in zip(names, pipe.execute(), strict=True) if not alive]


class TickRunner:
    """A process's tick: the Application index, the due schedule, and one tick at a time."""

    def __init__(self, ctx: WorkerContext, cache: ApplicationCache | None = None) -> None:
        self.ctx = ctx
        self.cache = cache or ApplicationCache(management_api_client(ctx.settings), ctx.settings.namespace)
        self.schedule = DueSchedule(
            float(ctx.settings.refresh_interval_seconds), float(ctx.settings.refresh_jitter_seconds)
        )
        self.fallback_lists = 0  # ticks that listed because the index was not synced
        self._whole = True  # the schedule must take the whole index (first time, after a fallback)
        self._sentinel: tuple[str, float] | None = None  # a recent claim key, and until when it must exist
        self._lock = threading.Lock()

    def close(self) -> None:
        self.cache.stop()

    def catch_up(self) -> None:
        """Bring the schedule up to date: the index's changes, or a LIST when it is not synced."""
        self.cache.start()  # the first LIST (raises ClusterError like any LIST), then the watch thread
        if self.cache.synced:
            if self._whole:
                self.schedule.reset(self.cache.take_all())
                self._whole = False
            else:
                self.schedule.apply(self.cache.take_changes())
            return
        listed = (view_of(app) for app in self.ctx.registry.applications())
        self.schedule.reset({view.name: view for view in listed if view is not None})
        self.fallback_lists += 1
        self._whole = True

    def check_claims_kept(self) -> None:
        """The schedule remembers which slots were tried; if a claim it made (or found) vanished before
        its TTL, Redis lost its keys (restart without persistence, flush): every app's current slot is
        claimed again, so lost queued refreshes come back at this tick, as with a full scan."""
        if self._sentinel is None or time.monotonic() > self._sentinel[1]:
            return
        if not self.ctx.redis.exists(self._sentinel[0]):
            log.warning(
                "the slot claims are gone from Redis (restarted or flushed?): claiming every app again"
            )
            self.schedule.forget_tried()
            self._sentinel = None

    def run(self, celery: Celery, now: float | None = None) -> list[str]:
        """Names of the apps this tick queued a refresh for."""
        now = time.time() if now is None else now
        ctx, schedule = self.ctx, self.schedule
        queued: list[str] = []
        with self._lock:
            self.catch_up()
            for name in sorted(schedule.finalizing):
                request_finalize(ctx, celery, name)  # resources-finalizer deletion (workers/app_deletion.py)
            for name in stalled_chains(ctx, sorted(schedule.operating)):
                redrive_sync(ctx, celery, name)  # its chain of steps died (a step raised, an enqueue failed)
            for name, mode in sorted(schedule.annotated.items()):
                if request_refresh(celery, ctx.refreshes, name, hard=mode == "hard"):
                    queued.append(name)
            self.check_claims_kept()
            for due in schedule.due(now):
                key = ctx.keys.due_slot(due.app, due.slot)
                if ctx.claims.first(key, due.ttl) and request_refresh(celery, ctx.refreshes, due.app):
                    queued.append(due.app)
                self._sentinel = (key, time.monotonic() + due.ttl / 2)
        enqueue_due_appsets(ctx, celery, now)  # never raises: a set problem must not stop app refreshes
        return queued


_runner: tuple[int, WorkerContext, TickRunner] | None = None
_runner_guard = threading.Lock()


def tick_runner(ctx: WorkerContext) -> TickRunner:
    """This process's runner for `ctx` (a new one after a fork or for another context)."""
    global _runner
    with _runner_guard:
        pid = os.getpid()
        if _runner is None or _runner[0] != pid or _runner[1] is not ctx:
            if _runner is not None and _runner[0] == pid:
                _runner[2].close()
            _runner = (pid, ctx, TickRunner(ctx))
        return _runner[2]


def run_tick(ctx: WorkerContext, celery: Celery, now: float | None = None) -> list[str]:
    """Names of the apps this tick queued a refresh for."""
    return tick_runner(ctx).run(celery, now)
