"""Bosun's Celery tasks. Thin: they take app names or ids (never secrets), never wait on other
tasks, and are idempotent, so acks_late redelivery is harmless. Bodies live in refresh, sync,
fanout and tick.

Redis round trips around each task are kept few: a first delivery is not counted (`dropped`: the
broker flags redeliveries, and only those can exceed `task_max_deliveries`), and the Stats deltas a
task staged (workers.git_stats) are sent in one pipeline when it ends (`flush_stats`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redis
from celery.signals import task_postrun

from workers.celery_app import app
from workers.context import WorkerContext, context
from workers.fanout import run_fanout
from workers.guard import over_delivered
from workers.refresh import run_refresh
from workers.sync import run_sync_step
from workers.tick import run_tick

log = logging.getLogger(__name__)


def redelivered(request: Any) -> bool:
    """True when the broker delivers this message again (kombu's redis transport flags every message
    it restores: visibility timeout, worker lost, warm shutdown)."""
    info = getattr(request, "delivery_info", None)
    return bool(info.get("redelivered")) if isinstance(info, Mapping) else False


def dropped(ctx: WorkerContext, request: Any, task: str, app_name: str | None) -> bool:
    """`workers.guard.over_delivered` for redeliveries only; a first delivery costs no Redis command.

    The counter of a redelivered task is seeded with the uncounted first delivery (SET NX), so the
    task is still dropped once delivered more than `task_max_deliveries` times."""
    task_id = getattr(request, "id", None)
    if not task_id or not redelivered(request):
        return False
    ttl = ctx.settings.broker_visibility_timeout_seconds * (ctx.settings.task_max_deliveries + 2)
    ctx.claims.first(ctx.keys.task_deliveries(task_id), ttl)
    return over_delivered(ctx, task_id, task, app_name)


@task_postrun.connect
def flush_stats(**_: Any) -> None:
    """Send the Stats deltas the task staged (source counters) in one round trip."""
    try:
        context().stats.flush()
    except redis.RedisError as exc:  # kept staged: they go with the next write
        log.warning("cannot send counters to Redis: %s", type(exc).__name__)


@app.task(name="bosun.refresh", bind=True)
def refresh(self: Any, app_name: str) -> str:
    """Refresh one Application: resolve, render or load from cache, compare, save status."""
    ctx = context()
    if dropped(ctx, self.request, "bosun.refresh", app_name):
        return "dropped"
    return run_refresh(ctx, app, app_name, by=f"worker {self.request.hostname}")


@app.task(name="bosun.sync_step", bind=True)
def sync_step(self: Any, app_name: str) -> str:
    """Run one step of the Application's operation, then re-enqueue until it is done."""
    ctx = context()
    if dropped(ctx, self.request, "bosun.sync_step", app_name):
        return "dropped"
    return run_sync_step(ctx, app, app_name, by=f"worker {self.request.hostname}")


@app.task(name="bosun.webhook_fanout", bind=True)
def webhook_fanout(self: Any, event_id: str) -> list[str]:
    """Match a verified push event against every Application and request their refreshes."""
    ctx = context()
    if dropped(ctx, self.request, "bosun.webhook_fanout", None):
        return []
    return run_fanout(ctx, app, event_id)


@app.task(name="bosun.tick", bind=True)
def tick(self: Any) -> list[str]:
    """Enqueue refreshes of the Applications that are due (one beat entry for every app)."""
    return run_tick(context(), app)
