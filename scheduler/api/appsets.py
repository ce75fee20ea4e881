"""v1 ApplicationSet API (read only): list the sets with their generated-app counts and conditions,
get one set with its Applications (name, sync, health, destination). Read or write token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitops.appsets.controller import owned_applications
from gitops.appsets.store import AppSetStore
from gitops.appsets.triggers import generator_kinds
from gitops.errors import ClusterError
from scheduler.api.auth import require_read
from scheduler.api.state import ServerState

router = APIRouter(prefix="/api/v1")
Obj = dict[str, Any]


def _store(request: Request) -> AppSetStore:
    state: ServerState = request.app.state.bosun
    return AppSetStore(state.registry.api.api_client, state.settings.namespace)


def _app_row(app: Obj) -> Obj:
    status = app.get("status") or {}
    return {"name": app["metadata"]["name"], "sync": (status.get("sync") or {}).get("status") or "",
            "health": (status.get("health") or {}).get("status") or "",
            "destination": (app.get("spec") or {}).get("destination") or {},
            "deleting": bool(app["metadata"].get("deletionTimestamp"))}  # fmt: skip


def summary(appset: Obj, applications: list[Obj]) -> Obj:
    spec, status = appset.get("spec") or {}, appset.get("status") or {}
    errors = [
        c
        for c in status.get("conditions") or []
        if c.get("type") == "ErrorOccurred" and c.get("status") == "True"
    ]
    return {
        "name": appset["metadata"]["name"],
        "generators": sorted(generator_kinds(appset)),
        "goTemplate": bool(spec.get("goTemplate")),
        "applicationsSync": ((spec.get("syncPolicy") or {}).get("applicationsSync")) or "sync",
        "preserveResourcesOnDeletion": bool((spec.get("syncPolicy") or {}).get("preserveResourcesOnDeletion")),
        "applications": len(owned_applications(appset, applications)),
        "error": errors[0].get("message") if errors else "",
    }  # fmt: skip


def _read(request: Request, name: str | None) -> tuple[list[Obj], list[Obj]]:
    store = _store(request)
    try:
        sets = store.appsets() if name is None else [s for s in [store.appset(name)] if s]
        return sets, store.applications()
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None


@router.get("/applicationsets", dependencies=[Depends(require_read)])
async def list_applicationsets(request: Request) -> Obj:
    sets, apps = await run_in_threadpool(_read, request, None)
    return {"items": [summary(s, apps) for s in sorted(sets, key=lambda s: s["metadata"]["name"])]}


@router.get("/applicationsets/{name}", dependencies=[Depends(require_read)])
async def get_applicationset(request: Request, name: str) -> Obj:
    sets, apps = await run_in_threadpool(_read, request, name)
    if not sets:
        state: ServerState = request.app.state.bosun
        raise HTTPException(status_code=404,
                            detail=f"applicationset {name!r} not found in namespace {state.settings.namespace}")  # fmt: skip
    appset = sets[0]
    owned = sorted(owned_applications(appset, apps), key=lambda a: a["metadata"]["name"])
    return {
        "summary": summary(appset, apps),
        "applicationSet": appset,
        "applications": [_app_row(a) for a in owned],
    }
