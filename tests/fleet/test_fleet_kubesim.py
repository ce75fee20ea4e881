"""Fleet behaviour end to end: a management kubesim holding Applications, AppProjects and cluster
Secrets, three kubesim clusters (dev, staging, prod) registered through cluster Secrets, the real
compare and sync engine (tests/fleet/driver.py does what the worker's refresh and sync do)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from controlplane.kube import install_crds
from kubernetes import client as k8s

from gitops.dependencies import DEPENDS_ON_ANNOTATION

from .driver import FleetDriver

Obj = dict[str, Any]


@pytest.fixture
def fleet(kubesim_factory: Callable[..., Any]) -> Iterator[tuple[FleetDriver, dict[str, Any]]]:
    mgmt = kubesim_factory()
    install_crds(mgmt.kubeconfig)
    clusters = {name: kubesim_factory() for name in ("dev", "staging", "prod")}
    driver = FleetDriver(mgmt)
    for name, server in clusters.items():
        driver.add_cluster(name, server)
    yield driver, clusters
    driver.ports.close()


def configmaps(server: Any, namespace: str) -> list[str]:
    api: Any = k8s.CoreV1Api(server.api_client())
    return sorted(str(c.metadata.name) for c in api.list_namespaced_config_map(namespace).items)


def create_namespace(server: Any, name: str) -> None:
    api: Any = k8s.CoreV1Api(server.api_client())
    api.create_namespace({"metadata": {"name": name}})


def project(driver: FleetDriver, name: str, **spec: Any) -> None:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name},
        "spec": spec,
    }
    k8s.CustomObjectsApi(driver.registry.api.api_client).create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", driver.settings.namespace, "appprojects", body
    )


def conditions(status: Obj) -> dict[str, str]:
    return {c["type"]: c["message"] for c in status.get("conditions") or []}


def test_three_clusters_and_one_unreachable_while_the_others_keep_syncing(fleet: Any) -> None:
    driver, clusters = fleet
    destinations = {
        "dev": {"name": "dev"},
        "staging": {"server": clusters["staging"].url},
        "prod": {"name": "prod"},
    }
    for env, destination in destinations.items():
        create_namespace(clusters[env], "web")
        driver.create_app(f"web-{env}", {**destination, "namespace": "web"}, "configmap-one.yaml")
        assert driver.refresh(f"web-{env}")["sync"]["status"] == "OutOfSync"
        assert driver.sync(f"web-{env}") == (True, "Succeeded")
        assert driver.registry.application(f"web-{env}")["status"]["sync"]["status"] == "Synced"
    for env in destinations:
        assert configmaps(clusters[env], "web") == ["kube-root-ca.crt", "settings"] or configmaps(
            clusters[env], "web"
        ) == ["settings"]

    clusters["prod"].stop()
    for env in destinations:
        driver.registry.patch(
            f"web-{env}", {"metadata": {"annotations": {"fleet-test/manifests": "configmaps-two.yaml"}}}
        )
    prod = driver.refresh("web-prod")
    assert prod["sync"]["status"] == "Unknown"
    message = conditions(prod)["ComparisonError"]
    assert "cluster 'prod'" in message and "unreachable" in message
    started, reason = driver.sync("web-prod")
    assert not started and "unreachable" in reason
    for env in ("dev", "staging"):
        assert driver.refresh(f"web-{env}")["sync"]["status"] == "OutOfSync"
        assert driver.sync(f"web-{env}") == (True, "Succeeded")
        status = driver.registry.application(f"web-{env}")["status"]
        assert status["sync"]["status"] == "Synced" and "ComparisonError" not in conditions(status)
        assert "extra" in configmaps(clusters[env], "web")


def test_project_rejects_forbidden_destination_and_cluster_scoped_kind(fleet: Any) -> None:
    driver, clusters = fleet
    create_namespace(clusters["dev"], "team-web")
    project(driver, "team", sourceRepos=["https://git.example.com/team/*"],
            destinations=[{"name": "dev", "namespace": "team-*"}])  # fmt: skip
    driver.create_app(
        "to-prod", {"name": "prod", "namespace": "team-web"}, "configmap-one.yaml", project="team"
    )
    status = driver.refresh("to-prod")
    assert (
        "do not match any of the allowed destinations in project 'team'"
        in conditions(status)["InvalidSpecError"]
    )
    started, reason = driver.sync("to-prod", manual=True)
    assert not started and "allowed destinations" in reason
    assert configmaps(clusters["prod"], "default") in ([], ["kube-root-ca.crt"])

    driver.create_app(
        "with-role", {"name": "dev", "namespace": "team-web"}, "clusterrole-forbidden.yaml", project="team"
    )
    status = driver.refresh("with-role")
    role = next(r for r in status["resources"] if r["kind"] == "ClusterRole")
    assert role["status"] == "Unknown"
    assert "not permitted in project 'team'" in role["health"]["message"]
    started, reason = driver.sync("with-role", manual=True)
    assert not started and "nothing applied" in reason and "ClusterRole" in reason
    assert "settings" not in configmaps(clusters["dev"], "team-web")  # the permitted ConfigMap neither
    rbac: Any = k8s.RbacAuthorizationV1Api(clusters["dev"].api_client())
    assert "team-reader" not in [r.metadata.name for r in rbac.list_cluster_role().items]

    driver.create_app("ok", {"name": "dev", "namespace": "team-web"}, "configmap-one.yaml", project="team")
    driver.refresh("ok")
    assert driver.sync("ok", manual=True) == (True, "Succeeded")


def test_deny_window_blocks_automated_sync_and_allows_manual_with_manual_sync(fleet: Any) -> None:
    driver, clusters = fleet
    create_namespace(clusters["staging"], "shop")
    window = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["shop-*"]}
    project(driver, "frozen", sourceRepos=["*"], destinations=[{"server": "*", "namespace": "*"}],
            syncWindows=[{**window, "manualSync": True}])  # fmt: skip
    project(
        driver,
        "locked",
        sourceRepos=["*"],
        destinations=[{"server": "*", "namespace": "*"}],
        syncWindows=[window],
    )
    driver.create_app(
        "shop-a", {"name": "staging", "namespace": "shop"}, "configmap-one.yaml", project="frozen"
    )
    driver.create_app(
        "shop-b", {"name": "staging", "namespace": "shop"}, "configmaps-two.yaml", project="locked"
    )
    driver.refresh("shop-a")
    started, reason = driver.sync("shop-a", manual=False)
    assert not started and "sync denied by the active deny window" in reason
    assert configmaps(clusters["staging"], "shop") in ([], ["kube-root-ca.crt"])
    assert driver.sync("shop-a", manual=True) == (True, "Succeeded")
    assert "settings" in configmaps(clusters["staging"], "shop")
    started, reason = driver.sync("shop-b", manual=True)
    assert not started and "deny window" in reason


def test_dependency_chain_deploys_in_order_and_a_cycle_is_reported(fleet: Any) -> None:
    driver, clusters = fleet
    for name in ("web", "api", "db", "x", "y"):
        create_namespace(clusters["dev"], name)

    def dev(namespace: str) -> Obj:
        return {"name": "dev", "namespace": namespace}

    driver.create_app("web", dev("web"), "configmap-one.yaml", annotations={DEPENDS_ON_ANNOTATION: "api"})
    driver.create_app("api", dev("api"), "configmap-one.yaml", annotations={DEPENDS_ON_ANNOTATION: "db"})
    driver.create_app("db", dev("db"), "configmap-one.yaml")
    for name in ("db", "api", "web"):
        driver.refresh(name)
    assert "api (OutOfSync)" in conditions(driver.registry.application("web")["status"])["DependencyWaiting"]
    rounds = 0
    while len(driver.synced) < 3 and rounds < 5:  # a worker retries every app on each refresh cycle
        rounds += 1
        for name in ("web", "api", "db"):
            if name not in driver.synced:
                started, reason = driver.sync(name)
                assert started or "waiting for dependencies" in reason
    assert driver.synced == ["db", "api", "web"]
    assert "DependencyWaiting" not in conditions(driver.refresh("web"))

    driver.create_app("x", dev("x"), "configmap-one.yaml", annotations={DEPENDS_ON_ANNOTATION: "y"})
    driver.create_app("y", dev("y"), "configmap-one.yaml", annotations={DEPENDS_ON_ANNOTATION: "x"})
    status = driver.refresh("x")
    assert "dependency cycle x -> y -> x" in conditions(status)["InvalidSpecError"]
    started, reason = driver.sync("y", manual=True)
    assert not started and "dependency cycle y -> x -> y" in reason
