"""Field ownership of ordinary writes (Create, Update, non-apply Patch), recorded as operation Update.

The writer's Update entry gains every field the write added or changed and every other manager loses
them (so `kubectl edit` takes a field from its applier); fields the write removed leave every entry.
Objects already stored without managedFields stay untracked, as on the real server.
"""

from __future__ import annotations

from kubesim.apply.fieldsets import FieldSetError, compare
from kubesim.apply.managed_fields import Entry, Managers, decode, identity
from kubesim.apply.ownership import (
    Obj,
    gvk_nn,
    internal,
    owned_paths,
    reset_keys,
    store_managed_fields,
    take_from_others,
    without_managed_fields,
)
from kubesim.apply.skeletons import empty_object, with_zero_values
from kubesim.patching.patch_keys import ResourceLike, root_schema


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

    Call it on the object about to be stored (after defaulting). managedFields sent in `new` replace
    the old ones when they decode (a list with one empty entry resets them), except on subresources.
    """
    new_body, raw_new = without_managed_fields(new)
    raw_old = None
    if old is None:
        old_body = empty_object(rt)
    else:
        old_body, raw_old = without_managed_fields(old)
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
            raise internal(f"failed to decode managed fields: {exc}") from exc
        if old is not None and not managers:
            store_managed_fields(new, {})
            return
    reset = reset_keys(rt, subresource)
    try:
        changes = compare(old_body, new_body, root_schema(rt))
    except FieldSetError as exc:
        raise internal(f"failed to create typed object ({gvk_nn(rt, new)}): {exc}") from exc
    touched = owned_paths(changes.added | changes.modified, reset)
    take_from_others(managers, None, touched, owned_paths(changes.removed, reset))
    if touched:
        own = identity(manager, operation, rt.api_version, subresource or "")
        entry = managers.get(own)
        if entry is None:
            managers[own] = Entry(manager, operation, rt.api_version, subresource or "", now, touched)
        else:
            entry.fields = entry.fields | touched
            entry.time = now
    store_managed_fields(new, managers)
