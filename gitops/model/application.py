"""The Application spec parts the sync engine reads: syncPolicy (automated, retry, syncOptions,
managedNamespaceMetadata), revisionHistoryLimit, ignoreDifferences (passed through untouched).

`ApplicationSyncSpec.from_spec(app_name, spec_dict)` validates and raises SpecError on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.errors import SpecError
from gitops.model.durations import format_duration, parse_duration
from gitops.sync.options import SyncOptions

DEFAULT_REVISION_HISTORY_LIMIT = 10
AUTOMATED_DEFAULT_RETRY_LIMIT = 5


@dataclass(frozen=True)
class Backoff:
    """`retry.backoff`: delay = duration * factor^n, capped at max_duration (seconds)."""

    duration: float = 5.0
    factor: float = 2.0
    max_duration: float = 180.0

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None, *, where: str) -> Backoff:
        raw = raw or {}
        duration = parse_duration(raw.get("duration", "5s"), where=f"{where}.duration")
        max_duration = parse_duration(raw.get("maxDuration", "3m"), where=f"{where}.maxDuration")
        factor_raw = raw.get("factor", 2)
        try:
            factor = float(factor_raw)
        except (TypeError, ValueError):
            raise SpecError(f"factor {factor_raw!r} is not a number", target=f"{where}.factor") from None
        if factor < 1:
            raise SpecError(f"factor {factor} is below 1", target=f"{where}.factor", hint="use 1 or more")
        return cls(duration=duration, factor=factor, max_duration=max_duration)

    def to_dict(self) -> dict[str, Any]:
        factor: int | float = int(self.factor) if self.factor == int(self.factor) else self.factor
        return {
            "duration": format_duration(self.duration),
            "factor": factor,
            "maxDuration": format_duration(self.max_duration),
        }


@dataclass(frozen=True)
class RetryStrategy:
    """`syncPolicy.retry`: limit (< 0 unlimited, 0 none) and backoff."""

    limit: int = 0
    backoff: Backoff = field(default_factory=Backoff)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None, *, where: str) -> RetryStrategy:
        if raw is None:
            return cls()
        limit = raw.get("limit", 0)
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise SpecError(f"retry limit {limit!r} is not an integer", target=f"{where}.limit")
        return cls(limit=limit, backoff=Backoff.from_dict(raw.get("backoff"), where=f"{where}.backoff"))

    def to_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "backoff": self.backoff.to_dict()}


@dataclass(frozen=True)
class Automated:
    """`syncPolicy.automated`; an empty `automated: {}` means on."""

    enabled: bool = True
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False


@dataclass(frozen=True)
class ApplicationSyncSpec:
    """Everything in an Application spec that shapes how it syncs."""

    app_name: str
    automated: Automated | None = None
    sync_options: SyncOptions = field(default_factory=SyncOptions)
    retry: RetryStrategy | None = None
    managed_namespace_labels: Mapping[str, str] = field(default_factory=dict)
    managed_namespace_annotations: Mapping[str, str] = field(default_factory=dict)
    revision_history_limit: int = DEFAULT_REVISION_HISTORY_LIMIT
    ignore_differences: list[dict[str, Any]] = field(default_factory=list)
    destination_namespace: str = ""

    @property
    def automated_on(self) -> bool:
        return self.automated is not None and self.automated.enabled

    def effective_retry(self, *, automated_operation: bool) -> RetryStrategy:
        """The retry in effect: the spec's, or limit 5 for automated syncs without a retry block."""
        if self.retry is not None:
            return self.retry
        if automated_operation:
            return RetryStrategy(limit=AUTOMATED_DEFAULT_RETRY_LIMIT)
        return RetryStrategy()

    @classmethod
    def from_spec(cls, app_name: str, spec: Mapping[str, Any]) -> ApplicationSyncSpec:
        policy = spec.get("syncPolicy") or {}
        if not isinstance(policy, Mapping):
            raise SpecError("syncPolicy must be a mapping", app=app_name, target="spec.syncPolicy")
        automated: Automated | None = None
        if "automated" in policy and policy["automated"] is not None:
            raw = policy["automated"]
            automated = Automated(
                enabled=bool(raw.get("enabled", True)),
                prune=bool(raw.get("prune", False)),
                self_heal=bool(raw.get("selfHeal", False)),
                allow_empty=bool(raw.get("allowEmpty", False)),
            )
        try:
            options = SyncOptions.parse(policy.get("syncOptions") or [], where="spec.syncPolicy.syncOptions")
            retry = (
                RetryStrategy.from_dict(policy["retry"], where="spec.syncPolicy.retry")
                if policy.get("retry") is not None
                else None
            )
        except SpecError as err:
            raise SpecError(err.message, app=app_name, target=err.target, hint=err.hint) from None
        metadata = policy.get("managedNamespaceMetadata") or {}
        limit = spec.get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
        if limit is None:
            limit = DEFAULT_REVISION_HISTORY_LIMIT
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise SpecError(
                f"revisionHistoryLimit {limit!r} is not a non-negative integer",
                app=app_name,
                target="spec.revisionHistoryLimit",
            )
        return cls(
            app_name=app_name,
            automated=automated,
            sync_options=options,
            retry=retry,
            managed_namespace_labels=dict(metadata.get("labels") or {}),
            managed_namespace_annotations=dict(metadata.get("annotations") or {}),
            revision_history_limit=limit,
            ignore_differences=list(spec.get("ignoreDifferences") or []),
            destination_namespace=str((spec.get("destination") or {}).get("namespace") or ""),
        )
