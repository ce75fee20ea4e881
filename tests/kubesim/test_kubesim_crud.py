"""Object lifecycle over HTTP with the official client: create/get/list/update/delete, uid, resourceVersion,
generation, generateName, namespace rules, AlreadyExists/NotFound/Conflict Status objects."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def _status(exc: ApiException) -> dict:
    return json.loads(exc.body)


def _cm(name: str, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels or None), data={"k": "v"})


def test_create_get_list_update_delete_configmap(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    created = v1.create_namespaced_config_map("default", _cm("app-config"))
    assert created.metadata.uid and created.metadata.creation_timestamp
    assert created.metadata.generation is None  # ConfigMaps carry no generation
    assert created.metadata.self_link is None
    assert created.metadata.managed_fields[0].manager == "OpenAPI-Generator"
    assert created.metadata.managed_fields[0].operation == "Update"
    got = v1.read_namespaced_config_map("app-config", "default")
    assert got.data == {"k": "v"} and got.metadata.resource_version == created.metadata.resource_version
    got.data["k"] = "w"
    updated = v1.replace_namespaced_config_map("app-config", "default", got)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    listed = v1.list_namespaced_config_map("default")
    assert [c.metadata.name for c in listed.items] == ["app-config"]
    assert int(listed.metadata.resource_version) >= int(updated.metadata.resource_version)
    status = v1.delete_namespaced_config_map("app-config", "default")
    status = status if isinstance(status, dict) else status.to_dict()
    assert status["status"] == "Success" and status["details"]["uid"] == created.metadata.uid
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_config_map("app-config", "default")
    assert err.value.status == 404
    body = _status(err.value)
    assert body["reason"] == "NotFound" and body["message"] == 'configmaps "app-config" not found'
    assert body["details"] == {"name": "app-config", "kind": "configmaps"}


def test_one_resource_version_counter_for_all_kinds(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    a = v1.create_namespaced_config_map("default", _cm("a"))
    s = v1.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="s")))
    b = v1.create_namespaced_config_map("default", _cm("b"))
    assert (
        int(a.metadata.resource_version) < int(s.metadata.resource_version) < int(b.metadata.resource_version)
    )


def test_already_exists_is_409(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("dup"))
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", _cm("dup"))
    assert err.value.status == 409
    assert _status(err.value)["reason"] == "AlreadyExists"
    assert _status(err.value)["message"] == 'configmaps "dup" already exists'


def test_stale_resource_version_on_put_is_conflict(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    first = v1.create_namespaced_config_map("default", _cm("c"))
    fresh = v1.read_namespaced_config_map("c", "default")
    fresh.data = {"k": "1"}
    v1.replace_namespaced_config_map("c", "default", fresh)
    first.data = {"k": "2"}
    with pytest.raises(ApiException) as err:
        v1.replace_namespaced_config_map("c", "default", first)
    assert err.value.status == 409
    body = _status(err.value)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_put_without_resource_version_is_unconditional(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("u"))
    replaced = v1.replace_namespaced_config_map("u", "default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="u"), data={"k": "new"}))  # fmt: skip
    assert replaced.data == {"k": "new"}


def test_put_of_missing_object_is_not_found(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    with pytest.raises(ApiException) as err:
        v1.replace_namespaced_config_map("ghost", "default", _cm("ghost"))
    assert err.value.status == 404


def test_generate_name(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="job-"))
    one = v1.create_namespaced_config_map("default", body)
    two = v1.create_namespaced_config_map("default", body)
    assert one.metadata.name.startswith("job-") and len(one.metadata.name) == 9
    assert one.metadata.name != two.metadata.name


def test_missing_name_is_invalid(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta()))
    assert err.value.status == 422
    assert _status(err.value)["reason"] == "Invalid"


@pytest.mark.parametrize("name", ["Upper", "under_score", "-lead", "a" * 254])
def test_invalid_names_are_rejected(kubesim_server: KubesimServer, name: str) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", _cm(name))
    assert err.value.status == 422
    assert _status(err.value)["details"]["causes"][0]["field"] == "metadata.name"


def test_service_names_must_be_dns_labels(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    svc = client.V1Service(metadata=client.V1ObjectMeta(name="a.b"),
                           spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)]))  # fmt: skip
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_service("default", svc)
    assert err.value.status == 422


def test_namespace_must_exist(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("nowhere", _cm("x"))
    assert err.value.status == 404
    assert _status(err.value)["message"] == 'namespaces "nowhere" not found'


def test_body_namespace_differing_from_url_is_400(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="other")))
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x", namespace="other"))
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("default", body)
    assert err.value.status == 400
    assert _status(err.value)["reason"] == "BadRequest"
    assert "does not match the namespace" in _status(err.value)["message"]


def test_namespace_gets_name_label_and_active_phase(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    ns = v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team-a")))
    assert ns.metadata.labels == {"kubernetes.io/metadata.name": "team-a"}
    assert ns.status.phase == "Active"
    assert ns.spec.finalizers == ["kubernetes"]


def test_generation_moves_only_on_spec_changes(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    dep = apps.create_namespaced_deployment("default", _deployment("web"))
    assert dep.metadata.generation == 1
    dep.metadata.labels = {"touched": "yes"}
    dep = apps.replace_namespaced_deployment("web", "default", dep)
    assert dep.metadata.generation == 1
    dep.spec.replicas = 3
    dep = apps.replace_namespaced_deployment("web", "default", dep)
    assert dep.metadata.generation == 2


def test_no_op_update_keeps_resource_version(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    created = v1.create_namespaced_config_map("default", _cm("same"))
    again = v1.replace_namespaced_config_map("same", "default", created)
    assert again.metadata.resource_version == created.metadata.resource_version


def test_cluster_scoped_and_all_namespace_lists(kubesim_server: KubesimServer) -> None:
    api = kubesim_server.api_client()
    v1 = client.CoreV1Api(api)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="b")))
    v1.create_namespaced_config_map("b", _cm("x"))
    v1.create_namespaced_config_map("default", _cm("y"))
    names = {n.metadata.name for n in v1.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease", "b"} <= names
    everywhere = v1.list_config_map_for_all_namespaces()
    assert [(c.metadata.namespace, c.metadata.name) for c in everywhere.items] == [
        ("b", "x"),
        ("default", "y"),
    ]
    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(name="reader"), rules=[]))
    assert rbac.read_cluster_role("reader").metadata.namespace is None


def test_typed_and_dynamic_clients_agree(kubesim_server: KubesimServer) -> None:
    dyn = kubesim_server.dynamic_client()
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = client.ApiClient().sanitize_for_serialization(_deployment("dyn"))
    deployments.create(body=body, namespace="default")
    apps = client.AppsV1Api(kubesim_server.api_client())
    assert apps.read_namespaced_deployment("dyn", "default").metadata.name == "dyn"
    assert [d.metadata.name for d in deployments.get(namespace="default").items] == ["dyn"]
    assert [d.metadata.name for d in deployments.get().items] == ["dyn"]


def _deployment(name: str) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        api_version="apps/v1",
        kind="Deployment",
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx:1.27")]),
            ),
        ),
    )


def test_in_process_api_through_call(kubesim_server: KubesimServer) -> None:
    def create(api: object) -> str:
        from kubesim.api import Api

        assert isinstance(api, Api)
        rt = api.resolve("", "v1", "configmaps")
        return str(
            api.create(rt, "default", {"metadata": {"name": "inproc"}}, field_manager="test")["metadata"][
                "uid"
            ]
        )

    uid = kubesim_server.call(create)
    v1 = client.CoreV1Api(kubesim_server.api_client())
    assert v1.read_namespaced_config_map("inproc", "default").metadata.uid == uid
