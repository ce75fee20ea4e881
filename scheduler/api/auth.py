"""Bearer-token auth of the v1 API: the read token reads, the write token reads and writes.

An unset token accepts nothing, so with no tokens configured the v1 API refuses every request
(webhooks, /healthz and /metrics need no token). Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

READ = "read"
WRITE = "write"


def _presented(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status_code=401,
            detail="missing bearer token: send 'Authorization: Bearer <token>' (BOSUN_API_TOKEN for the CLI)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def _matches(token: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def authorize(request: Request, level: str) -> None:
    """Raise 401 (no/unknown token) or 403 (read token on a write) unless allowed."""
    settings = request.app.state.bosun.settings
    token = _presented(request)
    write = settings.api_write_token.get_secret_value()
    read = settings.api_read_token.get_secret_value()
    if _matches(token, write):
        return
    if _matches(token, read):
        if level == READ:
            return
        raise HTTPException(status_code=403, detail="this token may only read; use the write token")
    raise HTTPException(
        status_code=401, detail="unknown bearer token", headers={"WWW-Authenticate": "Bearer"}
    )


def require_read(request: Request) -> None:
    authorize(request, READ)


def require_write(request: Request) -> None:
    authorize(request, WRITE)
