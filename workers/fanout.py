"""The body of `bosun.webhook_fanout`: match a parked push event against every app, request refreshes.

Before the refreshes are requested, each pushed repository the matched apps use is primed once
(gitops.source.push_priming): a verified push's branch moves are applied to the revision cache (so
no refresh lists the refs again), otherwise that cache is forgotten; after they are requested, the
pushed commit is fetched and snapshotted once per repository while the refreshes start (before the
ApplicationSets are matched, which costs a LIST).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from celery import Celery

from gitops.errors import SpecError
from gitops.source.push_priming import PushPrimer
from gitops.source.repo_url import repo_digest
from gitops.source.service import SourceService
from gitops.triggers.event import PushEvent
from gitops.triggers.match import app_matches, app_sources, safe_normalize
from workers.appsets import enqueue_appsets_for_push
from workers.context import WorkerContext
from workers.enqueue import forget_resolved_revisions, request_refresh
from workers.git_stats import GitStatsPusher


def _primer(ctx: WorkerContext) -> PushPrimer | None:
    source = getattr(ctx.reconciler, "source", None)
    if not isinstance(source, SourceService):
        return None  # a reconciler without Bosun's source side (tests): forget, as before
    return PushPrimer(source.resolver, source.mirrors, source.credentials)


def _repos(apps: list[Mapping[str, Any]], pushed: set[str]) -> dict[str, tuple[str, set[str]]]:
    """repo digest -> (a repoURL spelling, targetRevisions) of the matched apps' pushed sources."""
    out: dict[str, tuple[str, set[str]]] = {}
    for app in apps:
        for source in app_sources(app):
            url = str(source.get("repoURL") or "")
            if not url or source.get("chart") or safe_normalize(url) not in pushed:
                continue
            try:
                digest = repo_digest(url)
            except SpecError:
                continue
            entry = out.setdefault(digest, (url, set()))
            entry[1].add(str(source.get("targetRevision") or "").strip() or "HEAD")
    return out


def run_fanout(ctx: WorkerContext, celery: Celery, event_id: str) -> list[str]:
    """Names of the apps the event concerns (each gets one coalesced refresh). Idempotent."""
    key = ctx.keys.webhook_event(event_id)
    raw = ctx.redis.get(key)
    if raw is None:
        return []
    seal_key = ctx.settings.manifest_cache_hmac_key.get_secret_value().encode()
    event = PushEvent.from_json(orjson.loads(raw), seal_key)
    pushed = {n for n in (safe_normalize(u) for u in event.repo_urls) if n}
    matched: list[tuple[str, Mapping[str, Any]]] = []
    for resource in ctx.registry.applications():
        name = (resource.get("metadata") or {}).get("name")
        if name and app_matches(resource, event):
            matched.append((str(name), resource))
    primer = _primer(ctx) if matched else None
    prefetch: list[tuple[str, str]] = []
    if primer is None:
        for _name, app in matched:
            forget_resolved_revisions(ctx.redis, ctx.keys, app, pushed)
    else:
        for url, targets in _repos([app for _name, app in matched], pushed).values():
            if primer.advance(url, event.updates, targets):
                prefetch.extend((url, after) for _ref, _before, after in event.updates)
    for name, _app in matched:
        request_refresh(celery, ctx.refreshes, name)
        ctx.events.record(
            name, "webhook", f"{event.provider} push {', '.join(event.refs)} {event.after[:12]}"
        )
    if primer is not None:  # before the ApplicationSets' LIST: the refreshes are waiting for it
        for url, sha in dict.fromkeys(prefetch):
            primer.prefetch(url, sha)
        pusher = getattr(ctx.reconciler, "git_stats", None)
        if isinstance(pusher, GitStatsPusher):
            pusher.push()  # staged: sent with the task's stats flush
    enqueue_appsets_for_push(ctx, celery, event)  # never raises
    ctx.redis.delete(key)
    return [name for name, _app in matched]
