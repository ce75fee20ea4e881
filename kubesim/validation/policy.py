"""Validation of RBAC (rules, roleRef immutability, subjects), HorizontalPodAutoscaler and
PodDisruptionBudget: the checks GitOps tools most often trip over (a changed `roleRef` needs a replace)."""

from __future__ import annotations

from typing import Any

from kubesim.validation.field_errors import Errors, go_string

Obj = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"


def validate_role(errors: Errors, obj: Obj, old: Obj | None) -> None:
    _validate_rules(errors, obj, namespaced=True)


def validate_cluster_role(errors: Errors, obj: Obj, old: Obj | None) -> None:
    _validate_rules(errors, obj, namespaced=False)


def _validate_rules(errors: Errors, obj: Obj, *, namespaced: bool) -> None:
    for index, rule in enumerate(obj.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        path = f"rules[{index}]"
        if not rule.get("verbs"):
            errors.required(f"{path}.verbs", "verbs must contain at least one value")
        if rule.get("nonResourceURLs"):
            if namespaced:
                errors.invalid(
                    f"{path}.nonResourceURLs",
                    rule["nonResourceURLs"],
                    "namespaced rules cannot apply to non-resource URLs",
                )
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                errors.invalid(
                    f"{path}.nonResourceURLs",
                    rule["nonResourceURLs"],
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            continue
        if not rule.get("apiGroups"):
            errors.required(f"{path}.apiGroups", "resource rules must supply at least one api group")
        if not rule.get("resources"):
            errors.required(f"{path}.resources", "resource rules must supply at least one resource")


def _role_ref_repr(ref: Any) -> str:
    ref = ref if isinstance(ref, dict) else {}
    return (
        f"rbac.RoleRef{{APIGroup:{go_string(str(ref.get('apiGroup', '')))}, "
        f"Kind:{go_string(str(ref.get('kind', '')))}, Name:{go_string(str(ref.get('name', '')))}}}"
    )


def validate_role_binding(errors: Errors, obj: Obj, old: Obj | None) -> None:
    _validate_binding(errors, obj, old, namespaced=True)


def validate_cluster_role_binding(errors: Errors, obj: Obj, old: Obj | None) -> None:
    _validate_binding(errors, obj, old, namespaced=False)


def _validate_binding(errors: Errors, obj: Obj, old: Obj | None, *, namespaced: bool) -> None:
    ref = obj.get("roleRef")
    if not isinstance(ref, dict):
        errors.required("roleRef")
    else:
        if ref.get("apiGroup") != RBAC_GROUP:
            errors.not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [RBAC_GROUP])
        kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
        if ref.get("kind") not in kinds:
            errors.not_supported("roleRef.kind", ref.get("kind", ""), kinds)
        if not ref.get("name"):
            errors.required("roleRef.name")
    for index, subject in enumerate(obj.get("subjects") or []):
        if not isinstance(subject, dict):
            continue
        path = f"subjects[{index}]"
        if not subject.get("name"):
            errors.required(f"{path}.name")
        kind = subject.get("kind")
        if kind not in ("ServiceAccount", "User", "Group"):
            errors.not_supported(f"{path}.kind", kind or "", ["ServiceAccount", "User", "Group"])
        elif kind == "ServiceAccount":
            if subject.get("apiGroup"):
                errors.not_supported(f"{path}.apiGroup", subject["apiGroup"], [""])
            if not namespaced and not subject.get("namespace"):
                errors.required(f"{path}.namespace")
        elif subject.get("apiGroup") != RBAC_GROUP:
            errors.not_supported(f"{path}.apiGroup", subject.get("apiGroup", ""), [RBAC_GROUP])
    if old is not None and old.get("roleRef") != ref:
        errors.invalid("roleRef", None, "cannot change roleRef", rendered=_role_ref_repr(ref))


def validate_hpa(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    minimum, maximum = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if isinstance(minimum, int) and minimum < 1:
        errors.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1")
    if not isinstance(maximum, int) or maximum < 1:
        errors.invalid("spec.maxReplicas", maximum or 0, "must be greater than or equal to 1")
    elif isinstance(minimum, int) and maximum < minimum:
        errors.invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`")
    target = spec.get("scaleTargetRef") or {}
    if not target.get("kind"):
        errors.required("spec.scaleTargetRef.kind")
    if not target.get("name"):
        errors.required("spec.scaleTargetRef.name")


def validate_pdb(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errors.invalid(
            "spec",
            None,
            "minAvailable and maxUnavailable cannot be both set",
            rendered="policy.PodDisruptionBudgetSpec{...}",
        )
    for field in ("minAvailable", "maxUnavailable"):
        value = spec.get(field)
        if isinstance(value, int) and value < 0:
            errors.invalid(f"spec.{field}", value, "must be greater than or equal to 0")
        elif isinstance(value, str) and (not value.endswith("%") or not value[:-1].isdigit()):
            errors.invalid(
                f"spec.{field}",
                value,
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
                "'93%', regex used for validation is '[0-9]+%')",
            )
        elif isinstance(value, str) and int(value[:-1]) > 100:
            errors.invalid(f"spec.{field}", value, "must not be greater than 100%")
