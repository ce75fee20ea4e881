"""Sets of field paths as structured-merge-diff builds them, in the real `FieldsV1` wire format.

A path is a tuple of path elements spelled as in `fieldsV1` keys: `f:<field>`, `k:<json of the list
item's keys>` (items of associative lists), `v:<json value>` (items of sets), `i:<index>`. A set
holds the paths a manager owns; `to_fields_v1`/`from_fields_v1` convert to and from the nested
`{"f:spec": {"f:replicas": {}}}` form, where `".": {}` marks a path owned itself besides its children.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubesim.apply.paths import (
    FieldSetError,
    Path,
    PathSet,
    dumps,
    element_key,
    element_string,
    from_fields_v1,
    iteration_key,
    path_string,
    to_fields_v1,
)
from kubesim.patching.patch_keys import DEFAULT, FieldSchema

__all__ = [
    "MISSING",
    "STRIPPED",
    "Comparison",
    "FieldSetError",
    "Path",
    "PathSet",
    "compare",
    "element_key",
    "element_string",
    "ensure_named",
    "from_fields_v1",
    "iteration_key",
    "path_string",
    "remove_paths",
    "to_field_set",
    "to_fields_v1",
]

MISSING: Any = object()
# The top-level bookkeeping fields no manager owns (real: stripMetaManager).
STRIPPED: frozenset[Path] = frozenset(
    [("f:apiVersion",), ("f:kind",), ("f:metadata",)]
    + [
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    ]
)


def item_element(item: Any, schema: FieldSchema, where: str = "") -> str:
    """The path element naming one item of an associative list or set."""
    if schema.list_type == "set":
        if isinstance(item, dict | list):
            raise FieldSetError(f"{where}: expected scalar items in a set")
        return "v:" + dumps(item)
    if not isinstance(item, dict):
        raise FieldSetError(f"{where}: associative list with keys has an element that is not a map")
    keys: dict[str, Any] = {}
    for name in sorted(schema.keys):
        value = item.get(name, MISSING)
        if value is MISSING or value is None:
            if name not in schema.key_defaults:
                raise FieldSetError(
                    f"{where}: associative list with keys has an element that omits key field "
                    f'"{name}" (and doesn\'t have default value)'
                )
            value = schema.key_defaults[name]
        keys[name] = value
    return "k:" + dumps(keys)


def item_elements(items: list[Any], schema: FieldSchema, prefix: Path, strict: bool) -> list[str]:
    """Elements of every item; duplicates are an error when `strict` (applied configurations)."""
    out = []
    for index, item in enumerate(items):
        out.append(item_element(item, schema, f"{path_string(prefix)}: element {index}"))
    if strict and len(set(out)) != len(out):
        seen: set[str] = set()
        for element in out:
            if element in seen:
                raise FieldSetError(
                    f"{path_string(prefix)}: duplicate entries for key {element_string(element)}"
                )
            seen.add(element)
    return out


def to_field_set(obj: dict[str, Any], schema: FieldSchema, strict: bool = True) -> PathSet:
    """The paths an applied configuration sets (structured-merge-diff `ToFieldSet`)."""
    out: PathSet = set()
    _map_set(obj, schema, (), out, strict)
    return out


def _map_set(obj: dict[str, Any], schema: FieldSchema, prefix: Path, out: PathSet, strict: bool) -> None:
    node = schema.node
    for key, value in obj.items():
        _value_set(value, node.get(key, DEFAULT), (*prefix, "f:" + key), out, strict)


def _value_set(value: Any, schema: FieldSchema, path: Path, out: PathSet, strict: bool) -> None:
    if isinstance(value, dict):
        if schema.atomic or not value:
            out.add(path)
        else:
            _map_set(value, schema, path, out, strict)
    elif isinstance(value, list):
        if schema.list_type == "atomic":
            out.add(path)
            return
        elements = item_elements(value, schema, path, strict)
        for element, item in zip(elements, value, strict=True):
            item_path = (*path, element)
            out.add(item_path)
            if isinstance(item, dict):
                _map_set(item, schema, item_path, out, strict)
    else:
        out.add(path)


def _all_paths(value: Any, schema: FieldSchema, path: Path, out: PathSet) -> None:
    """Every path of a value that appeared or vanished as a whole, the value's own path included."""
    out.add(path)
    if isinstance(value, dict) and not schema.atomic:
        node = schema.node
        for key, sub in value.items():
            _all_paths(sub, node.get(key, DEFAULT), (*path, "f:" + key), out)
    elif isinstance(value, list) and schema.list_type != "atomic":
        for element, item in zip(item_elements(value, schema, path, False), value, strict=True):
            item_path = (*path, element)
            out.add(item_path)
            if isinstance(item, dict):
                node = schema.node
                for key, sub in item.items():
                    _all_paths(sub, node.get(key, DEFAULT), (*item_path, "f:" + key), out)


def same(a: Any, b: Any) -> bool:
    """Equality as JSON values (true is not 1)."""
    if a is b:
        return True
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and isinstance(a, str) == isinstance(b, str)


class Comparison:
    """What changed between two objects (structured-merge-diff `Compare`)."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: PathSet = set()
        self.modified: PathSet = set()
        self.removed: PathSet = set()


def compare(old: dict[str, Any], new: dict[str, Any], schema: FieldSchema) -> Comparison:
    result = Comparison()
    _compare_maps(old, new, schema, (), result)
    return result


def _compare_maps(
    old: dict[str, Any], new: dict[str, Any], schema: FieldSchema, prefix: Path, c: Comparison
) -> None:
    node = schema.node
    for key, value in new.items():
        _compare(old.get(key, MISSING), value, node.get(key, DEFAULT), (*prefix, "f:" + key), c)
    for key, value in old.items():
        if key not in new:
            _all_paths(value, node.get(key, DEFAULT), (*prefix, "f:" + key), c.removed)


def _compare(old: Any, new: Any, schema: FieldSchema, path: Path, c: Comparison) -> None:
    if old is MISSING:
        _all_paths(new, schema, path, c.added)
        return
    if old is None and new is not None and not schema.atomic:
        old = {} if isinstance(new, dict) and new else [] if isinstance(new, list) else old
    elif new is None and old is not None and not schema.atomic:
        new = {} if isinstance(old, dict) and old else [] if isinstance(old, list) else new
    if isinstance(old, dict) and isinstance(new, dict) and not schema.atomic and (old or new):
        _compare_maps(old, new, schema, path, c)
    elif isinstance(old, list) and isinstance(new, list) and schema.list_type != "atomic":
        _compare_lists(old, new, schema, path, c)
    elif not same(old, new):
        c.modified.add(path)


def _compare_lists(old: list[Any], new: list[Any], schema: FieldSchema, path: Path, c: Comparison) -> None:
    old_items: dict[str, Any] = {}
    for element, item in zip(item_elements(old, schema, path, False), old, strict=True):
        old_items.setdefault(element, item)
    new_items: dict[str, Any] = {}
    for element, item in zip(item_elements(new, schema, path, False), new, strict=True):
        new_items.setdefault(element, item)
    node = FieldSchema(node=schema.node)
    for element, item in new_items.items():
        item_path = (*path, element)
        before = old_items.get(element, MISSING)
        if before is MISSING:
            c.added.add(item_path)
            if isinstance(item, dict):
                _compare_maps({}, item, node, item_path, c)
        elif isinstance(item, dict) and isinstance(before, dict):
            _compare_maps(before, item, node, item_path, c)
    for element, item in old_items.items():
        if element not in new_items:
            item_path = (*path, element)
            c.removed.add(item_path)
            if isinstance(item, dict):
                _compare_maps(item, {}, node, item_path, c)


def ensure_named(paths: Iterable[Path]) -> PathSet:
    """The set plus every ancestor that is a field (structured-merge-diff `EnsureNamedFieldsAreMembers`)."""
    out: PathSet = set()
    for path in paths:
        out.add(path)
        for end in range(1, len(path)):
            if path[end - 1][0] == "f":
                out.add(path[:end])
    return out


def remove_paths(obj: dict[str, Any], paths: PathSet, schema: FieldSchema) -> dict[str, Any]:
    """A copy of obj without the given paths (and what is under them); emptied containers vanish."""
    trie: dict[str, Any] = {}
    for path in paths:
        node = trie
        for element in path:
            node = node.setdefault(element, {})
        node["."] = True
    result = _remove_map(obj, trie, schema)
    return result if result is not None else {}


def _remove_map(obj: dict[str, Any], trie: dict[str, Any], schema: FieldSchema) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    node = schema.node
    for key, value in obj.items():
        sub = trie.get("f:" + key)
        if sub is None:
            out[key] = value
        elif "." not in sub:
            kept = _remove_value(value, sub, node.get(key, DEFAULT))
            if kept is not None:
                out[key] = kept
    return out or None


def _remove_value(value: Any, trie: dict[str, Any], schema: FieldSchema) -> Any:
    if isinstance(value, dict) and not schema.atomic:
        return _remove_map(value, trie, schema)
    if isinstance(value, list) and schema.list_type != "atomic":
        items = []
        item_schema = FieldSchema(node=schema.node)
        for element, item in zip(item_elements(value, schema, (), False), value, strict=True):
            sub = trie.get(element)
            if sub is None:
                items.append(item)
            elif "." not in sub and isinstance(item, dict):
                kept = _remove_map(item, sub, item_schema)
                if kept is not None:
                    items.append(kept)
        return items or None
    return value
