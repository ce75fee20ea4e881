"""compare_app against kubesim over HTTP: Synced after syncing every built-in kind (server defaults,
quantities, Secrets, Service clusterIP, Deployment strategy), a kubectl-style change -> OutOfSync with
exactly that diff, ignoreDifferences, shared resources, extraneous resources, API calls per refresh."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.cluster.kube import KubeClusterPort
from gitops.compare import CompareResult, CompareSettings, MemoryDiffCache, SyncCode, compare_app
from gitops.health import HealthStatus
from kubesim.testing import KubesimServer

FIXTURES = Path(__file__).parent / "fixtures" / "compare"
PROOF = CompareSettings()
DRY_RUN_ONLY = CompareSettings(cheap_proof=False)

Obj = dict[str, Any]


def documents(name: str) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


@pytest.fixture
def port(kubesim_server: KubesimServer) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client(), cluster="kubesim")
    cluster.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}, field_manager="admin"
    )
    yield cluster
    cluster.close()


def sync(port: KubeClusterPort, app: str, desired: list[Obj], **options: Any) -> CompareResult:
    """Apply what compare says is out of sync, the way the sync engine does (SSA, force), then compare."""
    for resource in compare_app(port, app, desired, destination_namespace="prod", **options).resources:
        if (
            resource.target is not None
            and resource.status == SyncCode.OUT_OF_SYNC
            and not resource.requires_pruning
        ):
            port.apply(resource.target, field_manager="bosun", force=True)
    return compare_app(port, app, desired, destination_namespace="prod", **options)


def kubectl_patch(
    server: KubesimServer, api_version: str, kind: str, name: str, patch: Obj, namespace: str | None = "prod"
) -> None:
    """What `kubectl patch --type merge` does: a merge patch by another field manager."""
    dynamic = server.dynamic_client()
    resource = dynamic.resources.get(api_version=api_version, kind=kind)
    dynamic.patch(
        resource,
        body=patch,
        name=name,
        namespace=namespace,
        content_type="application/merge-patch+json",
        field_manager="kubectl-patch",
    )


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def explain(result: CompareResult) -> str:
    return "\n".join(
        f"{r.kind}/{r.name}: {r.status} {r.message}\n{r.diff}"
        for r in result.resources
        if r.status != SyncCode.SYNCED
    )


@pytest.mark.parametrize("settings", [PROOF, DRY_RUN_ONLY], ids=["cheap-proof", "dry-run-diff"])
def test_every_builtin_kind_is_synced_after_a_sync(port: KubeClusterPort, settings: CompareSettings) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    before = compare_app(port, "all-kinds", desired, destination_namespace="prod")
    assert {r.status for r in before.resources} == {SyncCode.OUT_OF_SYNC}
    assert {r.health.status for r in before.resources if r.health} == {HealthStatus.MISSING}
    after = sync(port, "all-kinds", desired, settings=settings)
    assert after.sync_status == SyncCode.SYNCED, explain(after)
    assert len(after.resources) == len(desired) and not after.conditions
    secret = after.resource("Secret", "credentials", "prod")
    assert secret is not None and secret.live is not None and "password" in secret.live["data"]
    service = after.resource("Service", "web", "prod")
    assert service is not None and service.live is not None and service.live["spec"]["clusterIP"]
    if settings.cheap_proof:
        assert after.stats.dry_runs == 0 and after.stats.pure_proofs == len(desired)
    else:
        assert after.stats.dry_runs == len(desired)


def test_refresh_reads_live_state_with_one_list_per_kind(port: KubeClusterPort) -> None:
    desired = [
        *(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}}
            for i in range(20)
        ),
        *(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"s-{i}"},
                "stringData": {"i": str(i)},
            }
            for i in range(5)
        ),
        *(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"svc-{i}"},
                "spec": {"ports": [{"port": 80 + i}]},
            }
            for i in range(5)
        ),
    ]
    sync(port, "counted", desired)
    cache = MemoryDiffCache()
    for _ in range(2):
        port.calls.reset()
        result = compare_app(port, "counted", desired, destination_namespace="prod", cache=cache)
        assert result.sync_status == SyncCode.SYNCED
        assert port.calls.snapshot() == {"list": 3}  # K kinds -> K lists; no GETs, no dry-runs
    assert result.stats.cache_hits == len(desired)


def test_kubectl_change_to_a_synced_field_is_out_of_sync_with_exactly_that_diff(
    kubesim_server: KubesimServer, port: KubeClusterPort
) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    assert sync(port, "drift", desired).sync_status == SyncCode.SYNCED
    kubectl_patch(kubesim_server, "apps/v1", "Deployment", "web", {"spec": {"replicas": 5}})
    kubectl_patch(kubesim_server, "v1", "ConfigMap", "settings", {"data": {"LOG_LEVEL": "info"}})
    for settings in (PROOF, DRY_RUN_ONLY):
        result = compare_app(port, "drift", desired, destination_namespace="prod", settings=settings)
        assert result.sync_status == SyncCode.OUT_OF_SYNC
        assert sorted(
            r.name + "/" + r.kind for r in result.resources if r.status == SyncCode.OUT_OF_SYNC
        ) == ["settings/ConfigMap", "web/Deployment"]
        deployment = result.resource("Deployment", "web", "prod")
        configmap = result.resource("ConfigMap", "settings", "prod")
        assert deployment is not None and configmap is not None
        assert changed_lines(deployment.diff) == ["-  replicas: 5", "+  replicas: 2"], deployment.diff
        assert changed_lines(configmap.diff) == ["-  LOG_LEVEL: info", "+  LOG_LEVEL: debug"], configmap.diff
        assert deployment.diff.startswith(
            "--- live/apps/Deployment prod/web\n+++ desired/apps/Deployment prod/web"
        )


def test_changes_to_fields_git_does_not_set_stay_synced(
    kubesim_server: KubesimServer, port: KubeClusterPort
) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    sync(port, "others", desired)
    kubectl_patch(
        kubesim_server,
        "apps/v1",
        "Deployment",
        "web",
        {"metadata": {"annotations": {"team": "a"}}, "spec": {"revisionHistoryLimit": 3}},
    )
    kubectl_patch(kubesim_server, "v1", "ConfigMap", "settings", {"metadata": {"labels": {"extra": "yes"}}})
    for settings in (PROOF, DRY_RUN_ONLY):
        result = compare_app(port, "others", desired, destination_namespace="prod", settings=settings)
        assert result.sync_status == SyncCode.SYNCED, explain(result)


def test_field_removed_from_git_is_out_of_sync(port: KubeClusterPort) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    sync(port, "removal", desired)
    trimmed = copy.deepcopy(desired)
    configmap = next(d for d in trimmed if d["kind"] == "ConfigMap")
    del configmap["data"]["replicas"]
    for settings in (PROOF, DRY_RUN_ONLY):
        result = compare_app(port, "removal", trimmed, destination_namespace="prod", settings=settings)
        status = result.resource("ConfigMap", "settings", "prod")
        assert status is not None and status.status == SyncCode.OUT_OF_SYNC
        assert changed_lines(status.diff) == ["-  replicas: '3'"]


def test_secret_diff_is_masked(kubesim_server: KubesimServer, port: KubeClusterPort) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    sync(port, "secrets", desired)
    kubectl_patch(kubesim_server, "v1", "Secret", "credentials", {"data": {"password": "Y2hhbmdlZA=="}})
    result = compare_app(port, "secrets", desired, destination_namespace="prod")
    secret = result.resource("Secret", "credentials", "prod")
    assert secret is not None and secret.status == SyncCode.OUT_OF_SYNC
    lines = changed_lines(secret.diff)
    assert len(lines) == 2 and all("password: +++" in line for line in lines) and lines[0] != lines[1]
    for value in ("Y2hhbmdlZA", "aHVudGVyMg", "hunter2", "YWRtaW4"):
        assert value not in secret.diff


@pytest.mark.parametrize(
    "rule",
    [
        {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
        {"group": "apps", "kind": "Deployment", "name": "web", "jqPathExpressions": [".spec.replicas"]},
        {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["kubectl-patch"]},
    ],
    ids=["jsonPointers", "jqPathExpressions", "managedFieldsManagers"],
)
def test_ignore_differences(kubesim_server: KubesimServer, port: KubeClusterPort, rule: Obj) -> None:
    desired = documents("every-builtin-kind-synced.yaml")
    sync(port, "ignoring", desired)
    kubectl_patch(kubesim_server, "apps/v1", "Deployment", "web", {"spec": {"replicas": 4}})
    assert (
        compare_app(port, "ignoring", desired, destination_namespace="prod").sync_status
        == SyncCode.OUT_OF_SYNC
    )
    for settings in (PROOF, DRY_RUN_ONLY):
        result = compare_app(
            port,
            "ignoring",
            desired,
            destination_namespace="prod",
            ignore_differences=[rule],
            settings=settings,
        )
        assert result.sync_status == SyncCode.SYNCED, explain(result)
    other = {**rule, "name": "not-web"}
    assert (
        compare_app(
            port, "ignoring", desired, destination_namespace="prod", ignore_differences=[other]
        ).sync_status
        == SyncCode.OUT_OF_SYNC
    )


def test_resource_of_another_app_is_shared(port: KubeClusterPort) -> None:
    shared = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"a": "1"}}
    assert sync(port, "first", [shared]).sync_status == SyncCode.SYNCED
    result = compare_app(port, "second", [shared], destination_namespace="prod")
    (resource,) = result.resources
    assert resource.shared_with == "first" and resource.status == SyncCode.OUT_OF_SYNC
    assert [(c.type, c.message) for c in result.conditions] == [
        ("SharedResourceWarning", "core/ConfigMap prod/shared is part of applications second and first")
    ]
    assert "-    bosun.dev/tracking-id: first:/ConfigMap:prod/shared" in resource.diff
    assert result.stats.gets == 1  # not in second's LIST: found by one GET


def test_removed_from_git_is_extraneous_and_untracked_objects_are_left_alone(port: KubeClusterPort) -> None:
    desired = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}, "data": {}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "drop"}, "data": {}},
    ]
    first = sync(port, "pruning", desired)
    port.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-hand", "namespace": "prod"}},
        field_manager="kubectl",
    )
    previous = [r.to_dict() for r in first.resources]
    result = compare_app(
        port, "pruning", desired[:1], destination_namespace="prod", previous_resources=previous
    )
    assert [(r.name, r.status, r.requires_pruning) for r in result.resources] == [
        ("keep", SyncCode.SYNCED, False),
        ("drop", SyncCode.OUT_OF_SYNC, True),
    ]
    assert result.sync_status == SyncCode.OUT_OF_SYNC


def test_custom_resource_waits_for_its_crd_in_the_same_app(port: KubeClusterPort) -> None:
    crd = next(
        d for d in documents("every-builtin-kind-synced.yaml") if d["kind"] == "CustomResourceDefinition"
    )
    crd = copy.deepcopy(crd)
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    crd["metadata"]["name"] = f"widgets.{group}"
    crd["spec"]["group"] = group
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}}
    result = compare_app(port, "crds", [crd, widget], destination_namespace="prod")
    status = result.resource("Widget", "w", "prod")
    assert (
        status is not None
        and status.info is None
        and status.status == SyncCode.OUT_OF_SYNC
        and "not served" in status.message
    )
    port.apply(result.resources[0].target or {}, field_manager="bosun")
    port.refresh_discovery()
    assert sync(port, "crds", [crd, widget]).sync_status == SyncCode.SYNCED


def test_unavailable_api_server_gives_unknown_with_retry_after(
    kubesim_server: KubesimServer, port: KubeClusterPort
) -> None:
    desired = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {}}]
    assert sync(port, "flaky", desired).sync_status == SyncCode.SYNCED
    kubesim_server.admin.add_fault(
        verbs=["list"], resources=["configmaps"], error_rate=1.0, status=503, retry_after=2, times=1
    )
    result = compare_app(port, "flaky", desired, destination_namespace="prod")
    assert result.sync_status == SyncCode.UNKNOWN and result.health.status == HealthStatus.UNKNOWN
    assert [c.type for c in result.conditions] == [
        "ComparisonError"
    ] and "ConfigMap list" in result.conditions[0].message
    assert result.error is not None and getattr(result.error, "retry_after", None) == 2.0
    assert compare_app(port, "flaky", desired, destination_namespace="prod").sync_status == SyncCode.SYNCED
