"""Simulated controllers over HTTP beyond workloads: PVC binding (and its failure switch), LoadBalancer
Services, HPAs, init containers and APIServices; controlling them through the admin endpoint and the
Python API from the test thread."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kubernetes import client
from kubesim_support import DELAY, fixture, wait_for

from kubesim.testing import KubesimServer


@pytest.fixture
def server(kubesim_factory: Callable[..., KubesimServer]) -> KubesimServer:
    return kubesim_factory(controller_delay=DELAY)


# ---- pure reconcilers ---------------------------------------------------------------------------------


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
