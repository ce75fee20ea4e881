"""The pure modules other parts of kubesim provide (patching, server-side apply, defaulting, validation),
resolved once; a minimal built-in behaviour stands in for a module not present."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from kubesim.errors import ApiError
from kubesim.resources import ResourceType

Obj = dict[str, Any]


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def merge_patch_fallback(doc: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch_fallback(result.get(key), value)
    return result


def json_patch_fallback(doc: Any, ops: Any) -> Any:
    import jsonpatch

    try:
        return jsonpatch.apply_patch(doc, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise ApiError(422, str(exc)) from exc


def _fields_v1(value: Any) -> Any:
    if isinstance(value, dict):
        return {f"f:{k}": _fields_v1(v) for k, v in value.items()}
    return {}


def record_update_fallback(
    old: Obj | None,
    new: Obj,
    *,
    manager: str,
    operation: str,
    rt: ResourceType,
    now: str,
    subresource: str | None,
) -> None:
    meta = new.setdefault("metadata", {})
    body = {k: v for k, v in new.items() if k not in ("apiVersion", "kind", "metadata")}
    labels_annotations = {k: meta[k] for k in ("labels", "annotations", "finalizers") if k in meta}
    if labels_annotations:
        body["metadata"] = labels_annotations
    entry: Obj = {
        "manager": manager,
        "operation": operation,
        "apiVersion": rt.api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": _fields_v1(body),
    }
    if subresource:
        entry["subresource"] = subresource
    entries = [
        e
        for e in meta.get("managedFields") or []
        if not (
            e.get("manager") == manager
            and e.get("operation") == operation
            and e.get("subresource") == subresource
        )
    ]
    entries.append(entry)
    meta["managedFields"] = entries


def ssa_fallback(
    live: Obj | None,
    applied: Obj,
    *,
    manager: str,
    force: bool,
    rt: ResourceType,
    now: str,
    subresource: str | None,
) -> Obj:
    merged: Obj = merge_patch_fallback(live or {}, applied)
    record_update_fallback(
        live, merged, manager=manager, operation="Apply", rt=rt, now=now, subresource=subresource
    )
    return merged


@dataclass
class Extensions:
    json_patch: Callable[[Any, Any], Any]
    merge_patch: Callable[[Any, Any], Any]
    strategic: Callable[[Any, Any, ResourceType], Any]
    server_side_apply: Callable[..., Obj]
    record_update: Callable[..., None]
    default: Callable[[ResourceType, Obj, Obj | None], None]
    release: Callable[[ResourceType, Obj], None]
    validate: Callable[[ResourceType, Obj, Obj | None], None]
    missing: tuple[str, ...]


def load() -> Extensions:
    """Resolve every extension now; `missing` names the modules the fallbacks stand in for."""
    missing: list[str] = []

    def pick(module_name: str, attr: str, fallback: Any) -> Any:
        mod = _module(module_name)
        func = getattr(mod, attr, None) if mod else None
        if func is None:
            missing.append(f"{module_name}.{attr}")
            return fallback
        return func

    defaulting = _module("kubesim.defaulting")
    defaulter_cls = getattr(defaulting, "Defaulter", None) if defaulting else None

    def no_default(rt: ResourceType, obj: Obj, old: Obj | None = None) -> None:
        return None

    def no_release(rt: ResourceType, obj: Obj) -> None:
        return None

    if defaulter_cls is not None:
        defaulter = defaulter_cls()
        default = defaulter.apply
        release = getattr(defaulter, "release", no_release)
    else:
        missing.append("kubesim.defaulting.Defaulter")
        default, release = no_default, no_release

    def no_validation(rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        return None

    return Extensions(
        json_patch=pick("kubesim.patching.json_patch", "apply", json_patch_fallback),
        merge_patch=pick("kubesim.patching.merge_patch", "apply", merge_patch_fallback),
        strategic=pick(
            "kubesim.patching.strategic", "apply", lambda doc, patch, rt: merge_patch_fallback(doc, patch)
        ),
        server_side_apply=pick("kubesim.apply", "server_side_apply", ssa_fallback),
        record_update=pick("kubesim.apply", "record_update", record_update_fallback),
        default=default,
        release=release,
        validate=pick("kubesim.validation", "validate", no_validation),
        missing=tuple(missing),
    )
