"""Validation of core/v1 kinds and Ingress: Service ports and IPs, ConfigMap/Secret keys and immutability,
PVC spec, Pod updates."""

from __future__ import annotations

import ipaddress
from typing import Any

from kubesim.validation.field_errors import Errors
from kubesim.validation.names import config_key, dns1123_label, port_name, qualified_name, validate_labels
from kubesim.validation.pods import PROTOCOLS, validate_pod_spec, validate_port_number

Obj = dict[str, Any]

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
MAX_CONFIG_SIZE = 1024 * 1024
_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def validate_service(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind not in SERVICE_TYPES:
        errors.not_supported("spec.type", kind, SERVICE_TYPES)
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") or []
    if not ports and not headless and kind != "ExternalName":
        errors.required("spec.ports")
    if kind == "ExternalName" and not spec.get("externalName"):
        errors.required("spec.externalName")
    names: set[str] = set()
    for index, port in enumerate(ports):
        path = f"spec.ports[{index}]"
        if not isinstance(port, dict):
            continue
        name = port.get("name")
        if not name and len(ports) > 1:
            errors.required(f"{path}.name")
        elif name:
            for msg in dns1123_label(str(name)):
                errors.invalid(f"{path}.name", name, msg)
            if name in names:
                errors.duplicate(f"{path}.name", name)
            names.add(name)
        validate_port_number(errors, f"{path}.port", port.get("port"))
        protocol = port.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            errors.not_supported(f"{path}.protocol", protocol, PROTOCOLS)
        target = port.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool):
            validate_port_number(errors, f"{path}.targetPort", target, required=False)
        elif isinstance(target, str) and target:
            for msg in port_name(target):
                errors.invalid(f"{path}.targetPort", target, msg)
        node_port = port.get("nodePort")
        if node_port and kind == "ClusterIP":
            errors.forbidden(f"{path}.nodePort", "may not be used when `type` is 'ClusterIP'")
        elif isinstance(node_port, int) and node_port and not 30000 <= node_port <= 32767:
            errors.invalid(
                f"{path}.nodePort",
                node_port,
                "provided port is not in the valid range. The range of valid ports is 30000-32767",
            )
    validate_labels(errors, spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity")
    if affinity is not None and affinity not in ("ClientIP", "None"):
        errors.not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"])
    cluster_ip = spec.get("clusterIP")
    if cluster_ip and cluster_ip != "None":
        try:
            ipaddress.ip_address(cluster_ip)
        except ValueError:
            errors.invalid(
                "spec.clusterIPs[0]",
                cluster_ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            )
    if old is not None:
        old_spec = old.get("spec") or {}
        old_ip = old_spec.get("clusterIP")
        if (
            old_ip
            and kind != "ExternalName"
            and old_spec.get("type") != "ExternalName"
            and cluster_ip != old_ip
        ):
            errors.invalid(
                "spec.clusterIPs[0]", spec.get("clusterIPs") or [cluster_ip or ""], "may not change once set"
            )


def _validate_keys(errors: Errors, obj: Obj) -> int:
    size = 0
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    for field, mapping in (("data", data), ("binaryData", binary)):
        for key, value in mapping.items() if isinstance(mapping, dict) else []:
            for msg in config_key(str(key)):
                errors.invalid(f"{field}[{key}]", key, msg)
            if field == "data" and key in binary and obj.get("kind") != "Secret":
                errors.invalid(f"{field}[{key}]", key, "duplicate of key present in binaryData")
            size += len(str(value))
    return size


def validate_config_map(errors: Errors, obj: Obj, old: Obj | None) -> None:
    size = _validate_keys(errors, obj)
    if size > MAX_CONFIG_SIZE:
        errors.too_long("[]", MAX_CONFIG_SIZE)
    _immutable_data(errors, obj, old, ("data", "binaryData"))


def validate_secret(errors: Errors, obj: Obj, old: Obj | None) -> None:
    size = _validate_keys(errors, obj)
    if size > MAX_CONFIG_SIZE:
        errors.too_long("data", MAX_CONFIG_SIZE)
    secret_type = obj.get("type", "Opaque")
    data = obj.get("data") or {}
    for key in _SECRET_REQUIRED_KEYS.get(secret_type, ()):
        if key not in data:
            errors.required(f"data[{key}]")
    if secret_type == "kubernetes.io/service-account-token":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            errors.required("metadata.annotations[kubernetes.io/service-account.name]")
    if old is not None and old.get("type", "Opaque") != secret_type:
        errors.immutable("type", secret_type)
    _immutable_data(errors, obj, old, ("data",))


def _immutable_data(errors: Errors, obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> None:
    if old is None or not old.get("immutable"):
        return
    if not obj.get("immutable"):
        errors.forbidden("immutable", "field is immutable when `immutable` is set")
    for field in fields:
        if (obj.get(field) or {}) != (old.get(field) or {}):
            errors.forbidden(field, "field is immutable when `immutable` is set")


def validate_pvc(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    if old is None:
        if not spec.get("accessModes"):
            errors.required("spec.accessModes", "at least 1 access mode is required")
        modes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
        for index, mode in enumerate(spec.get("accessModes") or []):
            if mode not in modes:
                errors.not_supported(f"spec.accessModes[{index}]", mode, modes)
        if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
            errors.required("spec.resources[storage]")
        return
    old_spec = dict(old.get("spec") or {})
    new_spec = dict(spec)
    for mutable in ("resources", "volumeAttributesClassName"):
        old_spec.pop(mutable, None)
        new_spec.pop(mutable, None)
    if not old_spec.get("volumeName"):
        new_spec.pop("volumeName", None)
        old_spec.pop("volumeName", None)
    if new_spec != old_spec:
        errors.forbidden(
            "spec",
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        )


def validate_namespace(errors: Errors, obj: Obj, old: Obj | None) -> None:
    for index, finalizer in enumerate((obj.get("spec") or {}).get("finalizers") or []):
        for msg in qualified_name(str(finalizer)):
            errors.invalid(f"spec.finalizers[{index}]", finalizer, msg)


_PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]


def validate_ingress(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    if not spec.get("rules") and not spec.get("defaultBackend"):
        errors.invalid("spec", None, "either `defaultBackend` or `rules` must be specified", rendered='""')
    for rule_index, rule in enumerate(spec.get("rules") or []):
        http = rule.get("http") if isinstance(rule, dict) else None
        for path_index, entry in enumerate((http or {}).get("paths") or []):
            path = f"spec.rules[{rule_index}].http.paths[{path_index}]"
            path_type = entry.get("pathType")
            if not path_type:
                errors.required(f"{path}.pathType", "pathType must be specified")
            elif path_type not in _PATH_TYPES:
                errors.not_supported(f"{path}.pathType", path_type, _PATH_TYPES)
            value = entry.get("path", "")
            if path_type in ("Exact", "Prefix") and not str(value).startswith("/"):
                errors.invalid(f"{path}.path", value, "must be an absolute path")
            backend = entry.get("backend") or {}
            service = backend.get("service")
            if not service and not backend.get("resource"):
                errors.invalid(
                    f"{path}.backend", None, "resource or service must be specified", rendered='""'
                )
            elif isinstance(service, dict) and not (service.get("port") or {}):
                errors.required(f"{path}.backend.service.port", "port name or number is required")


_POD_MUTABLE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def validate_pod(errors: Errors, obj: Obj, old: Obj | None) -> None:
    spec = obj.get("spec") or {}
    validate_pod_spec(errors, spec, "spec", is_pod=True)
    if old is None:
        return
    if _without_mutable(spec) != _without_mutable(old.get("spec") or {}):
        errors.forbidden("spec", _POD_MUTABLE_MESSAGE)


def _without_mutable(spec: Obj) -> Obj:
    stripped = {k: v for k, v in spec.items() if k not in ("activeDeadlineSeconds", "tolerations")}
    for list_name in ("containers", "initContainers"):
        if isinstance(stripped.get(list_name), list):
            stripped[list_name] = [
                {k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c
                for c in stripped[list_name]
            ]
    return stripped
