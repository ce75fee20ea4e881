"""Health of every kind through kubesim's simulated controllers (Healthy, Degraded via the failure
switch, Suspended), read back over HTTP. Fixtures in fixtures/live-health are named `<case>-<expected>`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.cluster.kube import KubeClusterPort
from gitops.compare import compare_app
from gitops.health import Health, HealthStatus, assess
from kubesim.testing import KubesimServer

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "live-health").glob("*.yaml"))
EXPECTED = {
    "healthy": HealthStatus.HEALTHY,
    "progressing": HealthStatus.PROGRESSING,
    "degraded": HealthStatus.DEGRADED,
    "suspended": HealthStatus.SUSPENDED,
    "none": None,
}
DEADLINE_SECONDS = 20.0


@pytest.fixture
def namespaced_port(kubesim_session: KubesimServer) -> Iterator[tuple[KubeClusterPort, str]]:
    port = KubeClusterPort(kubesim_session.api_client(), cluster="kubesim")
    namespace = f"h-{uuid.uuid4().hex[:10]}"
    port.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, field_manager="test"
    )
    yield port, namespace
    port.close()


def wait_for_health(
    port: KubeClusterPort, obj: dict[str, Any], expected: HealthStatus | None
) -> Health | None:
    info = port.resource_for(obj["apiVersion"], obj["kind"])
    deadline = time.monotonic() + DEADLINE_SECONDS
    health: Health | None = None
    while time.monotonic() < deadline:
        live = port.get(info, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        health = assess(live) if live else None
        if (health.status if health else None) == expected:
            return health
        time.sleep(0.1)
    return health


def placed(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """Namespaced objects go to the test's namespace; cluster-scoped API groups get a unique prefix."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "CustomResourceDefinition":
        spec["group"] = f"{namespace}.{spec['group']}"
        obj["metadata"]["name"] = f"{spec['names']['plural']}.{spec['group']}"
    elif obj["kind"] == "APIService":
        spec["group"] = f"{namespace}.{spec['group']}"
        obj["metadata"]["name"] = f"{spec['version']}.{spec['group']}"
    else:
        obj["metadata"]["namespace"] = namespace
    return obj


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_kind_reaches_the_health_its_name_says(
    namespaced_port: tuple[KubeClusterPort, str], path: Path
) -> None:
    port, namespace = namespaced_port
    obj = placed(yaml.safe_load(path.read_text()), namespace)
    expected = EXPECTED[path.stem.rsplit("-", 1)[1]]
    port.apply(obj, field_manager="bosun")
    health = wait_for_health(port, obj, expected)
    assert (health.status if health else None) == expected, f"{path.stem}: {health}"


def test_workload_is_progressing_while_controllers_are_paused(kubesim_server: KubesimServer) -> None:
    port = KubeClusterPort(kubesim_server.api_client(), cluster="kubesim")
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}, field_manager="test")
    kubesim_server.admin.pause_controllers()
    deployment = yaml.safe_load((FIXTURES[0].parent / "deployment-healthy.yaml").read_text())
    deployment["metadata"]["namespace"] = "prod"
    port.apply(deployment, field_manager="bosun")
    time.sleep(0.3)
    live = port.get(port.resource_for("apps/v1", "Deployment"), "prod", "web")
    health = assess(live or {})
    assert health is not None and health.status == HealthStatus.PROGRESSING
    kubesim_server.admin.resume_controllers()
    assert wait_for_health(port, deployment, HealthStatus.HEALTHY) == Health(
        HealthStatus.HEALTHY, 'deployment "web" successfully rolled out'
    )
    port.close()


def test_app_health_is_the_worst_resource_and_skips_ignored_ones(
    namespaced_port: tuple[KubeClusterPort, str],
) -> None:
    port, namespace = namespaced_port
    good = yaml.safe_load((FIXTURES[0].parent / "deployment-healthy.yaml").read_text())
    bad = yaml.safe_load((FIXTURES[0].parent / "deployment-failing-degraded.yaml").read_text())
    desired = [good, bad]
    for resource in compare_app(port, "health-app", desired, destination_namespace=namespace).resources:
        assert resource.target is not None
        port.apply(resource.target, field_manager="bosun", force=True)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        result = compare_app(port, "health-app", desired, destination_namespace=namespace)
        if result.health.status == HealthStatus.DEGRADED:
            break
        time.sleep(0.2)
    assert result.health.status == HealthStatus.DEGRADED and result.health.message.startswith(
        "Deployment/broken"
    )
    bad["metadata"]["annotations"]["argocd.argoproj.io/ignore-healthcheck"] = "true"
    for resource in compare_app(port, "health-app", desired, destination_namespace=namespace).resources:
        assert resource.target is not None
        port.apply(resource.target, field_manager="bosun", force=True)
    assert compare_app(port, "health-app", desired, destination_namespace=namespace).health == Health(
        HealthStatus.HEALTHY
    )


APPLICATION_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "applications.argoproj.io"},
    "spec": {
        "group": "argoproj.io",
        "scope": "Namespaced",
        "names": {
            "plural": "applications",
            "singular": "application",
            "kind": "Application",
            "listKind": "ApplicationList",
        },
        "versions": [
            {
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


def test_child_application_health_is_read_from_its_status(kubesim_server: KubesimServer) -> None:
    """App of apps: the parent sees each child Application's own health, written to its status."""
    port = KubeClusterPort(kubesim_server.api_client(), cluster="kubesim")
    port.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bosun"}}, field_manager="test")
    port.apply(APPLICATION_CRD, field_manager="test")
    port.refresh_discovery()
    info = port.resource_for("argoproj.io/v1alpha1", "Application")
    child = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "child", "namespace": "bosun"},
        "spec": {"project": "default"},
    }
    port.apply(child, field_manager="bosun")
    assert assess(port.get(info, "bosun", "child") or {}) == Health(
        HealthStatus.PROGRESSING, "Waiting for the child application to report its health"
    )
    dynamic = kubesim_server.dynamic_client()
    for reported in (
        {"status": "Degraded", "message": "Deployment/web: exceeded its progress deadline"},
        {"status": "Healthy", "message": None},  # merge patch: null removes the old message
    ):
        dynamic.request(
            "PATCH",
            "/apis/argoproj.io/v1alpha1/namespaces/bosun/applications/child/status",
            body={"status": {"health": reported}},
            content_type="application/merge-patch+json",
        )
        assert assess(port.get(info, "bosun", "child") or {}) == Health(
            HealthStatus(str(reported["status"])), reported["message"] or ""
        )
    port.close()
