"""Pure planning of a sync: desired and live objects in, ordered tasks out.

Applies Argo CD's rules: Skip hooks never applied; hooks only in a full (non-selective) sync;
generateName hooks get a deterministic name (revision, phase, attempt start) so a repeated step
finds what it created; prune tasks only for objects tracked by this app and absent from Git, waves
mirrored so pruning runs in reverse wave order, PruneLast moved after the last Sync wave; Prune=false
and Prune=confirm (unconfirmed) are skipped; ApplyOutOfSyncOnly drops resources already in sync;
CRDs needed by custom resources of the same wave form an earlier stage of that wave.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.errors import SpecError
from gitops.model.operation import SelectedResource
from gitops.sync.hooks import SYNC, SYNC_FAIL, delete_policies, hook_types, is_hook, is_skipped
from gitops.sync.options import SyncOptions
from gitops.sync.ordering import PHASE_ORDER, sync_wave
from gitops.sync.tasks import SyncTask
from gitops.tracking import ResourceKey, mark, tracked_by

Obj = dict[str, Any]
NamespacedLookup = Callable[[str, str], bool | None]  # (apiVersion, kind) -> namespaced, None = unknown type

PRUNE_SKIPPED_NO_PRUNE = "ignored (requires pruning)"
PRUNE_SKIPPED_OPTION = "ignored (no prune)"
PRUNE_SKIPPED_CONFIRM = "ignored (requires prune confirmation)"


@dataclass
class PlanInput:
    app: str
    destination_namespace: str
    desired: list[Obj]
    live: list[Obj]
    options: SyncOptions
    prune: bool
    revision: str
    attempt_started_unix: int
    selected: list[SelectedResource] = field(default_factory=list)
    out_of_sync: set[ResourceKey] | None = None
    prune_confirmed: bool = False
    tracking_annotation: str = "bosun.dev/tracking-id"


@dataclass
class Plan:
    tasks: list[SyncTask]
    targets: dict[ResourceKey, Obj]  # every desired, non-hook object, normalised and marked

    def pending_phases(self) -> list[SyncTask]:
        return [t for t in self.tasks if t.phase != SYNC_FAIL]

    def sync_fail_hooks(self) -> list[SyncTask]:
        return [t for t in self.tasks if t.phase == SYNC_FAIL]


def crd_scopes(desired: list[Obj]) -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, for every CRD in the desired set."""
    scopes: dict[tuple[str, str], bool] = {}
    for obj in desired:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            if kind:
                scopes[(str(spec.get("group") or ""), str(kind))] = (
                    spec.get("scope", "Namespaced") == "Namespaced"
                )
    return scopes


def _where(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('name') or meta.get('generateName') or '?'}"


def normalise(obj: Obj, destination_namespace: str, namespaced: bool) -> Obj:
    """A copy with the destination namespace set on namespaced objects without one, cleared on others."""
    result = copy.deepcopy(obj)
    meta = result.setdefault("metadata", {})
    if namespaced:
        if not meta.get("namespace"):
            meta["namespace"] = destination_namespace
    else:
        meta.pop("namespace", None)
    return result


def hook_name(obj: Obj, revision: str, phase: str, attempt_started_unix: int) -> str:
    """The hook's name; `generateName` hooks get `<generateName><rev7>-<phase>-<unix>` as Argo CD does."""
    meta = obj.get("metadata") or {}
    if meta.get("name"):
        return str(meta["name"])
    generate = str(meta.get("generateName") or "")
    if not generate:
        raise SpecError("hook has neither metadata.name nor metadata.generateName", target=_where(obj))
    return f"{generate}{revision[:7]}-{phase}-{attempt_started_unix}".lower()


def _selected(key: ResourceKey, selected: list[SelectedResource]) -> bool:
    return any(
        (s.group, s.kind, s.name) == (key.group, key.kind, key.name)
        and (not s.namespace or s.namespace == key.namespace)
        for s in selected
    )


def build_plan(spec: PlanInput, is_namespaced: NamespacedLookup) -> Plan:
    """Every task of the operation, sorted by phase, wave, stage, kind order and name."""
    scopes = crd_scopes(spec.desired)
    selective = bool(spec.selected)

    def namespaced_of(obj: Obj) -> bool:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        found = is_namespaced(api_version, kind)
        if found is None:
            found = scopes.get((api_version.rpartition("/")[0], kind))
        if found is None:
            found = bool((obj.get("metadata") or {}).get("namespace")) or True
        return found

    live_by_key: dict[ResourceKey, Obj] = {}
    for obj in spec.live:
        live_by_key[ResourceKey.of(obj, namespaced_of(obj))] = obj

    tasks: list[SyncTask] = []
    targets: dict[ResourceKey, Obj] = {}
    for raw in spec.desired:
        if not raw.get("apiVersion") or not raw.get("kind"):
            raise SpecError("manifest has no apiVersion or kind", app=spec.app, target=_where(raw))
        if is_skipped(raw):
            continue
        obj = normalise(raw, spec.destination_namespace, namespaced_of(raw))
        version = str(obj["apiVersion"]).rpartition("/")[2]
        wave = sync_wave(obj)
        options = spec.options.for_resource(obj, where=_where(obj))
        if is_hook(obj):
            if selective:
                continue
            for phase in hook_types(obj):
                if phase not in PHASE_ORDER:
                    continue  # Skip, PostDelete: not part of a sync
                named = copy.deepcopy(obj)
                named["metadata"]["name"] = hook_name(obj, spec.revision, phase, spec.attempt_started_unix)
                named["metadata"].pop("generateName", None)
                key = ResourceKey.of(named, namespaced_of(named))
                tasks.append(
                    SyncTask(
                        key=key,
                        version=version,
                        phase=phase,
                        wave=wave,
                        target=mark(named, spec.app, key, spec.tracking_annotation),
                        live=live_by_key.get(key),
                        hook_type=phase,
                        options=options,
                        delete_policies=tuple(delete_policies(obj)),
                    )
                )
            continue
        if not (obj.get("metadata") or {}).get("name"):
            raise SpecError(
                "resource has no metadata.name (generateName is only allowed on hooks)",
                app=spec.app,
                target=_where(obj),
                hint="give it a name, or make it a hook with argocd.argoproj.io/hook",
            )
        key = ResourceKey.of(obj, namespaced_of(obj))
        if key in targets:
            raise SpecError(
                f"{key} appears twice in the manifests", app=spec.app, hint="remove one of the copies"
            )
        marked = mark(obj, spec.app, key, spec.tracking_annotation)
        targets[key] = marked
        if selective and not _selected(key, spec.selected):
            continue
        live = live_by_key.get(key)
        if (
            options.apply_out_of_sync_only
            and live is not None
            and spec.out_of_sync is not None
            and key not in spec.out_of_sync
        ):
            continue
        tasks.append(
            SyncTask(
                key=key, version=version, phase=SYNC, wave=wave, target=marked, live=live, options=options
            )
        )

    tasks.extend(_prune_tasks(spec, live_by_key, targets, selective))
    _mirror_prune_waves(tasks, spec.options)
    _stage_crds(tasks)
    tasks.sort(key=lambda t: t.sort_key())
    return Plan(tasks=tasks, targets=targets)


def _prune_tasks(
    spec: PlanInput, live_by_key: dict[ResourceKey, Obj], targets: dict[ResourceKey, Obj], selective: bool
) -> list[SyncTask]:
    found: list[SyncTask] = []
    for key, live in sorted(live_by_key.items()):
        if key in targets or is_hook(live) or tracked_by(live, key, spec.tracking_annotation) != spec.app:
            continue
        if selective and not _selected(key, spec.selected):
            continue
        if (live.get("metadata") or {}).get("deletionTimestamp"):
            continue  # already going away
        options = spec.options.for_resource(live, where=str(key))
        task = SyncTask(
            key=key,
            version=str(live.get("apiVersion") or "").rpartition("/")[2],
            phase=SYNC,
            wave=sync_wave(live),
            live=live,
            options=options,
            prune=True,
        )
        if not spec.prune:
            task.skip_message = PRUNE_SKIPPED_NO_PRUNE
        elif options.prune_disabled:
            task.skip_message = PRUNE_SKIPPED_OPTION
        elif options.prune_needs_confirm and not spec.prune_confirmed:
            task.skip_message = PRUNE_SKIPPED_CONFIRM
        found.append(task)
    return found


def _mirror_prune_waves(tasks: list[SyncTask], options: SyncOptions) -> None:
    """Prune in reverse wave order (waves of prune tasks mirrored), PruneLast after the last Sync wave."""
    prunes = [t for t in tasks if t.prune]
    waves = sorted({t.wave for t in prunes})
    mirror = dict(zip(waves, reversed(waves), strict=True))
    for task in prunes:
        task.wave = mirror[task.wave]
    last_sync_wave = max((t.wave for t in tasks if t.phase == SYNC), default=0)
    for task in prunes:
        if options.prune_last or task.options.prune_last:
            task.wave = last_sync_wave + 1


def _stage_crds(tasks: list[SyncTask]) -> None:
    """CRDs whose kinds other tasks of the same phase and wave use run first, in stage 0."""
    for crd in tasks:
        if crd.key.kind != "CustomResourceDefinition" or crd.target is None or crd.prune:
            continue
        spec = crd.target.get("spec") or {}
        defined = (str(spec.get("group") or ""), str((spec.get("names") or {}).get("kind") or ""))
        if any(
            (t.key.group, t.key.kind) == defined
            and (t.phase, t.wave) == (crd.phase, crd.wave)
            and not t.prune
            for t in tasks
        ):
            crd.stage = 0
