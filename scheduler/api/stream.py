"""`GET /api/v1/stream/applications`: server-sent events, one per status change of an app.

Reads the `changes` stream that every fenced hot-status write appends to (XREAD, blocking one second
at a time in a worker thread), so any API server instance sees changes made by any worker.
`?name=` limits the stream to one app. A comment line is sent every second as a keep-alive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from scheduler.api.auth import require_read
from scheduler.api.state import ServerState

router = APIRouter(prefix="/api/v1")


def _read(state: ServerState, key: str, last: str) -> list[Any]:
    """Up to 100 change entries after `last`, waiting at most one second."""
    result: Any = state.redis.xread({key: last}, count=100, block=1000)
    return list(result or [])


async def _events(request: Request, state: ServerState, name: str | None) -> AsyncIterator[bytes]:
    key = state.keys.app_changes()
    last = "$"
    yield b": connected\n\n"
    while not await request.is_disconnected():
        batch = await run_in_threadpool(_read, state, key, last)
        if not batch:
            yield b": keep-alive\n\n"
            continue
        for _stream, entries in batch:
            for entry_id, fields in entries:
                last = entry_id
                app = fields.get("app", "")
                if name and app != name:
                    continue
                status = await run_in_threadpool(state.hot.read, app)
                data = orjson.dumps({"name": app, "status": status, "fence": int(fields.get("fence", 0))})
                yield b"event: application\nid: " + str(entry_id).encode() + b"\ndata: " + data + b"\n\n"


@router.get("/stream/applications", dependencies=[Depends(require_read)])
async def stream_applications(request: Request, name: str | None = None) -> StreamingResponse:
    state: ServerState = request.app.state.bosun
    return StreamingResponse(
        _events(request, state, name),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
