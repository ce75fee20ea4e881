"""Pruning against kubesim: off and on, reverse wave order, PruneLast, Prune=false, allowEmpty."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine
from gitops.sync.store import MemoryOperationStore
from gitops.tracking import KindRef

from .sync_support import inputs_from, manifests, operation, run_operation, spec_for

CONFIGMAP = ("v1", "ConfigMap")
# Kinds of the last status.resources: how extraneous objects are found once Git has none of their kind.
PREVIOUS_KINDS = [KindRef("v1", "ConfigMap")]


@pytest.fixture
def port(kubesim_server: Any) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client())
    yield cluster
    cluster.close()


@pytest.fixture
def namespace(port: KubeClusterPort) -> str:
    name = f"prune-{uuid.uuid4().hex[:8]}"
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager="test")
    return name


def engine_for(port: KubeClusterPort) -> SyncEngine:
    return SyncEngine(port, MemoryOperationStore(), settings=Settings(), poll_interval=0.1, passes_per_step=1)


def configmaps(port: KubeClusterPort, namespace: str) -> set[str]:
    return {o["metadata"]["name"] for o in port.list(port.resource_for(*CONFIGMAP), namespace)}


def synced_first(
    port: KubeClusterPort, namespace: str, app: str, fixture: str, **policy: Any
) -> tuple[SyncEngine, Any]:
    engine = engine_for(port)
    spec = spec_for(app, namespace, policy or None)
    engine.start(spec, operation())
    assert run_operation(engine, spec, manifests(fixture), sleep=True).phase == "Succeeded"
    return engine, spec


def keep_only(fixture: str, name: str) -> list[dict[str, Any]]:
    return [m for m in manifests(fixture) if m["metadata"]["name"] == name]


def test_prune_off_reports_prune_skipped_and_deletes_nothing(port: KubeClusterPort, namespace: str) -> None:
    engine, spec = synced_first(port, namespace, "pruneoff", "prune-waves-three-configmaps.yaml")
    engine.start(spec, operation(prune=False))
    result = run_operation(engine, spec, keep_only("prune-waves-three-configmaps.yaml", "keep"), sleep=True)
    assert result.phase == "Succeeded" and result.state is not None
    skipped = {r.name: (r.status, r.message) for r in result.state.sync_result.resources if r.name != "keep"}
    assert skipped == {n: ("PruneSkipped", "ignored (requires pruning)") for n in ("w0", "w1", "w2")}
    assert configmaps(port, namespace) >= {"w0", "w1", "w2", "keep"}


def test_prune_on_deletes_in_reverse_wave_order(port: KubeClusterPort, namespace: str) -> None:
    engine, spec = synced_first(port, namespace, "pruneon", "prune-waves-three-configmaps.yaml")
    untracked = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "manual", "namespace": namespace},
    }
    port.apply(untracked, field_manager="kubectl")
    desired = keep_only("prune-waves-three-configmaps.yaml", "keep")
    engine.start(spec, operation(prune=True))
    remaining = []
    for _ in range(50):
        result = engine.step(spec, inputs_from(port, spec, desired))
        remaining.append(configmaps(port, namespace) & {"w0", "w1", "w2"})
        if result.finished:
            break
    assert result.phase == "Succeeded", result.message
    transitions = [r for i, r in enumerate(remaining) if i == 0 or r != remaining[i - 1]]
    assert transitions == [{"w0", "w1"}, {"w0"}, set()], "wave 2 pruned first, wave 0 last"
    assert "manual" in configmaps(port, namespace), "an object the app does not track is never pruned"


def test_prune_last_prunes_after_the_last_wave(port: KubeClusterPort, namespace: str) -> None:
    engine, spec = synced_first(
        port, namespace, "prunelast", "prune-waves-three-configmaps.yaml", syncOptions=["PruneLast=true"]
    )
    desired = keep_only("prune-waves-three-configmaps.yaml", "keep")
    desired.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late-new", "annotations": {
        "argocd.argoproj.io/sync-wave": "5"}}, "data": {"k": "v"}})  # fmt: skip
    engine.start(spec, operation(prune=True))
    seen_before_prune = set()
    for _ in range(50):
        result = engine.step(spec, inputs_from(port, spec, desired))
        names = configmaps(port, namespace)
        if {"w0", "w1", "w2"} <= names:
            seen_before_prune |= names
        if result.finished:
            break
    assert result.phase == "Succeeded", result.message
    assert "late-new" in seen_before_prune, "the last wave was applied while the pruned objects still existed"
    assert not configmaps(port, namespace) & {"w0", "w1", "w2"}


def test_prune_false_keeps_the_resource(port: KubeClusterPort, namespace: str) -> None:
    engine, spec = synced_first(port, namespace, "prunefalse", "prune-false-configmap-kept.yaml")
    engine.start(spec, operation(prune=True))
    result = run_operation(engine, spec, [], sleep=True, extra_kinds=PREVIOUS_KINDS)
    assert result.phase == "Succeeded" and result.state is not None
    statuses = {r.name: r.status for r in result.state.sync_result.resources}
    assert statuses == {"precious": "PruneSkipped", "disposable": "Pruned"}
    assert "precious" in configmaps(port, namespace) and "disposable" not in configmaps(port, namespace)


def test_allow_empty_protects_automated_syncs(port: KubeClusterPort, namespace: str) -> None:
    engine, spec = synced_first(
        port, namespace, "empty", "waves-three-configmaps.yaml", automated={"prune": True}
    )
    engine.start(spec, operation(prune=True, automated=True))
    refused = run_operation(engine, spec, [], sleep=True, extra_kinds=PREVIOUS_KINDS)
    assert refused.phase == "Failed" and "allowEmpty" in refused.message
    assert configmaps(port, namespace) >= {"a-late", "b-middle", "c-early"}
    allowed = spec_for("empty", namespace, {"automated": {"prune": True, "allowEmpty": True}})
    engine.start(allowed, operation(prune=True, automated=True))
    assert run_operation(engine, allowed, [], sleep=True, extra_kinds=PREVIOUS_KINDS).phase == "Succeeded"
    assert not configmaps(port, namespace) & {"a-late", "b-middle", "c-early"}
