"""The body of `bosun.webhook_fanout`: match a parked push event against every app, request refreshes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from celery import Celery

from gitops.errors import SpecError
from gitops.source.repo_url import repo_digest
from gitops.triggers.event import PushEvent
from gitops.triggers.match import app_matches, app_sources, safe_normalize
from workers.appsets import enqueue_appsets_for_push
from workers.context import WorkerContext
from workers.enqueue import request_refresh


def forget_resolved_revisions(ctx: WorkerContext, app: Mapping[str, Any], event: PushEvent) -> None:
    """Drop the cached ref list and resolutions of the pushed repository for this app's sources, so
    the refresh sees the pushed commit instead of a resolution cached up to revision_cache_seconds ago."""
    pushed = {safe_normalize(u) for u in event.repo_urls} - {None}
    for source in app_sources(app):
        url = str(source.get("repoURL") or "")
        if not url or safe_normalize(url) not in pushed:
            continue
        try:
            digest = repo_digest(url)
        except SpecError:
            continue
        target = str(source.get("targetRevision") or "").strip() or "HEAD"
        ctx.redis.delete(ctx.keys.git_refs(digest), ctx.keys.revision(digest, target))


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
            forget_resolved_revisions(ctx, app, event)
            request_refresh(celery, ctx.refreshes, str(name))
            ctx.events.record(
                str(name), "webhook", f"{event.provider} push {', '.join(event.refs)} {event.after[:12]}"
            )
    enqueue_appsets_for_push(ctx, celery, event)  # never raises
    ctx.redis.delete(key)
    return matched
