"""Server-side apply and the field ownership of ordinary writes, as kube-apiserver's field manager does it.

`server_side_apply` merges an applied configuration into the live object, makes the configuration's
field set the manager's Apply entry, removes fields the manager applied before and no longer applies
(unless another manager owns them), and answers 409 when the change takes fields owned by another
manager (unless forced, which moves them). `record_update` gives the fields a Create/Update/Patch
write changed to the writer's Update entry and takes them from every other manager.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.apply.fieldsets import (
    STRIPPED,
    Comparison,
    FieldSetError,
    PathSet,
    compare,
    ensure_named,
    iteration_key,
    path_string,
    remove_paths,
    to_field_set,
)
from kubesim.apply.managed_fields import (
    APPLY,
    Entry,
    Ident,
    Managers,
    cap_update_managers,
    decode,
    encode,
    identity,
)
from kubesim.apply.merge import merge_objects
from kubesim.apply.skeletons import empty_object, with_zero_values
from kubesim.errors import ApiError, bad_request
from kubesim.patching.patch_keys import ResourceLike, root_schema

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _reset_keys(rt: ResourceLike, subresource: str | None) -> tuple[str, ...]:
    """Top-level fields a write ignores: status on the main resource, spec on /status."""
    if subresource == "status":
        return ("spec",)
    if subresource is None and "status" in rt.subresources:
        return ("status",)
    return ()


def _filter(paths: PathSet, reset: tuple[str, ...]) -> PathSet:
    out = paths - STRIPPED
    if reset:
        heads = {"f:" + key for key in reset}
        out = {p for p in out if p[0] not in heads}
    return out


def _without_managed_fields(obj: Obj) -> tuple[Obj, Any]:
    """A shallow view of obj without metadata.managedFields, and the managedFields value."""
    body = dict(obj)
    meta = body.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        meta = dict(meta)
        raw = meta.pop("managedFields")
        body["metadata"] = meta
        return body, raw
    return body, None


def _gvk_nn(rt: ResourceLike, obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}; {rt.group}/{rt.version}, Kind={rt.kind}"


def _internal(message: str) -> ApiError:
    error = ApiError(500, message)
    error.reason = ""  # the real server's StatusReasonUnknown for errors it did not classify
    return error


def _print_manager(ident: Ident) -> str:
    manager, operation, api_version, subresource = ident
    text = json.dumps(manager, ensure_ascii=False)
    if subresource:
        text += f" with subresource {json.dumps(subresource)}"
    if operation != APPLY:
        text += f" using {api_version}"
    return text


def conflict_error(conflicts: dict[Ident, PathSet]) -> ApiError:
    """409 exactly as kube-apiserver words apply conflicts."""
    pairs = [
        (ident, path) for ident in sorted(conflicts) for path in sorted(conflicts[ident], key=iteration_key)
    ]
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {_print_manager(ident)}",
            "field": path_string(path),
        }
        for ident, path in pairs
    ]
    if len(pairs) == 1:
        ident, path = pairs[0]
        message = f"Apply failed with 1 conflict: conflict with {_print_manager(ident)}: {path_string(path)}"
    else:
        lines = []
        for ident in sorted(conflicts):
            lines.append(f"conflicts with {_print_manager(ident)}:")
            lines.extend(f"- {path_string(p)}" for p in sorted(conflicts[ident], key=iteration_key))
        message = f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)
    return ApiError(409, message, reason="Conflict", details={"causes": causes})


def _take_from_others(managers: Managers, own: Ident | None, taken: PathSet, removed: PathSet) -> None:
    for ident, entry in list(managers.items()):
        if ident == own:
            continue
        if taken:
            entry.fields = entry.fields - taken
        if removed:
            entry.fields = entry.fields - removed
        if not entry.fields:
            del managers[ident]


def server_side_apply(
    live: Obj | None,
    applied: Obj,
    *,
    manager: str,
    force: bool,
    rt: ResourceLike,
    now: str,
    subresource: str | None = None,
) -> Obj:
    """The object after applying `applied` as `manager`, with its managedFields; neither input changes."""
    if subresource != "scale" and applied.get("apiVersion") != rt.api_version:
        raise bad_request(
            "Incorrect version specified in apply patch. Specified patch version: "
            f"{applied.get('apiVersion') or ''}, expected: {rt.api_version}"
        )
    applied_meta = applied.get("metadata")
    if isinstance(applied_meta, dict) and applied_meta.get("managedFields") is not None:
        raise bad_request("metadata.managedFields must be nil")
    schema = root_schema(rt)
    reset = _reset_keys(rt, subresource)
    config = {k: v for k, v in applied.items() if k not in reset} if reset else applied
    try:
        config_full = to_field_set(config, schema)
    except FieldSetError as exc:
        raise _internal(f"failed to create typed patch object ({_gvk_nn(rt, applied)}): {exc}") from exc
    if live is None:
        live_body: Obj = {}
        managers: Managers = {}
    else:
        live_body, raw = _without_managed_fields(live)
        try:
            managers = decode(raw)
        except FieldSetError as exc:
            raise _internal(f"failed to decode managed fields: {exc}") from exc
    api_version = applied.get("apiVersion") or rt.api_version
    try:
        merged = merge_objects(live_body, config, schema)
        own = identity(manager, APPLY, "", subresource or "")
        previous = managers.get(own)
        managers[own] = Entry(
            manager,
            APPLY,
            api_version,
            subresource or "",
            previous.time if previous else None,
            _filter(config_full, reset),
        )
        if previous is not None and previous.fields and not previous.fields <= managers[own].fields:
            owned: PathSet = set(config_full)
            for entry in managers.values():
                owned |= entry.fields
            dropped = ensure_named(previous.fields) - ensure_named(owned)
            if dropped:
                merged = remove_paths(merged, dropped, schema)
        changes = compare(live_body, merged, schema)
    except FieldSetError as exc:
        raise _internal(f"failed to create typed live object ({_gvk_nn(rt, applied)}): {exc}") from exc
    touched = _filter(changes.added | changes.modified, reset)
    conflicts: dict[Ident, PathSet] = {}
    for ident, entry in managers.items():
        if ident != own:
            clash = entry.fields & touched
            if clash:
                conflicts[ident] = clash
    if conflicts and not force:
        raise conflict_error(conflicts)
    _take_from_others(managers, own, touched if conflicts else set(), _filter(changes.removed, reset))
    if not managers[own].fields:
        del managers[own]
    elif live is None or changes.added or changes.modified or changes.removed:
        managers[own].time = now
    cap_update_managers(managers)
    _store_managed_fields(merged, managers)
    if manager == "kubectl":
        _sync_last_applied(merged, applied)
    return merged


def _store_managed_fields(obj: Obj, managers: Managers) -> None:
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


def _go_json(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def _sync_last_applied(merged: Obj, applied: Obj) -> None:
    """kubectl's server-side apply keeps an existing client-side apply annotation current."""
    annotations = (merged.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or LAST_APPLIED not in annotations:
        return
    snapshot = dict(applied)
    meta = dict(snapshot.get("metadata") or {})
    kept = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)
    snapshot["metadata"] = meta
    annotations[LAST_APPLIED] = _go_json(snapshot)


def record_update(
    old: Obj | None,
    new: Obj,
    *,
    manager: str,
    operation: str = "Update",
    rt: ResourceLike,
    now: str,
    subresource: str | None = None,
) -> None:
    """Set new's metadata.managedFields for a non-apply write of `new` over `old` (None: a create).

    Call it on the object about to be stored (after defaulting): the writer's Update entry gains
    every field the write added or changed, which every other manager loses.
    """
    new_body, raw_new = _without_managed_fields(new)
    raw_old = None
    old_body: Obj
    if old is None:
        old_body = empty_object(rt)
    else:
        old_body, raw_old = _without_managed_fields(old)
        old_body = with_zero_values(old_body, rt)
    managers: Managers = {}
    if raw_new and not subresource:
        try:
            managers = decode(raw_new)
        except FieldSetError:
            managers = {}
    if not managers:
        try:
            managers = decode(raw_old)
        except FieldSetError as exc:
            raise _internal(f"failed to decode managed fields: {exc}") from exc
        if old is not None and not managers:
            # the real server does not start tracking an object updated without managedFields
            _store_managed_fields(new, {})
            return
    schema = root_schema(rt)
    reset = _reset_keys(rt, subresource)
    try:
        changes: Comparison = compare(old_body, new_body, schema)
    except FieldSetError as exc:
        raise _internal(f"failed to create typed object ({_gvk_nn(rt, new)}): {exc}") from exc
    touched = _filter(changes.added | changes.modified, reset)
    _take_from_others(managers, None, touched, _filter(changes.removed, reset))
    if touched:
        own = identity(manager, operation, rt.api_version, subresource or "")
        entry = managers.get(own)
        if entry is None:
            managers[own] = Entry(manager, operation, rt.api_version, subresource or "", now, touched)
        else:
            entry.fields = entry.fields | touched
            entry.time = now
    cap_update_managers(managers)
    _store_managed_fields(new, managers)
