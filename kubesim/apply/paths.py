"""Field paths in the `FieldsV1` wire format: printing them as conflict messages do, their iteration
order, and the conversion between path sets and nested `fieldsV1` objects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Path = tuple[str, ...]
PathSet = set[Path]


class FieldSetError(ValueError):
    """An object or fieldsV1 that cannot be turned into a field set (missing or duplicate list keys)."""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def element_string(element: str) -> str:
    """One path element as structured-merge-diff prints it in conflict messages."""
    kind, text = element[0], element[2:]
    if kind == "f":
        return "." + text
    if kind == "k":
        keys = json.loads(text)
        return "[" + ",".join(f"{name}={_go_string(value)}" for name, value in keys.items()) + "]"
    if kind == "v":
        return f"[={_go_string(json.loads(text))}]"
    return f"[{text}]"


def path_string(path: Path) -> str:
    return "".join(element_string(element) for element in path)


def _go_string(value: Any) -> str:
    if isinstance(value, str):
        return dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)


_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


def element_key(element: str) -> tuple[int, str]:
    return (_ORDER.get(element[0], 4), element[2:])


def iteration_key(path: Path) -> tuple[tuple[int, int, str], ...]:
    """Sort key giving structured-merge-diff's set iteration order: members of a level before children."""
    last = len(path) - 1
    return tuple((0 if i == last else 1, *element_key(e)) for i, e in enumerate(path))


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        node["."] = None
    return _emit(tree)


def _emit(node: dict[str, Any]) -> dict[str, Any]:
    children = sorted((k for k in node if k != "."), key=element_key)
    out: dict[str, Any] = {}
    if "." in node and children:
        out["."] = {}
    for key in children:
        out[key] = _emit(node[key])
    return out


def from_fields_v1(fields: Any) -> PathSet:
    if not isinstance(fields, dict):
        raise FieldSetError("fieldsV1 must be an object")
    out: PathSet = set()
    _collect(fields, (), out)
    return out


def _collect(node: dict[str, Any], prefix: Path, out: PathSet) -> None:
    for key, sub in node.items():
        if key == ".":
            if prefix:
                out.add(prefix)
            continue
        if len(key) < 2 or key[1] != ":" or key[0] not in _ORDER:
            raise FieldSetError(f"unknown path element {key!r} in fieldsV1")
        if not isinstance(sub, dict):
            raise FieldSetError("fieldsV1 values must be objects")
        path = (*prefix, key)
        if sub:
            _collect(sub, path, out)
        else:
            out.add(path)
