"""The body of `bosun.webhook_fanout`: match a parked push event against every app, request refreshes."""

from __future__ import annotations

import orjson
from celery import Celery

from gitops.triggers.event import PushEvent
from gitops.triggers.match import app_matches, safe_normalize
from workers.appsets import enqueue_appsets_for_push
from workers.context import WorkerContext
from workers.enqueue import forget_resolved_revisions, request_refresh


def run_fanout(ctx: WorkerContext, celery: Celery, event_id: str) -> list[str]:
    """Names of the apps the event concerns (each gets one coalesced refresh). Idempotent."""
    key = ctx.keys.webhook_event(event_id)
    raw = ctx.redis.get(key)
    if raw is None:
        return []
    event = PushEvent.from_json(orjson.loads(raw))
    matched = []
    for app in ctx.registry.applications():
        name = (app.get("metadata") or {}).get("name")
        if name and app_matches(app, event):
            matched.append(str(name))
            pushed = {n for n in (safe_normalize(u) for u in event.repo_urls) if n}
            forget_resolved_revisions(ctx.redis, ctx.keys, app, pushed)
            request_refresh(celery, ctx.refreshes, str(name))
            ctx.events.record(
                str(name), "webhook", f"{event.provider} push {', '.join(event.refs)} {event.after[:12]}"
            )
    enqueue_appsets_for_push(ctx, celery, event)  # never raises
    ctx.redis.delete(key)
    return matched
