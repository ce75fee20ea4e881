"""/openapi/v2 and /openapi/v3: not served (kubectl falls back to its compiled-in schemas); 404 like a server
without OpenAPI publishing."""

from __future__ import annotations

from typing import Any

from kubesim.resources import Registry


def openapi_document(registry: Registry, path: str) -> dict[str, Any] | None:
    return None
