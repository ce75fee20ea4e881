"""The AppProject model (`argoproj.io/v1alpha1` AppProject spec), parsed strictly.

`AppProject.from_resource(obj)` raises SpecError naming the project and field; `AppProject.default()`
is the implicit `default` project (everything allowed) used when no `default` resource exists.
List semantics follow Argo CD: an absent `namespaceResourceWhitelist` allows every namespaced kind
(an explicit empty list allows none); an empty or absent `clusterResourceWhitelist` allows no
cluster-scoped kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from gitops.errors import SpecError
from gitops.model.durations import parse_duration

DEFAULT_PROJECT = "default"


@dataclass(frozen=True)
class Destination:
    """`spec.destinations[]`: globs over the cluster server URL or name, and the namespace."""

    server: str = ""
    name: str = ""
    namespace: str = ""


@dataclass(frozen=True)
class GroupKind:
    """An entry of a resource allow or deny list (globs over API group and kind)."""

    group: str
    kind: str


@dataclass(frozen=True)
class SyncWindow:
    """`spec.syncWindows[]`: when syncs of matching apps are allowed or denied."""

    kind: str
    schedule: str
    duration_seconds: float
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = "UTC"
    and_operator: bool = False

    def describe(self) -> str:
        return f"{self.kind} window '{self.schedule}' for {self.duration_seconds:g}s ({self.time_zone})"


@dataclass(frozen=True)
class AppProject:
    name: str
    source_repos: tuple[str, ...] = ()
    destinations: tuple[Destination, ...] = ()
    cluster_whitelist: tuple[GroupKind, ...] = ()
    cluster_blacklist: tuple[GroupKind, ...] = ()
    namespace_whitelist: tuple[GroupKind, ...] | None = None  # None: every namespaced kind
    namespace_blacklist: tuple[GroupKind, ...] = ()
    sync_windows: tuple[SyncWindow, ...] = field(default=())

    @classmethod
    def default(cls) -> AppProject:
        """The `default` project Argo CD creates: any repo, any destination, any kind."""
        return cls(
            name=DEFAULT_PROJECT,
            source_repos=("*",),
            destinations=(Destination(server="*", name="*", namespace="*"),),
            cluster_whitelist=(GroupKind("*", "*"),),
        )

    @classmethod
    def from_resource(cls, obj: Mapping[str, Any]) -> AppProject:
        name = str((obj.get("metadata") or {}).get("name") or "")
        spec = obj.get("spec") or {}
        where = f"AppProject {name or '(unnamed)'}"
        if not isinstance(spec, Mapping):
            raise SpecError("spec must be a mapping", target=where, hint="fix the AppProject")
        repos = _strings(spec.get("sourceRepos"), where, "spec.sourceRepos")
        destinations = tuple(
            Destination(
                server=str(d.get("server") or ""),
                name=str(d.get("name") or ""),
                namespace=str(d.get("namespace") or ""),
            )
            for d in _mappings(spec.get("destinations"), where, "spec.destinations")
        )
        namespace_whitelist = spec.get("namespaceResourceWhitelist")
        return cls(
            name=name,
            source_repos=repos,
            destinations=destinations,
            cluster_whitelist=_kinds(spec.get("clusterResourceWhitelist"), where, "clusterResourceWhitelist"),
            cluster_blacklist=_kinds(spec.get("clusterResourceBlacklist"), where, "clusterResourceBlacklist"),
            namespace_whitelist=None
            if namespace_whitelist is None
            else _kinds(namespace_whitelist, where, "namespaceResourceWhitelist"),
            namespace_blacklist=_kinds(
                spec.get("namespaceResourceBlacklist"), where, "namespaceResourceBlacklist"
            ),
            sync_windows=tuple(
                _window(w, where, f"spec.syncWindows[{i}]")
                for i, w in enumerate(_mappings(spec.get("syncWindows"), where, "spec.syncWindows"))
            ),
        )


def _mappings(value: Any, where: str, path: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise SpecError(f"{path} must be a list of objects", target=where, hint="fix the AppProject")
    return value


def _strings(value: Any, where: str, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{path} must be a list of strings", target=where, hint="fix the AppProject")
    return tuple(value)


def _kinds(value: Any, where: str, field_name: str) -> tuple[GroupKind, ...]:
    return tuple(
        GroupKind(group=str(item.get("group") or ""), kind=str(item.get("kind") or ""))
        for item in _mappings(value, where, f"spec.{field_name}")
    )


def _window(raw: Mapping[str, Any], where: str, path: str) -> SyncWindow:
    kind = raw.get("kind")
    if kind not in ("allow", "deny"):
        raise SpecError(f"{path}.kind {kind!r} must be allow or deny", target=where, hint="fix the window")
    schedule = str(raw.get("schedule") or "")
    if not schedule or len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise SpecError(
            f"{path}.schedule {schedule!r} is not a 5-field cron expression",
            target=where,
            hint="write it like '0 22 * * *' (minute hour day month weekday)",
        )
    duration = parse_duration(str(raw.get("duration") or ""), where=f"{where} {path}.duration")
    if duration <= 0:
        raise SpecError(f"{path}.duration must be positive", target=where, hint="write it like 1h or 30m")
    time_zone = str(raw.get("timeZone") or "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError(
            f"{path}.timeZone {time_zone!r} is not a known time zone",
            target=where,
            hint="use an IANA name such as Europe/Berlin",
        ) from None
    return SyncWindow(
        kind=str(kind),
        schedule=schedule,
        duration_seconds=duration,
        applications=_strings(raw.get("applications"), where, f"{path}.applications"),
        namespaces=_strings(raw.get("namespaces"), where, f"{path}.namespaces"),
        clusters=_strings(raw.get("clusters"), where, f"{path}.clusters"),
        manual_sync=bool(raw.get("manualSync", False)),
        time_zone=time_zone,
        and_operator=bool(raw.get("andOperator", False)),
    )
