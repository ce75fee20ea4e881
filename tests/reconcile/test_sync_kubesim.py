"""The sync engine against kubesim over HTTP (official client through gitops.cluster.kube): order of
creation on the server, hooks and their delete policies, CreateNamespace, Replace, ApplyOutOfSyncOnly,
CRDs before their custom resources."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.compare import compare_app
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine, SyncInputs
from gitops.sync.store import MemoryOperationStore

from .sync_support import inputs_from, manifests, operation, run_operation, server_order, spec_for


@pytest.fixture
def port(kubesim_server: Any) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client())
    yield cluster
    cluster.close()


@pytest.fixture
def namespace() -> str:
    return f"sync-{uuid.uuid4().hex[:8]}"


def engine_for(port: KubeClusterPort, **settings: Any) -> SyncEngine:
    return SyncEngine(port, MemoryOperationStore(), settings=Settings(**settings), poll_interval=0.1)


def ensure_namespace(port: KubeClusterPort, name: str) -> None:
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager="test")


def names_in(port: KubeClusterPort, api_version: str, kind: str, namespace: str) -> set[str]:
    return {o["metadata"]["name"] for o in port.list(port.resource_for(api_version, kind), namespace)}


def test_waves_are_created_in_wave_order(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("waves", namespace)
    engine.start(spec, operation())
    result = run_operation(engine, spec, manifests("waves-three-configmaps.yaml"), sleep=True)
    assert result.phase == "Succeeded", result.message
    assert server_order(port, [("v1", "ConfigMap")], namespace) == ["c-early", "b-middle", "a-late"]


def test_kind_order_inside_one_wave(port: KubeClusterPort, namespace: str, kubesim_server: Any) -> None:
    ensure_namespace(port, namespace)
    kubesim_server.admin.pause_controllers()  # nothing but the engine writes, so resourceVersions show its order
    engine = engine_for(port)
    spec = spec_for("kinds", namespace)
    engine.start(spec, operation())
    first = engine.step(spec, inputs_from(port, spec, manifests("kind-order-one-wave.yaml")))
    assert first.phase == "Running"
    kinds = [("v1", "ServiceAccount"), ("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "Service"),
             ("apps/v1", "Deployment"), ("batch/v1", "Job")]  # fmt: skip
    order = [n for n in server_order(port, kinds, namespace) if n.startswith("kind-")]
    assert order == ["kind-sa", "kind-secret", "kind-cm", "kind-svc", "kind-deploy", "kind-job"]


def test_presync_job_failure_stops_before_sync_and_runs_syncfail(
    port: KubeClusterPort, namespace: str
) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("presync", namespace)
    engine.start(spec, operation())
    result = run_operation(engine, spec, manifests("presync-job-fails.yaml"), sleep=True)
    assert result.phase == "Failed" and "migrate-" in result.message and "backoff limit" in result.message
    assert "app-config" not in names_in(port, "v1", "ConfigMap", namespace)
    jobs = names_in(port, "batch/v1", "Job", namespace)
    assert "on-failure" in jobs and any(j.startswith("migrate-") for j in jobs)
    assert engine.store.history("presync") == []


def test_postsync_waits_for_healthy_sync_phase(
    port: KubeClusterPort, namespace: str, kubesim_server: Any
) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("postsync", namespace)
    desired = manifests("postsync-after-healthy-deployment.yaml")
    kubesim_server.admin.pause_controllers()
    engine.start(spec, operation())
    for _ in range(5):
        result = engine.step(spec, inputs_from(port, spec, desired))
    assert result.phase == "Running" and "waiting for healthy state of apps/Deployment" in result.message
    assert names_in(port, "batch/v1", "Job", namespace) == set(), (
        "no PostSync hook while the Deployment is not Healthy"
    )
    kubesim_server.admin.resume_controllers()
    result = run_operation(engine, spec, desired, sleep=True)
    assert result.phase == "Succeeded", result.message
    assert result.state is not None
    post = [r for r in result.state.sync_result.resources if r.hook_type == "PostSync"]
    assert len(post) == 1 and post[0].hook_phase == "Succeeded"
    assert names_in(port, "batch/v1", "Job", namespace) == set(), "HookSucceeded deleted the smoke test"


def test_hook_failed_policy_deletes_the_failed_hook(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("hookfailed", namespace)
    engine.start(spec, operation())
    result = run_operation(engine, spec, manifests("hook-failed-deleted-by-policy.yaml"), sleep=True)
    assert result.phase == "Failed" and "doomed" in result.message
    assert "doomed" not in names_in(port, "batch/v1", "Job", namespace)


def test_before_hook_creation_recreates_hooks_on_the_next_sync(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("hooks", namespace)
    desired = manifests("hooks-every-phase-succeed.yaml")
    uids = []
    for _ in range(2):
        engine.start(spec, operation())
        assert run_operation(engine, spec, desired, sleep=True).phase == "Succeeded"
        job = port.get(port.resource_for("batch/v1", "Job"), namespace, "pre")
        assert job is not None
        uids.append(job["metadata"]["uid"])
    assert uids[0] != uids[1], "BeforeHookCreation deleted the old hook and created a new one"
    assert names_in(port, "batch/v1", "Job", namespace) == {"pre", "during"}  # post: HookSucceeded
    assert "never-applied" not in names_in(port, "v1", "ConfigMap", namespace)
    assert [h.id for h in engine.store.history("hooks")] == [0, 1]


def test_create_namespace_with_managed_metadata(port: KubeClusterPort, namespace: str) -> None:
    engine = engine_for(port)
    policy = {
        "syncOptions": ["CreateNamespace=true"],
        "managedNamespaceMetadata": {"labels": {"team": "blue"}, "annotations": {"owner": "ops"}},
    }
    spec = spec_for("createns", namespace, policy)
    engine.start(spec, operation())
    assert (
        run_operation(engine, spec, manifests("waves-three-configmaps.yaml"), sleep=True).phase == "Succeeded"
    )
    created = port.get(port.resource_for("v1", "Namespace"), None, namespace)
    assert created is not None
    assert created["metadata"]["labels"]["team"] == "blue"
    assert created["metadata"]["annotations"]["owner"] == "ops"
    without = spec_for("no-createns", f"{namespace}-absent")
    engine.start(without, operation())
    failed = run_operation(engine, without, manifests("waves-three-configmaps.yaml"), sleep=True)
    assert failed.phase == "Failed" and "dry run" in failed.message


def test_replace_creates_then_puts(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("replace", namespace)
    desired = manifests("replace-configmap.yaml")
    engine.start(spec, operation())
    first = run_operation(engine, spec, desired, sleep=True)
    assert first.phase == "Succeeded" and first.state is not None
    assert first.state.sync_result.resources[0].message == "configmap/replaced created"
    changed = copy.deepcopy(desired)
    changed[0]["data"] = {"other": "value"}
    engine.start(spec, operation())
    second = run_operation(engine, spec, changed, sleep=True)
    assert (
        second.state is not None
        and second.state.sync_result.resources[0].message == "configmap/replaced replaced"
    )
    live = port.get(port.resource_for("v1", "ConfigMap"), namespace, "replaced")
    assert live is not None and live["data"] == {"other": "value"}, "a PUT replaces the whole object"
    managers = {m.get("operation") for m in live["metadata"].get("managedFields") or []}
    assert "Apply" not in managers


def test_apply_out_of_sync_only_leaves_synced_resources_alone(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("oos", namespace, {"syncOptions": ["ApplyOutOfSyncOnly=true"]})
    desired = manifests("waves-three-configmaps.yaml")
    engine.start(spec, operation())
    assert run_operation(engine, spec, desired, sleep=True).phase == "Succeeded"
    info = port.resource_for("v1", "ConfigMap")
    before = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in port.list(info, namespace)}
    changed = copy.deepcopy(desired)
    changed[2]["data"] = {"wave": "changed"}  # b-middle
    engine.start(spec, operation())
    for _ in range(20):
        compared = compare_app(port, "oos", changed, destination_namespace=namespace)
        result = engine.step(spec, SyncInputs.from_compare(changed, compared))
        if result.finished:
            break
    assert result.phase == "Succeeded" and result.state is not None
    assert [r.name for r in result.state.sync_result.resources] == ["b-middle"]
    after = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in port.list(info, namespace)}
    assert after["a-late"] == before["a-late"] and after["c-early"] == before["c-early"]
    assert after["b-middle"] != before["b-middle"]


def test_crd_is_established_before_its_custom_resource(port: KubeClusterPort, namespace: str) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("crd", namespace)
    engine.start(spec, operation())
    result = run_operation(engine, spec, manifests("crd-and-custom-resource-same-wave.yaml"), sleep=True)
    assert result.phase == "Succeeded", result.message
    widget = port.get(port.resource_for("example.com/v1", "Widget"), namespace, "gear")
    assert widget is not None and widget["spec"] == {"size": 3}


def test_namespace_in_the_manifests_is_created_before_its_objects(
    port: KubeClusterPort, namespace: str
) -> None:
    desired = manifests("namespace-and-configmap-in-it.yaml")
    for doc in desired:
        doc["metadata"]["name" if doc["kind"] == "Namespace" else "namespace"] = namespace
    engine = engine_for(port)
    spec = spec_for("nsinside", "default")
    engine.start(spec, operation())
    result = run_operation(engine, spec, desired, sleep=True)
    assert result.phase == "Succeeded", result.message
    assert "inside" in names_in(port, "v1", "ConfigMap", namespace)


def test_changed_hook_job_is_recreated_not_rejected_as_immutable(
    port: KubeClusterPort, namespace: str
) -> None:
    ensure_namespace(port, namespace)
    engine = engine_for(port)
    spec = spec_for("hookchange", namespace)
    desired = manifests("hooks-every-phase-succeed.yaml")
    engine.start(spec, operation())
    assert run_operation(engine, spec, desired, sleep=True).phase == "Succeeded"
    changed = copy.deepcopy(desired)
    changed[0]["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "busybox:1.37"  # Job templates are immutable
    )
    engine.start(spec, operation())
    result = run_operation(engine, spec, changed, sleep=True)
    assert result.phase == "Succeeded", result.message
    job = port.get(port.resource_for("batch/v1", "Job"), namespace, "pre")
    assert job is not None and job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.37"
