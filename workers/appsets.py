"""`bosun.appset_reconcile`: regenerate one ApplicationSet's Applications (thin: the work is
gitops.appsets.controller). Triggers, all coalesced through `appset_pending` so a set is queued once:
- the beat tick (`enqueue_due_appsets`): a set whose spec, or whose cluster Secrets (cluster
  generator), changed since it was last queued, or whose `appset_poll_seconds` elapsed;
- a verified push (`enqueue_appsets_for_push`, from the webhook fan-out) to a git generator's
  repository: reconciled with `hard` (the ls-remote cache is bypassed).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Celery

from gitops.appsets.controller import ApplicationSetController
from gitops.appsets.gitrepo import GitTrees
from gitops.appsets.store import AppSetStore
from gitops.appsets.triggers import fingerprint, generator_kinds, is_due, matches_push
from gitops.cache import RedisCache
from gitops.coordination import redis_client
from gitops.errors import BosunError
from gitops.source.git_setup import GitSource, build_git_source
from gitops.triggers.event import PushEvent
from workers.celery_app import app
from workers.context import WorkerContext, context
from workers.guard import over_delivered

log = logging.getLogger(__name__)
_git: GitSource | None = None
_git_guard = threading.Lock()


def store_for(ctx: WorkerContext) -> AppSetStore:
    return AppSetStore(ctx.registry.api.api_client, ctx.settings.namespace)


def git_source(ctx: WorkerContext) -> GitSource:
    """One git source per process (mirrors on disk, ls-remote results shared through Redis)."""
    global _git
    with _git_guard:
        if _git is None:
            _git = build_git_source(
                ctx.settings, RedisCache(redis_client(ctx.settings, decode_responses=False))
            )
        return _git


def request_appset_reconcile(ctx: WorkerContext, celery: Celery, name: str, hard: bool = False) -> bool:
    """Queue `bosun.appset_reconcile(name)` unless one is queued; True when this call queued it."""
    ttl = int(ctx.settings.broker_visibility_timeout_seconds) + 60
    if not ctx.redis.set(ctx.keys.appset_pending(name), "hard" if hard else "1", nx=True, ex=ttl):
        return False
    try:
        celery.send_task("bosun.appset_reconcile", args=[name, hard])
    except Exception:
        ctx.redis.delete(ctx.keys.appset_pending(name))
        raise
    return True


def run_appset_reconcile(ctx: WorkerContext, name: str, hard: bool = False) -> str:
    """Reconcile one set; returns the report's summary line (outcome first)."""
    ctx.redis.delete(ctx.keys.appset_pending(name))
    trees = GitTrees.from_source(git_source(ctx), force=hard)
    report = ApplicationSetController(store_for(ctx), trees).reconcile(name)
    log.info("ApplicationSet %s: %s", name, report.summary)
    return f"{report.outcome}: {report.summary}" if report.outcome == "reconciled" else report.summary


def enqueue_due_appsets(ctx: WorkerContext, celery: Celery, now: float | None = None) -> list[str]:
    """From the tick: queue every set whose inputs changed or whose poll interval elapsed (logged, never
    raised, when the management cluster cannot list them)."""
    now = time.time() if now is None else now
    store = store_for(ctx)
    try:
        appsets = store.appsets()
        if not appsets:
            return []
        secrets = store.cluster_secrets() if any("clusters" in generator_kinds(a) for a in appsets) else []
    except BosunError as err:
        log.warning("ApplicationSets not checked this tick: %s", err)
        return []
    queued = []
    for appset in appsets:
        name = str(appset["metadata"]["name"])
        current = fingerprint(appset, secrets)
        key = ctx.keys.appset_state(name)
        state = {str(k): str(v) for k, v in ctx.redis.hgetall(key).items()}
        if not is_due(state, current, now, ctx.settings.appset_poll_seconds):
            continue
        ctx.redis.hset(key, mapping={"fingerprint": current, "queuedAt": str(now)})
        ctx.redis.expire(key, int(ctx.settings.appset_poll_seconds * 4) + 60)
        if request_appset_reconcile(ctx, celery, name):
            queued.append(name)
    return queued


def enqueue_appsets_for_push(ctx: WorkerContext, celery: Celery, event: PushEvent) -> list[str]:
    """From the webhook fan-out: queue (hard) every set with a git generator on the pushed repository."""
    queued = []
    try:
        appsets = store_for(ctx).appsets()
    except BosunError as err:
        log.warning("ApplicationSets not matched against a push: %s", err)
        return []
    for appset in appsets:
        if matches_push(appset, event.repo_urls):
            name = str(appset["metadata"]["name"])
            if request_appset_reconcile(ctx, celery, name, hard=True):
                queued.append(name)
    return queued


@app.task(name="bosun.appset_reconcile", bind=True)
def appset_reconcile(self: Any, appset_name: str, hard: bool = False) -> str:
    """Regenerate one ApplicationSet: create, update and delete its Applications per its policy."""
    ctx = context()
    if over_delivered(ctx, self.request.id, "bosun.appset_reconcile", None):
        return "dropped"
    return run_appset_reconcile(ctx, appset_name, hard)
