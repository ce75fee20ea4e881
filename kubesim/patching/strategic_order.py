"""Element order of merged lists in strategic merge patch (the real normalizeElementOrder), and helpers.

Items named by the patch (or by `$setElementOrder`) follow that order; items only on the server keep
their relative order; the two are interleaved by their positions in the live list.
"""

from __future__ import annotations

import json
from typing import Any


def strip_directives(value: Any) -> Any:
    """A value from the patch as it is stored: `$` directives and nulls dropped, as typed decoding does."""
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if v is not None and not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value]
    return value


def go_repr(value: Any) -> str:
    """Roughly Go's %v of a decoded JSON value (map[k:v] and [a b])."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_repr(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_repr(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _identity(item: Any, key: str) -> Any:
    if key:
        value = item.get(key) if isinstance(item, dict) else None
        return ("k", json.dumps(value, sort_keys=True))
    return ("v", json.dumps(item, sort_keys=True))


def merge_ordered(merged: list[Any], patch_order: list[Any], server_order: list[Any], key: str) -> list[Any]:
    """Order merged items: patch items by patch_order, server-only items by server_order, interleaved."""
    patch_index: dict[Any, int] = {}
    for index, item in enumerate(patch_order):
        if isinstance(item, dict) and "$patch" in item:
            continue
        patch_index.setdefault(_identity(item, key), index)
    server_index: dict[Any, int] = {}
    for index, item in enumerate(server_order):
        server_index.setdefault(_identity(item, key), index)
    from_patch = [i for i in merged if _identity(i, key) in patch_index]
    server_only = [i for i in merged if _identity(i, key) not in patch_index]
    from_patch.sort(key=lambda i: patch_index[_identity(i, key)])
    server_only.sort(key=lambda i: server_index.get(_identity(i, key), len(server_order)))
    out: list[Any] = []
    left = right = 0
    while left < len(server_only) or right < len(from_patch):
        if left >= len(server_only):
            out.append(from_patch[right])
            right += 1
        elif right >= len(from_patch):
            out.append(server_only[left])
            left += 1
        else:
            li = server_index.get(_identity(server_only[left], key), -1)
            ri = server_index.get(_identity(from_patch[right], key), -1)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[left])
                left += 1
            else:
                out.append(from_patch[right])
                right += 1
    return out
