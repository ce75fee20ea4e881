"""Bearer token authentication and a read-only role, as an ASGI middleware.

With tokens configured, every request needs `Authorization: Bearer <token>`: none or an unknown one
gets 401 `Unauthorized` (like kube-apiserver with anonymous auth off). A read-only token gets 403
`Forbidden` on every write verb (create, update, patch, delete, deletecollection) with the real
message, e.g. `configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group
"" in the namespace "default"`. Tokens never appear in responses or logs.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from kubesim.middleware.asgi import ASGIApp, Receive, Scope, Send, send_status
from kubesim.middleware.request_info import RequestInfo, request_info

ADMIN_USER = "kubesim-admin"
VIEWER_USER = "kubesim-viewer"


@dataclass(frozen=True)
class Credential:
    user: str
    read_only: bool = False


def credentials(token: str | None, read_only_token: str | None = None) -> dict[str, Credential]:
    """The token table of `kubesim serve --token T [--read-only-token R]`."""
    table: dict[str, Credential] = {}
    if token:
        table[token] = Credential(ADMIN_USER)
    if read_only_token:
        table[read_only_token] = Credential(VIEWER_USER, read_only=True)
    return table


def unauthorized_status() -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def forbidden_status(user: str, info: RequestInfo) -> dict[str, Any]:
    if not info.is_resource:
        message = f'forbidden: User "{user}" cannot {info.verb} path "{info.path}"'
        details: dict[str, Any] = {}
    else:
        resource = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
        scope = f'in the namespace "{info.namespace}"' if info.namespace else "at the cluster scope"
        reason = f'User "{user}" cannot {info.verb} resource "{resource}" in API group "{info.group}" {scope}'
        subject = f'{info.qualified_resource} "{info.name}"' if info.name else info.qualified_resource
        message = f"{subject} is forbidden: {reason}"
        details = {"name": info.name, "group": info.group, "kind": info.resource}
        details = {k: v for k, v in details.items() if v}
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": details,
        "code": 403,
    }
    return body


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
            return None
    return None


def _non_resource_write(info: RequestInfo) -> bool:
    return not info.is_resource and info.verb in ("post", "put", "patch", "delete")


class AuthMiddleware:
    """Rejects unauthenticated requests (401) and writes by read-only users (403)."""

    def __init__(self, app: ASGIApp, tokens: dict[str, Credential]) -> None:
        self.app = app
        self.tokens = dict(tokens)

    def authenticate(self, token: str | None) -> Credential | None:
        if not token:
            return None
        for known, credential in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return credential
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.tokens:
            await self.app(scope, receive, send)
            return
        credential = self.authenticate(_bearer(scope))
        if credential is None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if credential is None:
            await send_status(send, 401, unauthorized_status())
            return
        if credential.read_only:
            info = request_info(scope)
            if info.is_write or _non_resource_write(info):
                await send_status(send, 403, forbidden_status(credential.user, info))
                return
        scope = {**scope, "user": {"name": credential.user, "read_only": credential.read_only}}
        await self.app(scope, receive, send)


def wrap(app: ASGIApp, *, token: str | None = None, read_only_token: str | None = None) -> ASGIApp:
    """`app` behind bearer-token auth (a no-op when neither token is given)."""
    table = credentials(token, read_only_token)
    return AuthMiddleware(app, table) if table else app
