"""Defaults of pod specs and containers (k8s.io/kubernetes pkg/apis/core/v1/defaults.go).

`default_pod_spec` is applied to every Pod and every pod template (Deployment, ReplicaSet,
StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate); `default_pod` adds what
only a Pod gets (requests copied from limits, enableServiceLinks, the admission plugins' service
account, priority and default tolerations).
"""

from __future__ import annotations

from typing import Any

from kubesim.quantity import canonicalize_map

Obj = dict[str, Any]

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
DEFAULT_MODE = 420


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or an untagged image, else `IfNotPresent` (digests count as pinned)."""
    if "@" in image:
        return "IfNotPresent"
    last_segment = image.rsplit("/", 1)[-1]
    if ":" not in last_segment:
        return "Always"
    return "Always" if last_segment.rsplit(":", 1)[1] == "latest" else "IfNotPresent"


def default_pod_spec(spec: Obj, path: str) -> None:
    """Defaults shared by pods and pod templates; `path` names the spec for quantity errors."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("hostNetwork"):
        _default_host_network_ports(spec)
    for index, volume in enumerate(spec.get("volumes") or []):
        if isinstance(volume, dict):
            default_volume(volume, f"{path}.volumes[{index}]")
    for list_name in CONTAINER_LISTS:
        for index, container in enumerate(spec.get(list_name) or []):
            if isinstance(container, dict):
                default_container(container, f"{path}.{list_name}[{index}]")
    if isinstance(spec.get("overhead"), dict):
        canonicalize_map(spec["overhead"], f"{path}.overhead")
    if isinstance(spec.get("resources"), dict):
        _canonicalize_resources(spec["resources"], f"{path}.resources")


def default_pod(pod: Obj) -> None:
    """Everything a Pod gets beyond a template: spec defaults plus the create-time admissions."""
    spec = pod.setdefault("spec", {})
    for list_name in ("initContainers", "containers"):
        for container in spec.get(list_name) or []:
            resources = container.get("resources") if isinstance(container, dict) else None
            if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
                requests = resources.setdefault("requests", {})
                for key, value in resources["limits"].items():
                    requests.setdefault(key, value)
    spec.setdefault("enableServiceLinks", True)
    default_pod_spec(spec, "spec")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(isinstance(t, dict) and t.get("key") == taint for t in tolerations):
            tolerations.append(
                {"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status["qosClass"] = qos_class(spec)


def qos_class(spec: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, computed like the kubelet from requests and limits."""
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    any_set, all_guaranteed = False, bool(containers)
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        any_set = any_set or bool(requests) or bool(limits)
        if not all(k in limits and requests.get(k, limits[k]) == limits[k] for k in ("cpu", "memory")):
            all_guaranteed = False
    if all_guaranteed and any_set:
        return "Guaranteed"
    return "Burstable" if any_set else "BestEffort"


def default_container(container: Obj, path: str) -> None:
    image = container.get("image")
    if isinstance(image, str) and image:
        container.setdefault("imagePullPolicy", image_pull_policy(image))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") if isinstance(env, dict) else None
        if isinstance(value_from, dict) and isinstance(value_from.get("fieldRef"), dict):
            value_from["fieldRef"].setdefault("apiVersion", "v1")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(probe_name), dict):
            default_probe(container[probe_name])
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in lifecycle.values():
            if isinstance(hook, dict):
                _default_handler(hook)
    if isinstance(container.get("resources"), dict):
        _canonicalize_resources(container["resources"], f"{path}.resources")


def default_probe(probe: Obj) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _default_handler(probe)


def _default_handler(handler: Obj) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        http_get.setdefault("path", "/")
        http_get.setdefault("scheme", "HTTP")
    grpc = handler.get("grpc")
    if isinstance(grpc, dict):
        grpc.setdefault("service", "")


_VOLUME_SOURCES = [
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
]


def default_volume(volume: Obj, path: str) -> None:
    if not any(volume.get(source) is not None for source in _VOLUME_SOURCES):
        volume["emptyDir"] = {}
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(source), dict):
            volume[source].setdefault("defaultMode", DEFAULT_MODE)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    empty_dir = volume.get("emptyDir")
    if isinstance(empty_dir, dict) and "sizeLimit" in empty_dir:
        limit = {"sizeLimit": empty_dir["sizeLimit"]}
        canonicalize_map(limit, f"{path}.emptyDir")
        empty_dir["sizeLimit"] = limit["sizeLimit"]
    _default_field_refs((volume.get("downwardAPI") or {}).get("items"))
    for source in (volume.get("projected") or {}).get("sources") or []:
        if not isinstance(source, dict):
            continue
        _default_field_refs((source.get("downwardAPI") or {}).get("items"))
        token = source.get("serviceAccountToken")
        if isinstance(token, dict):
            token.setdefault("expirationSeconds", 3600)
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        claim_spec = ephemeral["volumeClaimTemplate"].get("spec")
        if isinstance(claim_spec, dict):
            default_claim_spec(claim_spec, f"{path}.ephemeral.volumeClaimTemplate.spec")


def _default_field_refs(items: object) -> None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
            item["fieldRef"].setdefault("apiVersion", "v1")


def default_claim_spec(spec: Obj, path: str) -> None:
    """PersistentVolumeClaimSpec defaults, also used by StatefulSet claim templates."""
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("resources"), dict):
        _canonicalize_resources(spec["resources"], f"{path}.resources")


def _canonicalize_resources(resources: Obj, path: str) -> None:
    for key in ("requests", "limits"):
        if isinstance(resources.get(key), dict):
            canonicalize_map(resources[key], f"{path}.{key}")


def _default_host_network_ports(spec: Obj) -> None:
    for list_name in ("initContainers", "containers"):
        for container in spec.get(list_name) or []:
            for port in (container.get("ports") or []) if isinstance(container, dict) else []:
                if isinstance(port, dict) and "hostPort" not in port and "containerPort" in port:
                    port["hostPort"] = port["containerPort"]
