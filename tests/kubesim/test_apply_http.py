"""Server-side apply and managedFields over HTTP, driven by the official kubernetes client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from kubesim.testing import KubesimServer


def _deployment(replicas: int = 2, image: str = "nginx:1.27") -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "web", "image": image}]}}},
    }  # fmt: skip


def _configmap(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "default"},
        "data": data,
    }


def _managers(obj: Any) -> list[tuple[str, str]]:
    """(manager, operation) of each entry, from a dynamic (camelCase) or typed (snake_case) object."""
    meta = obj.to_dict()["metadata"]
    return [(e["manager"], e["operation"]) for e in meta.get("managedFields") or meta["managed_fields"]]


def _status(error: ApiException) -> dict[str, Any]:
    return json.loads(str(error.body))


def test_apply_conflict_then_force_moves_ownership(kubesim_server: KubesimServer) -> None:
    dyn = DynamicClient(kubesim_server.api_client())
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    created = dyn.server_side_apply(deployments, body=_deployment(), field_manager="bosun")
    assert _managers(created) == [("bosun", "Apply")]
    fields = created.to_dict()["metadata"]["managedFields"][0]["fieldsV1"]
    assert fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}'] == {
        ".": {}, "f:image": {}, "f:name": {}
    }  # fmt: skip
    with pytest.raises(ApiException) as caught:
        dyn.server_side_apply(deployments, body=_deployment(replicas=5), field_manager="hpa")
    status = _status(caught.value)
    assert caught.value.status == 409 and status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "bosun": .spec.replicas'
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "bosun"', "field": ".spec.replicas"}
    ]
    forced = dyn.server_side_apply(
        deployments, body=_deployment(replicas=5), field_manager="hpa", force_conflicts=True
    )
    assert forced.spec.replicas == 5
    entries = {e["manager"]: e["fieldsV1"] for e in forced.to_dict()["metadata"]["managedFields"]}
    assert "f:replicas" in entries["hpa"]["f:spec"] and "f:replicas" not in entries["bosun"]["f:spec"]


def test_edit_takes_ownership_and_the_next_apply_conflicts(kubesim_server: KubesimServer) -> None:
    api = kubesim_server.api_client()
    dyn = DynamicClient(api)
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    dyn.server_side_apply(deployments, body=_deployment(), field_manager="bosun")
    apps: Any = client.AppsV1Api(api)
    current = apps.read_namespaced_deployment("web", "default")
    current.spec.replicas = 7
    edited = apps.replace_namespaced_deployment("web", "default", current, field_manager="kubectl-edit")
    assert ("kubectl-edit", "Update") in _managers(edited)
    with pytest.raises(ApiException) as caught:
        dyn.server_side_apply(deployments, body=_deployment(), field_manager="bosun")
    assert _status(caught.value)["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas'
    )
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 7


def test_fields_dropped_from_the_applied_configuration_are_removed(kubesim_server: KubesimServer) -> None:
    dyn = DynamicClient(kubesim_server.api_client())
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    dyn.server_side_apply(configmaps, body=_configmap(a="1", b="2"), field_manager="bosun")
    dyn.server_side_apply(configmaps, body=_configmap(c="3"), field_manager="other")
    dyn.server_side_apply(configmaps, body=_configmap(a="1"), field_manager="bosun")
    live: Any = client.CoreV1Api(kubesim_server.api_client()).read_namespaced_config_map("cfg", "default")
    assert live.data == {"a": "1", "c": "3"}
    owned = {e.manager: e.fields_v1 for e in live.metadata.managed_fields}
    assert owned == {"bosun": {"f:data": {"f:a": {}}}, "other": {"f:data": {"f:c": {}}}}


def test_same_values_from_two_appliers_are_shared(kubesim_server: KubesimServer) -> None:
    dyn = DynamicClient(kubesim_server.api_client())
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    dyn.server_side_apply(configmaps, body=_configmap(a="1"), field_manager="one")
    both = dyn.server_side_apply(configmaps, body=_configmap(a="1"), field_manager="two")
    assert sorted(_managers(both)) == [("one", "Apply"), ("two", "Apply")]
    dyn.server_side_apply(configmaps, body=_configmap(), field_manager="one")
    assert client.CoreV1Api(kubesim_server.api_client()).read_namespaced_config_map(
        "cfg", "default"
    ).data == {"a": "1"}


def test_applied_body_with_managed_fields_is_rejected(kubesim_server: KubesimServer) -> None:
    dyn = DynamicClient(kubesim_server.api_client())
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = _configmap(a="1")
    body["metadata"]["managedFields"] = [
        {"manager": "x", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {}}
    ]
    with pytest.raises(ApiException) as caught:
        dyn.server_side_apply(configmaps, body=body, field_manager="bosun")
    assert (
        caught.value.status == 400
        and _status(caught.value)["message"] == "metadata.managedFields must be nil"
    )
