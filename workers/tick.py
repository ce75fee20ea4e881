"""The body of `bosun.tick`: enqueue every app whose refresh slot started and that no tick claimed yet.

Safe with any number of beats: the (app, slot) claim is a Redis SET NX, so a slot enqueues once.
Apps carrying the one-shot `argocd.argoproj.io/refresh` annotation are requested at once.
"""

from __future__ import annotations

import time

from celery import Celery

from gitops.triggers.due import app_interval, app_period, current_slot
from workers.app_deletion import needs_finalizing, request_finalize
from workers.appsets import enqueue_due_appsets
from workers.context import WorkerContext
from workers.enqueue import request_refresh

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


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
