"""The body of `bosun.sync_step`: one pass of an app's operation under the app lock, then re-enqueue.

Exactly one worker runs a step at a time: a second one finds the lock taken and returns "busy"
after re-requesting the step (coalesced, so the operation stays one chain of steps); a step finding
no operation (already finished) returns "idle". When the operation is done, `.operation` is cleared
with the status that records the end (as Argo CD's controller does) and a refresh is requested.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from celery import Celery

from gitops.coordination.lock import Lease, LeaseKeeper
from gitops.errors import LockLostError
from gitops.model.operation import operation_in_progress
from gitops.projects.review import first_step_refusal, refused_operation_status
from gitops.registry import durable_fence
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step
from workers.ports import StepOutcome
from workers.sync_expiry import (
    expired_status,
    first_failure_time,
    forget_first_failure,
    never_started,
    operation_expired,
)

log = logging.getLogger(__name__)


def has_operation(resource: Mapping[str, Any]) -> bool:
    """True while the Application has a requested (`.operation`) or running operation."""
    return operation_in_progress(resource)


def stall_seconds(ctx: WorkerContext) -> float:
    """How long a chain of steps may go without a step before the tick re-drives it."""
    return max(ctx.settings.lock_ttl_seconds, 4 * ctx.settings.sync_step_countdown_seconds)


def mark_alive(ctx: WorkerContext, app_name: str, countdown: float | None = None) -> None:
    """Record that the app's step chain is alive until the next step is due plus `stall_seconds`."""
    ttl = int((countdown or 0.0) + stall_seconds(ctx)) + 1
    ctx.redis.set(ctx.keys.sync_alive(app_name), "1", ex=ttl)


def chain_stalled(ctx: WorkerContext, app_name: str) -> bool:
    """True when no step of the app ran or was queued within `stall_seconds` (its chain died)."""
    return not ctx.redis.exists(ctx.keys.sync_alive(app_name))


def continue_chain(ctx: WorkerContext, celery: Celery, app_name: str, countdown: float | None) -> None:
    request_sync_step(celery, ctx.sync_steps, app_name, countdown=countdown)
    mark_alive(ctx, app_name, countdown)


def step_or_expire(ctx: WorkerContext, resource: Mapping[str, Any]) -> StepOutcome:
    """The reconciler's step; if it raises once the operation is past its timeout, the operation
    ends Failed instead (so a step that can never run does not loop forever, even a first step that
    never got to start the operation: timed from its first failure, workers/sync_expiry.py)."""
    app_name = str(resource["metadata"]["name"])
    try:
        outcome = ctx.reconciler.sync_step(resource)
    except Exception as exc:
        timeout = ctx.settings.sync_timeout_seconds
        since = first_failure_time(ctx.redis, ctx.keys, resource, timeout)
        if not operation_expired(resource, timeout, unstarted_since=since):
            raise
        status = expired_status(resource, timeout, type(exc).__name__, unstarted_since=since)
        if since is not None:
            forget_first_failure(ctx.redis, ctx.keys, app_name)
        return StepOutcome(status, done=True, summary=status["operationState"]["message"])
    if never_started(resource):  # started now: timed from its startedAt from here on
        forget_first_failure(ctx.redis, ctx.keys, app_name)
    return outcome


def run_sync_step(ctx: WorkerContext, celery: Celery, app_name: str, by: str = "bosun") -> str:
    """Run one step; returns stepped, done, busy, idle, gone, fenced or error (the step raised:
    the next step is queued anyway, so the engine's timeout check runs again)."""
    ctx.sync_steps.take(app_name)
    mark_alive(ctx, app_name)
    try:
        return _run_sync_step(ctx, celery, app_name, by)
    except Exception:
        log.exception("sync step of app %s failed; the next step is queued", app_name)
        ctx.stats.incr("sync_step_error")
        continue_chain(ctx, celery, app_name, ctx.settings.sync_step_countdown_seconds)
        return "error"


def _run_sync_step(ctx: WorkerContext, celery: Celery, app_name: str, by: str) -> str:
    resource = ctx.registry.application(app_name)
    if resource is None:
        return "gone"
    if not has_operation(resource):
        return "idle"  # finished, terminated, or a duplicate step after the end: nothing to do
    lease = ctx.locks.acquire(app_name, fence_floor=durable_fence(resource))
    if lease is None:
        continue_chain(ctx, celery, app_name, ctx.settings.sync_step_countdown_seconds)
        ctx.stats.incr("lock_busy:sync_step")
        return "busy"
    try:
        with ctx.locks.keep(lease) as keeper:
            resource = ctx.registry.application(app_name)  # re-read under the lock: newest status
            if resource is None or not has_operation(resource):
                return "idle" if resource is not None else "gone"
            outcome = step_under_lease(ctx, lease, keeper, resource, by)
    except LockLostError as exc:
        log.info("%s", exc)
        ctx.events.record(app_name, "sync-fenced", exc.message, by=by)
        return "fenced"
    return after_step(ctx, celery, app_name, outcome)


def step_under_lease(
    ctx: WorkerContext, lease: Lease, keeper: LeaseKeeper, resource: Mapping[str, Any], by: str
) -> StepOutcome:
    """One step of the operation of `resource` (read under `lease`), written hot and durable (a
    finished operation leaves `.operation` in the same write), then its event."""
    app_name = str(resource["metadata"]["name"])
    refusal = first_step_refusal(ctx.fleet, resource)  # project, windows, dependencies
    if refusal is not None:
        outcome = StepOutcome(refused_operation_status(resource, refusal), done=True, summary=refusal)
    else:
        outcome = step_or_expire(ctx, resource)
    keeper.check()
    ctx.hot.write(lease, outcome.status)
    finished = resource.get("operation") if outcome.done else None
    ctx.registry.write_status(app_name, outcome.status, lease.fence, current=resource, finished=finished)
    if outcome.summary:
        ctx.events.record(app_name, "sync-step", outcome.summary, by=by)
    return outcome


def after_step(ctx: WorkerContext, celery: Celery, app_name: str, outcome: StepOutcome) -> str:
    """Queue what follows a step: the next step, or the refresh after the end."""
    if outcome.done:
        phase = ((outcome.status.get("operationState") or {}).get("phase")) or "Unknown"
        ctx.stats.incr(f"sync_phase:{phase}")
        request_refresh(celery, ctx.refreshes, app_name)
        return "done"
    countdown = ctx.settings.sync_step_countdown_seconds
    if outcome.countdown is not None:
        countdown = min(max(outcome.countdown, 0.0), countdown) if countdown else outcome.countdown
    continue_chain(ctx, celery, app_name, countdown)
    return "stepped"
