"""v1 applications API: list/get (durable resource, hot status overlaid), refresh, sync request,
history and events. Reads need the read or write token, writes the write token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gitops.errors import ClusterError
from gitops.model.operation import operation_in_progress
from gitops.source.repo_url import redact
from scheduler.api.auth import require_read, require_write
from scheduler.api.state import ServerState
from scheduler.api.sync_windows import manual_sync_refusal
from workers.enqueue import forget_resolved_revisions, request_refresh, request_sync_step

router = APIRouter(prefix="/api/v1")
Obj = dict[str, Any]


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.bosun
    return state


def _without_url_credentials(app: Obj) -> Obj:
    """The Application with userinfo (credentials) removed from its sources' repoURLs."""
    spec = app.get("spec")
    if not isinstance(spec, dict):
        return app
    spec = dict(spec)
    if isinstance(spec.get("source"), dict):
        spec["source"] = {**spec["source"], "repoURL": redact(str(spec["source"].get("repoURL", "")))}
    if isinstance(spec.get("sources"), list):
        spec["sources"] = [
            {**s, "repoURL": redact(str(s.get("repoURL", "")))} if isinstance(s, dict) else s
            for s in spec["sources"]
        ]
    return {**app, "spec": spec}


def _with_hot_status(state: ServerState, app: Obj) -> Obj:
    name = (app.get("metadata") or {}).get("name")
    hot = state.hot.read(str(name)) if name else None
    if hot is not None:
        app = {**app, "status": {**(app.get("status") or {}), **hot}}
    return _without_url_credentials(app)


def _load(state: ServerState, name: str) -> Obj:
    try:
        app = state.registry.application(name)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if app is None:
        raise HTTPException(
            status_code=404, detail=f"application {name!r} not found in namespace {state.settings.namespace}"
        )
    return app


def _matches(app: Obj, project: str | None, sync: str | None, health: str | None) -> bool:
    status = app.get("status") or {}
    if project and (app.get("spec") or {}).get("project") != project:
        return False
    if sync and (status.get("sync") or {}).get("status") != sync:
        return False
    return not (health and (status.get("health") or {}).get("status") != health)


@router.get("/applications", dependencies=[Depends(require_read)])
async def list_applications(
    request: Request,
    project: str | None = None,
    sync: str | None = Query(None, description="Synced, OutOfSync or Unknown"),
    health: str | None = Query(None, description="Healthy, Progressing, Degraded, ..."),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> Obj:
    state = _state(request)

    def load() -> list[Obj]:
        return [_with_hot_status(state, app) for app in state.registry.applications()]

    try:
        apps = await run_in_threadpool(load)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    apps = sorted(
        (a for a in apps if _matches(a, project, sync, health)), key=lambda a: a["metadata"]["name"]
    )
    page = apps[offset : offset + limit]
    more = offset + limit < len(apps)
    return {
        "items": page,
        "metadata": {"total": len(apps), "offset": offset, "next": offset + limit if more else None},
    }


@router.get("/applications/{name}", dependencies=[Depends(require_read)])
async def get_application(request: Request, name: str) -> Obj:
    state = _state(request)
    return _with_hot_status(state, await run_in_threadpool(_load, state, name))


@router.post("/applications/{name}/refresh", dependencies=[Depends(require_write)])
async def refresh_application(request: Request, name: str, hard: bool = False) -> Obj:
    state = _state(request)
    app = await run_in_threadpool(_load, state, name)
    await run_in_threadpool(forget_resolved_revisions, state.redis, state.keys, app)  # the user just pushed
    queued = await run_in_threadpool(request_refresh, state.celery, state.refreshes, name, hard)
    state.events.record(name, "refresh-requested", "hard refresh" if hard else "refresh", by="api")
    return {"application": name, "queued": queued, "hard": hard}


@router.get("/applications/{name}/history", dependencies=[Depends(require_read)])
async def application_history(request: Request, name: str) -> Obj:
    state = _state(request)
    app = _with_hot_status(state, await run_in_threadpool(_load, state, name))
    return {"application": name, "history": (app.get("status") or {}).get("history") or []}


@router.get("/applications/{name}/events", dependencies=[Depends(require_read)])
async def application_events(request: Request, name: str, count: int = Query(50, ge=1, le=1000)) -> Obj:
    state = _state(request)
    events = await run_in_threadpool(state.events.recent, name, count)
    return {"application": name, "events": [e.__dict__ for e in events]}


class SyncRequest(BaseModel):
    revision: str | None = None
    prune: bool = False
    dryRun: bool = False
    resources: list[dict[str, str]] | None = None
    syncOptions: list[str] = Field(default_factory=list)


@router.post("/applications/{name}/sync", dependencies=[Depends(require_write)])
async def sync_application(request: Request, name: str, body: SyncRequest | None = None) -> Obj:
    """Record the operation on the Application (as Argo CD does) and queue its first step."""
    state = _state(request)
    body = body or SyncRequest()
    app = await run_in_threadpool(_load, state, name)
    if operation_in_progress(app):
        raise HTTPException(
            status_code=409, detail=f"application {name!r} already has an operation in progress"
        )
    try:
        refusal = await run_in_threadpool(manual_sync_refusal, state.registry, state.settings.namespace, app)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if refusal is not None:
        raise HTTPException(status_code=403, detail=refusal)
    sync: Obj = {"prune": body.prune, "dryRun": body.dryRun, "syncOptions": body.syncOptions}
    if body.revision:
        sync["revision"] = body.revision
    if body.resources:
        sync["resources"] = body.resources
    operation = {"sync": sync, "initiatedBy": {"username": "api", "automated": False}}
    try:
        await run_in_threadpool(state.registry.patch, name, {"operation": operation})
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    await run_in_threadpool(request_sync_step, state.celery, state.sync_steps, name)
    state.events.record(
        name, "sync-requested", f"revision {body.revision or '(target)'} prune={body.prune}", by="api"
    )
    return {"application": name, "operation": operation}
