"""JSON, merge and strategic merge PATCH over HTTP with the official client: keys, directives, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer

SMP = "application/strategic-merge-patch+json"


def _deployment() -> dict[str, Any]:
    labels = {"app": "web"}
    container = {"name": "web", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}],
                 "ports": [{"containerPort": 80}]}  # fmt: skip
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [container, {"name": "side", "image": "busybox"}]}}},
    }  # fmt: skip


def test_strategic_merge_patch_keys_and_directives(kubesim_server: KubesimServer) -> None:
    apps: Any = client.AppsV1Api(kubesim_server.api_client())
    apps.create_namespaced_deployment("default", _deployment())
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 80, "name": "http"}]},
        {"name": "side", "$patch": "delete"},
    ]}}}}  # fmt: skip
    patched = apps.patch_namespaced_deployment(
        "web", "default", patch, _content_type=SMP, field_manager="patcher"
    )
    (web,) = patched.spec.template.spec.containers
    assert [(e.name, e.value) for e in web.env] == [("B", "2"), ("A", "1")]
    assert [(p.container_port, p.name, p.protocol) for p in web.ports] == [(80, "http", "TCP")]
    owned = {e.manager: e.fields_v1 for e in patched.metadata.managed_fields}
    container = owned["patcher"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert 'k:{"name":"B"}' in container["f:env"]


def test_json_patch_test_failure_is_422(kubesim_server: KubesimServer) -> None:
    core: Any = client.CoreV1Api(kubesim_server.api_client())
    core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    ops = [
        {"op": "test", "path": "/data/a", "value": "2"},
        {"op": "replace", "path": "/data/a", "value": "3"},
    ]
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map("cfg", "default", ops, _content_type="application/json-patch+json")
    status = json.loads(str(caught.value.body))
    assert caught.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert status["details"] == {}  # NewGenericServerResponse: the library's message is not sent
    ops[0]["value"] = "1"
    patched = core.patch_namespaced_config_map(
        "cfg", "default", ops, _content_type="application/json-patch+json"
    )
    assert patched.data == {"a": "3"}


def test_merge_patch_replaces_lists_and_null_deletes(kubesim_server: KubesimServer) -> None:
    apps: Any = client.AppsV1Api(kubesim_server.api_client())
    apps.create_namespaced_deployment("default", _deployment())
    patch = {"metadata": {"labels": {"team": "a"}},
             "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}  # fmt: skip
    patched = apps.patch_namespaced_deployment(
        "web", "default", patch, _content_type="application/merge-patch+json"
    )
    assert [c.name for c in patched.spec.template.spec.containers] == ["only"]
    removed = apps.patch_namespaced_deployment(
        "web",
        "default",
        {"metadata": {"labels": {"team": None}}},
        _content_type="application/merge-patch+json",
    )
    assert not removed.metadata.labels
