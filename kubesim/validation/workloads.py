"""Workload validation (pkg/apis/apps/validation, pkg/apis/batch/validation): selectors that must match
the template, immutable selectors, restart policies, rolling update parameters, StatefulSet spec updates."""

from __future__ import annotations

import re
from typing import Any

from kubesim.validation.field_errors import Errors, label_selector_repr
from kubesim.validation.names import qualified_name, validate_labels
from kubesim.validation.pods import validate_pod_template

Obj = dict[str, Any]

_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"]
_PERCENT = re.compile(r"^[0-9]+%$")
_PERCENT_ERROR = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)
_STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and (not present or labels[key] not in values))
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def validate_label_selector(errors: Errors, selector: Obj, path: str) -> None:
    validate_labels(errors, selector.get("matchLabels"), f"{path}.matchLabels")
    for index, expr in enumerate(selector.get("matchExpressions") or []):
        expr_path = f"{path}.matchExpressions[{index}]"
        if not isinstance(expr, dict):
            continue
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            errors.required(f"{expr_path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
        elif op in ("Exists", "DoesNotExist") and values:
            errors.forbidden(
                f"{expr_path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            )
        elif op not in _OPERATORS:
            errors.invalid(f"{expr_path}.operator", op, "not a valid selector operator")
        for msg in qualified_name(str(expr.get("key", ""))):
            errors.invalid(f"{expr_path}.key", expr.get("key", ""), msg)


def _selector_and_template(errors: Errors, spec: Obj, kind_word: str, restart: list[str] | None) -> None:
    selector = spec.get("selector")
    template = spec.get("template")
    if selector is None:
        errors.required("spec.selector")
    elif isinstance(selector, dict):
        validate_label_selector(errors, selector, "spec.selector")
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errors.invalid(
                "spec.selector",
                None,
                f"empty selector is invalid for {kind_word}",
                rendered=label_selector_repr(selector),
            )
        elif isinstance(template, dict):
            labels = (template.get("metadata") or {}).get("labels") or {}
            if not selector_matches(selector, labels):
                errors.invalid(
                    "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
                )
    validate_pod_template(errors, template, "spec.template", restart)


def _non_negative(errors: Errors, spec: Obj, field: str) -> None:
    value = spec.get(field)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        errors.invalid(f"spec.{field}", value, "must be greater than or equal to 0")


def _int_or_percent(errors: Errors, value: Any, path: str) -> None:
    if isinstance(value, str) and not _PERCENT.match(value):
        errors.invalid(path, value, _PERCENT_ERROR)
    elif isinstance(value, int) and value < 0:
        errors.invalid(path, value, "must be greater than or equal to 0")


def _is_zero(value: Any) -> bool:
    return value in (0, "0%")


def validate_deployment(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    for field in ("replicas", "minReadySeconds", "revisionHistoryLimit"):
        _non_negative(errors, spec, field)
    _selector_and_template(errors, spec, "deployment", ["Always"])
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type")
    if kind == "Recreate" and strategy.get("rollingUpdate") is not None:
        errors.forbidden(
            "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"
        )
    elif kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        surge, unavailable = rolling.get("maxSurge"), rolling.get("maxUnavailable")
        _int_or_percent(errors, surge, "spec.strategy.rollingUpdate.maxSurge")
        _int_or_percent(errors, unavailable, "spec.strategy.rollingUpdate.maxUnavailable")
        if _is_zero(surge) and _is_zero(unavailable):
            errors.invalid(
                "spec.strategy.rollingUpdate.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0"
            )
        if isinstance(unavailable, str) and _PERCENT.match(unavailable) and int(unavailable[:-1]) > 100:
            errors.invalid(
                "spec.strategy.rollingUpdate.maxUnavailable", unavailable, "must not be greater than 100%"
            )
    elif kind not in (None, "Recreate"):
        errors.not_supported("spec.strategy.type", kind, ["Recreate", "RollingUpdate"])
    deadline, ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds", 0)
    if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
        errors.invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds")
    _immutable_selector(errors, obj, old)


def validate_replica_set(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    _non_negative(errors, spec, "replicas")
    _selector_and_template(errors, spec, "deployment", ["Always"])
    _immutable_selector(errors, obj, old)


def validate_daemon_set(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    _selector_and_template(errors, spec, "daemonset", ["Always"])
    _immutable_selector(errors, obj, old)


def _with_claim_volumes(spec: Obj) -> Obj:
    """The spec as its pods will be: each volumeClaimTemplate is a volume containers may mount."""
    template = spec.get("template")
    claims = [
        c.get("metadata", {}).get("name")
        for c in spec.get("volumeClaimTemplates") or []
        if isinstance(c, dict)
    ]
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict) or not claims:
        return spec
    volumes = list(template["spec"].get("volumes") or [])
    known = {v.get("name") for v in volumes if isinstance(v, dict)}
    volumes += [
        {"name": n, "persistentVolumeClaim": {"claimName": n}} for n in claims if n and n not in known
    ]
    return {**spec, "template": {**template, "spec": {**template["spec"], "volumes": volumes}}}


def validate_stateful_set(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    _non_negative(errors, spec, "replicas")
    _selector_and_template(errors, _with_claim_volumes(spec), "statefulset", ["Always"])
    policy = spec.get("podManagementPolicy")
    if policy is not None and policy not in ("OrderedReady", "Parallel"):
        errors.not_supported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"])
    if old is not None:
        old_spec = old.get("spec") or {}
        changed = {
            k
            for k in set(spec) | set(old_spec)
            if k not in _STATEFULSET_MUTABLE and spec.get(k) != old_spec.get(k)
        }
        if changed:
            errors.forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden",
            )


def validate_job(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    for field in (
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ):
        _non_negative(errors, spec, field)
    selector = spec.get("selector")
    if spec.get("manualSelector") and selector is None:
        errors.required("spec.selector")
    elif isinstance(selector, dict):
        validate_label_selector(errors, selector, "spec.selector")
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not selector_matches(selector, labels):
            errors.invalid(
                "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
            )
    validate_pod_template(errors, spec.get("template"), "spec.template", ["OnFailure", "Never"])
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errors.not_supported("spec.completionMode", mode, ["NonIndexed", "Indexed"])
    if old is not None:
        old_spec = old.get("spec") or {}
        _immutable_selector(errors, obj, old)
        if spec.get("template") != old_spec.get("template") and not old_spec.get("suspend"):
            errors.immutable("spec.template", None, rendered="core.PodTemplateSpec{...}")
        if spec.get("completions") != old_spec.get("completions") and mode != "Indexed":
            errors.immutable("spec.completions", spec.get("completions"))


def validate_cron_job(errors: Errors, obj: Obj, old: Obj | None) -> None:
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        errors.invalid("metadata.name", name, "must be no more than 52 characters")
    spec = obj.get("spec") or {}
    schedule = spec.get("schedule")
    if not schedule:
        errors.required("spec.schedule")
    elif str(schedule).strip().startswith(("TZ=", "CRON_TZ=")):
        errors.invalid(
            "spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
        )
    elif not _valid_schedule(str(schedule)):
        errors.invalid("spec.schedule", schedule, "unparseable cron format")
    policy = spec.get("concurrencyPolicy")
    if policy is not None and policy not in ("Allow", "Forbid", "Replace"):
        errors.not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"])
    for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        _non_negative(errors, spec, field)
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    validate_pod_template(
        errors, job_spec.get("template"), "spec.jobTemplate.spec.template", ["OnFailure", "Never"]
    )


_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _valid_schedule(schedule: str) -> bool:
    text = schedule.strip()
    if text in _MACROS or text.startswith("@every "):
        return True
    try:
        from croniter import croniter

        return len(text.split()) == 5 and bool(croniter.is_valid(text))
    except ImportError:  # pragma: no cover - croniter is a dependency
        return len(text.split()) == 5


def _immutable_selector(errors: Errors, obj: Obj, old: Obj | None) -> None:
    if old is None:
        return
    new_selector = (obj.get("spec") or {}).get("selector")
    old_selector = (old.get("spec") or {}).get("selector")
    if new_selector != old_selector:
        errors.immutable("spec.selector", None, rendered=label_selector_repr(new_selector))
