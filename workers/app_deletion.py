"""`bosun.app_finalize`: one step of deleting a terminating Application's resources (its
`resources-finalizer.argocd.argoproj.io` or `/background` finalizer), then re-enqueue until done.

The tick queues it for every Application with a deletionTimestamp and a resources finalizer. Under
the app lock (same exclusion as refresh and sync), `gitops.appofapps.deletion_step` deletes the
highest remaining wave on the app's destination cluster and the task comes back after
`sync_step_countdown_seconds`; when nothing tracked remains, the finalizer is removed and
Kubernetes deletes the Application. A child Application deleted this way (app of apps) runs its own
finalizer the same way. A destination that cannot be resolved or reached is retried (event recorded).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from celery import Celery

from gitops.appofapps import deletion_step, remaining_finalizers
from gitops.appofapps.deletion import RESOURCE_FINALIZERS
from gitops.cluster.kube import KubeClusterPort
from gitops.clusters import ClusterPorts
from gitops.clusters.store import ClusterSecretStore
from gitops.errors import BosunError, LockLostError
from gitops.registry import durable_fence
from workers.celery_app import app
from workers.context import WorkerContext, context
from workers.guard import over_delivered

log = logging.getLogger(__name__)
RETRY_SECONDS = 10.0
_ports: ClusterPorts | None = None
_ports_guard = threading.Lock()


def needs_finalizing(resource: Mapping[str, Any]) -> bool:
    meta = resource.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and any(
        f in RESOURCE_FINALIZERS for f in meta.get("finalizers") or []
    )


def cluster_ports(ctx: WorkerContext) -> ClusterPorts:
    """One set of cluster ports per process for deletions (gitops.clusters, rate-limited per cluster)."""
    global _ports
    with _ports_guard:
        if _ports is None:
            api_client = ctx.registry.api.api_client
            _ports = ClusterPorts(ctx.settings, ClusterSecretStore(api_client, ctx.settings.namespace).list,
                                  lambda: KubeClusterPort(api_client, cluster="in-cluster"))  # fmt: skip
        return _ports


def request_finalize(ctx: WorkerContext, celery: Celery, name: str, countdown: float | None = None) -> bool:
    """Queue `bosun.app_finalize(name)` unless one is queued; True when this call queued it."""
    ttl = int(ctx.settings.broker_visibility_timeout_seconds + (countdown or 0)) + 60
    if not ctx.redis.set(ctx.keys.app_finalize_pending(name), "1", nx=True, ex=ttl):
        return False
    try:
        celery.send_task("bosun.app_finalize", args=[name], countdown=countdown)
    except Exception:
        ctx.redis.delete(ctx.keys.app_finalize_pending(name))
        raise
    return True


def run_app_finalize(ctx: WorkerContext, celery: Celery, name: str, by: str = "bosun") -> str:
    """One deletion step; returns gone, kept, busy, deleting, retry, finalized or fenced."""
    ctx.redis.delete(ctx.keys.app_finalize_pending(name))
    resource = ctx.registry.application(name)
    if resource is None:
        return "gone"
    if not needs_finalizing(resource):
        return "kept"
    countdown = ctx.settings.sync_step_countdown_seconds
    lease = ctx.locks.acquire(name, fence_floor=durable_fence(resource))
    if lease is None:
        request_finalize(ctx, celery, name, countdown=countdown)
        return "busy"
    try:
        with ctx.locks.keep(lease) as keeper:
            _record, port = cluster_ports(ctx).resolve(
                (resource.get("spec") or {}).get("destination") or {}, name
            )
            step = deletion_step(port, resource, tracking_annotation=ctx.settings.tracking_annotation)
            keeper.check()
            if step.done:
                finalizers = remaining_finalizers(resource["metadata"].get("finalizers") or [])
                ctx.registry.patch(name, {"metadata": {"finalizers": finalizers or None}})
    except LockLostError as exc:
        ctx.events.record(name, "finalize-fenced", exc.message, by=by)
        return "fenced"
    except BosunError as err:
        message = f"deleting the app's resources failed, retrying in {RETRY_SECONDS:g}s: {err}"
        log.warning("%s: %s", name, message)
        ctx.events.record(name, "deletion-error", message, by=by)
        request_finalize(ctx, celery, name, countdown=RETRY_SECONDS)
        return "retry"
    if step.done:
        ctx.events.record(name, "finalized", "resources deleted; finalizer removed", by=by)
        return "finalized"
    if step.deleted:
        ctx.events.record(name, "deleting", step.message, by=by)
    request_finalize(ctx, celery, name, countdown=countdown)
    return "deleting"


@app.task(name="bosun.app_finalize", bind=True)
def app_finalize(self: Any, app_name: str) -> str:
    """Delete a terminating Application's resources wave by wave, then release its finalizer."""
    ctx = context()
    if over_delivered(ctx, self.request.id, "bosun.app_finalize", app_name):
        return "dropped"
    return run_app_finalize(ctx, app, app_name, by=f"worker {self.request.hostname}")
