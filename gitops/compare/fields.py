"""managedFields (`FieldsV1`) as paths: what a field manager owns, whether Git still sets it, removal.

A path is a tuple of steps: ("f", name) map key, ("k", {key fields}) list item by keys, ("v", value)
set member, ("i", index) list index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

Step = tuple[str, Any]
Path = tuple[Step, ...]


@lru_cache(maxsize=8192)
def _step(raw: str) -> Step | None:
    prefix, _, rest = raw.partition(":")
    try:
        if prefix == "f":
            return ("f", rest)
        if prefix == "k":
            return ("k", json.loads(rest))
        if prefix == "v":
            return ("v", json.loads(rest))
        if prefix == "i":
            return ("i", int(rest))
    except (ValueError, json.JSONDecodeError):
        return None
    return None


def leaf_paths(fields: dict[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every leaf path of a FieldsV1 tree (nodes with no children, or owned as a whole with `.`)."""
    for raw, child in fields.items():
        if raw == ".":
            continue
        step = _step(raw)
        if step is None:
            continue
        path = (*prefix, step)
        children = {k: v for k, v in (child or {}).items() if k != "."} if isinstance(child, dict) else {}
        if children:
            yield from leaf_paths(children, path)
        else:
            yield path


def manager_fields(
    obj: dict[str, Any], managers: set[str], operation: str | None = None
) -> list[dict[str, Any]]:
    """The fieldsV1 trees of the given managers (optionally of one operation: Apply or Update)."""
    found = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") in managers and (operation is None or entry.get("operation") == operation):
            if entry.get("subresource"):
                continue
            found.append(entry.get("fieldsV1") or {})
    return found


def _item_matches(item: Any, keys: dict[str, Any]) -> bool:
    """The list item named by a `k:` step. A key field the item leaves out matches too (the server
    defaulted it, e.g. `protocol: TCP` of ports), as long as one key field is present and equal."""
    if not isinstance(item, dict):
        return False
    present = [k for k in keys if k in item]
    return bool(present) and all(item[k] == keys[k] for k in present)


def _child(node: Any, step: Step) -> tuple[bool, Any]:
    kind, value = step
    if kind == "f":
        if isinstance(node, dict) and value in node:
            return True, node[value]
        return False, None
    if kind == "k":
        if isinstance(node, list):
            for item in node:
                if _item_matches(item, value):
                    return True, item
        return False, None
    if kind == "v":
        return (isinstance(node, list) and value in node), value
    if kind == "i" and isinstance(node, list) and 0 <= value < len(node):
        return True, node[value]
    return False, None


def has_path(obj: Any, path: Path) -> bool:
    node = obj
    for step in path:
        found, node = _child(node, step)
        if not found:
            return False
    return True


def remove_path(obj: Any, path: Path) -> None:
    """Delete the element at path in place (nothing when absent)."""
    node = obj
    for step in path[:-1]:
        found, node = _child(node, step)
        if not found:
            return
    kind, value = path[-1]
    if kind == "f" and isinstance(node, dict):
        node.pop(value, None)
    elif kind == "k" and isinstance(node, list):
        node[:] = [item for item in node if not _item_matches(item, value)]
    elif kind == "v" and isinstance(node, list) and value in node:
        node.remove(value)
    elif kind == "i" and isinstance(node, list) and 0 <= value < len(node):
        del node[value]


def _within(tree: dict[str, Any], nodes: list[Any]) -> bool:
    for raw, child in tree.items():
        if raw == ".":
            continue
        step = _step(raw)
        if step is None:
            continue
        if step[0] == "f":
            key = step[1]
            found = [node[key] for node in nodes if type(node) is dict and key in node]
        else:
            found = []
            for node in nodes:
                ok, sub = _child(node, step)
                if ok:
                    found.append(sub)
        if not found:
            return False
        if isinstance(child, dict) and len(child) > (1 if "." in child else 0) and not _within(child, found):
            return False
    return True


def owned_within(tree: dict[str, Any], *candidates: Any) -> bool:
    """Is every leaf of the FieldsV1 tree present in at least one of the candidate objects?
    (One walk of the tree alongside the candidates, no path lists.)"""
    return _within(tree, list(candidates))
