"""Bosun's Celery tasks. Thin: they take app names or ids (never secrets), never wait on other
tasks, and are idempotent, so acks_late redelivery is harmless. Bodies live in refresh, sync,
fanout and tick."""

from __future__ import annotations

from typing import Any

from workers.celery_app import app
from workers.context import context
from workers.fanout import run_fanout
from workers.guard import over_delivered
from workers.refresh import run_refresh
from workers.sync import run_sync_step
from workers.tick import run_tick


@app.task(name="bosun.refresh", bind=True)
def refresh(self: Any, app_name: str) -> str:
    """Refresh one Application: resolve, render or load from cache, compare, save status."""
    ctx = context()
    if over_delivered(ctx, self.request.id, "bosun.refresh", app_name):
        return "dropped"
    return run_refresh(ctx, app, app_name, by=f"worker {self.request.hostname}")


@app.task(name="bosun.sync_step", bind=True)
def sync_step(self: Any, app_name: str) -> str:
    """Run one step of the Application's operation, then re-enqueue until it is done."""
    ctx = context()
    if over_delivered(ctx, self.request.id, "bosun.sync_step", app_name):
        return "dropped"
    return run_sync_step(ctx, app, app_name, by=f"worker {self.request.hostname}")


@app.task(name="bosun.webhook_fanout", bind=True)
def webhook_fanout(self: Any, event_id: str) -> list[str]:
    """Match a verified push event against every Application and request their refreshes."""
    ctx = context()
    if over_delivered(ctx, self.request.id, "bosun.webhook_fanout", None):
        return []
    return run_fanout(ctx, app, event_id)


@app.task(name="bosun.tick", bind=True)
def tick(self: Any) -> list[str]:
    """Enqueue refreshes of the Applications that are due (one beat entry for every app)."""
    return run_tick(context(), app)
