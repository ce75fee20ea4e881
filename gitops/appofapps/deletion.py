"""Deleting an Application's resources when the Application is deleted with a resources finalizer.

`deletion_step(port, app_resource)` is re-entrant (call it until `done`): it lists the objects the
app tracks (kinds from its `status.resources` and last sync result), plans `gitops.sync.prune.deletion_batches` (highest
wave first; `Delete=false` objects stay), deletes the objects of the first batch still present with
the finalizer's propagation (Foreground, or Background for the `/background` finalizer) and
reports what it waits for; objects already terminating are only waited for. When nothing tracked
remains, `done` is True and the caller releases the finalizer (`remaining_finalizers`). `Delete=confirm`
objects wait (not done) until the app carries `argocd.argoproj.io/deletion-approved` (Argo CD's
`argocd app confirm-deletion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.cluster.port import ClusterPort
from gitops.errors import ClusterError
from gitops.sync.live import load_live
from gitops.sync.prune import (
    BACKGROUND_FINALIZER,
    FOREGROUND_FINALIZER,
    deletion_batches,
    deletion_propagation,
)
from gitops.tracking import DEFAULT_TRACKING_ANNOTATION, ResourceKey, kinds_to_list

RESOURCE_FINALIZERS = (FOREGROUND_FINALIZER, BACKGROUND_FINALIZER)
DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"


@dataclass
class DeletionStep:
    done: bool
    message: str
    deleted: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    wave: int | None = None


def remaining_finalizers(finalizers: Iterable[str]) -> list[str]:
    """The Application's finalizers once its resources are gone (Bosun's own removed)."""
    return [f for f in finalizers if f not in RESOURCE_FINALIZERS]


def deletion_step(
    port: ClusterPort, app: Mapping[str, Any], *, tracking_annotation: str = DEFAULT_TRACKING_ANNOTATION,
    delete_confirmed: bool | None = None,
) -> DeletionStep:  # fmt: skip
    meta = app.get("metadata") or {}
    if delete_confirmed is None:
        delete_confirmed = bool((meta.get("annotations") or {}).get(DELETION_APPROVED))
    name = str(meta.get("name") or "")
    finalizers = [str(f) for f in meta.get("finalizers") or []]
    if deletion_propagation(finalizers) is None:
        return DeletionStep(True, "no resources finalizer: resources are kept")
    status = app.get("status") or {}
    synced = ((status.get("operationState") or {}).get("syncResult") or {}).get("resources") or []
    previous = [*(status.get("resources") or []), *synced]
    kinds = kinds_to_list([], [{**r, "version": r.get("version") or "v1"} for r in previous])
    live = load_live(port, name, [], extra_kinds=kinds, include_untracked=False)
    namespaced: dict[tuple[str, str], bool] = {}
    for ref in kinds:
        try:
            namespaced[(ref.group, ref.kind)] = port.resource_for(ref.api_version, ref.kind).namespaced
        except ClusterError as err:
            if err.code != 404:
                raise
    batches = deletion_batches(name, live, finalizers, namespaced=namespaced,
                               tracking_annotation=tracking_annotation, delete_confirmed=delete_confirmed)  # fmt: skip
    if not batches and not delete_confirmed:
        waiting = deletion_batches(name, live, finalizers, namespaced=namespaced,
                                   tracking_annotation=tracking_annotation, delete_confirmed=True)  # fmt: skip
        if waiting:
            keys = ", ".join(str(d.key) for batch in waiting for d in batch)
            return DeletionStep(False, f"waiting for deletion approval of {keys} (Delete=confirm): "
                                f"annotate the Application {DELETION_APPROVED}=<time>",
                                waiting=[str(d.key) for batch in waiting for d in batch])  # fmt: skip
    if not batches:
        return DeletionStep(True, "all resources deleted")
    by_key = {
        ResourceKey.of(o, namespaced.get((ResourceKey.of(o).group, str(o.get("kind"))), True)): o
        for o in live
    }
    batch = batches[0]
    step = DeletionStep(False, "", wave=batch[0].wave)
    for deletion in batch:
        obj = by_key.get(deletion.key) or {}
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            step.waiting.append(str(deletion.key))
            continue
        info = port.resource_for(deletion.api_version, deletion.key.kind)
        port.delete(info, deletion.key.namespace or None, deletion.key.name, propagation=deletion.propagation)
        step.deleted.append(str(deletion.key))
        step.waiting.append(str(deletion.key))
    step.message = f"deleting wave {step.wave}: waiting for {', '.join(step.waiting)}"
    return step
