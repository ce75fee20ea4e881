"""`metadata.managedFields` entries: decoding, encoding, sorting, capping, and default manager names.

Entries are keyed as the real server keys its managers: Apply entries by (manager, subresource),
Update entries by (manager, apiVersion, subresource). Encoding sorts them as kube-apiserver does
(operation, then time in seconds, manager, apiVersion, subresource) and caps Update entries at ten,
folding the oldest into `ancient-changes`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from kubesim.apply.fieldsets import FieldSetError, PathSet, from_fields_v1, to_fields_v1

APPLY = "Apply"
UPDATE = "Update"
MAX_UPDATE_MANAGERS = 10
ANCIENT_MANAGER = "ancient-changes"
FIELD_MANAGER_MAX_LENGTH = 128

Ident = tuple[str, str, str, str]  # (manager, operation, apiVersion or "" for Apply, subresource)


@dataclass(slots=True)
class Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str
    time: str | None
    fields: PathSet

    @property
    def ident(self) -> Ident:
        return identity(self.manager, self.operation, self.api_version, self.subresource)


def identity(manager: str, operation: str, api_version: str, subresource: str) -> Ident:
    return (manager, operation, "" if operation == APPLY else api_version, subresource)


Managers = dict[Ident, Entry]


def decode(raw: Any) -> Managers:
    """Managers from a managedFields list; ValueError when it is malformed."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise FieldSetError("managedFields must be a list")
    managers: Managers = {}
    for item in raw:
        if not isinstance(item, dict):
            raise FieldSetError("managedFields entries must be objects")
        fields_type = item.get("fieldsType", "")
        if fields_type not in ("", "FieldsV1"):
            raise FieldSetError(f"unsupported fieldsType {fields_type!r}")
        entry = Entry(
            manager=str(item.get("manager") or ""),
            operation=str(item.get("operation") or ""),
            api_version=str(item.get("apiVersion") or ""),
            subresource=str(item.get("subresource") or ""),
            time=item.get("time") or None,
            fields=from_fields_v1(item.get("fieldsV1") or {}),
        )
        previous = managers.get(entry.ident)
        if previous is not None:
            previous.fields |= entry.fields
            previous.time = max(previous.time or "", entry.time or "") or None
        else:
            managers[entry.ident] = entry
    return managers


def _time_seconds(entry: Entry) -> str:
    # RFC 3339 UTC timestamps compare as strings; the real sort uses whole seconds.
    return (entry.time or "")[:19]


def encode(managers: Managers) -> list[dict[str, Any]]:
    entries = sorted(
        (e for e in managers.values() if e.fields),
        key=lambda e: (e.operation, _time_seconds(e), e.manager, e.api_version, e.subresource),
    )
    out = []
    for e in entries:
        item: dict[str, Any] = {"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version}
        if e.time:
            item["time"] = e.time
        item["fieldsType"] = "FieldsV1"
        item["fieldsV1"] = to_fields_v1(e.fields)
        if e.subresource:
            item["subresource"] = e.subresource
        out.append(item)
    return out


def cap_update_managers(managers: Managers, limit: int = MAX_UPDATE_MANAGERS) -> None:
    """Fold the oldest Update entries into per-version `ancient-changes` entries (real capManagers)."""
    updaters = [ident for ident, e in managers.items() if e.operation != APPLY]
    if len(updaters) <= limit:
        return
    updaters.sort(key=lambda ident: (_time_seconds(managers[ident]), ident))
    first_of_version: dict[str, Ident] = {}
    length = len(updaters)
    for ident in updaters:
        if length <= limit:
            break
        entry = managers[ident]
        version = entry.api_version
        bucket = identity(ANCIENT_MANAGER, UPDATE, version, "")
        first = first_of_version.get(version)
        if first is None:
            first_of_version[version] = ident
            continue
        if bucket not in managers:
            moved = managers.pop(first)
            managers[bucket] = Entry(ANCIENT_MANAGER, UPDATE, version, "", moved.time, moved.fields)
        target = managers[bucket]
        target.fields = target.fields | entry.fields
        target.time = entry.time
        del managers[ident]
        length -= 1


def default_manager(user_agent: str) -> str:
    """The manager name the real server derives from a User-Agent: its prefix up to the first `/`."""
    prefix = user_agent.split("/", 1)[0]
    out: list[str] = []
    size = 0
    for char in prefix:
        if not char.isprintable() and unicodedata.category(char) != "Zs":
            continue
        width = len(char.encode("utf-8"))
        if size + width > FIELD_MANAGER_MAX_LENGTH:
            break
        out.append(char)
        size += width
    return "".join(out)
