"""What a request asks for, parsed from its path like k8s.io/apiserver's RequestInfoFactory: verb,
API group, resource, subresource, namespace and name. Used by the auth and fault middlewares."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

_NAMESPACE_SUBRESOURCES = {"status", "finalize"}
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class RequestInfo:
    verb: str
    path: str
    is_resource: bool = False
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""

    @property
    def qualified_resource(self) -> str:
        """`plural.group` (or `plural` in the core group), as error messages name a resource."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS


def _non_resource(method: str, path: str) -> RequestInfo:
    return RequestInfo(verb=method.lower(), path=path)


def request_info(scope: MutableMapping[str, Any]) -> RequestInfo:
    method = str(scope.get("method", "GET")).upper()
    path = str(scope.get("path", "/"))
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return _non_resource(method, path)
    if parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return _non_resource(method, path)
        group, version, rest = parts[1], parts[2], parts[3:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    watching = query.get("watch", ["false"])[0].lower() in ("true", "1")
    verb = {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if name else "deletecollection",
    }.get(method)
    if verb is None:
        if method in ("GET", "HEAD"):
            verb = "watch" if watching else ("get" if name else "list")
        else:
            verb = method.lower()
    return RequestInfo(
        verb=verb,
        path=path,
        is_resource=True,
        group=group,
        version=version,
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
    )
