"""More sync options against kubesim: FailOnSharedResource, Replace+Force, RespectIgnoreDifferences,
SkipDryRunOnMissingResource."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine
from gitops.sync.store import MemoryOperationStore
from gitops.tracking import ResourceKey, mark, tracked_by

from .sync_support import manifests, operation, run_operation, spec_for


@pytest.fixture
def port(kubesim_server: Any) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client())
    yield cluster
    cluster.close()


@pytest.fixture
def namespace(port: KubeClusterPort) -> str:
    name = f"opts-{uuid.uuid4().hex[:8]}"
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager="test")
    return name


def engine_for(port: KubeClusterPort) -> SyncEngine:
    return SyncEngine(port, MemoryOperationStore(), settings=Settings(), poll_interval=0.1)


def configmap(port: KubeClusterPort, namespace: str, name: str) -> dict[str, Any] | None:
    return port.get(port.resource_for("v1", "ConfigMap"), namespace, name)


def test_fail_on_shared_resource(port: KubeClusterPort, namespace: str) -> None:
    key = ResourceKey("", "ConfigMap", namespace, "b-middle")
    theirs = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "b-middle", "namespace": namespace},
    }
    port.apply(mark(theirs, "other-app", key), field_manager="other")
    engine = engine_for(port)
    strict = spec_for("mine", namespace, {"syncOptions": ["FailOnSharedResource=true"]})
    engine.start(strict, operation())
    refused = run_operation(engine, strict, manifests("waves-three-configmaps.yaml"), sleep=True)
    assert (
        refused.phase == "Failed"
        and "'other-app'" in refused.message
        and "FailOnSharedResource" in refused.message
    )
    assert refused.state is not None and refused.state.retry_count == 0
    assert configmap(port, namespace, "c-early") is None, "nothing was applied"
    lenient = spec_for("mine", namespace)
    engine.start(lenient, operation())
    assert (
        run_operation(engine, lenient, manifests("waves-three-configmaps.yaml"), sleep=True).phase
        == "Succeeded"
    )
    live = configmap(port, namespace, "b-middle")
    assert live is not None and tracked_by(live, key) == "mine"


def test_replace_with_force_deletes_and_recreates(port: KubeClusterPort, namespace: str) -> None:
    engine = engine_for(port)
    spec = spec_for("force", namespace)
    desired = manifests("replace-force-configmap-recreated.yaml")
    uids = []
    for data in ({"k": "v"}, {"k": "w"}):
        desired[0]["data"] = data
        engine.start(spec, operation())
        assert run_operation(engine, spec, copy.deepcopy(desired), sleep=True).phase == "Succeeded"
        live = configmap(port, namespace, "recreated")
        assert live is not None and live["data"] == data
        uids.append(live["metadata"]["uid"])
    assert uids[0] != uids[1]


def test_respect_ignore_differences_keeps_ignored_live_fields(port: KubeClusterPort, namespace: str) -> None:
    engine = engine_for(port)
    ignore = [{"kind": "ConfigMap", "name": "b-middle", "jsonPointers": ["/data/wave"]}]
    spec = spec_for(
        "respect", namespace, {"syncOptions": ["RespectIgnoreDifferences=true"]}, ignoreDifferences=ignore
    )
    desired = manifests("waves-three-configmaps.yaml")
    engine.start(spec, operation())
    assert run_operation(engine, spec, desired, sleep=True).phase == "Succeeded"
    patch = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b-middle", "namespace": namespace},
             "data": {"wave": "set-by-an-operator"}}  # fmt: skip
    port.apply(patch, field_manager="operator", force=True)
    engine.start(spec, operation())
    assert run_operation(engine, spec, desired, sleep=True).phase == "Succeeded"
    live = configmap(port, namespace, "b-middle")
    assert live is not None and live["data"]["wave"] == "set-by-an-operator"
    plain = spec_for("respect", namespace, ignoreDifferences=ignore)
    engine.start(plain, operation())
    assert run_operation(engine, plain, desired, sleep=True).phase == "Succeeded"
    live = configmap(port, namespace, "b-middle")
    assert live is not None and live["data"]["wave"] == "0", "without the option the sync writes Git's value"


def test_skip_dry_run_on_missing_resource(port: KubeClusterPort, namespace: str) -> None:
    gadget = {"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {}}
    engine = engine_for(port)
    spec = spec_for("skipdry", namespace)
    engine.start(spec, operation())
    strict = run_operation(engine, spec, [*manifests("waves-three-configmaps.yaml"), gadget], sleep=True)
    assert strict.phase == "Failed" and "dry run" in strict.message and "Gadget/g" in strict.message
    assert configmap(port, namespace, "c-early") is None
    skipping = copy.deepcopy(gadget)
    skipping["metadata"]["annotations"] = {
        "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"
    }
    engine.start(spec, operation())
    result = run_operation(engine, spec, [*manifests("waves-three-configmaps.yaml"), skipping], sleep=True)
    assert result.phase == "Failed" and result.state is not None
    assert configmap(port, namespace, "b-middle") is not None, "the dry run passed and waves were applied"
    assert configmap(port, namespace, "a-late") is None, "the failed apply in wave 0 stopped the later waves"
    failed = [r for r in result.state.sync_result.resources if r.status == "SyncFailed"]
    assert [r.name for r in failed] == ["g"] and "dry run" not in failed[0].message


def test_unknown_fields_fail_strictly_unless_validate_false(port: KubeClusterPort, namespace: str) -> None:
    typo = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "typo", "namespace": namespace},
        "data": {"a": "1"},
        "dta": {"b": "2"},
    }
    engine = engine_for(port)
    strict = spec_for("strict", namespace)
    engine.start(strict, operation())
    refused = run_operation(engine, strict, [copy.deepcopy(typo)], sleep=True)
    assert refused.phase == "Failed" and "dta" in refused.message, refused.message
    assert configmap(port, namespace, "typo") is None, (
        "a manifest the server cannot take whole is not applied"
    )
    lenient = spec_for("lenient", namespace, {"syncOptions": ["Validate=false"]})
    engine.start(lenient, operation())
    assert run_operation(engine, lenient, [copy.deepcopy(typo)], sleep=True).phase == "Succeeded"
    live = configmap(port, namespace, "typo")
    assert live is not None and live["data"] == {"a": "1"} and "dta" not in live
