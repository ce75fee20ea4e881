"""Defaults of core/v1 and the smaller groups (Namespace, Secret, PVC, quotas, HPA, RBAC, ...).

Services live in `defaults/services.py` because they need the address allocators.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kubesim.defaults.pods import default_claim_spec, default_pod
from kubesim.errors import ApiError
from kubesim.quantity import canonicalize_map

Obj = dict[str, Any]


def default_namespace(obj: Obj, old: Obj | None) -> None:
    metadata = obj.setdefault("metadata", {})
    name = metadata.get("name")
    if name:
        metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    spec = obj.setdefault("spec", {})
    if old is None:
        spec.setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def default_secret(obj: Obj, old: Obj | None) -> None:
    """Type Opaque; `stringData` folded into base64 `data` and dropped; `data` must be base64."""
    obj.setdefault("type", "Opaque")
    data = obj.get("data")
    if data is not None and not isinstance(data, dict):
        raise ApiError(400, 'Secret in version "v1" cannot be handled as a Secret: data must be a map')
    for key, value in (data or {}).items():
        if not isinstance(value, str):
            raise ApiError(
                400, f'Secret in version "v1" cannot be handled as a Secret: data.{key} must be a string'
            )
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data.{key}',
            ) from None
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        merged = obj.setdefault("data", {}) if isinstance(obj.get("data"), dict) else {}
        obj["data"] = merged
        for key, value in string_data.items():
            merged[key] = base64.b64encode(str(value).encode()).decode()


def default_pod_object(obj: Obj, old: Obj | None) -> None:
    default_pod(obj)


def default_pvc(obj: Obj, old: Obj | None) -> None:
    default_claim_spec(obj.setdefault("spec", {}), "spec")
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    canonicalize_map(status.get("capacity"), "status.capacity")


def default_pv(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    canonicalize_map(spec.get("capacity"), "spec.capacity")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def default_endpoints(obj: Obj, old: Obj | None) -> None:
    for subset in obj.get("subsets") or []:
        for port in (subset.get("ports") or []) if isinstance(subset, dict) else []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def default_resource_quota(obj: Obj, old: Obj | None) -> None:
    canonicalize_map((obj.get("spec") or {}).get("hard"), "spec.hard")
    for key in ("hard", "used"):
        canonicalize_map((obj.get("status") or {}).get(key), f"status.{key}")


def default_limit_range(obj: Obj, old: Obj | None) -> None:
    for index, item in enumerate((obj.get("spec") or {}).get("limits") or []):
        if not isinstance(item, dict):
            continue
        path = f"spec.limits[{index}]"
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            canonicalize_map(item.get(key), f"{path}.{key}")
        if item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for key, value in (item.get("max") or {}).items():
            default.setdefault(key, value)
        for key, value in default.items():
            request.setdefault(key, value)
        for key, value in (item.get("min") or {}).items():
            request.setdefault(key, value)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def default_hpa(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        for key, defaults in (("scaleUp", _SCALE_UP), ("scaleDown", _SCALE_DOWN)):
            current = behavior.get(key)
            rules: Obj = current if isinstance(current, dict) else {}
            for field, value in defaults.items():
                if not rules.get(field) and rules.get(field) != 0:
                    rules[field] = [dict(p) for p in value] if isinstance(value, list) else value
            behavior[key] = rules
    for index, metric in enumerate(spec.get("metrics") or []):
        for source in metric.values() if isinstance(metric, dict) else []:
            target = source.get("target") if isinstance(source, dict) else None
            if isinstance(target, dict):
                values = {k: target[k] for k in ("value", "averageValue") if k in target}
                canonicalize_map(values, f"spec.metrics[{index}].target")
                target.update(values)


def default_network_policy(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule.get("ports") or []) if isinstance(rule, dict) else []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def default_role_binding(obj: Obj, old: Obj | None) -> None:
    for subject in obj.get("subjects") or []:
        if isinstance(subject, dict) and "apiGroup" not in subject:
            if subject.get("kind") in ("User", "Group"):
                subject["apiGroup"] = "rbac.authorization.k8s.io"
            elif subject.get("kind") == "ServiceAccount":
                subject["apiGroup"] = ""


def default_storage_class(obj: Obj, old: Obj | None) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def default_crd(obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("conversion", {}).setdefault("strategy", "None")


def default_ingress(obj: Obj, old: Obj | None) -> None:
    """Ingress has no field defaults in networking.k8s.io/v1 (pathType is required)."""
