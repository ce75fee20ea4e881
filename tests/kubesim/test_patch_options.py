"""Request options as kube-apiserver validates them (apimachinery `Validate{Create,Update,Patch,Delete}Options`),
over HTTP with the official client: `force` is only for apply (422 otherwise, even `force=false`), apply
needs a fieldManager, the content type is checked first (415); dryRun, fieldValidation and fieldManager
values of every verb are 422 `<Verb>Options.meta.k8s.io "" is invalid` with one cause each."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer

FORCE_MESSAGE = (
    'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
)
PATH = "/api/v1/namespaces/default/configmaps/cfg"


def _config_map(server: KubesimServer) -> Any:
    core: Any = client.CoreV1Api(server.api_client())
    core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    return core


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/merge-patch+json", {"data": {"a": "2"}}),
        ("application/strategic-merge-patch+json", {"data": {"a": "2"}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/data/a", "value": "2"}]),
    ],
)
def test_force_on_a_non_apply_patch_is_422(
    kubesim_server: KubesimServer, content_type: str, body: Any
) -> None:
    core = _config_map(kubesim_server)
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map("cfg", "default", body, force=True, _content_type=content_type)
    status = json.loads(str(caught.value.body))
    assert caught.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"] == FORCE_MESSAGE
    assert status["details"]["kind"] == "PatchOptions" and status["details"]["group"] == "meta.k8s.io"
    assert status["details"]["causes"] == [
        {"reason": "FieldValueForbidden", "message": "Forbidden: may not be specified for non-apply patch",
         "field": "force"}
    ]  # fmt: skip
    assert core.read_namespaced_config_map("cfg", "default").data == {"a": "1"}


def test_force_false_is_still_a_force(kubesim_server: KubesimServer) -> None:
    """The option is a pointer: given at all, it is refused for a non-apply patch."""
    _config_map(kubesim_server)
    response = httpx.patch(
        kubesim_server.url + PATH,
        params={"force": "false"},
        content=b'{"data":{"a":"2"}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 422 and response.json()["message"] == FORCE_MESSAGE


def test_options_are_checked_before_the_object_and_after_the_content_type(
    kubesim_server: KubesimServer,
) -> None:
    missing = httpx.patch(
        kubesim_server.url + "/api/v1/namespaces/default/configmaps/absent",
        params={"force": "true"},
        content=b"{}",
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert missing.status_code == 422  # not 404: PatchOptions are validated first
    unknown_type = httpx.patch(
        kubesim_server.url + PATH,
        params={"force": "true"},
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )
    assert unknown_type.status_code == 415
    not_json = httpx.patch(
        kubesim_server.url + "/api/v1/namespaces/default/configmaps/absent",
        params={"force": "true"},
        content=b"{not json",
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert not_json.status_code == 422  # the body is decoded after the options


def test_force_with_apply_takes_fields_over(kubesim_server: KubesimServer) -> None:
    core = _config_map(kubesim_server)
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: '9'\n"
    headers = {"Content-Type": "application/apply-patch+yaml"}
    conflicting = httpx.patch(
        kubesim_server.url + PATH, params={"fieldManager": "tool"}, content=doc, headers=headers
    )
    assert conflicting.status_code == 409
    forced = httpx.patch(
        kubesim_server.url + PATH,
        params={"fieldManager": "tool", "force": "true"},
        content=doc,
        headers=headers,
    )
    assert forced.status_code == 200 and forced.json()["data"] == {"a": "9"}
    not_forced = httpx.patch(
        kubesim_server.url + PATH,
        params={"fieldManager": "other", "force": "false"},
        content=doc.replace(b"'9'", b"'7'"),
        headers=headers,
    )
    assert not_forced.status_code == 409
    assert core.read_namespaced_config_map("cfg", "default").data == {"a": "9"}


def test_apply_without_field_manager_is_422(kubesim_server: KubesimServer) -> None:
    _config_map(kubesim_server)
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
    response = httpx.patch(
        kubesim_server.url + PATH, content=doc, headers={"Content-Type": "application/apply-patch+yaml"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )


def test_bad_options_of_every_verb_are_422_listing_each_cause(kubesim_server: KubesimServer) -> None:
    core = _config_map(kubesim_server)
    aggregated = httpx.put(
        kubesim_server.url + PATH,
        params={"dryRun": "Maybe", "fieldValidation": "Loud"},
        json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "2"}},
    )
    status = aggregated.json()
    assert aggregated.status_code == 422 and status["details"]["kind"] == "UpdateOptions"
    assert status["message"] == (
        'UpdateOptions.meta.k8s.io "" is invalid: [dryRun: Unsupported value: ["Maybe"]: supported values: '
        '"All", fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"]'
    )
    assert [c["field"] for c in status["details"]["causes"]] == ["dryRun", "fieldValidation"]
    patched = httpx.patch(
        kubesim_server.url + PATH,
        params={"dryRun": "Maybe"},
        content=b'{"data":{"a":"2"}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 422 and patched.json()["details"]["kind"] == "PatchOptions"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("default", {"metadata": {"name": "other"}}, field_manager="m" * 129)
    assert caught.value.status == 422 and json.loads(str(caught.value.body))["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes'
    )
    assert core.read_namespaced_config_map("cfg", "default").data == {"a": "1"}
    dry_delete_in_body = httpx.request(
        "DELETE",
        kubesim_server.url + PATH,
        json={"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["Some"]},
    )
    assert dry_delete_in_body.status_code == 422
    assert core.read_namespaced_config_map("cfg", "default").data == {"a": "1"}
