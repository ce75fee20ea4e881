"""Health of apps/v1 workloads: Deployment, StatefulSet, DaemonSet, ReplicaSet (Argo CD's rules)."""

from __future__ import annotations

from gitops.health.common import Obj, condition, condition_is, number, spec_of, status_of
from gitops.health.types import Health, degraded, healthy, progressing, suspended


def deployment(obj: Obj) -> Health:
    spec, status = spec_of(obj), status_of(obj)
    name = (obj.get("metadata") or {}).get("name", "")
    if spec.get("paused"):
        return suspended("Deployment is paused")
    progress = condition(obj, "Progressing")
    if progress is not None and progress.get("reason") == "ProgressDeadlineExceeded":
        return degraded(f'Deployment "{name}" exceeded its progress deadline')
    replicas = number(spec.get("replicas"), 1)
    updated = number(status.get("updatedReplicas"))
    total = number(status.get("replicas"))
    available = number(status.get("availableReplicas"))
    if updated < replicas:
        return progressing(
            f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated..."
        )
    if total > updated:
        return progressing(
            f"Waiting for rollout to finish: {total - updated} old replicas are pending termination..."
        )
    if available < updated:
        return progressing(
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
        )
    return healthy(f'deployment "{name}" successfully rolled out')


def stateful_set(obj: Obj) -> Health:
    spec, status = spec_of(obj), status_of(obj)
    replicas = number(spec.get("replicas"), 1)
    ready = number(status.get("readyReplicas"))
    if ready < replicas:
        return progressing(f"Waiting for {replicas} pods to be ready ({ready} ready)...")
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return healthy(f"statefulset has {ready} ready pods")
    partition = (strategy.get("rollingUpdate") or {}).get("partition")
    if partition is not None and number(partition) > 0:
        updated = number(status.get("updatedReplicas"))
        if updated < replicas - number(partition):
            return progressing(
                f"Waiting for partitioned roll out to finish: {updated} out of {replicas - number(partition)} new pods have been updated..."
            )
        return healthy(f"partitioned roll out complete: {updated} new pods have been updated...")
    if status.get("updateRevision") != status.get("currentRevision"):
        return progressing(
            f"waiting for statefulset rolling update to complete {number(status.get('updatedReplicas'))} pods at revision {status.get('updateRevision')}..."
        )
    return healthy(
        f"statefulset rolling update complete {ready} pods at revision {status.get('currentRevision')}..."
    )


def daemon_set(obj: Obj) -> Health:
    spec, status = spec_of(obj), status_of(obj)
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return healthy("daemon set uses the OnDelete update strategy")
    desired = number(status.get("desiredNumberScheduled"))
    updated = number(status.get("updatedNumberScheduled"))
    available = number(status.get("numberAvailable"))
    if updated < desired:
        return progressing(
            f"Waiting for daemon set rollout to finish: {updated} out of {desired} new pods have been updated..."
        )
    if available < desired:
        return progressing(
            f"Waiting for daemon set rollout to finish: {available} of {desired} updated pods are available..."
        )
    return healthy(f"daemon set {available} of {desired} updated pods are available")


def replica_set(obj: Obj) -> Health:
    spec, status = spec_of(obj), status_of(obj)
    if condition_is(obj, "ReplicaFailure"):
        cond = condition(obj, "ReplicaFailure") or {}
        return degraded(str(cond.get("message") or "ReplicaSet failed to create pods"))
    replicas = number(spec.get("replicas"), 1)
    available = number(status.get("availableReplicas"))
    if available < replicas:
        return progressing(
            f"Waiting for rollout to finish: {available} out of {replicas} replicas are available..."
        )
    return healthy()
