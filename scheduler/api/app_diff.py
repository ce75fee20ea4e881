"""v1 API: `GET /api/v1/applications/{name}/diff` (used by `bosun app diff`).

Compares the app's target revision with its live objects on demand, exactly as a refresh does
(workers.engine.EngineReconciler.diff: same source service and caches, same destination cluster,
same ignoreDifferences; Secret values masked), and answers
`{"application", "revision", "diffs": [{group, version, kind, namespace, name, status, ..., diff}]}`
with one entry per resource that differs. The API process therefore needs what workers need to read
the source (git cache directory, helm/kubectl) — the same image and settings.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitops.errors import ClusterError, SourceError, SpecError
from scheduler.api.auth import require_read
from scheduler.api.state import ServerState
from workers.context import WorkerContext
from workers.engine import EngineReconciler

router = APIRouter()  # mounted under /api/v1 by scheduler.api.app_admin
Obj = dict[str, Any]
_guard = threading.Lock()


def _reconciler(request: Request) -> EngineReconciler:
    """One engine per API process, built on the first diff (git mirrors, caches, cluster ports)."""
    with _guard:
        built: EngineReconciler | None = getattr(request.app.state, "diff_reconciler", None)
        if built is None:
            state: ServerState = request.app.state.bosun
            built = EngineReconciler(WorkerContext(state.settings))
            request.app.state.diff_reconciler = built
        return built


def _load(state: ServerState, name: str) -> Obj:
    app = state.registry.application(name)
    if app is None:
        raise HTTPException(
            status_code=404, detail=f"application {name!r} not found in namespace {state.settings.namespace}"
        )
    return app


@router.get("/applications/{name}/diff", dependencies=[Depends(require_read)])
async def application_diff(request: Request, name: str) -> Obj:
    state: ServerState = request.app.state.bosun
    try:
        app = await run_in_threadpool(_load, state, name)
        reconciler = await run_in_threadpool(_reconciler, request)
        revision, diffs = await run_in_threadpool(reconciler.diff, app)
    except SpecError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except (SourceError, ClusterError) as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    return {"application": name, "revision": revision, "diffs": diffs}
