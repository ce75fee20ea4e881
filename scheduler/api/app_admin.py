"""v1 API for creating and deleting Applications (used by `bosun app create` and `bosun app delete`).

- `POST /api/v1/applications[?upsert=true]`: validate an `argoproj.io/v1alpha1` Application (the same
  parsers the engine uses), then create it in the management namespace (another metadata.namespace,
  such as Argo CD's `argocd`, is ignored and reported in `notes`); with `upsert` an existing one gets
  the new spec, labels and annotations. Invalid input answers 422 and changes nothing. A created app
  gets a refresh, and its first sync step when it carries an `operation`.
- `DELETE /api/v1/applications/{name}?cascade=true|false`: cascade (default, as `argocd app delete`)
  makes sure the resources finalizer is present so the app's resources are deleted with it; without
  cascade the finalizer is removed first and the resources stay. With cascade, `bosun.app_finalize`
  is queued at once so a worker starts deleting the resources without waiting for a beat tick.

The router also carries `POST .../{name}/rollback` (scheduler.api.app_rollback),
`DELETE .../{name}/operation` (scheduler.api.app_terminate) and `GET .../{name}/diff`
(scheduler.api.app_diff).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitops.errors import ClusterError, SpecError
from gitops.model.application import ApplicationSyncSpec
from gitops.source.repo_url import redact
from gitops.source.spec import parse_application
from scheduler.api import app_diff, app_rollback, app_terminate
from scheduler.api.auth import require_write
from scheduler.api.state import ServerState
from workers.app_deletion import request_finalize
from workers.context import WorkerContext
from workers.enqueue import request_refresh, request_sync_step

router = APIRouter(prefix="/api/v1")
router.include_router(app_rollback.router)  # served with these routes (one include in app.py)
router.include_router(app_terminate.router)
router.include_router(app_diff.router)
Obj = dict[str, Any]
API_VERSION = "argoproj.io/v1alpha1"
FINALIZERS = ("resources-finalizer.argocd.argoproj.io", "resources-finalizer.argocd.argoproj.io/background")


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.bosun
    return state


def validate_application(doc: Any) -> str:
    """The Application's name; SpecError naming the field when `doc` is not a valid Application."""
    if not isinstance(doc, dict):
        raise SpecError("the body is not an object", hint="send one Application resource as JSON")
    name = str((doc.get("metadata") or {}).get("name") or "")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "Application":
        raise SpecError(
            f"apiVersion/kind are {doc.get('apiVersion')!r}/{doc.get('kind')!r}",
            app=name or None,
            hint=f"only apiVersion {API_VERSION}, kind Application can be created here",
        )
    parse_application(doc)  # metadata.name, spec, destination, source(s)
    spec = doc["spec"]
    if not spec.get("project"):
        raise SpecError("spec.project: field required", app=name, hint="use project `default`")
    destination = spec.get("destination") or {}
    if not destination.get("server") and not destination.get("name"):
        raise SpecError(
            "spec.destination: needs server or name",
            app=name,
            hint="e.g. server https://kubernetes.default.svc",
        )
    ApplicationSyncSpec.from_spec(name, spec)
    return name


def merge_patch(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch turning `old` into `new` (keys missing from `new` become null)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: Obj = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            patch[key] = merge_patch(old[key], value)
    return patch


def without_url_credentials(app: Obj) -> Obj:
    """The Application as answered: userinfo (credentials) removed from its sources' repoURLs."""
    spec = dict(app.get("spec") or {})
    if isinstance(spec.get("source"), dict):
        spec["source"] = {**spec["source"], "repoURL": redact(str(spec["source"].get("repoURL", "")))}
    if isinstance(spec.get("sources"), list):
        spec["sources"] = [{**s, "repoURL": redact(str(s.get("repoURL", "")))} if isinstance(s, dict) else s
                           for s in spec["sources"]]  # fmt: skip
    return {**app, "spec": spec}


def _cluster_error(exc: ClusterError) -> HTTPException:
    return HTTPException(status_code=502, detail=str(exc))


@router.post("/applications", dependencies=[Depends(require_write)], status_code=201)
async def create_application(request: Request, upsert: bool = False, body: Any = Body(...)) -> Obj:
    state = _state(request)
    try:
        name = validate_application(body)
    except SpecError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    meta = body.get("metadata") or {}
    namespace = meta.get("namespace")
    notes = []
    if namespace and namespace != state.settings.namespace:  # e.g. `argocd` in an Argo CD file
        notes.append(f"metadata.namespace {namespace!r} ignored: created in {state.settings.namespace!r}")
    resource: Obj = {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {k: v for k, v in meta.items() if k in ("name", "labels", "annotations", "finalizers")},
        "spec": body["spec"],
    }
    if body.get("operation"):
        resource["operation"] = body["operation"]
    try:
        existing = await run_in_threadpool(state.registry.application, name)
        if existing is not None and not upsert:
            raise HTTPException(
                status_code=409,
                detail=f"app {name!r} already exists in namespace {state.settings.namespace} "
                "(use --upsert to replace its spec)",
            )
        if existing is None:
            result = await run_in_threadpool(state.registry.create, resource)
            action = "created"
        else:
            patch = {"spec": merge_patch(existing.get("spec") or {}, resource["spec"])}
            labels, annotations = resource["metadata"].get("labels"), resource["metadata"].get("annotations")
            if labels or annotations:
                patch["metadata"] = {"labels": labels or {}, "annotations": annotations or {}}
            result = await run_in_threadpool(state.registry.patch, name, patch)
            action = "updated"
    except ClusterError as exc:
        raise _cluster_error(exc) from None
    state.events.record(name, action, f"application {action} through the API", by="api")
    await run_in_threadpool(request_refresh, state.celery, state.refreshes, name)
    if resource.get("operation") and action == "created":  # an Application created with an operation
        await run_in_threadpool(request_sync_step, state.celery, state.sync_steps, name)
    return {
        "application": name,
        "action": action,
        "resource": without_url_credentials(result),
        "notes": notes,
    }


@router.delete("/applications/{name}", dependencies=[Depends(require_write)])
async def delete_application(request: Request, name: str, cascade: bool = True) -> Obj:
    state = _state(request)
    try:
        app = await run_in_threadpool(state.registry.application, name)
        if app is None:
            raise HTTPException(
                status_code=404,
                detail=f"application {name!r} not found in namespace {state.settings.namespace}",
            )
        finalizers = list((app.get("metadata") or {}).get("finalizers") or [])
        wanted = [f for f in finalizers if f not in FINALIZERS]
        if cascade:
            present = [f for f in finalizers if f in FINALIZERS]
            wanted = [*wanted, *(present or [FINALIZERS[0]])]
        if wanted != finalizers:
            await run_in_threadpool(state.registry.patch, name, {"metadata": {"finalizers": wanted}})
        deleted = await run_in_threadpool(state.registry.delete, name, "Background")
    except ClusterError as exc:
        raise _cluster_error(exc) from None
    state.events.record(name, "delete-requested", f"cascade={cascade}", by="api")
    if deleted and cascade:  # start deleting the resources now rather than at the next beat tick
        await run_in_threadpool(request_finalize, WorkerContext(state.settings), state.celery, name)
    return {"application": name, "deleted": deleted, "cascade": cascade}
