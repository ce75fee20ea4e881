"""The re-entrant engine against the in-memory port double: one (phase, wave) per step, hooks,
failure and SyncFail, retry, timeout, terminate, transient errors, crash-repeat safety."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gitops.cluster.memory import MemoryClusterPort
from gitops.errors import ClusterError, SyncError
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine
from gitops.sync.store import MemoryOperationStore

from .sync_support import (
    RecordingPort,
    inputs_from,
    manifests,
    operation,
    run_operation,
    simulate_controllers,
    spec_for,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def memory() -> MemoryClusterPort:
    return MemoryClusterPort()


def make_engine(cluster: Any, clock: Clock | None = None, passes: int = 1, **settings: Any) -> SyncEngine:
    """An engine doing one pass per step (`passes`), so each test sees the state machine pass by pass."""
    return SyncEngine(
        cluster,
        MemoryOperationStore(),
        settings=Settings(**settings),
        poll_interval=0.0,
        clock=clock or Clock(),
        passes_per_step=passes,
    )


def test_one_wave_per_step_in_order(memory: MemoryClusterPort) -> None:
    port = RecordingPort(memory)
    engine = make_engine(port)
    spec = spec_for("demo", "apps")
    desired = manifests("waves-three-configmaps.yaml")
    engine.start(spec, operation())
    seen = []
    for _ in range(10):
        result = engine.step(spec, inputs_from(port, spec, desired))
        seen.append(list(port.writes))
        if result.finished:
            break
    assert result.phase == "Succeeded", result.message
    assert seen[0] == [("apply", "ConfigMap", "c-early")]
    assert seen[1] == [("apply", "ConfigMap", "c-early"), ("apply", "ConfigMap", "b-middle")]
    assert [w[2] for w in port.writes] == ["c-early", "b-middle", "a-late"]
    state = result.state
    assert state is not None and {r.status for r in state.sync_result.resources} == {"Synced"}
    assert len(engine.store.history("demo")) == 1


def test_presync_failure_stops_before_sync_and_runs_syncfail(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    result = run_operation(
        engine, spec, manifests("presync-job-fails.yaml"), between=lambda _: simulate_controllers(memory)
    )
    assert result.phase == "Failed"
    assert "migrate-" in result.message
    kinds = {(k[1], k[3]) for k in memory.objects}
    assert ("ConfigMap", "app-config") not in kinds, "the Sync phase never ran"
    assert ("Job", "on-failure") in kinds, "the SyncFail hook ran"
    assert result.state is not None
    phases = {r.name: (r.hook_phase, r.sync_phase) for r in result.state.sync_result.resources}
    assert phases["on-failure"] == ("Succeeded", "SyncFail")
    assert engine.store.history("demo") == []


def test_hooks_all_phases_and_delete_policy(memory: MemoryClusterPort) -> None:
    port = RecordingPort(memory)
    engine = make_engine(port)
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    result = run_operation(
        engine,
        spec,
        manifests("hooks-every-phase-succeed.yaml"),
        between=lambda _: simulate_controllers(memory),
    )
    assert result.phase == "Succeeded", result.message
    creates = [w[2] for w in port.writes if w[0] in ("create", "apply")]
    assert creates == ["pre", "settings", "during", "post"]
    assert ("delete", "Job", "post") in port.writes, "HookSucceeded deletes the PostSync hook"
    names = {k[3] for k in memory.objects}
    assert "post" not in names and {"pre", "during", "settings"} <= names and "never-applied" not in names


def test_repeating_a_step_after_a_crash_creates_nothing_twice(memory: MemoryClusterPort) -> None:
    port = RecordingPort(memory)
    engine = make_engine(port)
    spec = spec_for("demo", "apps")
    desired = manifests("postsync-after-healthy-deployment.yaml")
    engine.start(spec, operation())
    for _ in range(30):
        before = engine.store.load("demo")
        result = engine.step(spec, inputs_from(port, spec, desired))
        simulate_controllers(memory)
        if result.finished:
            break
        # Crash: the step's writes happened but its state save is lost; another process repeats it.
        assert before is not None
        engine.store.save("demo", before)
        again = engine.step(spec, inputs_from(port, spec, desired))
        assert again.phase == result.phase
    assert result.phase == "Succeeded", result.message
    creates = [w for w in port.writes if w[0] == "create"]
    assert len(creates) == 1 and creates[0][2].startswith("smoke-test-"), port.writes


def test_failed_apply_is_retried_with_backoff_then_fails(memory: MemoryClusterPort) -> None:
    clock = Clock()
    engine = make_engine(memory, clock)
    spec = spec_for("demo", "apps", {"retry": {"limit": 2, "backoff": {"duration": "5s", "factor": 2}}})
    desired = manifests("waves-three-configmaps.yaml")
    original_apply = memory.apply

    def rejecting(obj: dict, **kw: Any) -> dict:
        if obj["metadata"]["name"] == "b-middle":
            raise ClusterError("field is immutable", target="ConfigMap b-middle", code=422, reason="Invalid")
        return original_apply(obj, **kw)

    memory.apply = rejecting  # type: ignore[method-assign]
    engine.start(spec, operation())
    delays = []
    for _ in range(20):
        result = engine.step(spec, inputs_from(memory, spec, desired))
        if result.finished:
            break
        if result.next_step_delay:
            delays.append(result.next_step_delay)
            clock.advance(result.next_step_delay)
    assert result.phase == "Failed" and "b-middle" in result.message
    assert result.state is not None and result.state.retry_count == 2
    assert delays == [5, 10]


def test_timeout_terminates_and_deletes_running_hooks(memory: MemoryClusterPort) -> None:
    clock = Clock()
    engine = make_engine(memory, clock, sync_timeout_seconds=30)
    spec = spec_for("demo", "apps")
    desired = manifests("hooks-every-phase-succeed.yaml")
    engine.start(spec, operation())
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.phase == "Running" and ("batch", "Job", "apps", "pre") in memory.objects
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert "waiting for completion of hook Job/pre" in result.message
    clock.advance(31)
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.finished and result.phase == "Failed" and "timed out after 30s" in result.message
    assert not any(k[3] == "pre" for k in memory.objects), "the running hook was deleted"


def test_timeout_counts_from_operation_start_through_retry_backoff(memory: MemoryClusterPort) -> None:
    """Retries never extend the timeout, and it is checked before waiting out a retry backoff."""
    clock = Clock()
    engine = make_engine(memory, clock, sync_timeout_seconds=30)
    spec = spec_for("demo", "apps", {"retry": {"limit": 10, "backoff": {"duration": "20s", "factor": 1}}})
    desired = manifests("waves-three-configmaps.yaml")

    def rejecting(obj: dict, **kw: Any) -> dict:
        raise ClusterError("field is immutable", target="ConfigMap", code=422, reason="Invalid")

    memory.apply = rejecting  # type: ignore[method-assign]
    engine.start(spec, operation())
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.phase == "Running" and result.next_step_delay == 20, result.message  # retry #1 in 20 s
    clock.advance(20)
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.phase == "Running" and result.next_step_delay == 20, result.message  # retry #2 in 20 s
    clock.advance(11)  # 31 s after the start, still inside retry #2's backoff
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.finished and result.phase == "Failed" and "timed out after 30s" in result.message
    assert engine.expire(spec) is None  # already over: nothing left to expire


def test_expire_terminates_without_step_inputs(memory: MemoryClusterPort) -> None:
    clock = Clock()
    engine = make_engine(memory, clock, sync_timeout_seconds=30)
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    assert engine.expire(spec) is None
    clock.advance(31)
    result = engine.expire(spec)
    assert result is not None and result.phase == "Failed" and "timed out after 30s" in result.message


def test_terminate_on_request(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    desired = manifests("hooks-every-phase-succeed.yaml")
    engine.start(spec, operation())
    engine.step(spec, inputs_from(memory, spec, desired))
    assert engine.request_termination("demo")
    result = engine.step(spec, inputs_from(memory, spec, desired))
    assert result.phase == "Failed" and "terminated" in result.message
    assert not any(k[3] == "pre" for k in memory.objects)
    assert not engine.request_termination("demo")


def test_throttling_waits_retry_after_without_failing(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    desired = manifests("waves-three-configmaps.yaml")
    original_apply = memory.apply
    failures = [ClusterError("throttled", code=429, retry_after=3), ClusterError("unavailable", code=503)]

    def flaky(obj: dict, **kw: Any) -> dict:
        if failures and not kw.get("dry_run"):
            raise failures.pop(0)
        return original_apply(obj, **kw)

    memory.apply = flaky  # type: ignore[method-assign]
    engine.start(spec, operation())
    first = engine.step(spec, inputs_from(memory, spec, desired))
    assert first.phase == "Running" and first.next_step_delay == 3 and "429" in first.message
    second = engine.step(spec, inputs_from(memory, spec, desired))
    assert second.next_step_delay == 2 and "503" in second.message, (
        "second consecutive transient error: 1 s * 2^1"
    )
    assert run_operation(engine, spec, desired).phase == "Succeeded"


def test_dry_run_changes_nothing_and_dry_run_errors_fail_the_operation(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    desired = manifests("waves-three-configmaps.yaml")
    engine.start(spec, operation(dry_run=True))
    result = run_operation(engine, spec, desired)
    assert result.phase == "Succeeded" and "dry run" in result.message and memory.objects == {}
    assert engine.store.history("demo") == []
    broken = [
        *copy.deepcopy(desired),
        {"apiVersion": "nope.example/v1", "kind": "Thing", "metadata": {"name": "t"}},
    ]
    engine.start(spec, operation())
    result = run_operation(engine, spec, broken)
    assert result.phase == "Failed" and "dry run" in result.message and memory.objects == {}


def test_start_refuses_while_an_operation_runs(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    with pytest.raises(SyncError, match="in progress"):
        engine.start(spec, operation())


def test_finish_repeated_for_one_operation_records_one_history_entry() -> None:
    from gitops.model.history import history_entry_for
    from gitops.model.operation import OperationState

    store = MemoryOperationStore()
    state = OperationState(
        phase="Succeeded", started_at="2026-01-01T00:00:00Z", finished_at="2026-01-01T00:00:01Z"
    )
    state.operation.sync.revision = "r1"
    state.bosun["operationId"] = "op-1"
    for _ in range(2):
        store.finish("demo", state, history_entry_for(state, store.history("demo")), 10)
    assert [h.id for h in store.history("demo")] == [0]
    other = OperationState.from_dict(state.to_dict())
    other.bosun["operationId"] = "op-2"  # same revision, same second: still a separate deploy
    store.finish("demo", other, history_entry_for(other, store.history("demo")), 10)
    assert [h.id for h in store.history("demo")] == [0, 1]


def test_termination_requested_during_a_step_is_not_overwritten(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    desired = manifests("hooks-every-phase-succeed.yaml")
    engine.start(spec, operation())
    original_get = memory.get

    def get_then_terminate(*args: Any, **kw: Any) -> Any:
        engine.request_termination("demo")  # another process asks while this step runs
        return original_get(*args, **kw)

    engine.step(spec, inputs_from(memory, spec, desired))
    memory.get = get_then_terminate  # type: ignore[method-assign]
    during = engine.step(spec, inputs_from(memory, spec, desired))
    assert during.phase == "Terminating"
    memory.get = original_get  # type: ignore[method-assign]
    assert engine.step(spec, inputs_from(memory, spec, desired)).phase == "Failed"


def test_unexpected_error_ends_in_phase_error(memory: MemoryClusterPort) -> None:
    engine = make_engine(memory)
    spec = spec_for("demo", "apps")

    def broken(*args: Any, **kw: Any) -> Any:
        raise KeyError("surprise")

    memory.apply = broken  # type: ignore[method-assign]
    engine.start(spec, operation())
    result = engine.step(spec, inputs_from(memory, spec, manifests("waves-three-configmaps.yaml")))
    assert result.finished and result.phase == "Error" and "KeyError" in result.message


def test_selective_sync_applies_and_prunes_only_the_selection(memory: MemoryClusterPort) -> None:
    from gitops.model.operation import SelectedResource
    from gitops.tracking import KindRef

    engine = make_engine(memory)
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    assert run_operation(engine, spec, manifests("prune-waves-three-configmaps.yaml")).phase == "Succeeded"
    desired = manifests("hooks-every-phase-succeed.yaml")  # w0..w2 and keep are gone from Git
    selected = [
        SelectedResource("", "ConfigMap", "settings"),
        SelectedResource("", "ConfigMap", "w1", "apps"),
    ]
    engine.start(spec, operation(prune=True, resources=selected))
    result = run_operation(engine, spec, desired, extra_kinds=[KindRef("v1", "ConfigMap")])
    assert result.phase == "Succeeded" and result.state is not None
    assert sorted((r.name, r.status) for r in result.state.sync_result.resources) == [
        ("settings", "Synced"),
        ("w1", "Pruned"),
    ]
    names = {k[3] for k in memory.objects}
    assert {"w0", "w2", "keep", "settings"} <= names and "w1" not in names and "pre" not in names
    assert len(engine.store.history("demo")) == 1, "a selective sync is not a deploy of the revision"


def test_next_step_delay_is_zero_when_nothing_needs_waiting_for(memory: MemoryClusterPort) -> None:
    engine = SyncEngine(
        memory,
        MemoryOperationStore(),
        settings=Settings(),
        poll_interval=1.5,
        clock=Clock(),
        passes_per_step=1,
    )
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    configmaps_only = engine.step(spec, inputs_from(memory, spec, manifests("waves-three-configmaps.yaml")))
    assert configmaps_only.phase == "Running" and configmaps_only.next_step_delay == 0
    other = spec_for("web", "apps")
    engine.start(other, operation())
    deployment = engine.step(
        other, inputs_from(memory, other, manifests("postsync-after-healthy-deployment.yaml"))
    )
    assert deployment.next_step_delay == 1.5, "a Deployment has health: poll for it"


def test_waves_without_health_go_in_one_step_and_a_health_wait_ends_it(memory: MemoryClusterPort) -> None:
    port = RecordingPort(memory)
    engine = SyncEngine(port, MemoryOperationStore(), settings=Settings(), poll_interval=1.5, clock=Clock())
    spec = spec_for("demo", "apps")
    engine.start(spec, operation())
    result = engine.step(spec, inputs_from(port, spec, manifests("waves-three-configmaps.yaml")))
    assert result.phase == "Succeeded", result.message  # three waves, each pass after the one before
    assert [w[2] for w in port.writes] == ["c-early", "b-middle", "a-late"]
    other = spec_for("web", "apps")
    engine.start(other, operation())
    deployment = engine.step(
        other, inputs_from(port, other, manifests("postsync-after-healthy-deployment.yaml"))
    )
    assert deployment.phase == "Running" and deployment.next_step_delay == 1.5
    assert not any(w[2].startswith("smoke-test-") for w in port.writes), "PostSync waits for the Deployment"
