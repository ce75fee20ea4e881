"""Re-entrancy against kubesim: a step process SIGKILLed mid-operation and a second process finishing
it without creating anything twice; the operation timeout deleting running hooks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine
from gitops.sync.store import MemoryOperationStore

from .sync_support import FileOperationStore, manifests, operation, run_operation, spec_for

RUNNER = Path(__file__).with_name("sync_step_runner.py")
FIXTURE = "crash-resume-hooks-and-deployment.yaml"


@pytest.fixture
def port(kubesim_server: Any) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client())
    yield cluster
    cluster.close()


@pytest.fixture
def namespace(port: KubeClusterPort) -> str:
    name = f"crash-{uuid.uuid4().hex[:8]}"
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, field_manager="test")
    return name


def objects(port: KubeClusterPort, api_version: str, kind: str, namespace: str) -> list[dict[str, Any]]:
    return port.list(port.resource_for(api_version, kind), namespace)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def start_runner(kubesim_server: Any, store: Path, namespace: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(RUNNER),
            str(kubesim_server.kubeconfig),
            str(store),
            "crashy",
            namespace,
            FIXTURE,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize("kill_when", ["presync-hook-running", "deployment-applied"])
def test_a_killed_step_process_is_finished_by_another_without_duplicates(
    port: KubeClusterPort, namespace: str, kubesim_server: Any, tmp_path: Path, kill_when: str
) -> None:
    store = FileOperationStore(tmp_path / "operations.json")
    spec = spec_for("crashy", namespace)
    first_engine = SyncEngine(port, store, settings=Settings())
    first_engine.start(spec, operation())
    admin = kubesim_server.admin
    admin.pause_controllers()
    runner = start_runner(kubesim_server, tmp_path / "operations.json", namespace)
    try:
        wait_for(lambda: bool(objects(port, "batch/v1", "Job", namespace)))
        if kill_when == "deployment-applied":
            admin.resume_controllers()
            wait_for(lambda: bool(objects(port, "apps/v1", "Deployment", namespace)))
            admin.pause_controllers()
        time.sleep(0.3)  # a few more steps: the process is mid-operation, saving state as it goes
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    assert runner.returncode == -signal.SIGKILL
    presync_uid = next(
        j["metadata"]["uid"]
        for j in objects(port, "batch/v1", "Job", namespace)
        if j["metadata"]["name"].startswith("migrate-")
    )
    state = store.load("crashy")
    assert state is not None and state.phase == "Running", "the killed process left the operation unfinished"
    admin.resume_controllers()
    second_engine = SyncEngine(port, store, settings=Settings(), poll_interval=0.1)
    result = run_operation(second_engine, spec, manifests(FIXTURE), sleep=True)
    assert result.phase == "Succeeded", result.message
    jobs = objects(port, "batch/v1", "Job", namespace)
    migrate = [j for j in jobs if j["metadata"]["name"].startswith("migrate-")]
    report = [j for j in jobs if j["metadata"]["name"].startswith("report-")]
    assert len(migrate) == 1 and migrate[0]["metadata"]["uid"] == presync_uid, "the PreSync hook ran once"
    assert len(report) == 1, "the PostSync hook ran once"
    assert [d["metadata"]["name"] for d in objects(port, "apps/v1", "Deployment", namespace)] == ["crash-web"]
    assert "crash-config" in {c["metadata"]["name"] for c in objects(port, "v1", "ConfigMap", namespace)}
    assert len(store.history("crashy")) == 1


def test_operation_timeout_deletes_running_hooks(
    port: KubeClusterPort, namespace: str, kubesim_server: Any
) -> None:
    kubesim_server.admin.pause_controllers()
    engine = SyncEngine(
        port, MemoryOperationStore(), settings=Settings(sync_timeout_seconds=2), poll_interval=0.2
    )
    spec = spec_for("slow", namespace)
    engine.start(spec, operation())
    result = run_operation(engine, spec, manifests("presync-job-never-finishes.yaml"), sleep=True)
    assert result.phase == "Failed" and "timed out after 2s" in result.message
    assert objects(port, "batch/v1", "Job", namespace) == [], "the running hook was deleted"
    assert "after-migration" not in {
        c["metadata"]["name"] for c in objects(port, "v1", "ConfigMap", namespace)
    }
    assert result.state is not None
    hook = next(r for r in result.state.sync_result.resources if r.name == "slow-migration")
    assert hook.hook_phase == "Failed"
