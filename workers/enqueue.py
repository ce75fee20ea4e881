"""Enqueueing through the coalescing markers: the only way Bosun puts refreshes and sync steps on a queue.

Used by tasks, the beat tick, the webhook fan-out and the API. A caller that loses the marker race
enqueues nothing; when sending fails the marker is removed so the next trigger tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from celery import Celery

from gitops.coordination import RefreshRequests
from gitops.errors import SpecError
from gitops.keys import Keys
from gitops.source.repo_url import repo_digest
from gitops.triggers.match import app_sources, safe_normalize


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


def forget_resolved_revisions(
    client: redis.Redis, keys: Keys, app: Mapping[str, Any], repos: set[str] | None = None
) -> None:
    """Drop the cached ref list and resolutions of the app's source repositories (only those whose
    normalised URL is in `repos`, when given), so the next refresh re-resolves with one ls-remote
    instead of using a resolution cached up to revision_cache_seconds ago. Used for webhooks and for
    refreshes a user asks for; rendered manifests stay cached (they are keyed by commit)."""
    for source in app_sources(app):
        url = str(source.get("repoURL") or "")
        if not url or source.get("chart") or (repos is not None and safe_normalize(url) not in repos):
            continue
        try:
            digest = repo_digest(url)
        except SpecError:
            continue
        target = str(source.get("targetRevision") or "").strip() or "HEAD"
        client.delete(keys.git_refs(digest), keys.revision(digest, target))
