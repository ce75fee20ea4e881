"""The Application `status` shape of Argo CD: sync, health, resources, operationState, history,
conditions, reconciledAt, sourceType; `ApplicationStatus.to_dict()/from_dict()` in camelCase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.model.operation import InitiatedBy, OperationState, _drop_empty

# Condition types (errors, then warnings)
INVALID_SPEC_ERROR = "InvalidSpecError"
COMPARISON_ERROR = "ComparisonError"
SYNC_ERROR = "SyncError"
DELETION_ERROR = "DeletionError"
SHARED_RESOURCE_WARNING = "SharedResourceWarning"
REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning"
ORPHANED_RESOURCE_WARNING = "OrphanedResourceWarning"
BLOCKING_CONDITIONS = (INVALID_SPEC_ERROR, COMPARISON_ERROR)


@dataclass
class SyncStatus:
    status: str = "Unknown"
    revision: str = ""
    revisions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty({"status": self.status, "revision": self.revision, "revisions": self.revisions})

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> SyncStatus:
        raw = raw or {}
        return cls(
            status=str(raw.get("status") or "Unknown"),
            revision=str(raw.get("revision") or ""),
            revisions=[str(r) for r in raw.get("revisions") or []],
        )


@dataclass
class HealthStatus:
    status: str = "Unknown"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty({"status": self.status, "message": self.message})

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> HealthStatus:
        raw = raw or {}
        return cls(status=str(raw.get("status") or "Unknown"), message=str(raw.get("message") or ""))


@dataclass
class ResourceStatus:
    """`status.resources[]`: one managed resource as the last compare saw it."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: str = ""
    health: HealthStatus | None = None
    hook: bool = False
    requires_pruning: bool = False
    sync_wave: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = _drop_empty(
            {
                "group": self.group,
                "version": self.version,
                "kind": self.kind,
                "namespace": self.namespace,
                "name": self.name,
                "status": self.status,
                "health": self.health.to_dict() if self.health else None,
                "hook": self.hook or None,
                "requiresPruning": self.requires_pruning or None,
            }
        )
        if self.sync_wave:
            data["syncWave"] = self.sync_wave
        return data

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ResourceStatus:
        return cls(
            group=str(raw.get("group") or ""),
            version=str(raw.get("version") or ""),
            kind=str(raw.get("kind") or ""),
            namespace=str(raw.get("namespace") or ""),
            name=str(raw.get("name") or ""),
            status=str(raw.get("status") or ""),
            health=HealthStatus.from_dict(raw["health"]) if raw.get("health") else None,
            hook=bool(raw.get("hook", False)),
            requires_pruning=bool(raw.get("requiresPruning", False)),
            sync_wave=int(raw.get("syncWave") or 0),
        )


@dataclass
class HistoryEntry:
    """`status.history[]`: one successful, non-dry-run sync."""

    id: int
    revision: str
    deployed_at: str
    deploy_started_at: str = ""
    source: dict[str, Any] | None = None
    initiated_by: InitiatedBy = field(default_factory=InitiatedBy)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "id": self.id,
                "revision": self.revision,
                "source": self.source,
                "deployedAt": self.deployed_at,
                "deployStartedAt": self.deploy_started_at,
                "initiatedBy": self.initiated_by.to_dict(),
            }
        ) | {"id": self.id}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HistoryEntry:
        return cls(
            id=int(raw.get("id") or 0),
            revision=str(raw.get("revision") or ""),
            deployed_at=str(raw.get("deployedAt") or ""),
            deploy_started_at=str(raw.get("deployStartedAt") or ""),
            source=dict(raw["source"]) if raw.get("source") else None,
            initiated_by=InitiatedBy.from_dict(raw.get("initiatedBy")),
        )


@dataclass
class Condition:
    type: str
    message: str
    last_transition_time: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {"type": self.type, "message": self.message, "lastTransitionTime": self.last_transition_time}
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Condition:
        return cls(
            type=str(raw.get("type") or ""),
            message=str(raw.get("message") or ""),
            last_transition_time=str(raw.get("lastTransitionTime") or ""),
        )


@dataclass
class ApplicationStatus:
    sync: SyncStatus = field(default_factory=SyncStatus)
    health: HealthStatus = field(default_factory=HealthStatus)
    resources: list[ResourceStatus] = field(default_factory=list)
    operation_state: OperationState | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    reconciled_at: str = ""
    source_type: str = ""

    def condition(self, condition_type: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == condition_type), None)

    def set_condition(self, condition_type: str, message: str, at: str) -> None:
        """Add or update a condition; the transition time changes only when the message does."""
        existing = self.condition(condition_type)
        if existing is None:
            self.conditions.append(Condition(condition_type, message, at))
        elif existing.message != message:
            existing.message = message
            existing.last_transition_time = at

    def clear_condition(self, condition_type: str) -> None:
        self.conditions = [c for c in self.conditions if c.type != condition_type]

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "sync": self.sync.to_dict(),
                "health": self.health.to_dict(),
                "resources": [r.to_dict() for r in self.resources],
                "operationState": self.operation_state.to_dict() if self.operation_state else None,
                "history": [h.to_dict() for h in self.history],
                "conditions": [c.to_dict() for c in self.conditions],
                "reconciledAt": self.reconciled_at,
                "sourceType": self.source_type,
            }
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> ApplicationStatus:
        raw = raw or {}
        op = raw.get("operationState")
        return cls(
            sync=SyncStatus.from_dict(raw.get("sync")),
            health=HealthStatus.from_dict(raw.get("health")),
            resources=[ResourceStatus.from_dict(r) for r in raw.get("resources") or []],
            operation_state=OperationState.from_dict(op) if op else None,
            history=[HistoryEntry.from_dict(h) for h in raw.get("history") or []],
            conditions=[Condition.from_dict(c) for c in raw.get("conditions") or []],
            reconciled_at=str(raw.get("reconciledAt") or ""),
            source_type=str(raw.get("sourceType") or ""),
        )
