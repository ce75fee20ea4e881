"""JSON merge patch (RFC 7386, application/merge-patch+json) as evanphx/json-patch's MergePatch does it.

Objects merge recursively, null deletes a key, anything else (arrays included) replaces the value;
nulls inside values that replace are pruned from objects. A null or scalar patch is the library's
"Invalid JSON Patch" error.
"""

from __future__ import annotations

from typing import Any

from kubesim.apply.merge import copy_value
from kubesim.errors import ApiError, bad_request


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) if isinstance(v, dict | list) else v for v in value]
    return value


def apply(doc: dict[str, Any], patch: Any) -> dict[str, Any]:
    """The document after the patch; neither argument changes."""
    if isinstance(patch, list):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
    if not isinstance(patch, dict):
        error = ApiError(500, "Invalid JSON Patch")
        error.reason = ""
        raise error
    return _merge(doc, patch)


def _merge(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items()}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        current = out.get(key)
        if isinstance(current, dict):
            out[key] = _merge(current, value) if isinstance(value, dict) else copy_value(value)
        else:
            out[key] = _prune(value)
    return out
