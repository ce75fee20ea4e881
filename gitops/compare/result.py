"""What compare returns: per-resource status (Argo CD's `status.resources` entry) and the app verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from gitops.cluster.port import ResourceInfo
from gitops.health import Health
from gitops.tracking import ResourceKey

Obj = dict[str, Any]


class SyncCode(StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class Condition:
    """`status.conditions[]` entry: ComparisonError, SharedResourceWarning, RepeatedResourceWarning..."""

    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(slots=True)
class ResourceStatus:
    """One managed (or extraneous, or hook) resource. `status` is None for hooks and `hook: Skip`
    resources, which never count towards the app's sync status."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: SyncCode | None
    health: Health | None = None
    hook: bool = False
    requires_pruning: bool = False
    sync_wave: int = 0
    diff: str = ""
    shared_with: str | None = None  # another app tracks the live object (SharedResourceWarning)
    message: str = ""
    counts: bool = True  # False: does not affect the app's sync status (IgnoreExtraneous, Skip, hooks)
    target: Obj | None = field(default=None, repr=False, compare=False)  # desired, marked for tracking
    live: Obj | None = field(default=None, repr=False, compare=False)
    info: ResourceInfo | None = field(default=None, repr=False, compare=False)  # None: kind not served

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    def to_dict(self) -> dict[str, Any]:
        """Argo CD's `status.resources[]` shape."""
        out: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }
        if self.status is not None:
            out["status"] = str(self.status)
        if self.health is not None:
            out["health"] = self.health.to_dict()
        if self.hook:
            out["hook"] = True
        if self.requires_pruning:
            out["requiresPruning"] = True
        if self.sync_wave:
            out["syncWave"] = self.sync_wave
        return out


@dataclass(slots=True)
class CompareStats:
    """What one compare cost: API calls by purpose, and how each resource's verdict was reached."""

    lists: int = 0
    gets: int = 0
    dry_runs: int = 0
    cache_hits: int = 0
    pure_proofs: int = 0
    predicted: int = 0  # verdicts from the pure predicted-live merge (no server dry-run)


@dataclass(slots=True)
class CompareResult:
    resources: list[ResourceStatus]
    sync_status: SyncCode
    conditions: list[Condition]
    health: Health
    stats: CompareStats = field(default_factory=CompareStats)
    error: Exception | None = None  # set with sync_status Unknown when live state could not be loaded

    def resource(self, kind: str, name: str, namespace: str = "") -> ResourceStatus | None:
        for resource in self.resources:
            if (resource.kind, resource.name, resource.namespace) == (kind, name, namespace):
                return resource
        return None
