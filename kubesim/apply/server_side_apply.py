"""Server-side apply (PATCH application/apply-patch+yaml) as kube-apiserver's field manager does it.

The applied configuration merges into the live object and its field set becomes the manager's Apply
entry. Fields the manager applied before and omits now are removed unless another manager owns them.
Changing a field another manager owns is a 409 conflict unless forced, which moves the field. Also
emulated: `before-first-apply` (applying to an object stored without managedFields), kubectl's
upgrade from client-side apply (manager "kubectl" may take fields its last-applied annotation set,
and keeps that annotation current), status/spec ignored on the main resource and /status.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.apply.fieldsets import FieldSetError, PathSet, compare, ensure_named, remove_paths, to_field_set
from kubesim.apply.managed_fields import APPLY, UPDATE, Entry, Ident, Managers, decode, identity
from kubesim.apply.merge import merge_objects
from kubesim.apply.ownership import (
    Obj,
    conflict_error,
    gvk_nn,
    internal,
    owned_paths,
    reset_keys,
    store_managed_fields,
    take_from_others,
    without_managed_fields,
)
from kubesim.apply.skeletons import empty_object
from kubesim.errors import bad_request
from kubesim.patching.patch_keys import FieldSchema, ResourceLike, root_schema

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
BEFORE_FIRST_APPLY = "before-first-apply"


class _Conflicts(Exception):
    def __init__(self, conflicts: dict[Ident, PathSet]) -> None:
        super().__init__("apply conflicts")
        self.conflicts = conflicts


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
    """The object after applying `applied` as `manager`, with its managedFields; neither input changes.

    The result shares nothing with `live`; it is meant to be defaulted and validated next (defaulted
    fields stay unowned, as on the real server). `live` None means the apply creates the object.
    """
    if subresource != "scale" and applied.get("apiVersion") != rt.api_version:
        raise bad_request(
            "Incorrect version specified in apply patch. Specified patch version: "
            f"{applied.get('apiVersion') or ''}, expected: {rt.api_version}"
        )
    applied_meta = applied.get("metadata")
    if isinstance(applied_meta, dict) and applied_meta.get("managedFields") is not None:
        raise bad_request("metadata.managedFields must be nil")
    schema = root_schema(rt)
    reset = reset_keys(rt, subresource)
    config = {k: v for k, v in applied.items() if k not in reset} if reset else applied
    try:
        config_full = to_field_set(config, schema)
    except FieldSetError as exc:
        raise internal(f"failed to create typed patch object ({gvk_nn(rt, applied)}): {exc}") from exc
    live_body, raw = without_managed_fields(live) if live is not None else ({}, None)
    try:
        managers = decode(raw)
    except FieldSetError as exc:
        raise internal(f"failed to decode managed fields: {exc}") from exc
    apply_version = rt.api_version  # /scale entries too carry the parent's version
    args = (live_body, config, config_full, managers, manager, apply_version, now, subresource, schema, reset)
    try:
        if live is not None and not managers:
            _before_first_apply(live_body, managers, rt, now, subresource, schema)
        try:
            merged = _apply(*args, force=force, creating=live is None)
        except _Conflicts as caught:
            allowed = _allowed_by_last_applied(live_body, schema, reset) if manager == "kubectl" else set()
            remaining = {i: p - allowed for i, p in caught.conflicts.items() if p - allowed}
            if remaining:
                raise conflict_error(remaining) from None
            merged = _apply(*args, force=True, creating=False)
    except FieldSetError as exc:
        raise internal(f"failed to create typed live object ({gvk_nn(rt, applied)}): {exc}") from exc
    if manager == "kubectl":
        _sync_last_applied(merged, applied)
    return merged


def _apply(
    live_body: Obj,
    config: Obj,
    config_full: PathSet,
    base: Managers,
    manager: str,
    apply_version: str,
    now: str,
    subresource: str | None,
    schema: FieldSchema,
    reset: tuple[str, ...],
    *,
    force: bool,
    creating: bool,
) -> Obj:
    managers = {ident: Entry(e.manager, e.operation, e.api_version, e.subresource, e.time, e.fields)
                for ident, e in base.items()}  # fmt: skip
    merged = merge_objects(live_body, config, schema)
    own = identity(manager, APPLY, "", subresource or "")
    previous = managers.get(own)
    fields = owned_paths(config_full, reset)
    managers[own] = Entry(
        manager, APPLY, apply_version, subresource or "", previous.time if previous else None, fields
    )
    if previous is not None and previous.fields and not previous.fields <= fields:
        owned: PathSet = set(config_full)
        for entry in managers.values():
            owned |= entry.fields
        dropped = ensure_named(previous.fields) - ensure_named(owned)
        if dropped:
            merged = remove_paths(merged, dropped, schema)
    changes = compare(live_body, merged, schema)
    touched = owned_paths(changes.added | changes.modified, reset)
    conflicts: dict[Ident, PathSet] = {}
    for ident, entry in managers.items():
        clash = entry.fields & touched if ident != own else None
        if clash:
            conflicts[ident] = clash
    if conflicts and not force:
        raise _Conflicts(conflicts)
    take_from_others(managers, own, touched if conflicts else set(), owned_paths(changes.removed, reset))
    if not managers[own].fields:
        del managers[own]
    elif creating or changes.added or changes.modified or changes.removed:
        managers[own].time = now
    store_managed_fields(merged, managers)
    return merged


def _before_first_apply(
    live_body: Obj,
    managers: Managers,
    rt: ResourceLike,
    now: str,
    subresource: str | None,
    schema: FieldSchema,
) -> None:
    """An object stored without managedFields: its fields first go to `before-first-apply`."""
    changes = compare(empty_object(rt), live_body, schema)
    fields = owned_paths(changes.added | changes.modified, reset_keys(rt, subresource))
    if fields:
        ident = identity(BEFORE_FIRST_APPLY, UPDATE, rt.api_version, subresource or "")
        managers[ident] = Entry(BEFORE_FIRST_APPLY, UPDATE, rt.api_version, subresource or "", now, fields)


def _allowed_by_last_applied(live_body: Obj, schema: FieldSchema, reset: tuple[str, ...]) -> PathSet:
    """Fields kubectl's client-side apply annotation set to their live values (real lastAppliedManager)."""
    text = ((live_body.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return set()
    try:
        last = json.loads(text)
        if not isinstance(last, dict):
            return set()
        differs = compare(last, live_body, schema).modified
        return owned_paths(to_field_set(last, schema, strict=False), reset) - differs
    except (ValueError, FieldSetError):
        return set()


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
