"""Structured merge of an applied configuration into a live object (structured-merge-diff `Merge`).

Maps and structs merge key by key; atomic lists, atomic structs and scalars take the applied value;
associative lists merge their items by key and sets by value, ordered as the real merging walker
orders them (applied items in applied order, live-only items kept where they were). The result
never shares containers with the live object, so callers may store it and mutate it freely.
"""

from __future__ import annotations

from typing import Any

from kubesim.apply.fieldsets import MISSING, Path, item_elements
from kubesim.patching.patch_keys import DEFAULT, FieldSchema


def copy_value(value: Any) -> Any:
    """A deep copy of a JSON value, much cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value


def merge_objects(live: dict[str, Any], applied: dict[str, Any], schema: FieldSchema) -> dict[str, Any]:
    return _merge_maps(live, applied, schema, ())


def _merge_maps(
    live: dict[str, Any], applied: dict[str, Any], schema: FieldSchema, path: Path
) -> dict[str, Any]:
    node = schema.node
    out: dict[str, Any] = {}
    for key, value in live.items():
        if key in applied:
            merged = _merge(value, applied[key], node.get(key, DEFAULT), (*path, "f:" + key))
        else:
            merged = copy_value(value)
        if merged is not None:
            out[key] = merged
    for key, value in applied.items():
        if key not in live and value is not None:
            out[key] = copy_value(value)
    return out


def _merge(live: Any, applied: Any, schema: FieldSchema, path: Path) -> Any:
    if applied is None:
        # a null map in the configuration leaves the live map alone; a null leaf clears it
        return copy_value(live) if isinstance(live, dict) and live and not schema.atomic else None
    if isinstance(applied, dict) and isinstance(live, dict) and not schema.atomic:
        return _merge_maps(live, applied, schema, path)
    if isinstance(applied, list) and isinstance(live, list) and schema.list_type != "atomic":
        return _merge_lists(live, applied, schema, path)
    return copy_value(applied)


def _merge_lists(live: list[Any], applied: list[Any], schema: FieldSchema, path: Path) -> list[Any]:
    """Port of the merging walker's visitListItems ordering."""
    lpes = item_elements(live, schema, path, False)
    rpes = item_elements(applied, schema, path, True)
    observed_l: dict[str, Any] = {}
    for element, item in zip(lpes, live, strict=True):
        observed_l.setdefault(element, item)
    observed_r = dict(zip(rpes, applied, strict=True))
    shared = [pe for pe in rpes if pe in observed_l]
    shared.reverse()
    next_shared = shared.pop() if shared else None
    item_schema = FieldSchema(node=schema.node)
    merged_r: set[str] = set()
    out: list[Any] = []

    def merge_item(pe: str, left: Any, right: Any) -> None:
        if right is MISSING:
            value = copy_value(left)
        elif left is MISSING:
            value = copy_value(right)
        elif isinstance(left, dict) and isinstance(right, dict):
            value = _merge_maps(left, right, item_schema, (*path, pe))
        else:
            value = copy_value(right)
        out.append(value)

    li = ri = 0
    llen, rlen = len(lpes), len(rpes)
    while li < llen or ri < rlen:
        if li < llen and ri < rlen:
            pe = lpes[li]
            if pe == rpes[ri]:
                merged_r.add(pe)
                merge_item(pe, observed_l.get(pe, MISSING), observed_r[pe])
                li += 1
                ri += 1
                next_shared = shared.pop() if shared else None
                continue
            if pe in observed_r and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < llen:
            pe = lpes[li]
            if pe not in observed_r:
                merge_item(pe, live[li], MISSING)
                li += 1
                continue
            if pe in merged_r:
                li += 1
                continue
        if ri < rlen:
            pe = rpes[ri]
            merged_r.add(pe)
            merge_item(pe, observed_l.get(pe, MISSING), observed_r[pe])
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop() if shared else None
    return out
