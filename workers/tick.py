"""The body of `bosun.tick`: enqueue every app whose refresh slot started and that no tick claimed yet.

Safe with any number of beats: the (app, slot) claim is a Redis SET NX, so a slot enqueues once.
Apps carrying the one-shot `argocd.argoproj.io/refresh` annotation are requested at once.
An app whose operation is Running but whose chain of sync steps stalled (no step for
`workers.sync.stall_seconds`) gets a step queued again, so the engine's timeout check always runs.
"""

from __future__ import annotations

import time

from celery import Celery

from gitops.triggers.due import app_interval, app_period, current_slot
from workers.app_deletion import needs_finalizing, request_finalize
from workers.appsets import enqueue_due_appsets
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step
from workers.sync import chain_stalled, has_operation, mark_alive

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


def redrive_sync(ctx: WorkerContext, celery: Celery, name: str) -> None:
    """Queue a step for an operation whose chain stalled (coalesced: nothing if one is queued)."""
    if request_sync_step(celery, ctx.sync_steps, name):
        ctx.events.record(name, "sync-redriven", "operation had no step for a while; a step was queued")
    mark_alive(ctx, name)


def run_tick(ctx: WorkerContext, celery: Celery, now: float | None = None) -> list[str]:
    """Names of the apps this tick queued a refresh for."""
    now = time.time() if now is None else now
    settings = ctx.settings
    queued = []
    for app in ctx.registry.applications():
        meta = app.get("metadata") or {}
        name = meta.get("name")
        if not name:
            continue
        name = str(name)
        if needs_finalizing(app):
            request_finalize(ctx, celery, name)  # resources-finalizer deletion (workers/app_deletion.py)
        if has_operation(app) and chain_stalled(ctx, name):
            redrive_sync(ctx, celery, name)  # its chain of steps died (a step raised, an enqueue failed)
        annotation = (meta.get("annotations") or {}).get(REFRESH_ANNOTATION)
        if annotation in ("normal", "hard"):
            if request_refresh(celery, ctx.refreshes, name, hard=annotation == "hard"):
                queued.append(name)
            continue
        interval = app_interval(app, float(settings.refresh_interval_seconds))
        slot = current_slot(name, now, interval, float(settings.refresh_jitter_seconds))
        if slot is None:
            continue
        ttl = int(app_period(name, interval, float(settings.refresh_jitter_seconds)) * 2) + 1
        if ctx.claims.first(ctx.keys.due_slot(name, slot), ttl) and request_refresh(
            celery, ctx.refreshes, name
        ):
            queued.append(name)
    enqueue_due_appsets(ctx, celery, now)  # never raises: a set problem must not stop app refreshes
    return queued
