"""Status of apps/v1 workloads as their controllers write it: first the rollout in progress, then (once the
controller delay has passed) the finished rollout, or the failure the failure switch asks for."""

from __future__ import annotations

from kubesim.controllers.common import (
    Obj,
    condition,
    is_failing,
    replicas_of,
    template_hash,
    without_zeros,
)


def deployment_status(obj: Obj, due: bool, now: str) -> Obj | None:
    spec, previous = obj.get("spec") or {}, obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation", 1)
    old_conditions = previous.get("conditions") or []
    replicas = replicas_of(obj)
    name = (obj.get("metadata") or {}).get("name", "")
    replica_set = f"{name}-{template_hash(obj)}"
    if spec.get("paused"):
        status = {k: v for k, v in previous.items() if k != "conditions"}
        status["observedGeneration"] = generation
        available = next((c for c in old_conditions if c.get("type") == "Available"), None)
        conditions = [available] if available else []
        conditions.append(
            condition(
                old_conditions,
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused",
                now,
                update_time=True,
            )
        )
        status["conditions"] = conditions
        return status
    was_available = any(c.get("type") == "Available" and c.get("status") == "True" for c in old_conditions)
    if due and not is_failing(obj):
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
        }
        available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        progressing = (
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{replica_set}" has successfully progressed.',
        )
    elif due:
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "unavailableReplicas": replicas,
        }
        available = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        progressing = (
            "False",
            "ProgressDeadlineExceeded",
            f'ReplicaSet "{replica_set}" has timed out progressing.',
        )
    else:
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": 0,
            "unavailableReplicas": replicas,
        }
        if was_available:
            status.update(readyReplicas=replicas, availableReplicas=replicas, unavailableReplicas=0)
            available = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            available = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{replica_set}" is progressing.')
    status = without_zeros(status)
    status["observedGeneration"] = generation
    status["conditions"] = [
        condition(old_conditions, "Available", *available, now, update_time=True),
        condition(old_conditions, "Progressing", *progressing, now, update_time=True),
    ]
    return status


def replica_set_status(obj: Obj, due: bool, now: str) -> Obj | None:
    replicas = replicas_of(obj)
    generation = (obj.get("metadata") or {}).get("generation", 1)
    labels_match = replicas
    ready = replicas if due and not is_failing(obj) else 0
    status = without_zeros(
        {"fullyLabeledReplicas": labels_match, "readyReplicas": ready, "availableReplicas": ready}
    )
    status = {"replicas": replicas, **status, "observedGeneration": generation}
    if due and is_failing(obj):
        old_conditions = (obj.get("status") or {}).get("conditions") or []
        status["conditions"] = [
            condition(
                old_conditions,
                "ReplicaFailure",
                "True",
                "FailedCreate",
                "pods failed to start: the kubesim failure switch is set",
                now,
            )
        ]
    return status


def stateful_set_status(obj: Obj, due: bool, now: str) -> Obj | None:
    replicas = replicas_of(obj)
    previous = obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation", 1)
    revision = f"{(obj.get('metadata') or {}).get('name', '')}-{template_hash(obj)}"
    current = previous.get("currentRevision") or revision
    if due and not is_failing(obj):
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "readyReplicas": replicas,
            "currentReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
            "availableReplicas": replicas,
        }
    else:
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "currentReplicas": replicas if current == revision else 0,
            "updatedReplicas": 0 if not due else replicas,
            "currentRevision": current,
            "updateRevision": revision,
            "collisionCount": 0,
            "availableReplicas": 0,
        }
    kept = without_zeros(status)
    for required in ("replicas", "availableReplicas", "collisionCount"):
        kept[required] = status[required]
    return kept


def daemon_set_status(obj: Obj, due: bool, now: str) -> Obj | None:
    """One simulated node: one pod desired."""
    generation = (obj.get("metadata") or {}).get("generation", 1)
    healthy = due and not is_failing(obj)
    status = {
        "currentNumberScheduled": 1,
        "desiredNumberScheduled": 1,
        "numberMisscheduled": 0,
        "numberReady": 1 if healthy else 0,
        "observedGeneration": generation,
        "updatedNumberScheduled": 1 if due else 0,
        "numberAvailable": 1 if healthy else 0,
        "numberUnavailable": 0 if healthy else 1,
    }
    for optional in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
        if status[optional] == 0:
            del status[optional]
    return status


def hpa_status(obj: Obj, due: bool, now: str) -> Obj | None:
    """autoscaling/v2: the recommendation equals `minReplicas`; the failure switch makes metrics fail."""
    spec, previous = obj.get("spec") or {}, obj.get("status") or {}
    old_conditions = previous.get("conditions") or []
    replicas = spec.get("minReplicas", 1) or 1
    generation = (obj.get("metadata") or {}).get("generation", 1)
    if is_failing(obj):
        active = (
            "False",
            "FailedGetResourceMetric",
            "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu",
        )
    else:
        active = (
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource utilization "
            "(percentage of request)",
        )
    return {
        "observedGeneration": generation,
        "currentReplicas": replicas,
        "desiredReplicas": replicas,
        "conditions": [
            condition(
                old_conditions,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                now,
            ),
            condition(old_conditions, "ScalingActive", *active, now),
            condition(
                old_conditions,
                "ScalingLimited",
                "False",
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
                now,
            ),
        ],
    }
