"""v1 API: `DELETE /api/v1/applications/{name}/operation` (used by `bosun app terminate-op`).

As Argo CD's TerminateOperation: a running operation gets phase `Terminating`; the next
`bosun.sync_step` then deletes its running hooks and ends it as Failed ("Operation terminated by
request"). The status is written the way workers write it: under the app lock, fenced, hot and
durable, so no step can be half-way through and overwrite the request. An operation that was requested
but has not started yet is simply withdrawn (`.operation` removed). Nothing in progress: 409.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from gitops.coordination import AppLocks
from gitops.errors import ClusterError, LockLostError
from gitops.registry import durable_fence
from scheduler.api.auth import require_write
from scheduler.api.state import ServerState
from workers.enqueue import request_sync_step

router = APIRouter()  # mounted under /api/v1 by scheduler.api.app_admin
Obj = dict[str, Any]
LOCK_WAIT_SECONDS = 10.0
TERMINATING_MESSAGE = "terminating: requested by user"


def _not_found(state: ServerState, name: str) -> HTTPException:
    return HTTPException(
        status_code=404, detail=f"application {name!r} not found in namespace {state.settings.namespace}"
    )


def terminate(state: ServerState, name: str) -> str:
    """What was done: "terminating" or "withdrawn"; HTTPException when there is nothing to stop."""
    locks = AppLocks(state.redis, state.keys, state.settings.lock_ttl_seconds)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        resource = state.registry.application(name)
        if resource is None:
            raise _not_found(state, name)
        lease = locks.acquire(name, fence_floor=durable_fence(resource))
        if lease is not None:
            break
        if time.monotonic() > deadline:  # a step holds the lock for its duration: normally seconds
            raise HTTPException(
                status_code=409, detail=f"application {name!r} is busy; retry the termination"
            )
        time.sleep(0.1)
    try:
        resource = state.registry.application(name)  # re-read under the lock
        if resource is None:
            raise _not_found(state, name)
        status = copy.deepcopy(resource.get("status") or {})
        status.pop("bosun", None)
        operation_state = status.get("operationState") or {}
        if operation_state.get("phase") == "Running":
            operation_state.update(phase="Terminating", message=TERMINATING_MESSAGE)
            status["operationState"] = operation_state
            state.hot.write(lease, status)
            state.registry.write_status(name, status, lease.fence)
            done = "terminating"
        elif operation_state.get("phase") == "Terminating":
            done = "terminating"
        elif resource.get("operation"):
            state.registry.patch(name, {"operation": None})
            done = "withdrawn"
        else:
            raise HTTPException(status_code=409, detail=f"application {name!r} has no operation in progress")
    finally:
        locks.release(lease)
    return done


@router.delete("/applications/{name}/operation", dependencies=[Depends(require_write)])
async def terminate_operation(request: Request, name: str) -> Obj:
    state: ServerState = request.app.state.bosun
    try:
        done = await run_in_threadpool(terminate, state, name)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    except LockLostError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    if done == "terminating":
        await run_in_threadpool(request_sync_step, state.celery, state.sync_steps, name)
        message = "operation termination requested"
    else:
        message = "requested operation withdrawn before it started"
    state.events.record(name, "terminate-requested", message, by="api")
    return {"application": name, "result": done, "message": message}
