"""`compare_app`: desired objects against live state -> per-resource Synced/OutOfSync/Missing/extraneous.

Live state: one LIST per kind with the app's label selector (kinds = desired kinds + kinds in the last
status); a GET only for a desired object the LIST did not return (to find a pre-existing or shared
one). Per resource the cheapest sound verdict wins: a cached verdict for the same desired fingerprint
and live resourceVersion; else the pure proof (`predict.proves_synced`); else a server-side apply
dry-run with Bosun's field manager compared with live (restricted by ignoreDifferences), or, with
`server_side_diff=False`, the pure predicted-live merge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gitops.cluster.port import ClusterPort, ResourceInfo
from gitops.compare.cache import DiffCache, Verdict
from gitops.compare.diff import unified_diff
from gitops.compare.ignore import IgnoreRule, parse_rules, rules_for, strip_ignored
from gitops.compare.normalize import clean, desired_for_check
from gitops.compare.predict import predict_live, proves_synced
from gitops.compare.result import CompareResult, CompareStats, Condition, ResourceStatus, SyncCode
from gitops.compare.targets import ManifestError, Target, compare_options, is_hook, prepare_targets, sync_wave
from gitops.errors import ClusterError
from gitops.health import Health, HealthInput, HealthStatus, app_health, assess, ignores_healthcheck
from gitops.settings import Settings
from gitops.tracking import (
    DEFAULT_TRACKING_ANNOTATION,
    ResourceKey,
    kinds_to_list,
    label_selector,
    tracked_by,
)

Obj = dict[str, Any]
MISSING = Health(HealthStatus.MISSING, "missing from the cluster")


@dataclass(frozen=True, slots=True)
class CompareSettings:
    field_manager: str = "bosun"
    tracking_annotation: str = DEFAULT_TRACKING_ANNOTATION
    server_side_diff: bool = True
    cheap_proof: bool = True  # False: every existing resource gets the dry-run diff (tests, bench)

    @classmethod
    def from_settings(cls, settings: Settings, *, server_side_diff: bool = True) -> CompareSettings:
        return cls(settings.field_manager, settings.tracking_annotation, server_side_diff)


def _fingerprint(target: Obj, rules: tuple[IgnoreRule, ...], settings_repr: bytes) -> str:
    """Everything a verdict depends on besides the live object: desired, ignore rules, settings."""
    blob = orjson.dumps(target, option=orjson.OPT_SORT_KEYS) + repr(rules).encode() + settings_repr
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


class _Comparer:
    def __init__(
        self,
        port: ClusterPort,
        app: str,
        settings: CompareSettings,
        rules: tuple[IgnoreRule, ...],
        cache: DiffCache | None,
    ) -> None:
        self.port, self.app, self.settings, self.rules, self.cache = port, app, settings, rules, cache
        self.stats = CompareStats()
        self.settings_repr = repr(settings).encode()
        self.conditions: list[Condition] = []

    def load_live(
        self, targets: list[Target], previous: Iterable[Mapping[str, Any]], loaded: Iterable[Obj] | None
    ) -> dict[ResourceKey, tuple[Obj, ResourceInfo]]:
        live: dict[ResourceKey, tuple[Obj, ResourceInfo]] = {}
        if loaded is not None:  # the caller already LISTed the app's objects (e.g. the sync engine)
            for obj in loaded:
                info = self.port.resource_for(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
                live[ResourceKey.of(obj, info.namespaced)] = (obj, info)
            return live
        selector = label_selector(self.app)
        served = [
            {"apiVersion": t.obj["apiVersion"], "kind": t.key.kind} for t in targets if t.info is not None
        ]
        for ref in kinds_to_list(served, previous):
            try:
                info = self.port.resource_for(ref.api_version, ref.kind)
            except ClusterError as exc:
                if exc.code == 404:  # a kind recorded last time is no longer served: nothing of it to find
                    continue
                raise
            self.stats.lists += 1
            for obj in self.port.list(info, None, selector):
                live[ResourceKey.of(obj, info.namespaced)] = (obj, info)
        return live

    def verdict(self, target: Target, live: Obj, info: ResourceInfo) -> tuple[bool, str, str]:
        """(synced, diff, message) for a desired object that exists live."""
        key = target.key
        rules = rules_for(self.rules, key.group, key.kind, key.namespace, key.name)
        fingerprint = _fingerprint(target.obj, rules, self.settings_repr)
        resource_version = str((live.get("metadata") or {}).get("resourceVersion") or "")
        cache_key = f"{getattr(self.port, 'cluster', '')}|{self.app}|{key.group}|{key.kind}|{key.namespace}|{key.name}"
        if self.cache is not None and resource_version:
            cached = self.cache.get(cache_key)
            if (
                cached is not None
                and cached.fingerprint == fingerprint
                and cached.resource_version == resource_version
            ):
                self.stats.cache_hits += 1
                return cached.synced, cached.diff, ""
        checked = desired_for_check(target.obj, target.namespaced)
        live_checked = strip_ignored(live, rules, live) if rules else live
        if self.settings.cheap_proof and proves_synced(
            target.obj,
            live_checked,
            target.namespaced,
            self.settings.field_manager,
            strip_ignored(checked, rules, live),
        ):
            self.stats.pure_proofs += 1
            synced, diff, message = True, "", ""
        else:
            predicted, message = self._predicted(target, live)
            left = strip_ignored(clean(live), rules, live)
            right = strip_ignored(clean(predicted), rules, live)
            synced = left == right
            diff = "" if synced else unified_diff(left, right, str(key))
        if self.cache is not None and resource_version and not message:
            self.cache.put(cache_key, Verdict(fingerprint, resource_version, synced, diff))
        return synced, diff, message

    def _predicted(self, target: Target, live: Obj) -> tuple[Obj, str]:
        if self.settings.server_side_diff:
            try:
                self.stats.dry_runs += 1
                return self.port.apply(
                    target.obj, field_manager=self.settings.field_manager, force=True, dry_run=True
                ), ""
            except ClusterError as exc:
                message = f"server-side dry-run failed, compared without it: {exc.message}"
        else:
            message = ""
        self.stats.predicted += 1
        return predict_live(target.obj, live, target.namespaced, self.settings.field_manager), message

    def resource_of_target(self, target: Target, found: tuple[Obj, ResourceInfo] | None) -> ResourceStatus:
        key = target.key
        live = found[0] if found else None
        # A GET only for an object Git wants applied that the LIST missed (pre-existing or another app's);
        # hooks live only as labelled objects the engine created, Skip objects are never applied.
        if live is None and target.info is not None and not (target.hook or target.skip):
            self.stats.gets += 1
            live = self.port.get(target.info, key.namespace or None, key.name)
        status = ResourceStatus(
            key.group,
            target.version,
            key.kind,
            key.namespace,
            key.name,
            None,
            hook=target.hook,
            sync_wave=target.wave,
            target=target.obj,
            live=live,
            info=target.info,
        )
        if live is not None:
            owner = tracked_by(live, key, self.settings.tracking_annotation)
            if owner is not None and owner != self.app:
                status.shared_with = owner
                self.conditions.append(
                    Condition(
                        "SharedResourceWarning", f"{key} is part of applications {self.app} and {owner}"
                    )
                )
        status.health = assess(live) if live is not None else (None if target.hook else MISSING)
        if target.hook or target.skip:
            status.counts = False
            return status
        if target.info is None:
            status.status = SyncCode.OUT_OF_SYNC
            status.message = (
                f"{target.obj.get('apiVersion')} {key.kind} is not served by the cluster: its CustomResourceDefinition"
                " is not installed yet (it may be part of this sync) or the apiVersion is wrong"
            )
        elif live is None:
            status.status = SyncCode.OUT_OF_SYNC
            status.diff = unified_diff(
                None, clean(desired_for_check(target.obj, target.namespaced)), str(key)
            )
        else:
            synced, status.diff, status.message = self.verdict(target, live, target.info)
            status.status = SyncCode.SYNCED if synced else SyncCode.OUT_OF_SYNC
        return status

    def resource_of_extraneous(
        self, key: ResourceKey, live: Obj, info: ResourceInfo
    ) -> ResourceStatus | None:
        if tracked_by(live, key, self.settings.tracking_annotation) != self.app:
            return None  # labelled for us but tracked by another app, or a copy: not ours to prune
        hook = is_hook(live)
        status = ResourceStatus(
            key.group,
            info.version,
            key.kind,
            key.namespace,
            key.name,
            None,
            health=assess(live),
            hook=hook,
            sync_wave=sync_wave(live),
            live=live,
            info=info,
        )
        if hook:
            status.counts = False
            return status
        status.status = SyncCode.OUT_OF_SYNC
        status.requires_pruning = True
        status.counts = "IgnoreExtraneous" not in compare_options(live)
        status.diff = unified_diff(clean(live), None, str(key))
        return status


def compare_app(
    port: ClusterPort,
    app: str,
    desired: list[Obj],
    *,
    destination_namespace: str = "",
    previous_resources: Iterable[Mapping[str, Any]] = (),
    ignore_differences: Iterable[Mapping[str, Any]] = (),
    settings: CompareSettings | None = None,
    cache: DiffCache | None = None,
    live: Iterable[Obj] | None = None,
) -> CompareResult:
    """Compare an app's rendered manifests with the cluster. A bad ignoreDifferences entry raises
    SpecError; a cluster that cannot be read gives sync status Unknown and a ComparisonError condition.

    `live`: the app's live objects when the caller has already listed them (labelled for the app, kinds
    of the desired set and of `previous_resources`); then compare makes no LIST itself."""
    rules = parse_rules(ignore_differences, app)
    comparer = _Comparer(port, app, settings or CompareSettings(), rules, cache)
    try:
        targets, conditions = prepare_targets(
            port, app, desired, destination_namespace, comparer.settings.tracking_annotation
        )
        comparer.conditions.extend(conditions)
        found = comparer.load_live(targets, previous_resources, live)
        resources = [comparer.resource_of_target(t, found.get(t.key)) for t in targets]
        wanted = {t.key for t in targets}
        for key, (obj, info) in sorted(found.items()):
            if key not in wanted:
                extra = comparer.resource_of_extraneous(key, obj, info)
                if extra is not None:
                    resources.append(extra)
    except (ClusterError, ManifestError) as exc:
        message = f"cannot load live state: {exc}" if isinstance(exc, ClusterError) else str(exc)
        return CompareResult(
            [],
            SyncCode.UNKNOWN,
            [*comparer.conditions, Condition("ComparisonError", message)],
            Health(HealthStatus.UNKNOWN, message),
            comparer.stats,
            exc,
        )
    out_of_sync = any(r.counts and r.status == SyncCode.OUT_OF_SYNC for r in resources)
    health = app_health(
        HealthInput(
            r.health,
            r.hook,
            ignores_healthcheck(((r.live or r.target or {}).get("metadata") or {}).get("annotations")),
            f"{r.kind}/{r.name}",
            r.group,
            r.kind,
        )
        for r in resources
        if r.status is not None or r.hook
    )
    return CompareResult(
        resources,
        SyncCode.OUT_OF_SYNC if out_of_sync else SyncCode.SYNCED,
        comparer.conditions,
        health,
        comparer.stats,
    )
