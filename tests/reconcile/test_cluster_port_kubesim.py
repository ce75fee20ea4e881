"""KubeClusterPort against kubesim over HTTP: discovery, reads, writes, dry-run, errors and call counting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gitops.cluster import kube
from gitops.cluster.kube import KubeClusterPort
from gitops.cluster.port import ClusterPort, ResourceInfo
from gitops.errors import ClusterError
from kubesim.testing import KubesimServer


@pytest.fixture
def port(kubesim_server: KubesimServer) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client(), field_manager="bosun", cluster="kubesim")
    cluster.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}, field_manager="bosun"
    )
    yield cluster
    cluster.close()


def configmap(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "prod", "labels": labels or {}},
        "data": data,
    }


def test_is_a_cluster_port(port: KubeClusterPort) -> None:
    assert isinstance(port, ClusterPort)
    assert port.server_version().startswith("v1.")


def test_discovery_resolves_builtin_kinds_and_is_cached(port: KubeClusterPort) -> None:
    assert port.resource_for("apps/v1", "Deployment") == ResourceInfo(
        "apps", "v1", "Deployment", "deployments", True
    )
    assert port.resource_for("v1", "Namespace") == ResourceInfo("", "v1", "Namespace", "namespaces", False)
    assert port.resource_for("rbac.authorization.k8s.io/v1", "ClusterRole").namespaced is False
    port.calls.reset()
    for _ in range(5):
        port.resource_for("apps/v1", "Deployment")
    assert port.calls.total == 0


def test_unknown_kind_is_a_cluster_error_until_discovery_is_refreshed(port: KubeClusterPort) -> None:
    with pytest.raises(ClusterError) as caught:
        port.resource_for("example.com/v1", "Widget")
    assert (
        caught.value.code == 404
        and "Widget" in str(caught.value)
        and "CustomResourceDefinition" in str(caught.value)
    )
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    port.apply(crd, field_manager="bosun")
    port.refresh_discovery()
    assert port.resource_for("example.com/v1", "Widget") == ResourceInfo(
        "example.com", "v1", "Widget", "widgets", True
    )


def test_list_by_label_selector_across_namespaces_with_pagination(
    port: KubeClusterPort, monkeypatch: pytest.MonkeyPatch
) -> None:
    port.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "staging"}}, field_manager="bosun"
    )
    for index in range(5):
        port.apply(configmap(f"mine-{index}", {"bosun.dev/app": "a"}), field_manager="bosun")
    other = configmap("other", {"bosun.dev/app": "b"})
    port.apply(other, field_manager="bosun")
    elsewhere = configmap("mine-staging", {"bosun.dev/app": "a"})
    elsewhere["metadata"]["namespace"] = "staging"
    port.apply(elsewhere, field_manager="bosun")
    monkeypatch.setattr(kube, "LIST_PAGE_SIZE", 2)
    info = port.resource_for("v1", "ConfigMap")
    port.calls.reset()
    found = port.list(info, label_selector="bosun.dev/app=a")
    assert sorted(obj["metadata"]["name"] for obj in found) == [
        *(f"mine-{i}" for i in range(5)),
        "mine-staging",
    ]
    assert all(obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1" for obj in found)
    assert port.calls.snapshot() == {"list": 1}  # one logical LIST, however many pages
    assert [obj["metadata"]["name"] for obj in port.list(info, "staging", "bosun.dev/app=a")] == [
        "mine-staging"
    ]


def test_get_returns_none_when_absent(port: KubeClusterPort) -> None:
    info = port.resource_for("v1", "ConfigMap")
    assert port.get(info, "prod", "nope") is None
    port.apply(configmap("here", x="1"), field_manager="bosun")
    live = port.get(info, "prod", "here")
    assert live is not None and live["data"] == {"x": "1"} and live["kind"] == "ConfigMap"


def test_apply_dry_run_stores_nothing_and_conflicts_need_force(port: KubeClusterPort) -> None:
    info = port.resource_for("v1", "ConfigMap")
    predicted = port.apply(configmap("c", x="1"), field_manager="bosun", dry_run=True)
    assert predicted["data"] == {"x": "1"} and port.get(info, "prod", "c") is None
    port.apply(configmap("c", x="1"), field_manager="bosun")
    with pytest.raises(ClusterError) as caught:
        port.apply(configmap("c", x="2"), field_manager="someone-else")
    assert (
        caught.value.code == 409
        and caught.value.reason == "Conflict"
        and "ConfigMap prod/c" in str(caught.value)
    )
    forced = port.apply(configmap("c", x="2"), field_manager="someone-else", force=True)
    assert forced["data"] == {"x": "2"}


def test_create_replace_delete(port: KubeClusterPort) -> None:
    info = port.resource_for("v1", "ConfigMap")
    generated = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"generateName": "hook-", "namespace": "prod"},
        "data": {"a": "1"},
    }
    created = port.create(generated)
    name = created["metadata"]["name"]
    assert name.startswith("hook-") and len(name) > len("hook-")
    assert (
        port.create({**generated, "metadata": {"name": "dry", "namespace": "prod"}}, dry_run=True)[
            "metadata"
        ]["name"]
        == "dry"
    )
    assert port.get(info, "prod", "dry") is None
    with pytest.raises(ClusterError) as caught:
        port.create({**generated, "metadata": {"name": name, "namespace": "prod"}})
    assert caught.value.code == 409 and caught.value.reason == "AlreadyExists"
    replaced = port.replace(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "prod"},
            "data": {"b": "2"},
        }
    )
    assert replaced["data"] == {"b": "2"}
    port.delete(info, "prod", name, propagation="Background", dry_run=True)
    assert port.get(info, "prod", name) is not None
    port.delete(info, "prod", name, propagation="Background")
    assert port.get(info, "prod", name) is None
    port.delete(info, "prod", name)  # already gone: not an error
    with pytest.raises(ClusterError, match="propagation"):
        port.delete(info, "prod", name, propagation="Sideways")


def test_invalid_object_error_names_the_resource(port: KubeClusterPort) -> None:
    with pytest.raises(ClusterError) as caught:
        port.apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name", "namespace": "prod"}},
            field_manager="bosun",
        )
    assert caught.value.code == 422 and "ConfigMap prod/Bad_Name" in str(caught.value) and caught.value.hint
    with pytest.raises(ClusterError, match="namespace"):
        port.apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, field_manager="bosun"
        )


def test_throttling_exposes_retry_after(kubesim_server: KubesimServer, port: KubeClusterPort) -> None:
    info = port.resource_for("v1", "ConfigMap")
    kubesim_server.admin.add_fault(
        verbs=["list"], resources=["configmaps"], error_rate=1.0, status=429, retry_after=7, times=1
    )
    with pytest.raises(ClusterError) as caught:
        port.list(info, "prod")
    assert (
        caught.value.code == 429 and caught.value.retry_after == 7.0 and "ConfigMap list" in str(caught.value)
    )
    assert port.list(info, "prod") == []  # the fault fired once


def test_unreachable_cluster_is_a_cluster_error(tmp_path: Any) -> None:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"
    configuration.retries = 0
    port = KubeClusterPort(client.ApiClient(configuration), cluster="nowhere")
    with pytest.raises(ClusterError) as caught:
        port.resource_for("v1", "ConfigMap")
    assert caught.value.code is None and "unreachable" in str(caught.value) and "nowhere" in str(caught.value)
