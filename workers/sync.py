"""The body of `bosun.sync_step`: one pass of an app's operation under the app lock, then re-enqueue.

Exactly one worker runs a step at a time: a second one finds the lock taken and returns "busy"
after re-requesting the step (coalesced, so the operation stays one chain of steps).
"""

from __future__ import annotations

import logging

from celery import Celery

from gitops.errors import LockLostError
from gitops.registry import durable_fence
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step

log = logging.getLogger(__name__)


def run_sync_step(ctx: WorkerContext, celery: Celery, app_name: str, by: str = "bosun") -> str:
    """Run one step; returns stepped, done, busy, gone or fenced."""
    ctx.sync_steps.take(app_name)
    resource = ctx.registry.application(app_name)
    if resource is None:
        return "gone"
    countdown = ctx.settings.sync_step_countdown_seconds
    lease = ctx.locks.acquire(app_name, fence_floor=durable_fence(resource))
    if lease is None:
        request_sync_step(celery, ctx.sync_steps, app_name, countdown=countdown)
        return "busy"
    try:
        with ctx.locks.keep(lease) as keeper:
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
        request_refresh(celery, ctx.refreshes, app_name)
        return "done"
    request_sync_step(celery, ctx.sync_steps, app_name, countdown=countdown)
    return "stepped"
