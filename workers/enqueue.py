"""Enqueueing through the coalescing markers: the only way Bosun puts refreshes and sync steps on a queue.

Used by tasks, the beat tick, the webhook fan-out and the API. A caller that loses the marker race
enqueues nothing; when sending fails the marker is removed so the next trigger tries again.
"""

from __future__ import annotations

from celery import Celery

from gitops.coordination import RefreshRequests


def request_refresh(
    celery: Celery, refreshes: RefreshRequests, app: str, hard: bool = False, countdown: float | None = None
) -> bool:
    """Queue `bosun.refresh(app)` unless one is already queued; True when this call queued it."""
    if not refreshes.request(app, hard=hard):
        return False
    try:
        celery.send_task("bosun.refresh", args=[app], countdown=countdown)
    except Exception:
        refreshes.cancel(app)
        raise
    return True


def request_sync_step(
    celery: Celery, sync_steps: RefreshRequests, app: str, countdown: float | None = None
) -> bool:
    """Queue `bosun.sync_step(app)` unless one is already queued (one chain of steps per operation)."""
    if not sync_steps.request(app):
        return False
    try:
        celery.send_task("bosun.sync_step", args=[app], countdown=countdown)
    except Exception:
        sync_steps.cancel(app)
        raise
    return True
