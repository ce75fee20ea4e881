"""compare_app over the in-memory port double: statuses, tracking, hooks, options, cache, errors."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.cluster.memory import MemoryClusterPort
from gitops.cluster.port import ResourceInfo
from gitops.compare import CompareSettings, MemoryDiffCache, SyncCode, compare_app
from gitops.errors import ClusterError, SpecError
from gitops.health import HealthStatus
from gitops.tracking import ResourceKey, mark

PURE = CompareSettings(server_side_diff=False)


def cm(name: str, annotations: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def sync_all(port: MemoryClusterPort, app: str, desired: list[dict[str, Any]]) -> None:
    for resource in compare_app(port, app, desired, destination_namespace="prod", settings=PURE).resources:
        if resource.target is not None and resource.status is not None:
            port.apply(resource.target, field_manager="bosun")


def test_new_app_is_missing_then_synced_after_apply() -> None:
    port = MemoryClusterPort()
    desired = [
        cm("a", x="1"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "namespace": "ignored"}},
    ]
    result = compare_app(port, "guestbook", desired, destination_namespace="prod", settings=PURE)
    assert result.sync_status == SyncCode.OUT_OF_SYNC
    assert [
        (r.kind, r.namespace, r.status, r.health.status if r.health else None) for r in result.resources
    ] == [
        ("ConfigMap", "prod", SyncCode.OUT_OF_SYNC, HealthStatus.MISSING),
        ("Namespace", "", SyncCode.OUT_OF_SYNC, HealthStatus.MISSING),
    ]
    assert "+  x: '1'" in result.resources[0].diff
    assert result.health.status == HealthStatus.HEALTHY  # kinds without a health rule: Missing does not count
    with_workload = [
        *desired,
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {}},
    ]
    missing = compare_app(
        port, "guestbook", with_workload, destination_namespace="prod", settings=PURE
    ).health
    assert (
        missing.status == HealthStatus.MISSING
        and missing.message == "Deployment/web: missing from the cluster"
    )
    sync_all(port, "guestbook", desired)
    result = compare_app(port, "guestbook", desired, destination_namespace="prod", settings=PURE)
    assert result.sync_status == SyncCode.SYNCED and all(
        r.status == SyncCode.SYNCED for r in result.resources
    )
    assert result.stats.pure_proofs == 2 and result.stats.gets == 0 and result.stats.lists == 2


def test_change_outside_git_is_out_of_sync_with_exact_diff() -> None:
    port = MemoryClusterPort()
    sync_all(port, "guestbook", [cm("a", x="1", y="2")])
    info = port.resource_for("v1", "ConfigMap")
    live = port.get(info, "prod", "a")
    assert live is not None
    live["data"]["x"] = "changed"
    port.objects[("", "ConfigMap", "prod", "a")] = live
    result = compare_app(
        port, "guestbook", [cm("a", x="1", y="2")], destination_namespace="prod", settings=PURE
    )
    (resource,) = result.resources
    assert resource.status == SyncCode.OUT_OF_SYNC
    changed = [
        line
        for line in resource.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["-  x: changed", "+  x: '1'"]


def test_extraneous_requires_pruning_unless_ignored_and_copies_are_not_ours() -> None:
    port = MemoryClusterPort()
    sync_all(
        port,
        "guestbook",
        [cm("a"), cm("old"), cm("quiet", {"argocd.argoproj.io/compare-options": "IgnoreExtraneous"})],
    )
    # an object copied from ours, label and annotation included, but named differently
    copied = mark(cm("copy"), "guestbook", ResourceKey("", "ConfigMap", "prod", "a"))
    copied["metadata"]["namespace"] = "prod"
    port.apply(copied, field_manager="someone")
    previous = [{"group": "", "version": "v1", "kind": "ConfigMap"}]
    result = compare_app(
        port, "guestbook", [cm("a")], destination_namespace="prod", previous_resources=previous, settings=PURE
    )
    by_name = {r.name: r for r in result.resources}
    assert set(by_name) == {"a", "old", "quiet"}
    assert (
        by_name["old"].requires_pruning
        and by_name["old"].status == SyncCode.OUT_OF_SYNC
        and by_name["old"].counts
    )
    assert by_name["quiet"].requires_pruning and not by_name["quiet"].counts
    assert result.sync_status == SyncCode.OUT_OF_SYNC
    port.objects.pop(("", "ConfigMap", "prod", "old"))
    result = compare_app(
        port, "guestbook", [cm("a")], destination_namespace="prod", previous_resources=previous, settings=PURE
    )
    assert result.sync_status == SyncCode.SYNCED  # only the IgnoreExtraneous one is left over


def test_kinds_only_in_previous_status_are_listed_to_find_extraneous() -> None:
    port = MemoryClusterPort()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    sync_all(port, "guestbook", [cm("a"), secret])
    result = compare_app(port, "guestbook", [cm("a")], destination_namespace="prod", settings=PURE)
    assert result.sync_status == SyncCode.SYNCED  # Secret kind unknown to this refresh
    result = compare_app(
        port,
        "guestbook",
        [cm("a")],
        destination_namespace="prod",
        previous_resources=[{"group": "", "version": "v1", "kind": "Secret", "name": "s"}],
        settings=PURE,
    )
    (secret_status,) = [r for r in result.resources if r.kind == "Secret"]
    assert secret_status.requires_pruning and "k: +++" in secret_status.diff


def test_hooks_and_skip_do_not_affect_sync_status() -> None:
    port = MemoryClusterPort()
    hook: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": "migrate-", "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
        "spec": {},
    }
    skipped = cm("skipped", {"argocd.argoproj.io/hook": "Skip"})
    sync_all(port, "guestbook", [cm("a")])
    # a hook the sync engine created earlier (named, tracked, labelled)
    live_hook = mark(
        {**hook, "metadata": {**hook["metadata"], "name": "migrate-abc", "namespace": "prod"}},
        "guestbook",
        ResourceKey("batch", "Job", "prod", "migrate-abc"),
    )
    port.apply(live_hook, field_manager="bosun")
    result = compare_app(
        port, "guestbook", [cm("a"), hook, skipped], destination_namespace="prod", settings=PURE
    )
    assert result.sync_status == SyncCode.SYNCED
    by_name = {r.name: r for r in result.resources}
    assert by_name["migrate-"].hook and by_name["migrate-"].status is None
    assert by_name["migrate-abc"].hook and not by_name["migrate-abc"].requires_pruning
    assert by_name["skipped"].status is None and not by_name["skipped"].hook
    assert result.stats.gets == 0  # hooks and Skip objects are never looked up one by one


def test_object_tracked_by_another_app_is_a_shared_resource() -> None:
    port = MemoryClusterPort()
    sync_all(port, "other", [cm("shared", x="1")])
    result = compare_app(
        port, "guestbook", [cm("shared", x="1")], destination_namespace="prod", settings=PURE
    )
    (resource,) = result.resources
    assert resource.shared_with == "other" and resource.status == SyncCode.OUT_OF_SYNC
    assert [c.type for c in result.conditions] == ["SharedResourceWarning"]
    assert "guestbook and other" in result.conditions[0].message
    # and the other app does not see it as extraneous to prune in guestbook's view, nor vice versa
    other = compare_app(
        port,
        "other",
        [],
        destination_namespace="prod",
        previous_resources=[{"version": "v1", "kind": "ConfigMap"}],
        settings=PURE,
    )
    assert [r.requires_pruning for r in other.resources] == [True]


def test_repeated_resource_warns_and_last_wins() -> None:
    port = MemoryClusterPort()
    result = compare_app(
        port, "guestbook", [cm("a", x="1"), cm("a", x="2")], destination_namespace="prod", settings=PURE
    )
    assert len(result.resources) == 1 and result.resources[0].target["data"] == {"x": "2"}  # type: ignore[index]
    assert result.conditions[0].type == "RepeatedResourceWarning"


def test_ignore_differences_hide_a_drifted_field() -> None:
    port = MemoryClusterPort()
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2},
    }
    sync_all(port, "guestbook", [deployment])
    live = port.objects[("apps", "Deployment", "prod", "web")]
    live["spec"]["replicas"] = 7
    assert (
        compare_app(port, "guestbook", [deployment], destination_namespace="prod", settings=PURE).sync_status
        == SyncCode.OUT_OF_SYNC
    )
    rules = [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    assert (
        compare_app(
            port,
            "guestbook",
            [deployment],
            destination_namespace="prod",
            ignore_differences=rules,
            settings=PURE,
        ).sync_status
        == SyncCode.SYNCED
    )


def test_bad_ignore_rule_raises_spec_error_before_any_call() -> None:
    port = MemoryClusterPort()
    with pytest.raises(SpecError, match="guestbook"):
        compare_app(
            port,
            "guestbook",
            [cm("a")],
            ignore_differences=[{"kind": "ConfigMap", "jqPathExpressions": ["..["]}],
        )
    assert port.calls.total == 0


def test_unserved_kind_with_crd_in_the_same_app_is_missing_not_an_error() -> None:
    port = MemoryClusterPort()
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget"}},
    }
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    result = compare_app(port, "guestbook", [crd, widget], destination_namespace="prod", settings=PURE)
    resource = result.resource("Widget", "w")
    assert (
        resource is not None
        and resource.namespace == ""
        and resource.info is None
        and "not served" in resource.message
    )
    assert result.sync_status == SyncCode.OUT_OF_SYNC and not result.conditions


class FailingListPort(MemoryClusterPort):
    def list(
        self, info: ResourceInfo, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        raise ClusterError(
            "Too many requests", target="ConfigMap list", code=429, reason="TooManyRequests", retry_after=3.0
        )


def test_unreadable_cluster_gives_unknown_with_comparison_error() -> None:
    result = compare_app(FailingListPort(), "guestbook", [cm("a")], destination_namespace="prod")
    assert result.sync_status == SyncCode.UNKNOWN and result.health.status == HealthStatus.UNKNOWN
    assert (
        result.conditions[-1].type == "ComparisonError"
        and "Too many requests" in result.conditions[-1].message
    )
    assert isinstance(result.error, ClusterError) and result.error.retry_after == 3.0


def test_verdict_cache_skips_work_until_either_side_changes() -> None:
    port = MemoryClusterPort()
    cache = MemoryDiffCache()
    desired = [cm("a", x="1")]
    sync_all(port, "guestbook", desired)
    port.objects[("", "ConfigMap", "prod", "a")]["data"]["x"] = (
        "drift"  # same resourceVersion: simulates no change
    )
    first = compare_app(port, "guestbook", desired, destination_namespace="prod", settings=PURE, cache=cache)
    second = compare_app(port, "guestbook", desired, destination_namespace="prod", settings=PURE, cache=cache)
    assert (first.stats.predicted, second.stats.cache_hits) == (1, 1)
    assert second.resources[0].diff == first.resources[0].diff and second.sync_status == SyncCode.OUT_OF_SYNC
    changed = compare_app(
        port, "guestbook", [cm("a", x="drift")], destination_namespace="prod", settings=PURE, cache=cache
    )
    assert changed.stats.cache_hits == 0 and changed.sync_status == SyncCode.SYNCED


def test_server_side_diff_uses_dry_run_apply_when_no_cheap_proof() -> None:
    port = MemoryClusterPort()
    desired = [cm("a", x="1")]
    sync_all(port, "guestbook", desired)
    port.objects[("", "ConfigMap", "prod", "a")]["data"]["x"] = "drift"
    before = dict(port.objects)
    result = compare_app(port, "guestbook", desired, destination_namespace="prod")
    assert (
        result.stats.dry_runs == 1
        and port.calls.by_verb["apply"] == 2
        and result.sync_status == SyncCode.OUT_OF_SYNC
    )
    assert port.objects == before  # dry-run stored nothing


def test_preloaded_live_state_makes_compare_list_nothing() -> None:
    port = MemoryClusterPort()
    desired = [cm("a", x="1"), cm("b")]
    sync_all(port, "guestbook", desired)
    loaded = port.list(port.resource_for("v1", "ConfigMap"), None, "bosun.dev/app=guestbook")
    port.calls.reset()
    result = compare_app(
        port, "guestbook", desired[:1], destination_namespace="prod", live=loaded, settings=PURE
    )
    assert port.calls.total == 0
    assert [(r.name, r.status, r.requires_pruning) for r in result.resources] == [
        ("a", SyncCode.SYNCED, False),
        ("b", SyncCode.OUT_OF_SYNC, True),
    ]


def test_settings_come_from_bosun_settings() -> None:
    from gitops.settings import Settings

    settings = CompareSettings.from_settings(
        Settings(field_manager="bosun-x", tracking_annotation="example.com/owner")
    )
    assert (settings.field_manager, settings.tracking_annotation, settings.server_side_diff) == (
        "bosun-x",
        "example.com/owner",
        True,
    )
    port = MemoryClusterPort()
    result = compare_app(port, "guestbook", [cm("a")], destination_namespace="prod", settings=settings)
    assert result.resources[0].target is not None
    assert result.resources[0].target["metadata"]["annotations"] == {
        "example.com/owner": "guestbook:/ConfigMap:prod/a"
    }


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "a"}}, "ConfigMap a has no apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "a"}}, "object a has no kind"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "ConfigMap has no metadata.name"),
        ("just a string", "document 1 is a str"),
    ],
)
def test_malformed_manifest_is_a_comparison_error(document: Any, complaint: str) -> None:
    port = MemoryClusterPort()
    result = compare_app(port, "guestbook", [cm("fine"), document], destination_namespace="prod")
    assert result.sync_status == SyncCode.UNKNOWN and result.resources == []
    (condition,) = result.conditions
    assert (
        condition.type == "ComparisonError"
        and complaint in condition.message
        and "guestbook" in condition.message
    )
    assert "manifest #1" in condition.message and port.calls.total == 0


def test_namespaced_object_without_any_namespace_is_a_comparison_error() -> None:
    port = MemoryClusterPort()
    result = compare_app(port, "guestbook", [cm("a")])
    assert result.sync_status == SyncCode.UNKNOWN
    assert "no destination namespace" in result.conditions[0].message
    cluster_scoped = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
    assert compare_app(port, "guestbook", [cluster_scoped]).sync_status == SyncCode.OUT_OF_SYNC
