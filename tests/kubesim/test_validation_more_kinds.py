"""Validation like kube-apiserver for RBAC (rules, immutable roleRef), HPAs, PDBs and port names (IANA
service names): 422 Invalid with the real field paths and messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client.rest import ApiException
from kubesim_support import causes, fixture

from kubesim.testing import KubesimServer


def _binding(role: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "readers"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": "app"}],
    }


def test_rbac_rules_and_role_ref() -> None:
    role = {
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"], "resources": ["pods"]}],
    }
    assert causes("rbac.authorization.k8s.io/v1", "Role", role) == [
        ("rules[0].verbs", "Required value: verbs must contain at least one value"),
        ("rules[1].apiGroups", "Required value: resource rules must supply at least one api group"),
    ]
    assert causes("rbac.authorization.k8s.io/v1", "RoleBinding", _binding("reader")) == []
    assert causes("rbac.authorization.k8s.io/v1", "RoleBinding", _binding("writer"), _binding("reader")) == [
        (
            "roleRef",
            'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"writer"}: cannot change roleRef',
        )
    ]
    cluster = {**_binding("reader"), "kind": "ClusterRoleBinding"}
    assert ("subjects[0].namespace", "Required value") in causes(
        "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", cluster
    )


def test_hpa_and_pdb() -> None:
    hpa = {
        "metadata": {"name": "h"},
        "spec": {"minReplicas": 3, "maxReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "web"}},
    }
    assert causes("autoscaling/v2", "HorizontalPodAutoscaler", hpa) == [
        ("spec.maxReplicas", "Invalid value: 2: must be greater than or equal to `minReplicas`")
    ]
    pdb = {"metadata": {"name": "p"}, "spec": {"minAvailable": 1, "maxUnavailable": "50%"}}
    assert [f for f, _ in causes("policy/v1", "PodDisruptionBudget", pdb)] == ["spec"]


def test_role_ref_change_over_http_needs_a_replace(kubesim_server: KubesimServer) -> None:
    bindings = kubesim_server.dynamic_client().resources.get(
        api_version="rbac.authorization.k8s.io/v1", kind="RoleBinding"
    )
    bindings.create(body=_binding("reader"), namespace="default")
    with pytest.raises(ApiException) as caught:
        bindings.patch(
            name="readers",
            namespace="default",
            body={"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "writer"}},
            content_type="application/merge-patch+json",
        )
    assert caught.value.status == 422
    assert json.loads(caught.value.body)["details"]["causes"][0]["field"] == "roleRef"
    bindings.delete(name="readers", namespace="default")
    assert bindings.create(body=_binding("writer"), namespace="default").roleRef.name == "writer"


def test_port_names_are_iana_service_names() -> None:
    dep = fixture("deployment-healthy.yaml")
    dep["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 80, "name": "http-metrics-port"}
    ]
    assert causes("apps/v1", "Deployment", dep) == [
        (
            "spec.template.spec.containers[0].ports[0].name",
            'Invalid value: "http-metrics-port": must be no more than 15 characters',
        )
    ]
    service = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "targetPort": "HTTP"}]}}
    assert causes("v1", "Service", service) == [
        (
            "spec.ports[0].targetPort",
            'Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        ),
        ("spec.ports[0].targetPort", 'Invalid value: "HTTP": must contain at least one letter (a-z)'),
    ]
    service["spec"]["ports"][0]["targetPort"] = "http"
    assert causes("v1", "Service", service) == []
