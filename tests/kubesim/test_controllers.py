"""Simulated controllers over HTTP: workloads progress to healthy status after the delay, the failure
switch makes them fail, and pausing keeps them progressing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kubernetes import client
from kubesim_support import DELAY, conditions, fixture, wait_for

from kubesim.controllers import is_failing
from kubesim.controllers.pods import job_status, pod_status
from kubesim.controllers.workloads import deployment_status
from kubesim.testing import KubesimServer


@pytest.fixture
def server(kubesim_factory: Callable[..., KubesimServer]) -> KubesimServer:
    return kubesim_factory(controller_delay=DELAY)


# ---- pure reconcilers ---------------------------------------------------------------------------------


def test_failure_switch() -> None:
    assert is_failing(fixture("deployment-failing-by-annotation.yaml"))
    assert is_failing(fixture("deployment-failing-by-image.yaml"))
    assert is_failing(fixture("pod-crashloop-by-image.yaml"))
    assert not is_failing(fixture("deployment-healthy.yaml"))


def test_reconcilers_are_idempotent_so_the_loop_settles() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["metadata"]["generation"] = 1
    dep["status"] = deployment_status(dep, True, "2026-01-01T00:00:00Z")
    assert deployment_status(dep, True, "2026-01-01T00:00:09Z") == dep["status"]
    pod = fixture("pod-running.yaml")
    pod["status"] = pod_status(pod, True, "2026-01-01T00:00:00Z")
    assert pod_status(pod, True, "2026-01-01T00:00:00Z") == pod["status"]
    job = fixture("job-completes.yaml")
    job["status"] = job_status(job, True, "2026-01-01T00:00:00Z")
    assert job_status(job, True, "2026-01-01T00:00:05Z") is None  # finished jobs stay finished


def test_in_progress_rendering() -> None:
    dep = fixture("deployment-healthy.yaml")
    status = deployment_status(dep, False, "2026-01-01T00:00:00Z")
    assert status is not None
    assert {c["type"]: c["reason"] for c in status["conditions"]} == {
        "Available": "MinimumReplicasUnavailable",
        "Progressing": "ReplicaSetUpdated",
    }


def test_deployment_becomes_available(server: KubesimServer) -> None:
    apps = client.AppsV1Api(server.api_client())
    created = apps.create_namespaced_deployment("default", fixture("deployment-healthy.yaml"))
    assert created.status is None or created.status.observed_generation is None
    done = wait_for(
        lambda: apps.read_namespaced_deployment_status("healthy-web", "default").status,
        lambda s: s is not None and bool(s.conditions),
    )
    assert (
        done.observed_generation,
        done.replicas,
        done.updated_replicas,
        done.ready_replicas,
        done.available_replicas,
    ) == (1, 3, 3, 3, 3)
    assert conditions(done) == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }
    apps.patch_namespaced_deployment_scale("healthy-web", "default", {"spec": {"replicas": 5}})
    scaled = wait_for(
        lambda: apps.read_namespaced_deployment("healthy-web", "default").status,
        lambda s: s.observed_generation == 2,
    )
    assert scaled.available_replicas == 5


@pytest.mark.parametrize(
    "name", ["deployment-failing-by-annotation.yaml", "deployment-failing-by-image.yaml"]
)
def test_deployment_failure_switch(server: KubesimServer, name: str) -> None:
    apps = client.AppsV1Api(server.api_client())
    body = fixture(name)
    apps.create_namespaced_deployment("default", body)
    done = wait_for(
        lambda: apps.read_namespaced_deployment(body["metadata"]["name"], "default").status,
        lambda s: bool(s and s.conditions),
    )
    assert conditions(done) == {
        "Available": ("False", "MinimumReplicasUnavailable"),
        "Progressing": ("False", "ProgressDeadlineExceeded"),
    }
    assert done.ready_replicas is None


def test_paused_controllers_keep_a_deployment_progressing(server: KubesimServer) -> None:
    apps = client.AppsV1Api(server.api_client())
    admin = server.admin
    assert admin.pause_controllers()["paused"] is True
    apps.create_namespaced_deployment("default", fixture("deployment-healthy.yaml"))
    time.sleep(DELAY * 6)
    assert apps.read_namespaced_deployment("healthy-web", "default").status.observed_generation is None
    assert admin.resume_controllers()["paused"] is False
    wait_for(
        lambda: apps.read_namespaced_deployment("healthy-web", "default").status,
        lambda s: bool(s and s.conditions),
    )


def test_paused_deployment_spec_reports_paused(server: KubesimServer) -> None:
    apps = client.AppsV1Api(server.api_client())
    body = fixture("deployment-healthy.yaml")
    body["spec"]["paused"] = True
    apps.create_namespaced_deployment("default", body)
    done = wait_for(
        lambda: apps.read_namespaced_deployment("healthy-web", "default").status,
        lambda s: bool(s and s.conditions),
    )
    assert conditions(done)["Progressing"] == ("Unknown", "DeploymentPaused")


def test_statefulset_daemonset_replicaset(server: KubesimServer) -> None:
    apps = client.AppsV1Api(server.api_client())
    apps.create_namespaced_stateful_set("default", fixture("statefulset-healthy.yaml"))
    apps.create_namespaced_daemon_set("default", fixture("daemonset-healthy.yaml"))
    rs = fixture("deployment-failing-by-image.yaml")
    rs["kind"] = "ReplicaSet"
    rs["metadata"]["name"] = "failing-rs"
    apps.create_namespaced_replica_set("default", rs)
    sts = wait_for(
        lambda: apps.read_namespaced_stateful_set("db", "default").status,
        lambda s: bool(s and s.ready_replicas),
    )
    assert (sts.replicas, sts.ready_replicas, sts.updated_replicas, sts.available_replicas) == (2, 2, 2, 2)
    assert sts.current_revision == sts.update_revision and sts.observed_generation == 1
    ds = wait_for(
        lambda: apps.read_namespaced_daemon_set("agent", "default").status,
        lambda s: bool(s and s.number_ready),
    )
    assert (ds.desired_number_scheduled, ds.number_available, ds.updated_number_scheduled) == (1, 1, 1)
    failed = wait_for(
        lambda: apps.read_namespaced_replica_set("failing-rs", "default").status,
        lambda s: bool(s and s.conditions),
    )
    assert failed.conditions[0].type == "ReplicaFailure" and not failed.ready_replicas


def test_jobs_complete_or_fail(server: KubesimServer) -> None:
    batch = client.BatchV1Api(server.api_client())
    batch.create_namespaced_job("default", fixture("job-completes.yaml"))
    batch.create_namespaced_job("default", fixture("job-fails-by-image.yaml"))
    done = wait_for(
        lambda: batch.read_namespaced_job_status("completes", "default").status,
        lambda s: bool(s and s.conditions),
    )
    assert conditions(done)["Complete"] == ("True", "CompletionsReached")
    assert done.succeeded == 1 and done.completion_time is not None
    failed = wait_for(
        lambda: batch.read_namespaced_job_status("fails", "default").status,
        lambda s: bool(s and s.conditions),
    )
    assert conditions(failed)["Failed"] == ("True", "BackoffLimitExceeded")
    assert failed.failed == 3


def test_pods(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    for name in ("pod-running.yaml", "pod-never-restart-succeeds.yaml", "pod-crashloop-by-image.yaml"):
        core.create_namespaced_pod("default", fixture(name))
    running = wait_for(
        lambda: core.read_namespaced_pod("running", "default").status, lambda s: s.phase == "Running"
    )
    assert conditions(running)["Ready"][0] == "True"
    assert running.container_statuses[0].ready and running.container_statuses[0].state.running is not None
    succeeded = wait_for(
        lambda: core.read_namespaced_pod("succeeds", "default").status, lambda s: s.phase == "Succeeded"
    )
    assert succeeded.container_statuses[0].state.terminated.reason == "Completed"
    crashing = wait_for(
        lambda: core.read_namespaced_pod("crashloop", "default").status, lambda s: bool(s.container_statuses)
    )
    assert crashing.phase == "Running"
    assert crashing.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert conditions(crashing)["Ready"] == ("False", "ContainersNotReady")
