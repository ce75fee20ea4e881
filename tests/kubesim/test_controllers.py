"""Simulated controllers over HTTP: workloads progress to healthy status after the delay, the failure
switch makes them fail, and pausing keeps them progressing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from kubesim.controllers import is_failing
from kubesim.controllers.pods import job_status, pod_status
from kubesim.controllers.workloads import deployment_status
from kubesim.testing import KubesimServer

FIXTURES = Path(__file__).parent / "fixtures"
DELAY = 0.05


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return loaded


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s; last value: {value}")
        time.sleep(0.02)


def conditions(status: Any) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions or []}


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


# ---- over HTTP ----------------------------------------------------------------------------------------


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


def test_pvc_bound_and_load_balancers(server: KubesimServer) -> None:
    api_client = server.api_client()
    core = client.CoreV1Api(api_client)
    core.create_namespaced_persistent_volume_claim("default", fixture("pvc-bound.yaml"))
    core.create_namespaced_service("default", fixture("service-loadbalancer-gets-ingress.yaml"))
    pvc = wait_for(
        lambda: core.read_namespaced_persistent_volume_claim("data", "default").status,
        lambda s: s.phase == "Bound",
    )
    assert pvc.capacity == {"storage": "1Gi"}
    svc = wait_for(
        lambda: core.read_namespaced_service("public", "default").status,
        lambda s: bool(s.load_balancer.ingress),
    )
    assert svc.load_balancer.ingress[0].ip.startswith("172.18.255.")
    ingresses = server.dynamic_client().resources.get(api_version="networking.k8s.io/v1", kind="Ingress")
    ingresses.create(
        namespace="default",
        body={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web"},
            "spec": {
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "public", "port": {"number": 80}}},
                                }
                            ]
                        }
                    }
                ]
            },
        },
    )
    ingress = wait_for(
        lambda: ingresses.get(name="web", namespace="default").status,
        lambda s: bool(s and s.loadBalancer and s.loadBalancer.ingress),
    )
    assert ingress.loadBalancer.ingress[0].ip


def test_admin_controller_settings(server: KubesimServer) -> None:
    admin = server.admin
    state = admin.configure_controllers(delay=0.01)
    assert state["delay"] == 0.01 and state["paused"] is False
    with pytest.raises(Exception, match="delay"):
        admin.configure_controllers(delay=-1)
    assert admin.controllers()["delay"] == 0.01


def test_hpa_and_failing_pvc(server: KubesimServer) -> None:
    dynamic = server.dynamic_client()
    hpas = dynamic.resources.get(api_version="autoscaling/v2", kind="HorizontalPodAutoscaler")
    body = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "minReplicas": 2,
            "maxReplicas": 5,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        },
    }
    hpas.create(body=body, namespace="default")
    failing = {**body, "metadata": {"name": "broken", "annotations": {"kubesim.bosun.dev/fail": "true"}}}
    hpas.create(body=failing, namespace="default")
    healthy = wait_for(lambda: hpas.get(name="web", namespace="default").status, lambda s: bool(s.conditions))
    assert healthy.desiredReplicas == 2
    assert {c.type: c.status for c in healthy.conditions} == {
        "AbleToScale": "True",
        "ScalingActive": "True",
        "ScalingLimited": "False",
    }
    broken = wait_for(
        lambda: hpas.get(name="broken", namespace="default").status, lambda s: bool(s.conditions)
    )
    assert {c.type: c.reason for c in broken.conditions}["ScalingActive"] == "FailedGetResourceMetric"
    core = client.CoreV1Api(server.api_client())
    claim = fixture("pvc-bound.yaml")
    claim["metadata"] = {"name": "lost", "annotations": {"kubesim.bosun.dev/fail": "true"}}
    core.create_namespaced_persistent_volume_claim("default", claim)
    assert (
        wait_for(
            lambda: core.read_namespaced_persistent_volume_claim("lost", "default").status,
            lambda s: s.phase != "Pending",
        ).phase
        == "Lost"
    )


def test_init_containers_and_api_services(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    pod = fixture("pod-running.yaml")
    pod["metadata"]["name"] = "with-init"
    pod["spec"]["initContainers"] = [{"name": "setup", "image": "busybox:1.36"}]
    core.create_namespaced_pod("default", pod)
    running = wait_for(
        lambda: core.read_namespaced_pod("with-init", "default").status, lambda s: s.phase == "Running"
    )
    assert running.init_container_statuses[0].state.terminated.reason == "Completed"
    services = server.dynamic_client().resources.get(
        api_version="apiregistration.k8s.io/v1", kind="APIService"
    )
    services.create(
        body={
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1beta1.metrics.k8s.io"},
            "spec": {
                "group": "metrics.k8s.io",
                "version": "v1beta1",
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
                "service": {"name": "metrics-server", "namespace": "kube-system"},
            },
        }
    )
    status = wait_for(
        lambda: services.get(name="v1beta1.metrics.k8s.io").status, lambda s: bool(s and s.conditions)
    )
    assert (status.conditions[0].type, status.conditions[0].status, status.conditions[0].reason) == (
        "Available",
        "True",
        "Passed",
    )


def test_python_api_pauses_from_the_test_thread(server: KubesimServer) -> None:
    assert server.running is not None
    controllers = server.running.controllers
    controllers.pause()
    apps = client.AppsV1Api(server.api_client())
    apps.create_namespaced_deployment("default", fixture("deployment-healthy.yaml"))
    time.sleep(DELAY * 6)
    assert apps.read_namespaced_deployment("healthy-web", "default").status.conditions is None
    assert controllers.state()["paused"] is True
    controllers.resume()
    wait_for(
        lambda: apps.read_namespaced_deployment("healthy-web", "default").status,
        lambda s: bool(s and s.conditions),
    )
