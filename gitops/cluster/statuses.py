"""Pure helpers of the kubernetes adapter: API `Status` bodies, Retry-After, resource names, hints."""

from __future__ import annotations

from typing import Any

import orjson

from gitops.errors import ClusterError


def retry_after_of(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After") if headers else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def status_message(body: Any) -> tuple[str, str | None]:
    try:
        status = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return str(body)[:500], None
    if isinstance(status, dict):
        return str(status.get("message") or "")[:2000], status.get("reason")
    return "", None


def describe(kind: str, namespace: str | None, name: str | None) -> str:
    """`Deployment guestbook/web`, `Namespace prod`: how errors name a resource."""
    where = (
        f"{namespace}/{name}"
        if namespace and name
        else (name or (f"in namespace {namespace}" if namespace else ""))
    )
    return f"{kind} {where}".strip()


def unknown_kind(api_version: str, kind: str, cluster: str) -> ClusterError:
    return ClusterError(
        f"the server does not serve kind {kind} in {api_version}",
        target=f"{kind} ({api_version}) on {cluster}",
        code=404,
        reason="NotFound",
        hint="install its CustomResourceDefinition or fix apiVersion/kind",
    )


def hint_for(code: int) -> str | None:
    return {
        401: "check the cluster credentials",
        403: "grant Bosun's service account access to this resource",
        409: "another field manager owns these fields (apply with force) or the object changed meanwhile (retry)",
        422: "fix the manifest in Git",
        429: "the API server is throttling; retry after the given delay",
        503: "the API server is unavailable; retry later",
    }.get(code)
