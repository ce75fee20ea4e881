"""Bearer-token auth: 401 without or with a wrong token, 403 on every write for the read-only token."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.middleware.auth import forbidden_status
from kubesim.middleware.request_info import request_info
from kubesim.testing import KubesimServer

TOKEN = "admin-token-for-tests"
READ_ONLY = "viewer-token-for-tests"


@pytest.fixture
def server(kubesim_factory: Callable[..., KubesimServer]) -> KubesimServer:
    return kubesim_factory(token=TOKEN, read_only_token=READ_ONLY)


def api_client(server: KubesimServer, token: str) -> client.ApiClient:
    """A client sending `token` (or no Authorization header when empty) instead of the kubeconfig's."""
    api = server.api_client()
    api.configuration.refresh_api_key_hook = None  # the kubeconfig loader would put its token back
    api.configuration.api_key = {"BearerToken": f"Bearer {token}"} if token else {}
    return api


def _cm(name: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"k": "v"})


def test_the_kubeconfig_token_works(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    core.create_namespaced_config_map("default", _cm("allowed"))
    assert core.read_namespaced_config_map("allowed", "default").data == {"k": "v"}


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_missing_or_wrong_token_is_401(server: KubesimServer, token: str) -> None:
    core = client.CoreV1Api(api_client(server, token))
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map("default")
    assert caught.value.status == 401
    assert json.loads(caught.value.body) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert TOKEN not in caught.value.body
    for path in ("/version", "/apis", "/kubesim/admin/faults"):
        assert httpx.get(server.url + path).status_code == 401


def test_read_only_token_reads_but_every_write_is_403(server: KubesimServer) -> None:
    client.CoreV1Api(server.api_client()).create_namespaced_config_map("default", _cm("existing"))
    viewer = api_client(server, READ_ONLY)
    core = client.CoreV1Api(viewer)
    assert core.read_namespaced_config_map("existing", "default").data == {"k": "v"}
    assert [c.metadata.name for c in core.list_namespaced_config_map("default").items] == ["existing"]
    writes = {
        "create": lambda: core.create_namespaced_config_map("default", _cm("new")),
        "update": lambda: core.replace_namespaced_config_map("existing", "default", _cm("existing")),
        "patch": lambda: core.patch_namespaced_config_map("existing", "default", {"data": {"k": "w"}}),
        "delete": lambda: core.delete_namespaced_config_map("existing", "default"),
        "deletecollection": lambda: core.delete_collection_namespaced_config_map("default"),
    }
    for verb, call in writes.items():
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status == 403, verb
        body = json.loads(caught.value.body)
        assert body["reason"] == "Forbidden"
        assert (
            f'User "kubesim-viewer" cannot {verb} resource "configmaps" in API group "" in the namespace "default"'
            in body["message"]
        )
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("default", _cm("new"))
    assert json.loads(caught.value.body)["message"] == (
        'configmaps is forbidden: User "kubesim-viewer" cannot create resource "configmaps" in API group "" in the namespace "default"'
    )
    apps = client.AppsV1Api(viewer)
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment_status("web", "default", {"status": {}})
    message = json.loads(caught.value.body)["message"]
    assert message.startswith('deployments.apps "web" is forbidden')
    assert 'resource "deployments/status" in API group "apps"' in message
    with pytest.raises(ApiException) as caught:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="nope")))
    assert json.loads(caught.value.body)["message"].endswith("at the cluster scope")
    assert core.read_namespaced_config_map("existing", "default").data == {"k": "v"}  # nothing changed
    admin = httpx.post(
        server.url + "/kubesim/admin/faults", json={}, headers={"Authorization": f"Bearer {READ_ONLY}"}
    )
    assert admin.status_code == 403


def test_no_token_configured_means_open(kubesim_server: KubesimServer) -> None:
    assert httpx.get(kubesim_server.url + "/version").status_code == 200


def test_forbidden_message_for_named_and_cluster_resources() -> None:
    scope = {"method": "DELETE", "path": "/api/v1/namespaces/team", "query_string": b""}
    body = forbidden_status("someone", request_info(scope))
    assert body["message"] == (
        'namespaces "team" is forbidden: User "someone" cannot delete resource "namespaces" in API group "" in the namespace "team"'
    )
    assert body["details"] == {"name": "team", "kind": "namespaces"}
    watch = request_info(
        {"method": "GET", "path": "/apis/apps/v1/deployments", "query_string": b"watch=true"}
    )
    assert (watch.verb, watch.group, watch.resource, watch.namespace) == ("watch", "apps", "deployments", "")
