"""CustomResourceDefinitions: serving, Established, status subresource, cluster scope, deletion, unknown kinds."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def widget_crd(scope: str = "Namespaced", status: bool = True, group: str = "example.com") -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"],
                      "categories": ["all"]},
            "versions": [version],
        },
    }  # fmt: skip


def _crd_api(server: KubesimServer) -> client.ApiextensionsV1Api:
    return client.ApiextensionsV1Api(server.api_client())


def _custom(server: KubesimServer) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(server.api_client())


def _widget(name: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
            "spec": spec or {"size": 1}}  # fmt: skip


def test_unknown_kind_is_404_until_crd_exists(kubesim_server: KubesimServer) -> None:
    custom = _custom(kubesim_server)
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", _widget("w"))
    assert err.value.status == 404
    assert json.loads(err.value.body)["message"] == "the server could not find the requested resource"


def test_crd_is_established_and_served(kubesim_server: KubesimServer) -> None:
    crd = _crd_api(kubesim_server).create_custom_resource_definition(widget_crd())
    conditions = {c.type: c for c in crd.status.conditions}
    assert conditions["Established"].status == "True"
    assert conditions["NamesAccepted"].status == "True"
    assert crd.status.accepted_names.kind == "Widget" and crd.status.stored_versions == ["v1"]
    assert crd.metadata.finalizers == ["customresourcecleanup.apiextensions.k8s.io"]
    doc = httpx.get(kubesim_server.url + "/apis/example.com/v1").json()
    entries = {r["name"]: r for r in doc["resources"]}
    assert entries["widgets"]["kind"] == "Widget" and entries["widgets"]["shortNames"] == ["wd"]
    assert entries["widgets"]["namespaced"] is True and "widgets/status" in entries
    groups = {g["name"] for g in httpx.get(kubesim_server.url + "/apis").json()["groups"]}
    assert "example.com" in groups
    custom = _custom(kubesim_server)
    created = custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", _widget("w1"))
    assert created["metadata"]["generation"] == 1 and created["metadata"]["uid"]
    got = custom.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "w1")
    assert got["spec"] == {"size": 1}
    dyn = kubesim_server.dynamic_client()
    widgets = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert [w.metadata.name for w in widgets.get(namespace="default").items] == ["w1"]


def test_cr_status_subresource(kubesim_server: KubesimServer) -> None:
    _crd_api(kubesim_server).create_custom_resource_definition(widget_crd())
    custom = _custom(kubesim_server)
    body = _widget("w")
    body["status"] = {"phase": "ignored-on-create"}
    created = custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", body)
    assert "status" not in created
    created["status"] = {"phase": "ignored-on-update"}
    created["spec"] = {"size": 2}
    updated = custom.replace_namespaced_custom_object("example.com", "v1", "default", "widgets", "w", created)
    assert "status" not in updated and updated["metadata"]["generation"] == 2
    updated["status"] = {"phase": "Ready"}
    updated["spec"] = {"size": 99}
    status = custom.replace_namespaced_custom_object_status(
        "example.com", "v1", "default", "widgets", "w", updated
    )
    assert status["status"] == {"phase": "Ready"} and status["spec"] == {"size": 2}
    assert status["metadata"]["generation"] == 2


def test_cr_without_status_subresource_bumps_generation_on_status(kubesim_server: KubesimServer) -> None:
    _crd_api(kubesim_server).create_custom_resource_definition(widget_crd(status=False))
    custom = _custom(kubesim_server)
    created = custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", _widget("w"))
    created["status"] = {"phase": "x"}
    updated = custom.replace_namespaced_custom_object("example.com", "v1", "default", "widgets", "w", created)
    assert updated["status"] == {"phase": "x"} and updated["metadata"]["generation"] == 2


def test_cr_update_needs_resource_version(kubesim_server: KubesimServer) -> None:
    _crd_api(kubesim_server).create_custom_resource_definition(widget_crd())
    custom = _custom(kubesim_server)
    custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", _widget("w"))
    with pytest.raises(ApiException) as err:
        custom.replace_namespaced_custom_object("example.com", "v1", "default", "widgets", "w", _widget("w"))
    assert err.value.status == 422


def test_strategic_merge_patch_on_custom_resource_is_415(kubesim_server: KubesimServer) -> None:
    _crd_api(kubesim_server).create_custom_resource_definition(widget_crd())
    _custom(kubesim_server).create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", _widget("w")
    )
    response = httpx.patch(
        kubesim_server.url + "/apis/example.com/v1/namespaces/default/widgets/w",
        content=b'{"spec":{"size":3}}',
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert response.status_code == 415 and response.json()["reason"] == "UnsupportedMediaType"
    merged = httpx.patch(
        kubesim_server.url + "/apis/example.com/v1/namespaces/default/widgets/w",
        content=b'{"spec":{"size":3}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merged.status_code == 200 and merged.json()["spec"] == {"size": 3}


def test_cluster_scoped_crd(kubesim_server: KubesimServer) -> None:
    _crd_api(kubesim_server).create_custom_resource_definition(widget_crd(scope="Cluster"))
    custom = _custom(kubesim_server)
    created = custom.create_cluster_custom_object("example.com", "v1", "widgets", _widget("global"))
    assert "namespace" not in created["metadata"]
    assert (
        custom.get_cluster_custom_object("example.com", "v1", "widgets", "global")["metadata"]["name"]
        == "global"
    )
    response = httpx.get(kubesim_server.url + "/apis/example.com/v1/namespaces/default/widgets")
    assert response.status_code == 404


def test_deleting_crd_removes_resource_and_objects(kubesim_server: KubesimServer) -> None:
    crds = _crd_api(kubesim_server)
    crds.create_custom_resource_definition(widget_crd())
    custom = _custom(kubesim_server)
    custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", _widget("w"))
    crds.delete_custom_resource_definition("widgets.example.com")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if httpx.get(kubesim_server.url + "/apis/example.com/v1").status_code == 404:
            break
        time.sleep(0.02)
    assert httpx.get(kubesim_server.url + "/apis/example.com/v1").status_code == 404
    with pytest.raises(ApiException) as err:
        crds.read_custom_resource_definition("widgets.example.com")
    assert err.value.status == 404
    crds.create_custom_resource_definition(widget_crd())
    listed = custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert listed["items"] == []


def test_invalid_crd_name_is_rejected(kubesim_server: KubesimServer) -> None:
    body = widget_crd()
    body["metadata"]["name"] = "wrong.example.com"
    with pytest.raises(ApiException) as err:
        _crd_api(kubesim_server).create_custom_resource_definition(body)
    assert err.value.status == 422


def test_multi_version_crd_serves_every_version(kubesim_server: KubesimServer) -> None:
    crd = widget_crd()
    v1 = crd["spec"]["versions"][0]
    crd["spec"]["versions"] = [dict(v1, name="v1beta1", storage=False), v1]
    _crd_api(kubesim_server).create_custom_resource_definition(crd)
    group = httpx.get(kubesim_server.url + "/apis/example.com").json()
    assert group["preferredVersion"]["version"] == "v1"
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    custom = _custom(kubesim_server)
    custom.create_namespaced_custom_object("example.com", "v1beta1", "default", "widgets",
                                           dict(_widget("old"), apiVersion="example.com/v1beta1"))  # fmt: skip
    as_v1 = custom.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "old")
    assert as_v1["apiVersion"] == "example.com/v1"
    listed = custom.list_namespaced_custom_object("example.com", "v1beta1", "default", "widgets")
    assert [i["apiVersion"] for i in listed["items"]] == ["example.com/v1beta1"]


def test_crd_update_adds_a_served_version(kubesim_server: KubesimServer) -> None:
    crds = _crd_api(kubesim_server)
    created = crds.create_custom_resource_definition(widget_crd())
    body = client.ApiClient().sanitize_for_serialization(created)
    v1 = body["spec"]["versions"][0]
    body["spec"]["versions"].append(dict(v1, name="v2", storage=False))
    crds.replace_custom_resource_definition("widgets.example.com", body)
    assert httpx.get(kubesim_server.url + "/apis/example.com/v2").status_code == 200
    assert httpx.get(kubesim_server.url + "/apis/example.com").json()["preferredVersion"]["version"] == "v2"
