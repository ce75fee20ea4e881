"""Decoding while defaulting, as kube-apiserver's JSON decoder does it: numbers, booleans or strings where the
Go type differs, malformed quantities and base64 are 400 (in process and over HTTP); null template
timestamps are omitted."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubesim_support import defaulted, fixture

from kubesim.errors import ApiError
from kubesim.testing import KubesimServer


def test_malformed_quantity_or_base64_is_a_400() -> None:
    bad = fixture("deployment-healthy.yaml")
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
    with pytest.raises(ApiError) as caught:
        defaulted("apps/v1", "Deployment", bad)
    assert caught.value.code == 400
    assert "spec.template.spec.containers[0].resources.limits.cpu" in caught.value.message
    with pytest.raises(ApiError) as caught:
        defaulted("v1", "Secret", {"metadata": {"name": "s"}, "data": {"k": "not base64!"}})
    assert caught.value.code == 400


def test_invalid_quantity_over_http_is_400(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    bad = fixture("deployment-healthy.yaml")
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memory": "1 GB"}}
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("default", bad)
    assert caught.value.status == 400
    assert "quantities must match the regular expression" in caught.value.body


def test_numbers_where_strings_belong_are_decode_errors() -> None:
    with pytest.raises(ApiError) as caught:
        defaulted("apps/v1", "Deployment", fixture("deployment-unquoted-env-number-rejected.yaml"))
    assert caught.value.code == 400
    assert caught.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go '
        "struct field EnvVar.spec.template.spec.containers.env.value of type string"
    )
    with pytest.raises(ApiError) as caught:
        defaulted("v1", "ConfigMap", {"metadata": {"name": "c", "labels": {"enabled": True}}})
    assert caught.value.message.endswith(
        "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"
    )


def test_unquoted_values_over_http_are_400(kubesim_server: KubesimServer) -> None:
    config_maps = kubesim_server.dynamic_client().resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"replicas": 3}}
    with pytest.raises(ApiException) as caught:  # the typed client would refuse it before sending
        config_maps.create(body=body, namespace="default")
    assert caught.value.status == 400
    assert "cannot unmarshal number into Go struct field ConfigMap.data of type string" in caught.value.body


def test_quoted_numbers_are_decode_errors() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["replicas"] = "3"
    with pytest.raises(ApiError) as caught:
        defaulted("apps/v1", "Deployment", dep)
    assert caught.value.message.endswith(
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )
    service = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": "80"}]}}
    with pytest.raises(ApiError) as caught:
        defaulted("v1", "Service", service)
    assert "ServicePort.spec.ports.port of type int32" in caught.value.message


def test_null_creation_timestamp_in_templates_is_omitted() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["template"]["metadata"]["creationTimestamp"] = (
        None  # as `kubectl create --dry-run -o yaml` writes
    )
    assert "creationTimestamp" not in defaulted("apps/v1", "Deployment", dep)["spec"]["template"]["metadata"]
