"""The `operation` and `operationState` parts of an Application, in Argo CD's camelCase shape.

`operationState.bosun` holds the engine's own bookkeeping (operation id, passes done, hook names);
Argo CD clients ignore the unknown key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RUNNING = "Running"
TERMINATING = "Terminating"
FAILED = "Failed"
ERROR = "Error"
SUCCEEDED = "Succeeded"
COMPLETED_PHASES = (FAILED, ERROR, SUCCEEDED)

# syncResult.resources[].status
RESULT_SYNCED = "Synced"
RESULT_SYNC_FAILED = "SyncFailed"
RESULT_PRUNED = "Pruned"
RESULT_PRUNE_SKIPPED = "PruneSkipped"


def _in_flight(app: Mapping[str, Any]) -> bool:
    phase = (((app.get("status") or {}).get("operationState")) or {}).get("phase")
    return phase in (RUNNING, TERMINATING)


def operation_in_progress(app: Mapping[str, Any]) -> bool:
    """The Application (a resource dict) has an operation requested (`.operation`) or running
    (`operationState.phase` Running or Terminating)."""
    return bool(app.get("operation")) or _in_flight(app)


def operation_not_started(app: Mapping[str, Any]) -> bool:
    """The Application has a requested `.operation` that no step has started yet."""
    return bool(app.get("operation")) and not _in_flight(app)


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


@dataclass
class InitiatedBy:
    username: str = ""
    automated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty({"username": self.username, "automated": self.automated or None})

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> InitiatedBy:
        raw = raw or {}
        return cls(username=str(raw.get("username") or ""), automated=bool(raw.get("automated", False)))


@dataclass(frozen=True)
class SelectedResource:
    """One entry of `operation.sync.resources` (selective sync)."""

    group: str
    kind: str
    name: str
    namespace: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {"group": self.group, "kind": self.kind, "name": self.name, "namespace": self.namespace}
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SelectedResource:
        return cls(
            group=str(raw.get("group") or ""),
            kind=str(raw.get("kind") or ""),
            name=str(raw.get("name") or ""),
            namespace=str(raw.get("namespace") or ""),
        )


@dataclass
class SyncOperation:
    """`operation.sync`: what to sync and how."""

    revision: str = ""
    prune: bool = False
    dry_run: bool = False
    resources: list[SelectedResource] = field(default_factory=list)
    sync_options: list[str] = field(default_factory=list)
    source: dict[str, Any] | None = None
    self_heal_attempts_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "revision": self.revision,
                "prune": self.prune or None,
                "dryRun": self.dry_run or None,
                "resources": [r.to_dict() for r in self.resources],
                "syncOptions": list(self.sync_options),
                "source": self.source,
                "selfHealAttemptsCount": self.self_heal_attempts_count or None,
            }
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> SyncOperation:
        raw = raw or {}
        return cls(
            revision=str(raw.get("revision") or ""),
            prune=bool(raw.get("prune", False)),
            dry_run=bool(raw.get("dryRun", False)),
            resources=[SelectedResource.from_dict(r) for r in raw.get("resources") or []],
            sync_options=[str(o) for o in raw.get("syncOptions") or []],
            source=dict(raw["source"]) if raw.get("source") else None,
            self_heal_attempts_count=int(raw.get("selfHealAttemptsCount") or 0),
        )


@dataclass
class Operation:
    """`operation`: a requested sync and who asked for it."""

    sync: SyncOperation = field(default_factory=SyncOperation)
    initiated_by: InitiatedBy = field(default_factory=InitiatedBy)
    retry: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {"sync": self.sync.to_dict(), "initiatedBy": self.initiated_by.to_dict(), "retry": self.retry}
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Operation:
        raw = raw or {}
        return cls(
            sync=SyncOperation.from_dict(raw.get("sync")),
            initiated_by=InitiatedBy.from_dict(raw.get("initiatedBy")),
            retry=dict(raw["retry"]) if raw.get("retry") else None,
        )


@dataclass
class ResourceResult:
    """`syncResult.resources[]`: what happened to one resource or hook."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: str = ""
    message: str = ""
    hook_type: str = ""
    hook_phase: str = ""
    sync_phase: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "group": self.group,
                "version": self.version,
                "kind": self.kind,
                "namespace": self.namespace,
                "name": self.name,
                "status": self.status,
                "message": self.message,
                "hookType": self.hook_type,
                "hookPhase": self.hook_phase,
                "syncPhase": self.sync_phase,
            }
        ) | {"group": self.group, "kind": self.kind, "name": self.name}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ResourceResult:
        return cls(**{attr: str(raw.get(key) or "") for attr, key in _RESULT_KEYS.items()})


_RESULT_KEYS = {
    "group": "group",
    "version": "version",
    "kind": "kind",
    "namespace": "namespace",
    "name": "name",
    "status": "status",
    "message": "message",
    "hook_type": "hookType",
    "hook_phase": "hookPhase",
    "sync_phase": "syncPhase",
}


@dataclass
class SyncResult:
    resources: list[ResourceResult] = field(default_factory=list)
    revision: str = ""
    source: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "resources": [r.to_dict() for r in self.resources],
                "revision": self.revision,
                "source": self.source,
            }
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> SyncResult:
        raw = raw or {}
        return cls(
            resources=[ResourceResult.from_dict(r) for r in raw.get("resources") or []],
            revision=str(raw.get("revision") or ""),
            source=dict(raw["source"]) if raw.get("source") else None,
        )


@dataclass
class OperationState:
    """`operationState`: progress and outcome of the current or last operation."""

    operation: Operation = field(default_factory=Operation)
    phase: str = RUNNING
    message: str = ""
    sync_result: SyncResult = field(default_factory=SyncResult)
    started_at: str = ""
    finished_at: str = ""
    retry_count: int = 0
    bosun: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.phase in COMPLETED_PHASES

    def to_dict(self) -> dict[str, Any]:
        data = _drop_empty(
            {
                "operation": self.operation.to_dict(),
                "phase": self.phase,
                "message": self.message,
                "syncResult": self.sync_result.to_dict(),
                "startedAt": self.started_at,
                "finishedAt": self.finished_at,
                "retryCount": self.retry_count or None,
                "bosun": self.bosun,
            }
        )
        return data

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OperationState:
        return cls(
            operation=Operation.from_dict(raw.get("operation")),
            phase=str(raw.get("phase") or RUNNING),
            message=str(raw.get("message") or ""),
            sync_result=SyncResult.from_dict(raw.get("syncResult")),
            started_at=str(raw.get("startedAt") or ""),
            finished_at=str(raw.get("finishedAt") or ""),
            retry_count=int(raw.get("retryCount") or 0),
            bosun=dict(raw.get("bosun") or {}),
        )
