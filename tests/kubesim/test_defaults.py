"""Defaulting as kube-apiserver does it: unit tests of the Defaulter, then the same through HTTP with the
official client (typed and dynamic)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.defaulting import Defaulter
from kubesim.errors import ApiError
from kubesim.resources import Registry, ResourceType
from kubesim.testing import KubesimServer

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = Registry()


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return loaded


def rt(api_version: str, kind: str) -> ResourceType:
    found = REGISTRY.by_kind(api_version, kind)
    assert found is not None
    return found


def defaulted(
    api_version: str, kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> dict[str, Any]:
    Defaulter(seed=1).apply(rt(api_version, kind), obj, old)
    return obj


def test_deployment_and_pod_template_defaults() -> None:
    dep = defaulted("apps/v1", "Deployment", fixture("deployment-minimal-gets-defaults.yaml"))
    spec = dep["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert {
        k: pod[k]
        for k in (
            "restartPolicy",
            "dnsPolicy",
            "schedulerName",
            "terminationGracePeriodSeconds",
            "securityContext",
        )
    } == {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "securityContext": {},
    }
    web, sidecar = pod["containers"]
    assert web["imagePullPolicy"] == "Always"  # untagged
    assert sidecar["imagePullPolicy"] == "IfNotPresent"
    assert web["terminationMessagePath"] == "/dev/termination-log"
    assert web["terminationMessagePolicy"] == "File"
    assert web["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert web["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    assert web["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert web["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "1", "memory": "2000Mi"},
    }
    assert pod["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
    ]
    assert "enableServiceLinks" not in pod  # only Pods get it, not templates


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry:5000/team/app", "Always"),
        ("registry:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    pod = defaulted(
        "v1", "Pod", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": image}]}}
    )
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_pod_gets_admission_defaults_and_requests_from_limits() -> None:
    pod = defaulted(
        "v1",
        "Pod",
        {
            "metadata": {"name": "p"},
            "spec": {
                "containers": [{"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "2000m"}}}]
            },
        },
    )
    spec = pod["spec"]
    assert spec["containers"][0]["resources"] == {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}
    assert spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == "default"
    assert spec["priority"] == 0
    assert {t["key"] for t in spec["tolerations"]} == {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    }
    assert pod["status"] == {"phase": "Pending", "qosClass": "Burstable"}


def test_workload_defaults() -> None:
    sts = defaulted("apps/v1", "StatefulSet", fixture("statefulset-healthy.yaml"))["spec"]
    assert sts["podManagementPolicy"] == "OrderedReady"
    assert sts["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["revisionHistoryLimit"] == 10
    assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert sts["serviceName"] == "db"
    claim = sts["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    ds = defaulted("apps/v1", "DaemonSet", fixture("daemonset-healthy.yaml"))["spec"]
    assert ds["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["revisionHistoryLimit"] == 10
    rs = defaulted("apps/v1", "ReplicaSet", {"metadata": {"name": "r"}, "spec": {}})
    assert rs["spec"]["replicas"] == 1
    cron = defaulted(
        "batch/v1",
        "CronJob",
        {
            "metadata": {"name": "c"},
            "spec": {
                "schedule": "* * * * *",
                "jobTemplate": {
                    "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}
                },
            },
        },
    )
    assert {
        k: cron["spec"][k]
        for k in ("concurrencyPolicy", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
    } == {
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
    }
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert "backoffLimit" not in cron["spec"]["jobTemplate"]["spec"]


def test_job_defaults_and_generated_selector() -> None:
    job = fixture("job-completes.yaml")
    job["metadata"]["uid"] = "1234"
    spec = defaulted("batch/v1", "Job", job)["spec"]
    assert {
        k: spec[k]
        for k in (
            "backoffLimit",
            "completions",
            "parallelism",
            "completionMode",
            "suspend",
            "podReplacementPolicy",
        )
    } == {
        "backoffLimit": 6,
        "completions": 1,
        "parallelism": 1,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "completes"
    assert labels["controller-uid"] == "1234"
    assert job["metadata"]["labels"] == labels  # the Job's labels follow its template's, like the real server


def test_parallelism_alone_leaves_completions_unset() -> None:
    spec = defaulted(
        "batch/v1",
        "Job",
        {"metadata": {"name": "j", "uid": "u"}, "spec": {"parallelism": 3, "template": {"spec": {}}}},
    )["spec"]
    assert spec["parallelism"] == 3
    assert "completions" not in spec


def test_service_defaults_and_allocation() -> None:
    svc = defaulted("v1", "Service", fixture("service-loadbalancer-gets-ingress.yaml"))["spec"]
    assert svc["type"] == "LoadBalancer"
    assert svc["sessionAffinity"] == "None"
    assert svc["ipFamilies"] == ["IPv4"] and svc["ipFamilyPolicy"] == "SingleStack"
    assert svc["internalTrafficPolicy"] == "Cluster" and svc["externalTrafficPolicy"] == "Cluster"
    assert svc["allocateLoadBalancerNodePorts"] is True
    assert svc["clusterIPs"] == [svc["clusterIP"]]
    assert svc["clusterIP"].startswith("10.") and svc["clusterIP"] not in ("10.96.0.1", "10.96.0.10")
    http, https = svc["ports"]
    assert (http["protocol"], http["targetPort"]) == ("TCP", 80)
    assert https["targetPort"] == 8443
    assert 30000 <= http["nodePort"] <= 32767 and http["nodePort"] != https["nodePort"]


def test_headless_and_external_name_services() -> None:
    headless = defaulted(
        "v1",
        "Service",
        {
            "metadata": {"name": "h"},
            "spec": {"clusterIP": "None", "selector": {"a": "b"}, "ports": [{"port": 80}]},
        },
    )
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert headless["spec"]["ipFamilyPolicy"] == "SingleStack"
    selectorless = defaulted("v1", "Service", {"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}})
    assert selectorless["spec"]["ipFamilyPolicy"] == "PreferDualStack"
    external = defaulted(
        "v1",
        "Service",
        {"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "example.com"}},
    )
    assert "clusterIP" not in external["spec"] and "internalTrafficPolicy" not in external["spec"]


def test_service_update_keeps_allocated_values_and_taken_ips_are_refused() -> None:
    defaulter = Defaulter(seed=3)
    service_rt = rt("v1", "Service")
    first = {"metadata": {"name": "a"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, first)
    update = {"metadata": {"name": "a"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, update, first)
    assert update["spec"]["clusterIP"] == first["spec"]["clusterIP"]
    assert update["spec"]["ports"][0]["nodePort"] == first["spec"]["ports"][0]["nodePort"]
    clash = {
        "metadata": {"name": "b"},
        "spec": {"clusterIP": first["spec"]["clusterIP"], "ports": [{"port": 80}]},
    }
    with pytest.raises(ApiError) as caught:
        defaulter.apply(service_rt, clash)
    assert caught.value.code == 422
    assert "provided IP is already allocated" in caught.value.message
    defaulter.release(service_rt, first)
    defaulter.apply(service_rt, clash)
    assert clash["spec"]["clusterIP"] == first["spec"]["clusterIP"]


def test_core_kinds() -> None:
    ns = defaulted("v1", "Namespace", {"metadata": {"name": "team"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    secret = defaulted("v1", "Secret", fixture("secret-stringdata-folded.yaml"))
    assert "stringData" not in secret and secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["password"]) == b"s3cret"
    assert secret["data"]["user"] == "YWRtaW4="
    pvc = defaulted("v1", "PersistentVolumeClaim", fixture("pvc-bound.yaml"))
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
    quota = defaulted(
        "v1",
        "ResourceQuota",
        {"metadata": {"name": "q"}, "spec": {"hard": {"requests.cpu": "4000m", "requests.memory": "2048Mi"}}},
    )
    assert quota["spec"]["hard"] == {"requests.cpu": "4", "requests.memory": "2Gi"}
    limits = defaulted(
        "v1",
        "LimitRange",
        {
            "metadata": {"name": "l"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "2000m"}, "min": {"memory": "64Mi"}}]},
        },
    )
    item = limits["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}
    hpa = defaulted(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        {
            "metadata": {"name": "h"},
            "spec": {"maxReplicas": 3, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}},
        },
    )
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 80,
    }
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert hpa["spec"]["behavior"]["scaleUp"]["policies"][0] == {
        "type": "Pods",
        "value": 4,
        "periodSeconds": 15,
    }


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


# ---- over HTTP with the official client ---------------------------------------------------------------


def test_defaults_over_http_typed_client(kubesim_server: KubesimServer) -> None:
    api_client = kubesim_server.api_client()
    apps = client.AppsV1Api(api_client)
    created = apps.create_namespaced_deployment("default", fixture("deployment-minimal-gets-defaults.yaml"))
    assert created.spec.replicas == 1
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    container = created.spec.template.spec.containers[0]
    assert container.image_pull_policy == "Always"
    assert container.resources.requests == {"cpu": "500m", "memory": "1Gi"}
    stored = apps.read_namespaced_deployment("defaults-web", "default")
    assert stored.spec.template.spec.dns_policy == "ClusterFirst"
    core = client.CoreV1Api(api_client)
    secret = core.create_namespaced_secret("default", fixture("secret-stringdata-folded.yaml"))
    assert secret.string_data is None
    assert base64.b64decode(secret.data["password"]) == b"s3cret"
    service = core.create_namespaced_service("default", fixture("service-loadbalancer-gets-ingress.yaml"))
    assert service.spec.cluster_ip and service.spec.ports[0].node_port


def test_defaults_over_http_dynamic_client_and_dry_run(kubesim_server: KubesimServer) -> None:
    dynamic = kubesim_server.dynamic_client()
    jobs = dynamic.resources.get(api_version="batch/v1", kind="Job")
    dry = jobs.create(
        body=fixture("job-completes.yaml"), namespace="default", query_params=[("dryRun", "All")]
    )
    assert dry.spec.backoffLimit == 6
    created = jobs.create(body=fixture("job-completes.yaml"), namespace="default")
    assert created.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"] == created.metadata.uid
    services = dynamic.resources.get(api_version="v1", kind="Service")
    first = services.create(body=fixture("service-loadbalancer-gets-ingress.yaml"), namespace="default")
    clash = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "clash"},
        "spec": {"clusterIP": first.spec.clusterIP, "ports": [{"port": 80}]},
    }
    with pytest.raises(ApiException) as caught:
        services.create(body=clash, namespace="default")
    assert caught.value.status == 422


def test_invalid_quantity_over_http_is_400(kubesim_server: KubesimServer) -> None:
    apps = client.AppsV1Api(kubesim_server.api_client())
    bad = fixture("deployment-healthy.yaml")
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memory": "1 GB"}}
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("default", bad)
    assert caught.value.status == 400
    assert "quantities must match the regular expression" in caught.value.body


def test_service_type_change_drops_node_ports() -> None:
    defaulter = Defaulter(seed=5)
    service_rt = rt("v1", "Service")
    node_port = {"metadata": {"name": "n"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    defaulter.apply(service_rt, node_port)
    allocated = node_port["spec"]["ports"][0]["nodePort"]
    back = json_copy(node_port)
    back["spec"]["type"] = "ClusterIP"  # a merge patch / apply keeps the server-set nodePort in the body
    defaulter.apply(service_rt, back, node_port)
    assert "nodePort" not in back["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in back["spec"]
    assert back["spec"]["clusterIP"] == node_port["spec"]["clusterIP"]
    assert not defaulter.allocators.port_taken(allocated, "other/service")


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    import json

    copied: dict[str, Any] = json.loads(json.dumps(obj))
    return copied


def test_the_same_service_gets_the_same_addresses_and_a_full_range_is_an_error() -> None:
    defaulter = Defaulter(seed=7)
    service_rt = rt("v1", "Service")

    def node_port_service(name: str) -> dict[str, Any]:
        body = {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]},
        }
        defaulter.apply(service_rt, body)  # e.g. a dry run: nothing is stored
        return body

    first, again = node_port_service("same"), node_port_service("same")
    assert first["spec"]["clusterIP"] == again["spec"]["clusterIP"]
    assert first["spec"]["ports"] == again["spec"]["ports"]
    for index in range(32768 - 30000 - 1):
        node_port_service(f"svc-{index}")
    with pytest.raises(ApiError) as caught:
        node_port_service("one-too-many")
    assert caught.value.code == 500 and "range is full" in caught.value.message


def test_deleted_service_gives_its_cluster_ip_back_over_http(kubesim_server: KubesimServer) -> None:
    core = client.CoreV1Api(kubesim_server.api_client())
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "first"},
        "spec": {"clusterIP": "10.96.5.5", "ports": [{"port": 80}]},
    }
    core.create_namespaced_service("default", body)
    body["metadata"]["name"] = "second"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_service("default", body)
    assert caught.value.status == 422 and "provided IP is already allocated" in caught.value.body
    core.delete_namespaced_service("first", "default")
    assert core.create_namespaced_service("default", body).spec.cluster_ip == "10.96.5.5"


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
