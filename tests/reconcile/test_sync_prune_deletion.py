"""Deleting an app's resources with its finalizer: reverse waves, Delete=false kept, no finalizer no delete."""

from __future__ import annotations

from gitops.sync.prune import BACKGROUND_FINALIZER, FOREGROUND_FINALIZER, deletion_batches
from gitops.tracking import ResourceKey, mark


def tracked(kind: str, name: str, wave: int, app: str = "demo", options: str = "") -> dict:
    annotations = {"argocd.argoproj.io/sync-wave": str(wave)}
    if options:
        annotations["argocd.argoproj.io/sync-options"] = options
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    obj = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
    }
    return mark(obj, app, ResourceKey(api_version.rpartition("/")[0], kind, "apps", name))


LIVE = [
    tracked("ConfigMap", "config", 0),
    tracked("Deployment", "web", 0),
    tracked("ConfigMap", "late", 3),
    tracked("ConfigMap", "kept", 3, options="Delete=false"),
    tracked("ConfigMap", "theirs", 1, app="other"),
    tracked("ConfigMap", "asks", 3, options="Delete=confirm"),
]


def test_reverse_waves_and_delete_false() -> None:
    batches = deletion_batches("demo", LIVE, [FOREGROUND_FINALIZER])
    assert [[d.key.name for d in batch] for batch in batches] == [["late"], ["web", "config"]]
    assert {d.propagation for batch in batches for d in batch} == {"Foreground"}
    confirmed = deletion_batches("demo", LIVE, [FOREGROUND_FINALIZER], delete_confirmed=True)
    assert [d.key.name for d in confirmed[0]] == ["asks", "late"]
    background = deletion_batches("demo", LIVE, [BACKGROUND_FINALIZER])
    assert background[0][0].propagation == "Background"


def test_without_finalizer_nothing_is_deleted() -> None:
    assert deletion_batches("demo", LIVE, []) == []
