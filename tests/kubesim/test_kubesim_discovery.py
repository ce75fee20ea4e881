"""Discovery documents over HTTP: /version, /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}."""

from __future__ import annotations

import httpx
import pytest
from kubernetes import client

from kubesim.testing import KubesimServer

BUILTINS = {
    "v1": ["namespaces", "configmaps", "secrets", "services", "serviceaccounts", "pods", "persistentvolumeclaims",
           "persistentvolumes", "endpoints", "events", "limitranges", "resourcequotas"],
    "apps/v1": ["deployments", "statefulsets", "daemonsets", "replicasets"],
    "batch/v1": ["jobs", "cronjobs"],
    "networking.k8s.io/v1": ["ingresses", "ingressclasses", "networkpolicies"],
    "rbac.authorization.k8s.io/v1": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
    "apiextensions.k8s.io/v1": ["customresourcedefinitions"],
    "policy/v1": ["poddisruptionbudgets"],
    "autoscaling/v2": ["horizontalpodautoscalers"],
    "storage.k8s.io/v1": ["storageclasses"],
    "coordination.k8s.io/v1": ["leases"],
    "apiregistration.k8s.io/v1": ["apiservices"],
}  # fmt: skip
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _get(server: KubesimServer, path: str) -> dict:
    response = httpx.get(server.url + path)
    assert response.status_code == 200, response.text
    return response.json()


def test_version(kubesim_server: KubesimServer) -> None:
    info = client.VersionApi(kubesim_server.api_client()).get_code()
    assert info.major == "1" and info.minor.startswith("3") and info.git_version.startswith("v1.3")


def test_core_api_versions(kubesim_server: KubesimServer) -> None:
    doc = _get(kubesim_server, "/api")
    assert doc["kind"] == "APIVersions" and doc["versions"] == ["v1"]


@pytest.mark.parametrize("group_version", sorted(BUILTINS))
def test_every_builtin_resource_is_listed(kubesim_server: KubesimServer, group_version: str) -> None:
    path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    doc = _get(kubesim_server, path)
    assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == group_version
    names = {r["name"] for r in doc["resources"]}
    assert set(BUILTINS[group_version]) <= names


def test_resource_entries_have_real_fields(kubesim_server: KubesimServer) -> None:
    core = {r["name"]: r for r in _get(kubesim_server, "/api/v1")["resources"]}
    assert core["configmaps"] == {"name": "configmaps", "singularName": "configmap", "namespaced": True,
                                  "kind": "ConfigMap", "verbs": ALL_VERBS, "shortNames": ["cm"]}  # fmt: skip
    assert core["pods"]["categories"] == ["all"] and core["pods"]["shortNames"] == ["po"]
    assert core["namespaces"]["namespaced"] is False and "deletecollection" not in core["namespaces"]["verbs"]
    assert core["pods/status"]["verbs"] == ["get", "patch", "update"]
    apps = {r["name"]: r for r in _get(kubesim_server, "/apis/apps/v1")["resources"]}
    assert apps["deployments"]["shortNames"] == ["deploy"]
    assert apps["deployments/status"]["kind"] == "Deployment"
    assert apps["deployments/scale"] == {"name": "deployments/scale", "singularName": "", "namespaced": True,
                                         "group": "autoscaling", "version": "v1", "kind": "Scale",
                                         "verbs": ["get", "patch", "update"]}  # fmt: skip
    crds = {r["name"]: r for r in _get(kubesim_server, "/apis/apiextensions.k8s.io/v1")["resources"]}
    assert crds["customresourcedefinitions"]["shortNames"] == ["crd", "crds"]
    assert crds["customresourcedefinitions"]["namespaced"] is False


def test_group_list_and_group(kubesim_server: KubesimServer) -> None:
    groups = {g["name"]: g for g in _get(kubesim_server, "/apis")["groups"]}
    for gv in BUILTINS:
        if "/" in gv:
            group, version = gv.split("/")
            assert groups[group]["preferredVersion"] == {"groupVersion": gv, "version": version}
    apps = _get(kubesim_server, "/apis/apps")
    assert apps["kind"] == "APIGroup" and apps["name"] == "apps"
    assert httpx.get(kubesim_server.url + "/apis/nothing.example.com").status_code == 404
    assert httpx.get(kubesim_server.url + "/apis/apps/v9").status_code == 404


def test_dynamic_client_discovers_every_builtin(kubesim_server: KubesimServer) -> None:
    dyn = kubesim_server.dynamic_client()
    for gv, plurals in BUILTINS.items():
        for plural in plurals:
            assert dyn.resources.get(api_version=gv, name=plural).name == plural


def test_health_endpoints(kubesim_server: KubesimServer) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        response = httpx.get(kubesim_server.url + path)
        assert response.status_code == 200 and response.text == "ok"


def test_protobuf_first_accept_gets_json(kubesim_server: KubesimServer) -> None:
    response = httpx.get(kubesim_server.url + "/api/v1/namespaces/default",
                         headers={"Accept": "application/vnd.kubernetes.protobuf,application/json"})  # fmt: skip
    assert response.headers["content-type"] == "application/json"
    assert response.json()["kind"] == "Namespace"
    only_proto = httpx.get(kubesim_server.url + "/api/v1/namespaces/default",
                           headers={"Accept": "application/vnd.kubernetes.protobuf"})  # fmt: skip
    assert only_proto.status_code == 406 and only_proto.json()["reason"] == "NotAcceptable"


def test_table_output(kubesim_server: KubesimServer) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    response = httpx.get(kubesim_server.url + "/api/v1/namespaces", headers={"Accept": accept})
    body = response.json()
    assert body["kind"] == "Table" and [c["name"] for c in body["columnDefinitions"]] == [
        "Name",
        "Status",
        "Age",
    ]
    rows = {row["cells"][0]: row["cells"] for row in body["rows"]}
    assert rows["default"][1] == "Active" and rows["default"][2].endswith("s")
    assert body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_openapi_v3_index_names_group_versions(kubesim_server: KubesimServer) -> None:
    index = _get(kubesim_server, "/openapi/v3")["paths"]
    assert "api/v1" in index and "apis/apps/v1" in index
    doc = httpx.get(kubesim_server.url + index["apis/apps/v1"]["serverRelativeURL"]).json()
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert {"name": "fieldValidation", "in": "query"}.items() <= patch["parameters"][2].items()
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }


def test_unknown_paths_are_404_status(kubesim_server: KubesimServer) -> None:
    for path in ("/api/v1/widgets", "/apis/apps/v1/namespaces/default/widgets/x", "/nope"):
        response = httpx.get(kubesim_server.url + path)
        assert response.status_code == 404
        assert response.json()["reason"] == "NotFound"
