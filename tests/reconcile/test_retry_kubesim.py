"""Transient API errors from kubesim's fault injection (429 with Retry-After, 503) are answered with
backoff and the operation still succeeds; a failing sync is retried per the retry strategy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.settings import Settings
from gitops.sync.engine import StepResult, SyncEngine
from gitops.sync.store import MemoryOperationStore

from .sync_support import manifests, operation, run_operation, spec_for


@pytest.fixture
def port(kubesim_server: Any) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client())
    yield cluster
    cluster.close()


@pytest.fixture
def namespace(port: KubeClusterPort) -> str:
    name = f"retry-{uuid.uuid4().hex[:8]}"
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager="test")
    return name


@pytest.mark.parametrize(
    ("status", "verb", "resource", "expected_delays"),
    [
        (429, "patch", "configmaps", [1, 1]),  # Retry-After: 1
        (503, "create", "jobs.batch", [2, 2]),  # Retry-After: 2
        (500, "patch", "configmaps", [1, 2]),  # no Retry-After: 1 s * 2^n
    ],
)
def test_throttling_and_unavailability_are_answered_with_backoff(
    port: KubeClusterPort,
    namespace: str,
    kubesim_server: Any,
    status: int,
    verb: str,
    resource: str,
    expected_delays: list[float],
) -> None:
    rule = kubesim_server.admin.add_fault(
        verbs=[verb],
        resources=[resource],
        namespaces=[namespace],
        status=status,
        error_rate=1.0,
        retry_after=expected_delays[0],
        times=2,
    )
    engine = SyncEngine(port, MemoryOperationStore(), settings=Settings(), poll_interval=0.1)
    spec = spec_for("flaky", namespace)
    seen: list[StepResult] = []
    engine.start(spec, operation())
    result = run_operation(
        engine, spec, manifests("hooks-every-phase-succeed.yaml"), sleep=True, between=seen.append
    )
    assert result.phase == "Succeeded", result.message
    waits = [r for r in seen if f"HTTP {status}" in r.message]
    assert [r.next_step_delay for r in waits] == expected_delays, [r.message for r in seen]
    assert rule["id"] not in {r["id"] for r in kubesim_server.admin.faults()["rules"]}, (
        "the fault fired its 2 times"
    )
    assert result.state is not None and result.state.retry_count == 0, (
        "transient errors are not failed attempts"
    )


def test_failed_sync_is_retried_then_succeeds_once_the_cause_is_gone(
    port: KubeClusterPort, namespace: str
) -> None:
    engine = SyncEngine(port, MemoryOperationStore(), settings=Settings(), poll_interval=0.1)
    spec = spec_for(
        "retrying", namespace, {"retry": {"limit": 3, "backoff": {"duration": "1s", "factor": 1}}}
    )
    desired = manifests("waves-three-configmaps.yaml")
    desired[0]["metadata"]["namespace"] = f"{namespace}-later"  # missing namespace: the dry run fails
    engine.start(spec, operation())
    first = engine.step(spec, engine_inputs(engine, spec, desired))
    assert first.phase == "Running" and first.message.startswith("Retrying attempt #1 in 1s")
    port.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{namespace}-later"}},
        field_manager="test",
    )
    result = run_operation(engine, spec, desired, sleep=True)
    assert result.phase == "Succeeded", result.message
    assert result.state is not None and result.state.retry_count == 1


def engine_inputs(engine: SyncEngine, spec: Any, desired: list[dict[str, Any]]) -> Any:
    from .sync_support import inputs_from

    return inputs_from(engine.cluster, spec, desired)
