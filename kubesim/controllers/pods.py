"""Status of Jobs, Pods, PVCs, LoadBalancer Services and Ingresses as their controllers (and the kubelet)
write it."""

from __future__ import annotations

import hashlib

from kubesim.controllers.common import Obj, condition, is_failing

NODE_NAME = "kubesim-node"
NODE_IP = "172.18.0.2"


def _address(obj: Obj, prefix: str) -> str:
    uid = (obj.get("metadata") or {}).get("uid") or (obj.get("metadata") or {}).get("name", "")
    digest = hashlib.sha256(str(uid).encode()).digest()
    return f"{prefix}.{digest[0] % 250 + 2}.{digest[1] % 250 + 2}"


def job_status(obj: Obj, due: bool, now: str) -> Obj | None:
    spec, previous = obj.get("spec") or {}, obj.get("status") or {}
    old_conditions = previous.get("conditions") or []
    if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in old_conditions):
        return None  # finished jobs stay finished
    if spec.get("suspend"):
        return {
            "conditions": [
                condition(
                    old_conditions, "Suspended", "True", "JobSuspended", "Job suspended", now, probe_time=True
                )
            ]
        }
    start = previous.get("startTime", now)
    base: Obj = {"startTime": start, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    if not due:
        return {**base, "active": spec.get("parallelism", 1) or 1}
    if is_failing(obj):
        message = "Job has reached the specified backoff limit"
        return {
            **base,
            "failed": int(spec.get("backoffLimit", 6)) + 1,
            "conditions": [
                condition(
                    old_conditions,
                    "FailureTarget",
                    "True",
                    "BackoffLimitExceeded",
                    message,
                    now,
                    probe_time=True,
                ),
                condition(
                    old_conditions, "Failed", "True", "BackoffLimitExceeded", message, now, probe_time=True
                ),
            ],
        }
    message = "Reached expected number of succeeded pods"
    return {
        **base,
        "succeeded": spec.get("completions") or 1,
        "completionTime": now,
        "conditions": [
            condition(
                old_conditions,
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                message,
                now,
                probe_time=True,
            ),
            condition(
                old_conditions, "Complete", "True", "CompletionsReached", message, now, probe_time=True
            ),
        ],
    }


def pod_status(obj: Obj, due: bool, now: str) -> Obj | None:
    spec, previous = obj.get("spec") or {}, obj.get("status") or {}
    old_conditions = previous.get("conditions") or []
    if previous.get("phase") in ("Succeeded", "Failed"):
        return None
    scheduled = condition(old_conditions, "PodScheduled", "True", "", "", now, probe_time=True)
    scheduled.pop("reason")
    base: Obj = {"qosClass": previous.get("qosClass", "BestEffort")}
    if not due:
        return {**base, "phase": "Pending", "conditions": [scheduled]}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    names = [str(c.get("name", "")) for c in containers]
    restart = spec.get("restartPolicy", "Always")
    failing = is_failing(obj)
    finished = restart in ("Never", "OnFailure") and not failing
    status: Obj = {
        **base,
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "podIP": _address(obj, "10.244"),
        "podIPs": [{"ip": _address(obj, "10.244")}],
        "startTime": previous.get("startTime", now),
    }
    ready = not failing and not finished

    def plain(kind: str, status_value: str, reason: str = "", message: str = "") -> Obj:
        made = condition(old_conditions, kind, status_value, reason, message, now, probe_time=True)
        if not reason:
            made.pop("reason")
        return made

    unready = "PodCompleted" if finished else "ContainersNotReady"
    unready_message = "" if finished else f"containers with unready status: [{' '.join(names)}]"
    status["conditions"] = [
        plain("PodReadyToStartContainers", "False" if finished else "True"),
        plain("Initialized", "True", "PodCompleted" if finished else ""),
        plain("Ready", "True") if ready else plain("Ready", "False", unready, unready_message),
        plain("ContainersReady", "True")
        if ready
        else plain("ContainersReady", "False", unready, unready_message),
        scheduled,
    ]
    status["containerStatuses"] = [
        _container_status(obj, container, now, failing=failing, finished=finished) for container in containers
    ]
    init_containers = [c for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    if init_containers:
        status["initContainerStatuses"] = [
            _container_status(obj, container, now, failing=False, finished=True)
            for container in init_containers
        ]
        for init_status in status["initContainerStatuses"]:
            init_status["ready"] = True
    status["phase"] = "Succeeded" if finished else ("Failed" if failing and restart == "Never" else "Running")
    return status


def _container_status(pod: Obj, container: Obj, now: str, *, failing: bool, finished: bool) -> Obj:
    name = str(container.get("name", ""))
    image = str(container.get("image", ""))
    uid = (pod.get("metadata") or {}).get("uid", "")
    container_id = "containerd://" + hashlib.sha256(f"{uid}/{name}".encode()).hexdigest()
    result: Obj = {
        "name": name,
        "image": image,
        "imageID": f"docker.io/library/{image.split('@')[0]}@sha256:"
        + hashlib.sha256(image.encode()).hexdigest(),
        "containerID": container_id,
        "ready": not failing and not finished,
        "started": not failing and not finished,
        "restartCount": 5 if failing else 0,
    }
    if failing:
        pod_md = pod.get("metadata") or {}
        result["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 5m0s restarting failed container={name} "
                f"pod={pod_md.get('name', '')}_{pod_md.get('namespace', '')}({uid})",
            }
        }
        result["lastState"] = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": now,
                "finishedAt": now,
                "containerID": container_id,
            }
        }
    elif finished:
        result["state"] = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": now,
                "finishedAt": now,
                "containerID": container_id,
            }
        }
        result["lastState"] = {}
    else:
        result["state"] = {"running": {"startedAt": now}}
        result["lastState"] = {}
    return result


def pvc_status(obj: Obj, due: bool, now: str) -> Obj | None:
    spec = obj.get("spec") or {}
    if not due:
        return {"phase": "Pending"}
    if is_failing(obj):
        return {"phase": "Lost"}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    return {
        "phase": "Bound",
        "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
        "capacity": {"storage": storage},
    }


def service_status(obj: Obj, due: bool, now: str) -> Obj | None:
    if (obj.get("spec") or {}).get("type") != "LoadBalancer":
        return None
    if not due:
        return {"loadBalancer": {}}
    load_balancer_ip = _address(obj, "172.18").replace("172.18.", "172.18.255.", 1).rsplit(".", 1)[0]
    return {"loadBalancer": {"ingress": [{"ip": load_balancer_ip, "ipMode": "VIP"}]}}


def ingress_status(obj: Obj, due: bool, now: str) -> Obj | None:
    if not due:
        return None
    return {"loadBalancer": {"ingress": [{"ip": NODE_IP}]}}


def api_service_status(obj: Obj, due: bool, now: str) -> Obj | None:
    """kube-aggregator's availability: local APIServices always, service-backed ones once checked."""
    old_conditions = (obj.get("status") or {}).get("conditions") or []
    if not (obj.get("spec") or {}).get("service"):
        available = ("True", "Local", "Local APIServices are always available")
    elif is_failing(obj):
        service = (obj.get("spec") or {}).get("service") or {}
        available = (
            "False",
            "FailedDiscoveryCheck",
            f"failing or missing response from https://{service.get('name', '')}.{service.get('namespace', '')}.svc",
        )
    else:
        available = ("True", "Passed", "all checks passed")
    return {"conditions": [condition(old_conditions, "Available", *available, now)]}
