"""The body of `bosun.refresh`: coordination around one reconcile of one app.

Read the Application; take the app lock (fence floor from durable status), then the pending marker;
while the lease is renewed, let the Reconciler compute status (sync-owned fields it leaves out are
kept); write it hot (fenced in Lua) and durable (fenced in the resource, with the automated sync's
`.operation` when one starts, in the same write); record an event; run the new operation's first
step right there, under the same lease, and queue the next one. A busy
lock means another worker is on the app: the refresh is sent again for later, never waited for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from celery import Celery

from gitops.coordination.lock import Lease, LeaseKeeper
from gitops.errors import LockLostError
from gitops.projects.review import FleetReview, review_refresh
from gitops.registry import durable_fence
from workers.context import WorkerContext
from workers.enqueue import request_refresh
from workers.ports import RefreshOutcome, StepOutcome
from workers.sync import after_step, continue_chain, has_operation, mark_alive, step_under_lease

log = logging.getLogger(__name__)
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
SYNC_OWNED = ("operationState", "history")
DEPENDENTS_TTL_SECONDS = 24 * 3600


def refresh_status(status: Mapping[str, Any]) -> dict[str, Any]:
    """The reconciler's status without the fencing bookkeeping (written by the registry)."""
    return {key: value for key, value in status.items() if key != "bosun"}


def merged_status(resource: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any]:
    """The refresh's status, keeping what sync operations own (operationState, history) when the
    reconciler did not return them, and never the fencing bookkeeping (written by the registry)."""
    current = resource.get("status") or {}
    merged = {key: current[key] for key in SYNC_OWNED if key in current}
    merged.update(refresh_status(status))
    return merged


def requeue_busy(ctx: WorkerContext, celery: Celery, app_name: str) -> None:
    """Send this refresh again for later, keeping its pending marker (so triggers arriving meanwhile
    stay coalesced into it); with no marker (a direct send), request one the usual way."""
    countdown = ctx.settings.lock_ttl_seconds / 3
    if ctx.refreshes.pending(app_name) is not None:
        celery.send_task("bosun.refresh", args=[app_name], countdown=countdown)
    else:
        request_refresh(celery, ctx.refreshes, app_name, countdown=countdown)
    ctx.stats.incr("lock_busy:refresh")


def automated_operation(outcome: RefreshOutcome) -> dict[str, Any]:
    return outcome.operation or {"sync": {}, "initiatedBy": {"username": "automated-sync", "automated": True}}


def first_step_here(
    ctx: WorkerContext, lease: Lease, keeper: LeaseKeeper, resource: Mapping[str, Any], by: str
) -> StepOutcome | None:
    """The automated sync's first step, run by the refresh that started it while it holds the lease
    (saving a task, a lock and two reads per sync); None when it failed (the chain's next step,
    queued by the caller, runs it again)."""
    mark_alive(ctx, str(resource["metadata"]["name"]))
    try:
        return step_under_lease(ctx, lease, keeper, resource, by)
    except LockLostError:
        raise
    except Exception:
        log.exception(
            "first sync step of app %s failed; the next step is queued", resource["metadata"]["name"]
        )
        ctx.stats.incr("sync_step_error")
        return None


def record_refresh_events(
    ctx: WorkerContext,
    resource: Mapping[str, Any],
    review: FleetReview,
    outcome: RefreshOutcome,
    *,
    hard: bool,
    started: bool,
    by: str,
) -> None:
    """The refresh's events, before the first step runs: "refreshed" when the status changed (or
    hard), "auto-sync" when it started one, "auto-sync-blocked" once per blocking reason."""
    app_name = str(resource["metadata"]["name"])
    message = outcome.summary or ("hard refresh" if hard else "refresh")
    ctx.events.record_refresh(app_name, resource.get("status"), review.status, message, by=by, hard=hard)
    if outcome.start_sync and not has_operation(resource) and not review.sync_allowed:
        ctx.events.record_unless_latest(
            app_name, "auto-sync-blocked", review.reason, by=by
        )  # window, project
    elif started:
        ctx.events.record(app_name, "auto-sync", "automated sync started", by=by)


def run_refresh(ctx: WorkerContext, celery: Celery, app_name: str, by: str = "bosun") -> str:
    """Refresh one app; returns what happened: refreshed, busy, gone, skipped or fenced.

    The Application is read once: the write is guarded by the resourceVersion read, so when another
    worker wrote in between, the registry re-reads and keeps the newer sync-owned fields."""
    resource = ctx.registry.application(app_name)
    if resource is None:
        ctx.refreshes.take(app_name)
        ctx.hot.forget(app_name)
        return "gone"
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    if str(annotations.get(SKIP_RECONCILE, "")).lower() == "true":
        ctx.refreshes.take(app_name)
        return "skipped"
    lease = ctx.locks.acquire(app_name, fence_floor=durable_fence(resource))
    if lease is None:
        requeue_busy(ctx, celery, app_name)
        return "busy"
    mode = ctx.refreshes.take(app_name)  # after the lock: a busy refresh leaves the marker to its resend
    hard = mode == "hard" or annotations.get(REFRESH_ANNOTATION) == "hard"
    start: dict[str, Any] | None = None
    started = False  # an operation is on the app after this refresh's write: its first step runs here
    first_step: StepOutcome | None = None
    try:
        with ctx.locks.keep(lease) as keeper:
            begun = time.monotonic()
            outcome = ctx.reconciler.refresh(resource, hard=hard)
            ctx.stats.observe("reconcile_seconds", time.monotonic() - begun)
            review = review_refresh(ctx.fleet, resource, outcome.status, start_sync=outcome.start_sync)
            if (resource.get("metadata") or {}).get("deletionTimestamp"):  # bosun.app_finalize deletes it
                outcome.start_sync = False  # an app being deleted is never auto-synced
            if outcome.start_sync and not has_operation(resource) and review.sync_allowed:
                start = automated_operation(outcome)
            keeper.check()
            ctx.hot.write(lease, merged_status(resource, review.status))
            written = ctx.registry.write_status(
                app_name, refresh_status(review.status), lease.fence,
                current=resource, keep=SYNC_OWNED, start=start,
            )  # fmt: skip
            started = start is not None and written is not None and bool(written.get("operation"))
            record_refresh_events(ctx, resource, review, outcome, hard=hard, started=started, by=by)
            if started and written is not None:
                first_step = first_step_here(ctx, lease, keeper, written, by)
    except LockLostError as exc:
        log.info("%s", exc)
        ctx.events.record(app_name, "refresh-fenced", exc.message, by=by)
        if started:  # the operation is written: its steps go on elsewhere
            continue_chain(ctx, celery, app_name, ctx.settings.sync_step_countdown_seconds)
        return "fenced"
    if REFRESH_ANNOTATION in annotations:
        ctx.registry.patch(app_name, {"metadata": {"annotations": {REFRESH_ANNOTATION: None}}})
    if started and first_step is None:
        continue_chain(ctx, celery, app_name, ctx.settings.sync_step_countdown_seconds)
    elif started and first_step is not None:
        after_step(ctx, celery, app_name, first_step)
    elif outcome.refresh_in is not None:
        request_refresh(celery, ctx.refreshes, app_name, countdown=outcome.refresh_in)
    wake_dependents(ctx, celery, app_name, review)
    return "refreshed"


def wake_dependents(ctx: WorkerContext, celery: Celery, app_name: str, review: FleetReview) -> None:
    """bosun.dev/depends-on: an app waiting for others is recorded in their waiting sets; an app that
    became ready refreshes the apps in its set (their periodic refresh remains the backstop)."""
    if review.waiting_for:
        pipe = ctx.redis.pipeline(transaction=False)
        for dependency in review.waiting_for:
            pipe.sadd(ctx.keys.dependents_waiting(dependency), app_name)
            pipe.expire(ctx.keys.dependents_waiting(dependency), DEPENDENTS_TTL_SECONDS)
        pipe.execute()
    if review.became_ready:
        key = ctx.keys.dependents_waiting(app_name)
        pipe = ctx.redis.pipeline(transaction=True)
        pipe.smembers(key)
        pipe.delete(key)
        waiting, _ = pipe.execute()
        for dependent in sorted(str(name) for name in waiting or ()):
            request_refresh(celery, ctx.refreshes, dependent)
