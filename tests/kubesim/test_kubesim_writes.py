"""Status and scale subresources, the PATCH route (all four content types), field managers and dryRun=All."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def _deployment(name: str, replicas: int = 1) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}},
        },
    }  # fmt: skip


@pytest.fixture
def quiet_server(kubesim_factory: Callable[..., KubesimServer]) -> KubesimServer:
    """Simulated controllers paused: nothing else writes status behind the test's back."""
    return kubesim_factory(controllers=False)


def _patch(server: KubesimServer, path: str, body: bytes, content_type: str, **params: str) -> httpx.Response:
    return httpx.patch(server.url + path, content=body, headers={"Content-Type": content_type}, params=params)


def test_main_resource_write_keeps_status(quiet_server: KubesimServer) -> None:
    apps = client.AppsV1Api(quiet_server.api_client())
    body = _deployment("web")
    body["status"] = {"replicas": 7}
    created = apps.create_namespaced_deployment("default", body)
    assert not created.status.replicas
    status_body = apps.read_namespaced_deployment("web", "default")
    status_body.status = client.V1DeploymentStatus(replicas=3, observed_generation=1)
    written = apps.replace_namespaced_deployment_status("web", "default", status_body)
    assert written.status.replicas == 3
    fresh = apps.read_namespaced_deployment("web", "default")
    fresh.status = client.V1DeploymentStatus(replicas=99)
    fresh.spec.replicas = 2
    updated = apps.replace_namespaced_deployment("web", "default", fresh)
    assert updated.status.replicas == 3 and updated.spec.replicas == 2


def test_status_write_changes_only_status(quiet_server: KubesimServer) -> None:
    apps = client.AppsV1Api(quiet_server.api_client())
    apps.create_namespaced_deployment("default", _deployment("web"))
    current = apps.read_namespaced_deployment("web", "default")
    current.spec.replicas = 5
    current.metadata.labels = {"sneaky": "yes"}
    current.status = client.V1DeploymentStatus(replicas=1)
    written = apps.replace_namespaced_deployment_status("web", "default", current)
    assert written.spec.replicas == 1 and not written.metadata.labels and written.status.replicas == 1
    assert written.metadata.generation == 1
    patched = apps.patch_namespaced_deployment_status("web", "default", {"status": {"readyReplicas": 1}})
    assert patched.status.ready_replicas == 1 and patched.status.replicas == 1
    managers = {(m.manager, m.subresource) for m in patched.metadata.managed_fields}
    assert ("OpenAPI-Generator", "status") in managers


def test_scale_subresource(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    apps.create_namespaced_deployment("default", _deployment("web", 2))
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 2 and scale.kind == "Scale" and scale.api_version == "autoscaling/v1"
    scale.spec.replicas = 4
    apps.replace_namespaced_deployment_scale("web", "default", scale)
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 4
    patched = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 1}})
    assert patched.kind == "Scale" and patched.spec.replicas == 1
    dep = apps.read_namespaced_deployment("web", "default")
    assert dep.spec.replicas == 1 and dep.metadata.generation == 3


def test_patch_content_types(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"),
                                                                  data={"a": "1", "b": "2"}))  # fmt: skip
    path = "/api/v1/namespaces/default/configmaps/c"
    merge = _patch(kubesim_server, path, b'{"data":{"a":null,"c":"3"}}', "application/merge-patch+json")
    assert merge.status_code == 200 and merge.json()["data"] == {"b": "2", "c": "3"}
    jp = _patch(
        kubesim_server,
        path,
        b'[{"op":"replace","path":"/data/b","value":"9"}]',
        "application/json-patch+json",
    )
    assert jp.json()["data"] == {"b": "9", "c": "3"}
    smp = _patch(kubesim_server, path, b'{"data":{"d":"4"}}', "application/strategic-merge-patch+json")
    assert smp.json()["data"] == {"b": "9", "c": "3", "d": "4"}
    bad = _patch(kubesim_server, path, b"{}", "text/plain")
    assert bad.status_code == 415 and bad.json()["reason"] == "UnsupportedMediaType"
    failed = _patch(
        kubesim_server, path, b'[{"op":"test","path":"/data/b","value":"0"}]', "application/json-patch+json"
    )
    assert failed.status_code == 422 and failed.json()["reason"] == "Invalid"
    assert v1.read_namespaced_config_map("c", "default").data == {"b": "9", "c": "3", "d": "4"}


def test_strategic_merge_patch_merges_containers_by_name(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    body = _deployment("web")
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1"})
    apps.create_namespaced_deployment("default", body)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox:2"}]}}}}
    patched = apps.patch_namespaced_deployment("default" and "web", "default", patch)
    images = {c.name: c.image for c in patched.spec.template.spec.containers}
    assert images == {"app": "nginx:1.27", "side": "busybox:2"}


def test_server_side_apply_creates_then_updates(kubesim_server: KubesimServer) -> None:
    path = "/api/v1/namespaces/default/configmaps/applied"
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n"
    created = _patch(kubesim_server, path, doc, "application/apply-patch+yaml", fieldManager="bosun")
    assert created.status_code == 201
    entry = created.json()["metadata"]["managedFields"][0]
    assert entry["manager"] == "bosun" and entry["operation"] == "Apply"
    again = _patch(kubesim_server, path, doc.replace(b"'1'", b"'2'"), "application/apply-patch+yaml",
                   fieldManager="bosun")  # fmt: skip
    assert again.status_code == 200 and again.json()["data"] == {"a": "2"}
    missing_manager = _patch(kubesim_server, path, doc, "application/apply-patch+yaml")
    assert missing_manager.status_code == 422


def test_field_manager_query_parameter(kubesim_server: KubesimServer) -> None:
    response = httpx.post(
        kubesim_server.url + "/api/v1/namespaces/default/configmaps",
        params={"fieldManager": "my-tool"},
        json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"x": "1"}},
    )
    assert response.status_code == 201
    assert response.json()["metadata"]["managedFields"][0]["manager"] == "my-tool"


def test_dry_run_never_stores(kubesim_server: KubesimServer) -> None:
    api = kubesim_server.api_client()
    v1 = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    dry = apps.create_namespaced_deployment("default", _deployment("ghost"), dry_run="All")
    assert dry.metadata.uid and dry.spec.strategy.type == "RollingUpdate"  # defaulted
    assert not dry.metadata.resource_version
    with pytest.raises(ApiException):
        apps.read_namespaced_deployment("ghost", "default")
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad")),
                                        dry_run="All")  # fmt: skip
    assert err.value.status == 422  # still validated
    real = v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"),
                                                                         data={"a": "1"}))  # fmt: skip
    real.data = {"a": "2"}
    v1.replace_namespaced_config_map("c", "default", real, dry_run="All")
    v1.patch_namespaced_config_map("c", "default", {"data": {"a": "3"}}, dry_run="All")
    path = "/api/v1/namespaces/default/configmaps/c"
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '4'\n"
    applied = _patch(kubesim_server, path, doc, "application/apply-patch+yaml", fieldManager="m", dryRun="All",
                     force="true")  # fmt: skip
    assert applied.json()["data"] == {"a": "4"}
    v1.delete_namespaced_config_map("c", "default", dry_run="All")
    stored = v1.read_namespaced_config_map("c", "default")
    assert stored.data == {"a": "1"} and stored.metadata.resource_version == real.metadata.resource_version
    bad = httpx.delete(kubesim_server.url + path, params={"dryRun": "Maybe"})
    assert bad.status_code == 422 and bad.json()["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Maybe"]: supported values: "All"'
    )
    assert v1.read_namespaced_config_map("c", "default").data == {"a": "1"}


def test_errors_are_status_objects(kubesim_server: KubesimServer) -> None:
    response = httpx.post(kubesim_server.url + "/api/v1/namespaces/default/configmaps", content=b"{not json",
                          headers={"Content-Type": "application/json"})  # fmt: skip
    body = response.json()
    assert response.status_code == 400 and body["kind"] == "Status" and body["status"] == "Failure"
    wrong_kind = httpx.post(kubesim_server.url + "/api/v1/namespaces/default/configmaps",
                            json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})  # fmt: skip
    assert wrong_kind.status_code == 400
    assert json.loads(wrong_kind.text)["reason"] == "BadRequest"


def test_oversized_body_is_413(kubesim_server: KubesimServer) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "huge"},
        "data": {"x": "a" * (3 << 20)},
    }
    response = httpx.post(kubesim_server.url + "/api/v1/namespaces/default/configmaps", json=body)
    assert response.status_code == 413 and response.json()["reason"] == "RequestEntityTooLarge"


def test_subresources_take_only_their_methods(quiet_server: KubesimServer) -> None:
    """status and scale serve GET/PUT/PATCH, namespaces/finalize only PUT: anything else is 405, never a
    write of the main resource (a DELETE of /status does not delete the Deployment)."""
    apps = client.AppsV1Api(quiet_server.api_client())
    apps.create_namespaced_deployment("default", _deployment("web"))
    base = quiet_server.url + "/apis/apps/v1/namespaces/default/deployments/web"
    for method, path in [("DELETE", "/status"), ("DELETE", "/scale"), ("POST", "/status")]:
        response = httpx.request(method, base + path, json={})
        assert response.status_code == 405 and response.json()["reason"] == "MethodNotAllowed", (method, path)
    assert apps.read_namespaced_deployment("web", "default").metadata.name == "web"
    finalize = httpx.get(quiet_server.url + "/api/v1/namespaces/default/finalize")
    assert finalize.status_code == 405
    assert httpx.get(base + "/status").status_code == 200
