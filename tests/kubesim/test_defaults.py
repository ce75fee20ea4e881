"""Defaulting as kube-apiserver does it: unit tests of the Defaulter, then the same through HTTP with the
official client (typed and dynamic)."""

from __future__ import annotations

import base64

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubesim_support import defaulted, fixture

from kubesim.testing import KubesimServer


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
