"""Deleting an app's resources when the Application itself is deleted (its finalizer).

Argo CD semantics: with `resources-finalizer.argocd.argoproj.io` (foreground) or
`resources-finalizer.argocd.argoproj.io/background`, every object tracked by the app is deleted in
reverse wave order, wave by wave; objects annotated `Delete=false` (sync option) stay; without the
finalizer nothing is deleted. Prune during a sync is planned in `plan.py`; this module is the
deletion-time counterpart, pure: live objects in, ordered batches out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops.sync.hooks import is_hook
from gitops.sync.options import SyncOptions
from gitops.sync.ordering import kind_rank, sync_wave
from gitops.tracking import ResourceKey, tracked_by

FOREGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io/background"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Deletion:
    key: ResourceKey
    api_version: str
    wave: int
    propagation: str


def deletion_propagation(finalizers: Iterable[str]) -> str | None:
    """The propagation the Application's finalizer asks for, or None when resources must stay."""
    names = set(finalizers)
    if FOREGROUND_FINALIZER in names:
        return "Foreground"
    if BACKGROUND_FINALIZER in names:
        return "Background"
    return None


def deletion_batches(
    app: str,
    live: Iterable[Mapping[str, Any]],
    finalizers: Iterable[str],
    *,
    namespaced: Mapping[tuple[str, str], bool] | None = None,
    tracking_annotation: str = "bosun.dev/tracking-id",
    delete_confirmed: bool = False,
) -> list[list[Deletion]]:
    """Batches to delete one after the other (highest wave first); empty without a finalizer.

    `namespaced` maps (group, kind) to scope; objects without it are keyed by their metadata.
    `Delete=confirm` objects are deleted only with `delete_confirmed` (Argo CD's deletion approval).
    """
    propagation = deletion_propagation(finalizers)
    if propagation is None:
        return []
    by_wave: dict[int, list[Deletion]] = {}
    for obj in live:
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        kind = str(obj.get("kind") or "")
        scope = (namespaced or {}).get((group, kind), True)
        key = ResourceKey.of(obj, scope)
        if tracked_by(obj, key, tracking_annotation) != app or is_hook(obj):
            continue
        options = SyncOptions().for_resource(obj, where=str(key))
        if options.delete_disabled or (options.get("Delete") == "confirm" and not delete_confirmed):
            continue
        wave = sync_wave(obj)
        by_wave.setdefault(wave, []).append(Deletion(key, str(obj.get("apiVersion")), wave, propagation))
    batches = []
    for wave in sorted(by_wave, reverse=True):
        # Inside a wave: reverse kind order (Deployments before the ConfigMaps they mount, Namespaces last).
        batch = sorted(by_wave[wave], key=lambda d: (-kind_rank(d.key.kind), d.key.kind, d.key.name))
        batches.append(batch)
    return batches
