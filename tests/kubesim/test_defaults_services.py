"""Service defaulting as kube-apiserver does it: ClusterIP and NodePort allocation (kept on update, given
back on delete, refused when taken), headless and ExternalName Services, type changes."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubesim_support import defaulted, fixture, rt

from kubesim.defaulting import Defaulter
from kubesim.errors import ApiError
from kubesim.testing import KubesimServer


def test_service_defaults_and_allocation() -> None:
    svc = defaulted("v1", "Service", fixture("service-loadbalancer-gets-ingress.yaml"))["spec"]
    assert svc["type"] == "LoadBalancer"
    assert svc["sessionAffinity"] == "None"
    assert svc["ipFamilies"] == ["IPv4"] and svc["ipFamilyPolicy"] == "SingleStack"
    assert svc["internalTrafficPolicy"] == "Cluster" and svc["externalTrafficPolicy"] == "Cluster"
    assert svc["allocateLoadBalancerNodePorts"] is True
    assert svc["clusterIPs"] == [svc["clusterIP"]]
    assert svc["clusterIP"].startswith("10.") and svc["clusterIP"] not in ("10.96.0.1", "10.96.0.10")
    http, https = svc["ports"]
    assert (http["protocol"], http["targetPort"]) == ("TCP", 80)
    assert https["targetPort"] == 8443
    assert 30000 <= http["nodePort"] <= 32767 and http["nodePort"] != https["nodePort"]


def test_headless_and_external_name_services() -> None:
    headless = defaulted(
        "v1",
        "Service",
        {
            "metadata": {"name": "h"},
            "spec": {"clusterIP": "None", "selector": {"a": "b"}, "ports": [{"port": 80}]},
        },
    )
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert headless["spec"]["ipFamilyPolicy"] == "SingleStack"
    selectorless = defaulted("v1", "Service", {"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}})
    assert selectorless["spec"]["ipFamilyPolicy"] == "PreferDualStack"
    external = defaulted(
        "v1",
        "Service",
        {"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "example.com"}},
    )
    assert "clusterIP" not in external["spec"] and "internalTrafficPolicy" not in external["spec"]


def test_service_update_keeps_allocated_values_and_taken_ips_are_refused() -> None:
    defaulter = Defaulter(seed=3)
    service_rt = rt("v1", "Service")
    first = {"metadata": {"name": "a"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, first)
    update = {"metadata": {"name": "a"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, update, first)
    assert update["spec"]["clusterIP"] == first["spec"]["clusterIP"]
    assert update["spec"]["ports"][0]["nodePort"] == first["spec"]["ports"][0]["nodePort"]
    clash = {
        "metadata": {"name": "b"},
        "spec": {"clusterIP": first["spec"]["clusterIP"], "ports": [{"port": 80}]},
    }
    with pytest.raises(ApiError) as caught:
        defaulter.apply(service_rt, clash)
    assert caught.value.code == 422
    assert "provided IP is already allocated" in caught.value.message
    defaulter.release(service_rt, first)
    defaulter.apply(service_rt, clash)
    assert clash["spec"]["clusterIP"] == first["spec"]["clusterIP"]


def test_service_type_change_drops_node_ports() -> None:
    defaulter = Defaulter(seed=5)
    service_rt = rt("v1", "Service")
    node_port = {"metadata": {"name": "n"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, node_port)
    allocated = node_port["spec"]["ports"][0]["nodePort"]
    back = json_copy(node_port)
    back["spec"]["type"] = "ClusterIP"  # a merge patch / apply keeps the server-set nodePort in the body
    defaulter.apply(service_rt, back, node_port)
    assert "nodePort" not in back["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in back["spec"]
    assert back["spec"]["clusterIP"] == node_port["spec"]["clusterIP"]
    assert not defaulter.allocators.port_taken(allocated, "other/service")


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    import json

    copied: dict[str, Any] = json.loads(json.dumps(obj))
    return copied


def test_the_same_service_gets_the_same_addresses_and_a_full_range_is_an_error() -> None:
    defaulter = Defaulter(seed=7)
    service_rt = rt("v1", "Service")

    def node_port_service(name: str) -> dict[str, Any]:
        body = {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]},
        }
        defaulter.apply(service_rt, body)  # e.g. a dry run: nothing is stored
        return body

    first, again = node_port_service("same"), node_port_service("same")
    assert first["spec"]["clusterIP"] == again["spec"]["clusterIP"]
    assert first["spec"]["ports"] == again["spec"]["ports"]
    for index in range(32768 - 30000 - 1):
        node_port_service(f"svc-{index}")
    with pytest.raises(ApiError) as caught:
        node_port_service("one-too-many")
    assert caught.value.code == 500 and "range is full" in caught.value.message


def test_deleted_service_gives_its_cluster_ip_back_over_http(kubesim_server: KubesimServer) -> None:
    core = client.CoreV1Api(kubesim_server.api_client())
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "first"},
        "spec": {"clusterIP": "10.96.5.5", "ports": [{"port": 80}]},
    }
    core.create_namespaced_service("default", body)
    body["metadata"]["name"] = "second"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_service("default", body)
    assert caught.value.status == 422 and "provided IP is already allocated" in caught.value.body
    core.delete_namespaced_service("first", "default")
    assert core.create_namespaced_service("default", body).spec.cluster_ip == "10.96.5.5"
