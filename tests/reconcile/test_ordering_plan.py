"""Pure planning: phase, wave, kind order, name; hook names; prune wave mirroring; PruneLast; CRD stage."""

from __future__ import annotations

import pytest

from gitops.errors import SpecError
from gitops.model.operation import SelectedResource
from gitops.sync.options import SyncOptions
from gitops.sync.ordering import KIND_ORDER, kind_rank, sync_wave
from gitops.sync.plan import PRUNE_SKIPPED_NO_PRUNE, PRUNE_SKIPPED_OPTION, PlanInput, build_plan, hook_name
from gitops.tracking import ResourceKey, mark

from .sync_support import REVISION, manifests

NAMESPACED = {"Namespace": False, "CustomResourceDefinition": False, "ClusterRole": False, "Widget": None}


def lookup(api_version: str, kind: str) -> bool | None:
    return NAMESPACED.get(kind, True)


def plan_of(desired: list[dict], live: list[dict] | None = None, **kw: object) -> list:
    spec = PlanInput(
        app="demo",
        destination_namespace="apps",
        desired=desired,
        live=live or [],
        options=kw.pop("options", SyncOptions()),  # type: ignore[arg-type]
        prune=bool(kw.pop("prune", True)),
        revision=REVISION,
        attempt_started_unix=1700000000,
        **kw,  # type: ignore[arg-type]
    )
    return build_plan(spec, lookup).tasks


def names(tasks: list) -> list[str]:
    return [t.key.name for t in tasks]


def test_waves_order_tasks_low_to_high() -> None:
    assert names(plan_of(manifests("waves-three-configmaps.yaml"))) == ["c-early", "b-middle", "a-late"]


def test_kind_order_inside_a_wave_follows_argo() -> None:
    tasks = plan_of(manifests("kind-order-one-wave.yaml"))
    assert [t.key.kind for t in tasks] == [
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "Service",
        "Deployment",
        "Job",
    ]
    assert kind_rank("Widget") == len(KIND_ORDER) > kind_rank("APIService")


def test_destination_namespace_set_only_on_namespaced_kinds() -> None:
    desired = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "other"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}},
    ]
    keys = {t.key for t in plan_of(desired)}
    assert keys == {
        ResourceKey("", "ConfigMap", "apps", "a"),
        ResourceKey("", "ConfigMap", "other", "b"),
        ResourceKey("rbac.authorization.k8s.io", "ClusterRole", "", "r"),
    }


def test_phases_order_and_skip_hook_never_planned() -> None:
    tasks = plan_of(manifests("hooks-every-phase-succeed.yaml"))
    assert [(t.phase, t.key.name) for t in tasks] == [
        ("PreSync", "pre"),
        ("Sync", "settings"),
        ("Sync", "during"),
        ("PostSync", "post"),
    ]


def test_generate_name_hook_gets_deterministic_name() -> None:
    hook = manifests("presync-job-fails.yaml")[0]
    first = hook_name(hook, REVISION, "PreSync", 1700000000)
    assert first == hook_name(hook, REVISION, "PreSync", 1700000000) == "migrate-0123456-presync-1700000000"
    assert hook_name(hook, REVISION, "PreSync", 1700000001) != first
    tasks = plan_of(manifests("presync-job-fails.yaml"))
    assert tasks[0].key.name == first
    assert tasks[-1].phase == "SyncFail"


def test_selective_sync_runs_no_hooks() -> None:
    selected = [SelectedResource(group="", kind="ConfigMap", name="settings")]
    tasks = plan_of(manifests("hooks-every-phase-succeed.yaml"), selected=selected)
    assert names(tasks) == ["settings"]


def _tracked(name: str, wave: int, options: str = "") -> dict:
    annotations = {"argocd.argoproj.io/sync-wave": str(wave)}
    if options:
        annotations["argocd.argoproj.io/sync-options"] = options
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
    }
    return mark(obj, "demo", ResourceKey("", "ConfigMap", "apps", name))


def test_prune_runs_in_reverse_wave_order() -> None:
    live = [_tracked("w0", 0), _tracked("w1", 1), _tracked("w2", 2)]
    tasks = [t for t in plan_of([], live) if t.prune]
    assert names(tasks) == ["w2", "w1", "w0"]


def test_prune_last_moves_prunes_after_the_last_sync_wave() -> None:
    desired = manifests("waves-three-configmaps.yaml")
    live = [_tracked("gone", -5, "PruneLast=true"), _tracked("gone-early", -5)]
    tasks = plan_of(desired, live)
    assert names(tasks)[-1] == "gone"
    assert tasks[-1].wave == 3
    assert names(tasks)[0] == "gone-early"


def test_only_objects_tracked_by_this_app_are_pruned() -> None:
    copied = _tracked("copy", 0)
    copied["metadata"]["name"] = "renamed-copy"  # annotation names another object
    other = mark(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "namespace": "apps"}},
        "other-app",
        ResourceKey("", "ConfigMap", "apps", "theirs"),
    )
    untracked = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "manual", "namespace": "apps"}}
    assert [t for t in plan_of([], [copied, other, untracked]) if t.prune] == []


def test_prune_off_and_prune_false_are_skipped_with_argo_messages() -> None:
    live = [_tracked("a", 0), _tracked("b", 0, "Prune=false"), _tracked("c", 0, "Prune=confirm")]
    skipped = {t.key.name: t.skip_message for t in plan_of([], live, prune=False)}
    assert skipped == {"a": PRUNE_SKIPPED_NO_PRUNE, "b": PRUNE_SKIPPED_NO_PRUNE, "c": PRUNE_SKIPPED_NO_PRUNE}
    on = {t.key.name: t.skip_message for t in plan_of([], live)}
    assert on["a"] == "" and on["b"] == PRUNE_SKIPPED_OPTION and "confirmation" in on["c"]
    confirmed = {t.key.name: t.skip_message for t in plan_of([], live, prune_confirmed=True)}
    assert confirmed["c"] == ""


def test_apply_out_of_sync_only_drops_synced_resources() -> None:
    desired = manifests("waves-three-configmaps.yaml")
    live = [_tracked(n, 0) for n in ("a-late", "b-middle", "c-early")]
    out = {ResourceKey("", "ConfigMap", "apps", "b-middle")}
    tasks = plan_of(desired, live, out_of_sync=out, options=SyncOptions.parse(["ApplyOutOfSyncOnly=true"]))
    assert names(tasks) == ["b-middle"]


def test_crd_needed_in_the_same_wave_is_staged_first() -> None:
    tasks = plan_of(manifests("crd-and-custom-resource-same-wave.yaml"))
    assert [(t.key.kind, t.stage) for t in tasks] == [("CustomResourceDefinition", 0), ("Widget", 1)]
    assert tasks[1].key.namespace == "apps"


def test_bad_wave_and_duplicate_are_refused_with_names() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "annotations": {"argocd.argoproj.io/sync-wave": "soon"}},
    }
    with pytest.raises(SpecError, match="ConfigMap/x"):
        sync_wave(bad)
    twice = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}] * 2
    with pytest.raises(SpecError, match="appears twice"):
        plan_of(twice)
