"""Validation like kube-apiserver: 422 Invalid with every cause and the real field paths and messages."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubesim_support import REGISTRY, causes, fixture

from kubesim.errors import ApiError
from kubesim.testing import KubesimServer
from kubesim.validation import validate


def test_valid_fixtures_pass() -> None:
    for name, (api_version, kind) in {
        "deployment-healthy.yaml": ("apps/v1", "Deployment"),
        "deployment-minimal-gets-defaults.yaml": ("apps/v1", "Deployment"),
        "statefulset-healthy.yaml": ("apps/v1", "StatefulSet"),
        "daemonset-healthy.yaml": ("apps/v1", "DaemonSet"),
        "job-completes.yaml": ("batch/v1", "Job"),
        "pod-running.yaml": ("v1", "Pod"),
        "pvc-bound.yaml": ("v1", "PersistentVolumeClaim"),
        "service-loadbalancer-gets-ingress.yaml": ("v1", "Service"),
        "secret-stringdata-folded.yaml": ("v1", "Secret"),
    }.items():
        assert causes(api_version, kind, fixture(name)) == [], name


def test_selector_must_match_template_labels() -> None:
    assert causes("apps/v1", "Deployment", fixture("deployment-selector-mismatch-invalid.yaml")) == [
        (
            "spec.template.metadata.labels",
            'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
        )
    ]


def test_selector_required_and_not_empty() -> None:
    dep = fixture("deployment-healthy.yaml")
    del dep["spec"]["selector"]
    assert ("spec.selector", "Required value") in causes("apps/v1", "Deployment", dep)
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["selector"] = {}
    assert causes("apps/v1", "Deployment", dep) == [
        (
            "spec.selector",
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
        )
    ]


def test_selector_is_immutable_on_update() -> None:
    old = fixture("deployment-healthy.yaml")
    causes("apps/v1", "Deployment", old)
    new = json.loads(json.dumps(old))
    new["spec"]["selector"]["matchLabels"]["tier"] = "web"
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    assert causes("apps/v1", "Deployment", new, old) == [
        (
            "spec.selector",
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"healthy-web", "tier":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
        )
    ]


def test_names_follow_the_kind_rule() -> None:
    assert causes("v1", "ConfigMap", {"metadata": {"name": "a.b"}}) == []
    service = {"metadata": {"name": "a.b"}, "spec": {"ports": [{"port": 80}]}}
    found = causes("v1", "Service", service)
    assert found[0][0] == "metadata.name" and "RFC 1123 label" in found[0][1]
    assert (
        causes("rbac.authorization.k8s.io/v1", "ClusterRole", {"metadata": {"name": "system:Viewer"}}) == []
    )
    found = causes("v1", "ConfigMap", {"metadata": {"name": "Upper"}})
    assert found == [
        (
            "metadata.name",
            "Invalid value: \"Upper\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        )
    ]
    assert causes("v1", "ConfigMap", {"metadata": {}}) == [
        ("metadata.name", "Required value: name or generateName is required")
    ]


def test_label_annotation_and_data_keys() -> None:
    found = causes("v1", "ConfigMap", fixture("configmap-bad-key-invalid.yaml"))
    fields = [f for f, _ in found]
    assert fields == ["metadata.labels", "data[not a key]"]
    assert found[0][1].startswith(
        'Invalid value: "bad label!": name part must consist of alphanumeric characters'
    )
    assert "a valid config key must consist of alphanumeric characters" in found[1][1]
    too_long = {"metadata": {"name": "x", "labels": {"a": "v" * 64}}}
    assert causes("v1", "ConfigMap", too_long)[0][1].endswith("must be no more than 63 characters")
    annotated = {"metadata": {"name": "x", "annotations": {"example.com/ok": "1", "bad/key/x": "2"}}}
    assert [f for f, _ in causes("v1", "ConfigMap", annotated)] == ["metadata.annotations"]


def test_job_template_restart_policy() -> None:
    assert causes("batch/v1", "Job", fixture("job-restart-always-invalid.yaml")) == [
        (
            "spec.template.spec.restartPolicy",
            'Unsupported value: "Always": supported values: "OnFailure", "Never"',
        )
    ]


def test_containers_required_named_and_pod_needs_image() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["template"]["spec"]["containers"] = [{"image": "x:1"}, {"name": "Bad_Name"}]
    found = dict(causes("apps/v1", "Deployment", dep))
    assert found["spec.template.spec.containers[0].name"] == "Required value"
    assert "RFC 1123 label" in found["spec.template.spec.containers[1].name"]
    assert (
        "spec.template.spec.containers[1].image" not in found
    )  # templates may omit image, like the real server
    pod = fixture("pod-running.yaml")
    del pod["spec"]["containers"][0]["image"]
    assert ("spec.containers[0].image", "Required value") in causes("v1", "Pod", pod)
    empty = fixture("deployment-healthy.yaml")
    empty["spec"]["template"]["spec"]["containers"] = []
    assert ("spec.template.spec.containers", "Required value") in causes("apps/v1", "Deployment", empty)


def test_container_details() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["template"]["spec"]["containers"] = [
        {
            "name": "web",
            "image": "x:1",
            "ports": [{"containerPort": 70000}, {"containerPort": 80, "protocol": "HTTP"}],
            "volumeMounts": [{"name": "missing", "mountPath": "/data"}],
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
        },
        {"name": "web", "image": "x:1"},
    ]
    found = dict(causes("apps/v1", "Deployment", dep))
    prefix = "spec.template.spec.containers"
    assert (
        found[f"{prefix}[0].ports[0].containerPort"]
        == "Invalid value: 70000: must be between 1 and 65535, inclusive"
    )
    assert (
        found[f"{prefix}[0].ports[1].protocol"]
        == 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'
    )
    assert found[f"{prefix}[0].volumeMounts[0].name"] == 'Not found: "missing"'
    assert (
        found[f"{prefix}[0].resources.requests"]
        == 'Invalid value: "2": must be less than or equal to cpu limit of 1'
    )
    assert found[f"{prefix}[1].name"] == 'Duplicate value: "web"'


def test_service_ports() -> None:
    assert causes("v1", "Service", {"metadata": {"name": "s"}, "spec": {}}) == [
        ("spec.ports", "Required value")
    ]
    two = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}, {"port": 443, "name": "https"}]}}
    assert causes("v1", "Service", two) == [("spec.ports[0].name", "Required value")]
    node_port = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "nodePort": 30080}]}}
    assert causes("v1", "Service", node_port) == [
        ("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'")
    ]


def test_statefulset_spec_updates_are_limited() -> None:
    old = fixture("statefulset-healthy.yaml")
    causes("apps/v1", "StatefulSet", old)
    new = json.loads(json.dumps(old))
    new["spec"]["replicas"] = 5
    assert causes("apps/v1", "StatefulSet", new, old) == []
    new["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    found = causes("apps/v1", "StatefulSet", new, old)
    assert found[0][0] == "spec" and found[0][1].startswith(
        "Forbidden: updates to statefulset spec for fields other than"
    )


def test_immutable_configmap_and_secret_type() -> None:
    old = {"metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": True}
    new = {"metadata": {"name": "c"}, "data": {"a": "2"}, "immutable": True}
    assert causes("v1", "ConfigMap", new, old) == [
        ("data", "Forbidden: field is immutable when `immutable` is set")
    ]
    secret_old = {"metadata": {"name": "s"}, "type": "Opaque", "data": {}}
    secret_new = {
        "metadata": {"name": "s"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "", "tls.key": ""},
    }
    assert causes("v1", "Secret", secret_new, secret_old) == [
        ("type", 'Invalid value: "kubernetes.io/tls": field is immutable')
    ]


def test_several_causes_make_a_bracketed_message() -> None:
    rt = REGISTRY.by_kind("v1", "ConfigMap")
    assert rt is not None
    with pytest.raises(ApiError) as caught:
        validate(rt, fixture("configmap-bad-key-invalid.yaml"), None)
    assert caught.value.message.startswith(
        'ConfigMap "bad-key" is invalid: [metadata.labels: Invalid value: "bad label!"'
    )
    assert caught.value.message.endswith("]")


def test_invalid_objects_over_http(kubesim_server: KubesimServer) -> None:
    api_client = kubesim_server.api_client()
    apps = client.AppsV1Api(api_client)
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("default", fixture("deployment-selector-mismatch-invalid.yaml"))
    assert caught.value.status == 422
    body = json.loads(caught.value.body)
    assert body["reason"] == "Invalid"
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
            "field": "spec.template.metadata.labels",
        }
    ]
    batch = client.BatchV1Api(api_client)
    with pytest.raises(ApiException) as caught:
        batch.create_namespaced_job("default", fixture("job-restart-always-invalid.yaml"), dry_run="All")
    assert caught.value.status == 422


def test_immutable_selector_over_http_dynamic(kubesim_server: KubesimServer) -> None:
    deployments = kubesim_server.dynamic_client().resources.get(api_version="apps/v1", kind="Deployment")
    deployments.create(body=fixture("deployment-healthy.yaml"), namespace="default")
    patch = {
        "spec": {
            "selector": {"matchLabels": {"app": "other"}},
            "template": {"metadata": {"labels": {"app": "other"}}},
        }
    }
    with pytest.raises(ApiException) as caught:
        deployments.patch(
            name="healthy-web", namespace="default", body=patch, content_type="application/merge-patch+json"
        )
    assert caught.value.status == 422
    assert "field is immutable" in caught.value.body
    assert deployments.get(name="healthy-web", namespace="default").spec.selector.matchLabels.to_dict() == {
        "app": "healthy-web"
    }
