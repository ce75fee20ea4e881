"""Sync options: the app-level `syncPolicy.syncOptions` list and the per-resource annotation.

Argo CD's syntax: `Name=value` entries; per resource in `argocd.argoproj.io/sync-options: A=b,C=d`.
A per-resource option wins over the app-level one for that resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.errors import SpecError

SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"

# Every option Bosun understands, with the values it accepts (lower-cased).
KNOWN_OPTIONS: dict[str, frozenset[str]] = {
    "Validate": frozenset({"true", "false"}),
    "CreateNamespace": frozenset({"true", "false"}),
    "PruneLast": frozenset({"true", "false"}),
    "Prune": frozenset({"true", "false", "confirm"}),
    "Delete": frozenset({"true", "false", "confirm"}),
    "ApplyOutOfSyncOnly": frozenset({"true", "false"}),
    "PrunePropagationPolicy": frozenset({"foreground", "background", "orphan"}),
    "Replace": frozenset({"true", "false"}),
    "Force": frozenset({"true", "false"}),
    "ServerSideApply": frozenset({"true", "false"}),
    "SkipDryRunOnMissingResource": frozenset({"true", "false"}),
    "RespectIgnoreDifferences": frozenset({"true", "false"}),
    "FailOnSharedResource": frozenset({"true", "false"}),
}
_CANONICAL = {name.lower(): name for name in KNOWN_OPTIONS}


def parse_option_list(entries: Iterable[str], *, where: str) -> dict[str, str]:
    """Parse `["CreateNamespace=true", ...]` into `{"CreateNamespace": "true"}`; unknown names or values raise."""
    parsed: dict[str, str] = {}
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        canonical = _CANONICAL.get(name.strip().lower())
        if not sep or canonical is None:
            raise SpecError(
                f"unknown sync option {entry!r}",
                target=where,
                hint="use Name=value with one of " + ", ".join(sorted(KNOWN_OPTIONS)),
            )
        value = value.strip().lower()
        if value not in KNOWN_OPTIONS[canonical]:
            allowed = "|".join(sorted(KNOWN_OPTIONS[canonical]))
            raise SpecError(
                f"sync option {canonical}={value!r} is not valid", target=where, hint=f"use {allowed}"
            )
        parsed[canonical] = value
    return parsed


def resource_option_entries(obj: Mapping[str, Any]) -> list[str]:
    """The raw entries of an object's `argocd.argoproj.io/sync-options` annotation."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(SYNC_OPTIONS_ANNOTATION) or ""
    return [part for part in str(raw).split(",") if part.strip()]


@dataclass(frozen=True)
class SyncOptions:
    """Options in effect: the app/operation level, refined per resource by `for_resource`."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, entries: Iterable[str], *, where: str = "syncPolicy.syncOptions") -> SyncOptions:
        return cls(parse_option_list(entries, where=where))

    def for_resource(self, obj: Mapping[str, Any] | None, *, where: str = "resource") -> SyncOptions:
        """Options for one object: its annotation's entries override the app-level ones."""
        if obj is None:
            return self
        entries = resource_option_entries(obj)
        if not entries:
            return self
        merged = dict(self.values)
        merged.update(parse_option_list(entries, where=where))
        return SyncOptions(merged)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def is_true(self, name: str) -> bool:
        return self.values.get(name) == "true"

    def is_false(self, name: str) -> bool:
        return self.values.get(name) == "false"

    # --- named accessors (one per option, so call sites read like the docs) ---
    @property
    def validate(self) -> bool:
        return not self.is_false("Validate")

    @property
    def create_namespace(self) -> bool:
        return self.is_true("CreateNamespace")

    @property
    def prune_last(self) -> bool:
        return self.is_true("PruneLast")

    @property
    def prune_disabled(self) -> bool:
        return self.is_false("Prune")

    @property
    def prune_needs_confirm(self) -> bool:
        return self.get("Prune") == "confirm"

    @property
    def delete_disabled(self) -> bool:
        return self.is_false("Delete")

    @property
    def apply_out_of_sync_only(self) -> bool:
        return self.is_true("ApplyOutOfSyncOnly")

    @property
    def prune_propagation(self) -> str:
        value = self.get("PrunePropagationPolicy") or "foreground"
        return {"foreground": "Foreground", "background": "Background", "orphan": "Orphan"}[value]

    @property
    def replace(self) -> bool:
        return self.is_true("Replace")

    @property
    def force(self) -> bool:
        return self.is_true("Force")

    @property
    def server_side_apply(self) -> bool:
        """Bosun applies server-side unless `ServerSideApply=false` (then a create/replace)."""
        return not self.is_false("ServerSideApply")

    @property
    def skip_dry_run_on_missing_resource(self) -> bool:
        return self.is_true("SkipDryRunOnMissingResource")

    @property
    def respect_ignore_differences(self) -> bool:
        return self.is_true("RespectIgnoreDifferences")

    @property
    def fail_on_shared_resource(self) -> bool:
        return self.is_true("FailOnSharedResource")

    def as_list(self) -> list[str]:
        return [f"{name}={value}" for name, value in sorted(self.values.items())]
