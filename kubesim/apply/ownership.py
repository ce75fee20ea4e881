"""What server-side apply and ordinary writes share: fields a write ignores, the apply conflict error,
taking fields from other managers, and storing managedFields back into an object."""

from __future__ import annotations

import json
from typing import Any

from kubesim.apply.fieldsets import STRIPPED, PathSet, iteration_key, path_string
from kubesim.apply.managed_fields import APPLY, Ident, Managers, cap_update_managers, encode
from kubesim.errors import ApiError
from kubesim.patching.patch_keys import ResourceLike

Obj = dict[str, Any]


def reset_keys(rt: ResourceLike, subresource: str | None) -> tuple[str, ...]:
    """Top-level fields a write ignores: status on the main resource, spec on /status."""
    if subresource == "status":
        return ("spec",)
    if subresource is None and "status" in rt.subresources:
        return ("status",)
    return ()


def owned_paths(paths: PathSet, reset: tuple[str, ...]) -> PathSet:
    """The paths a manager can own: bookkeeping metadata and reset fields removed."""
    out = paths - STRIPPED
    if reset:
        heads = {"f:" + key for key in reset}
        out = {p for p in out if p[0] not in heads}
    return out


def without_managed_fields(obj: Obj) -> tuple[Obj, Any]:
    """A shallow view of obj without metadata.managedFields, and the managedFields value."""
    body = dict(obj)
    meta = body.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        meta = dict(meta)
        raw = meta.pop("managedFields")
        body["metadata"] = meta
        return body, raw
    return body, None


def gvk_nn(rt: ResourceLike, obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}; {rt.group}/{rt.version}, Kind={rt.kind}"


def internal(message: str) -> ApiError:
    """A 500 with the real server's empty reason (errors it did not classify)."""
    error = ApiError(500, message)
    error.reason = ""
    return error


def print_manager(ident: Ident) -> str:
    manager, operation, api_version, subresource = ident
    text = json.dumps(manager, ensure_ascii=False)
    if subresource:
        text += f" with subresource {json.dumps(subresource)}"
    if operation != APPLY:
        text += f" using {api_version}"
    return text


def conflict_error(conflicts: dict[Ident, PathSet]) -> ApiError:
    """409 exactly as kube-apiserver words apply conflicts."""
    pairs = [(i, p) for i in sorted(conflicts) for p in sorted(conflicts[i], key=iteration_key)]
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {print_manager(i)}",
            "field": path_string(p),
        }
        for i, p in pairs
    ]
    if len(pairs) == 1:
        ident, path = pairs[0]
        message = f"Apply failed with 1 conflict: conflict with {print_manager(ident)}: {path_string(path)}"
    else:
        lines = []
        for ident in sorted(conflicts):
            lines.append(f"conflicts with {print_manager(ident)}:")
            lines.extend(f"- {path_string(p)}" for p in sorted(conflicts[ident], key=iteration_key))
        message = f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)
    return ApiError(409, message, reason="Conflict", details={"causes": causes})


def take_from_others(managers: Managers, own: Ident | None, taken: PathSet, removed: PathSet) -> None:
    """Other managers lose the fields this write took and the fields it removed; empty ones go."""
    for ident, entry in list(managers.items()):
        if ident == own:
            continue
        if taken:
            entry.fields = entry.fields - taken
        if removed:
            entry.fields = entry.fields - removed
        if not entry.fields:
            del managers[ident]


def store_managed_fields(obj: Obj, managers: Managers) -> None:
    cap_update_managers(managers)
    entries = encode(managers)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if not entries:
            return
        meta = obj["metadata"] = {}
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
