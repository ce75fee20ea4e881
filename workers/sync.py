"""The body of `bosun.sync_step`: one pass of an app's operation under the app lock, then re-enqueue.

Exactly one worker runs a step at a time: a second one finds the lock taken and returns "busy"
after re-requesting the step (coalesced, so the operation stays one chain of steps); a step finding
no operation (already finished) returns "idle". When the operation is done, `.operation` is cleared
(as Argo CD's controller does) and a refresh is requested.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from celery import Celery

from gitops.errors import LockLostError
from gitops.projects.review import first_step_refusal, refused_operation_status
from gitops.registry import durable_fence
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step
from workers.ports import StepOutcome

log = logging.getLogger(__name__)


def has_operation(resource: Mapping[str, Any]) -> bool:
    """True while the Application has a requested (`.operation`) or running operation."""
    phase = (((resource.get("status") or {}).get("operationState")) or {}).get("phase")
    return bool(resource.get("operation")) or phase in ("Running", "Terminating")


def run_sync_step(ctx: WorkerContext, celery: Celery, app_name: str, by: str = "bosun") -> str:
    """Run one step; returns stepped, done, busy, idle, gone or fenced."""
    ctx.sync_steps.take(app_name)
    resource = ctx.registry.application(app_name)
    if resource is None:
        return "gone"
    if not has_operation(resource):
        return "idle"  # finished, terminated, or a duplicate step after the end: nothing to do
    countdown = ctx.settings.sync_step_countdown_seconds
    lease = ctx.locks.acquire(app_name, fence_floor=durable_fence(resource))
    if lease is None:
        request_sync_step(celery, ctx.sync_steps, app_name, countdown=countdown)
        ctx.stats.incr("lock_busy:sync_step")
        return "busy"
    try:
        with ctx.locks.keep(lease) as keeper:
            resource = ctx.registry.application(app_name)  # re-read under the lock: newest status
            if resource is None or not has_operation(resource):
                return "idle" if resource is not None else "gone"
            refusal = first_step_refusal(ctx.fleet, resource)  # project, windows, dependencies
            if refusal is not None:
                outcome = StepOutcome(refused_operation_status(resource, refusal), done=True, summary=refusal)
            else:
                outcome = ctx.reconciler.sync_step(resource)
            keeper.check()
            ctx.hot.write(lease, outcome.status)
            ctx.registry.write_status(app_name, outcome.status, lease.fence)
    except LockLostError as exc:
        log.info("%s", exc)
        ctx.events.record(app_name, "sync-fenced", exc.message, by=by)
        return "fenced"
    if outcome.summary:
        ctx.events.record(app_name, "sync-step", outcome.summary, by=by)
    if outcome.done:
        phase = ((outcome.status.get("operationState") or {}).get("phase")) or "Unknown"
        ctx.stats.incr(f"sync_phase:{phase}")
        ctx.registry.patch(app_name, {"operation": None})
        request_refresh(celery, ctx.refreshes, app_name)
        return "done"
    if outcome.countdown is not None:
        countdown = min(max(outcome.countdown, 0.0), countdown) if countdown else outcome.countdown
    request_sync_step(celery, ctx.sync_steps, app_name, countdown=countdown)
    return "stepped"
