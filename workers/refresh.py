"""The body of `bosun.refresh`: coordination around one reconcile of one app.

Take the pending marker; read the Application; take the app lock (fence floor from durable status);
while the lease is renewed, re-read the Application and let the Reconciler compute status (sync-owned
fields it leaves out are kept); write it hot (fenced in Lua) and
durable (fenced in the resource); record an event; start an automated sync when asked. A busy lock
means another worker is on the app: the refresh is re-requested for later, never waited for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from celery import Celery

from gitops.errors import LockLostError
from gitops.projects.review import review_refresh
from gitops.registry import durable_fence
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step
from workers.sync import has_operation

log = logging.getLogger(__name__)
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
SYNC_OWNED = ("operationState", "history")


def merged_status(resource: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any]:
    """The refresh's status, keeping what sync operations own (operationState, history) when the
    reconciler did not return them, and never the fencing bookkeeping (written by the registry)."""
    current = resource.get("status") or {}
    merged = {key: current[key] for key in SYNC_OWNED if key in current}
    merged.update(status)
    merged.pop("bosun", None)
    return merged


def run_refresh(ctx: WorkerContext, celery: Celery, app_name: str, by: str = "bosun") -> str:
    """Refresh one app; returns what happened: refreshed, busy, gone, skipped or fenced."""
    mode = ctx.refreshes.take(app_name)
    resource = ctx.registry.application(app_name)
    if resource is None:
        ctx.hot.forget(app_name)
        return "gone"
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    if str(annotations.get(SKIP_RECONCILE, "")).lower() == "true":
        return "skipped"
    hard = mode == "hard" or annotations.get(REFRESH_ANNOTATION) == "hard"
    lease = ctx.locks.acquire(app_name, fence_floor=durable_fence(resource))
    if lease is None:
        request_refresh(
            celery, ctx.refreshes, app_name, hard=hard, countdown=ctx.settings.lock_ttl_seconds / 3
        )
        ctx.stats.incr("lock_busy:refresh")
        return "busy"
    try:
        with ctx.locks.keep(lease) as keeper:
            resource = ctx.registry.application(app_name)  # re-read under the lock: newest status
            if resource is None:
                return "gone"
            started = time.monotonic()
            outcome = ctx.reconciler.refresh(resource, hard=hard)
            ctx.stats.observe("reconcile_seconds", time.monotonic() - started)
            review = review_refresh(ctx.fleet, resource, outcome.status, start_sync=outcome.start_sync)
            status = merged_status(resource, review.status)
            keeper.check()
            ctx.hot.write(lease, status)
            ctx.registry.write_status(app_name, status, lease.fence)
    except LockLostError as exc:
        log.info("%s", exc)
        ctx.events.record(app_name, "refresh-fenced", exc.message, by=by)
        return "fenced"
    if REFRESH_ANNOTATION in annotations:
        ctx.registry.patch(app_name, {"metadata": {"annotations": {REFRESH_ANNOTATION: None}}})
    ctx.events.record(
        app_name, "refreshed", outcome.summary or ("hard refresh" if hard else "refresh"), by=by
    )
    if (resource.get("metadata") or {}).get("deletionTimestamp"):  # bosun.app_finalize deletes it
        outcome.start_sync = False  # an app being deleted is never auto-synced
    if outcome.start_sync and not has_operation(resource) and not review.sync_allowed:
        ctx.events.record(app_name, "auto-sync-blocked", review.reason, by=by)  # project, window, dependency
    elif outcome.start_sync and not has_operation(resource):
        operation = outcome.operation or {
            "sync": {},
            "initiatedBy": {"username": "automated-sync", "automated": True},
        }
        ctx.registry.patch(app_name, {"operation": operation})
        ctx.events.record(app_name, "auto-sync", "automated sync started", by=by)
        request_sync_step(celery, ctx.sync_steps, app_name)
    elif outcome.refresh_in is not None:
        request_refresh(celery, ctx.refreshes, app_name, countdown=outcome.refresh_in)
    for dependent in review.wake:  # apps waiting on this one (bosun.dev/depends-on) go next
        request_refresh(celery, ctx.refreshes, dependent)
    return "refreshed"
