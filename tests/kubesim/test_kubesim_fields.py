"""Unknown fields and fieldValidation (Ignore, Warn, Strict) for built-ins and custom resources; CRD
structural schemas: pruning, defaults, validation."""

from __future__ import annotations

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.schemas import generate
from kubesim.testing import KubesimServer

CM_PATH = "/api/v1/namespaces/default/configmaps"


def _post(server: KubesimServer, path: str, body: dict, **params: str) -> httpx.Response:
    return httpx.post(server.url + path, json=body, params=params)


def _cm(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labelz": {"a": "b"}},
            "data": {"k": "v"}, "spec": {"nope": 1}}  # fmt: skip


def test_builtin_field_table_is_current() -> None:
    assert generate.OUTPUT.read_text() == generate.render(), "run: python -m kubesim.schemas.generate"


def test_unknown_fields_are_dropped_with_a_warning_by_default(kubesim_server: KubesimServer) -> None:
    response = _post(kubesim_server, CM_PATH, _cm("warned"))
    assert response.status_code == 201
    body = response.json()
    assert "spec" not in body and "labelz" not in body["metadata"] and body["data"] == {"k": "v"}
    warnings = response.headers.get_list("warning")
    assert '299 - "unknown field \\"spec\\""' in warnings
    assert '299 - "unknown field \\"metadata.labelz\\""' in warnings


def test_strict_rejects_unknown_fields(kubesim_server: KubesimServer) -> None:
    response = _post(kubesim_server, CM_PATH, _cm("strict"), fieldValidation="Strict")
    assert response.status_code == 400
    assert response.json()["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "metadata.labelz", unknown field "spec"'
    )
    assert httpx.get(kubesim_server.url + CM_PATH + "/strict").status_code == 404


def test_ignore_drops_silently_and_bad_mode_is_422(kubesim_server: KubesimServer) -> None:
    response = _post(kubesim_server, CM_PATH, _cm("quiet"), fieldValidation="Ignore")
    assert response.status_code == 201 and not response.headers.get_list("warning")
    bad = _post(kubesim_server, CM_PATH, _cm("x"), fieldValidation="Loud")
    assert bad.status_code == 422 and bad.json()["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": '
        'supported values: "", "Ignore", "Strict", "Warn"'
    )


def test_nested_unknown_fields_in_pod_templates(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "typo"},
            "spec": {"replicsa": 3, "selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1", "imagePullPolicyy": "x"}]}}}}  # fmt: skip
    response = _post(
        kubesim_server, "/apis/apps/v1/namespaces/default/deployments", body, fieldValidation="Strict"
    )
    assert response.status_code == 400
    assert 'unknown field "spec.replicsa"' in response.json()["message"]
    assert 'unknown field "spec.template.spec.containers[0].imagePullPolicyy"' in response.json()["message"]
    dynamic = kubesim_server.dynamic_client().resources.get(api_version="apps/v1", kind="Deployment")
    dynamic.create(body=body, namespace="default")
    assert (
        apps.read_namespaced_deployment("typo", "default").spec.replicas == 1
    )  # typo dropped, default applied


def _crd() -> dict:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                    "colour": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "port": {"x-kubernetes-int-or-string": True},
                },
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema},
                               "subresources": {"status": {}}}]},
    }  # fmt: skip


@pytest.fixture
def gadgets(kubesim_server: KubesimServer) -> client.CustomObjectsApi:
    client.ApiextensionsV1Api(kubesim_server.api_client()).create_custom_resource_definition(_crd())
    return client.CustomObjectsApi(kubesim_server.api_client())


def _gadget(name: str, spec: dict) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": name}, "spec": spec}


def test_custom_resource_pruning_and_defaults(gadgets: client.CustomObjectsApi) -> None:
    created = gadgets.create_namespaced_custom_object("example.com", "v1", "default", "gadgets", _gadget(
        "g", {"size": 2, "bogus": True, "labels": {"x": "y"}, "free": {"any": {"thing": 1}}, "port": "http"}))  # fmt: skip
    assert created["spec"] == {"size": 2, "colour": "red", "labels": {"x": "y"}, "free": {"any": {"thing": 1}},
                               "port": "http"}  # fmt: skip
    body = _gadget("top", {"size": 1})
    body["extra"] = "dropped"
    assert "extra" not in gadgets.create_namespaced_custom_object(
        "example.com", "v1", "default", "gadgets", body
    )


@pytest.mark.parametrize(
    ("spec", "field", "fragment"),
    [
        ({"size": "big"}, "spec.size", "spec.size in body must be of type integer"),
        ({"size": 11}, "spec.size", "should be less than or equal to 10"),
        ({"size": 0}, "spec.size", "should be greater than or equal to 1"),
        ({"size": 1, "colour": "green"}, "spec.colour", 'Unsupported value: "green"'),
        ({"colour": "red"}, "spec.size", "Required value"),
        ({"size": 1, "labels": {"a": 1}}, "spec.labels.a", "must be of type string"),
    ],
)
def test_custom_resource_validation(
    gadgets: client.CustomObjectsApi, spec: dict, field: str, fragment: str
) -> None:
    with pytest.raises(ApiException) as err:
        gadgets.create_namespaced_custom_object(
            "example.com", "v1", "default", "gadgets", _gadget("bad", spec)
        )
    assert err.value.status == 422
    import json

    causes = json.loads(err.value.body)["details"]["causes"]
    assert any(c["field"] == field and fragment in c["message"] for c in causes), causes


def test_custom_resource_strict_unknown_field(
    kubesim_server: KubesimServer, gadgets: client.CustomObjectsApi
) -> None:
    response = _post(kubesim_server, "/apis/example.com/v1/namespaces/default/gadgets",
                     _gadget("s", {"size": 1, "bogus": 1}), fieldValidation="Strict")  # fmt: skip
    assert response.status_code == 400 and 'unknown field "spec.bogus"' in response.json()["message"]
