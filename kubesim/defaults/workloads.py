"""Defaults of workloads (apps/v1 and batch/v1 defaults.go plus the Job create strategy)."""

from __future__ import annotations

import uuid
from typing import Any

from kubesim.defaults.pods import default_claim_spec, default_pod_spec

Obj = dict[str, Any]


def drop_null_timestamp(template: Any) -> None:
    """A zero `creationTimestamp` (`null` in generated manifests) is omitted by 1.33+ servers."""
    metadata = template.get("metadata") if isinstance(template, dict) else None
    if (
        isinstance(metadata, dict)
        and "creationTimestamp" in metadata
        and metadata["creationTimestamp"] is None
    ):
        del metadata["creationTimestamp"]


def _template_spec(obj: Obj, path: str = "spec.template") -> None:
    spec = obj.setdefault("spec", {})
    template = spec.get("template")
    if isinstance(template, dict):
        drop_null_timestamp(template)
        default_pod_spec(template.setdefault("spec", {}), f"{path}.spec")


def default_deployment(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template_spec(obj)


def default_replica_set(obj: Obj, old: Obj | None) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template_spec(obj)


def default_replication_controller(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    labels = (template or {}).get("metadata", {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("labels"):
            metadata["labels"] = dict(labels)
    spec.setdefault("replicas", 1)
    _template_spec(obj)


def default_stateful_set(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        rolling.setdefault("partition", 0)
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    retention = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    retention.setdefault("whenDeleted", "Retain")
    retention.setdefault("whenScaled", "Retain")
    for index, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        if not isinstance(claim, dict):
            continue
        drop_null_timestamp(claim)
        default_claim_spec(claim.setdefault("spec", {}), f"spec.volumeClaimTemplates[{index}].spec")
        claim.setdefault("status", {}).setdefault("phase", "Pending")
    _template_spec(obj)


def default_daemon_set(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template_spec(obj)


def default_job_spec(spec: Obj) -> None:
    if "completions" not in spec and "parallelism" not in spec:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    failure_policy = spec.get("podFailurePolicy")
    spec.setdefault("podReplacementPolicy", "Failed" if failure_policy else "TerminatingOrFailed")
    for rule in (failure_policy or {}).get("rules") or []:
        for condition in (rule.get("onPodConditions") or []) if isinstance(rule, dict) else []:
            if isinstance(condition, dict):
                condition.setdefault("status", "True")


def default_job(obj: Obj, old: Obj | None) -> None:
    """Job defaults, then on create the generated selector and labels of the Job strategy."""
    spec = obj.setdefault("spec", {})
    default_job_spec(spec)
    template = spec.setdefault("template", {})
    metadata = obj.setdefault("metadata", {})
    template_labels = (template.get("metadata") or {}).get("labels")
    labels_follow_template = bool(template_labels) and not metadata.get("labels")
    if old is None and not spec.get("manualSelector"):
        uid = metadata.setdefault("uid", str(uuid.uuid4()))
        name = metadata.get("name", "")
        generated = template.setdefault("metadata", {}).setdefault("labels", {})
        generated.update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "job-name": name,
            }
        )
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    if labels_follow_template:
        # The real server aliases the Job's labels to the template's map, so it sees the additions.
        metadata["labels"] = dict(template["metadata"]["labels"])
    _template_spec(obj)


def default_cron_job(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_spec = spec.get("jobTemplate", {}).get("spec") if isinstance(spec.get("jobTemplate"), dict) else None
    template = job_spec.get("template") if isinstance(job_spec, dict) else None
    drop_null_timestamp(spec.get("jobTemplate"))
    if isinstance(template, dict):
        drop_null_timestamp(template)
        default_pod_spec(template.setdefault("spec", {}), "spec.jobTemplate.spec.template.spec")


def default_pod_template(obj: Obj, old: Obj | None) -> None:
    template = obj.get("template")
    if isinstance(template, dict):
        drop_null_timestamp(template)
        default_pod_spec(template.setdefault("spec", {}), "template.spec")
