"""v1 API: `POST /api/v1/applications/{name}/rollback` (used by `bosun app rollback`).

Rollback is a sync to a history entry's revision and source (gitops.model.history), recorded on the
Application's `.operation` like any sync and run by the same chain of `bosun.sync_step` tasks. Refused
(409) while automated sync is on or an operation is in progress; 404 for an unknown history id; 403
when a sync window denies a manual sync.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from gitops.errors import ClusterError, SpecError, SyncError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.history import rollback_operation
from gitops.model.status import ApplicationStatus
from scheduler.api.auth import require_write
from scheduler.api.state import ServerState
from scheduler.api.sync_windows import manual_sync_refusal
from workers.enqueue import request_sync_step

router = APIRouter()  # mounted under /api/v1 by scheduler.api.app_admin
Obj = dict[str, Any]


class RollbackRequest(BaseModel):
    id: int
    prune: bool = False
    dryRun: bool = False


def _current(state: ServerState, name: str) -> Obj:
    """The Application with its hot status overlaid (fresher history and operation state)."""
    try:
        app = state.registry.application(name)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if app is None:
        raise HTTPException(
            status_code=404, detail=f"application {name!r} not found in namespace {state.settings.namespace}"
        )
    hot = state.hot.read(name)
    if hot is not None:
        app = {**app, "status": {**(app.get("status") or {}), **hot}}
    return app


@router.post("/applications/{name}/rollback", dependencies=[Depends(require_write)])
async def rollback_application(request: Request, name: str, body: RollbackRequest) -> Obj:
    state: ServerState = request.app.state.bosun
    app = await run_in_threadpool(_current, state, name)
    if app.get("operation"):
        raise HTTPException(
            status_code=409, detail=f"application {name!r} already has an operation in progress"
        )
    try:
        spec = ApplicationSyncSpec.from_spec(name, app.get("spec") or {})
        status = ApplicationStatus.from_dict(app.get("status"))
        operation = rollback_operation(
            spec, status, body.id, username="api", prune=body.prune, dry_run=body.dryRun
        ).to_dict()
    except SpecError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except SyncError as exc:
        code = 404 if exc.target == "status.history" else 409
        raise HTTPException(status_code=code, detail=str(exc)) from None
    try:
        refusal = await run_in_threadpool(manual_sync_refusal, state.registry, state.settings.namespace, app)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if refusal is not None:  # a rollback is a manual sync: sync windows apply
        raise HTTPException(status_code=403, detail=refusal)
    try:
        await run_in_threadpool(state.registry.patch, name, {"operation": operation})
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    await run_in_threadpool(request_sync_step, state.celery, state.sync_steps, name)
    revision = operation["sync"].get("revision") or "(unknown)"
    state.events.record(name, "rollback-requested", f"history id {body.id}, revision {revision}", by="api")
    return {"application": name, "operation": operation}
