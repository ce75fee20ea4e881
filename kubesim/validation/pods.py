"""Pod spec and pod template validation (pkg/apis/core/validation), the parts manifests most often break."""

from __future__ import annotations

from typing import Any

from kubesim.quantity import QuantityError, parse
from kubesim.validation.field_errors import Errors
from kubesim.validation.names import (
    dns1123_label,
    dns1123_subdomain,
    port_name,
    validate_annotations,
    validate_labels,
)

Obj = dict[str, Any]

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]


def validate_port_number(errors: Errors, path: str, port: Any, *, required: bool = True) -> None:
    if port in (None, 0):
        if required:
            errors.required(path)
        return
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        errors.invalid(path, port, "must be between 1 and 65535, inclusive")


def validate_pod_template(
    errors: Errors, template: Any, path: str, restart_policies: list[str] | None
) -> None:
    """A PodTemplateSpec; `restart_policies` narrows what the owning controller accepts."""
    if not isinstance(template, dict):
        errors.required(path)
        return
    metadata = template.get("metadata") or {}
    validate_labels(errors, metadata.get("labels"), f"{path}.metadata.labels")
    validate_annotations(errors, metadata.get("annotations"), f"{path}.metadata.annotations")
    spec = template.get("spec")
    if not isinstance(spec, dict):
        errors.required(f"{path}.spec")
        return
    validate_pod_spec(errors, spec, f"{path}.spec", is_pod=False)
    policy = spec.get("restartPolicy")
    if restart_policies is not None and policy in RESTART_POLICIES and policy not in restart_policies:
        errors.not_supported(f"{path}.spec.restartPolicy", policy, restart_policies)


def validate_pod_spec(errors: Errors, spec: Obj, path: str, *, is_pod: bool) -> None:
    volume_names = _validate_volumes(errors, spec.get("volumes"), f"{path}.volumes")
    containers = spec.get("containers")
    if not containers:
        errors.required(f"{path}.containers")
    seen: set[str] = set()
    for list_name in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(list_name) or []):
            container_path = f"{path}.{list_name}[{index}]"
            if not isinstance(container, dict):
                errors.invalid(container_path, container, "must be an object")
                continue
            _validate_container(errors, container, container_path, volume_names, is_pod=is_pod)
            name = container.get("name")
            if name and name in seen:
                errors.duplicate(f"{container_path}.name", name)
            elif name:
                seen.add(name)
    for field, allowed in (("restartPolicy", RESTART_POLICIES), ("dnsPolicy", DNS_POLICIES)):
        value = spec.get(field)
        if value is not None and value not in allowed:
            errors.not_supported(f"{path}.{field}", value, allowed)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0 and not is_pod:
        errors.invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0")
    validate_labels(errors, spec.get("nodeSelector"), f"{path}.nodeSelector")
    service_account = spec.get("serviceAccountName")
    if service_account:
        for msg in dns1123_subdomain(str(service_account)):
            errors.invalid(f"{path}.serviceAccountName", service_account, msg)


def _validate_volumes(errors: Errors, volumes: Any, path: str) -> set[str]:
    names: set[str] = set()
    for index, volume in enumerate(volumes or []):
        volume_path = f"{path}[{index}]"
        name = volume.get("name") if isinstance(volume, dict) else None
        if not name:
            errors.required(f"{volume_path}.name")
            continue
        for msg in dns1123_label(str(name)):
            errors.invalid(f"{volume_path}.name", name, msg)
        if name in names:
            errors.duplicate(f"{volume_path}.name", name)
        names.add(name)
    return names


def _validate_container(
    errors: Errors, container: Obj, path: str, volumes: set[str], *, is_pod: bool
) -> None:
    name = container.get("name")
    if not name:
        errors.required(f"{path}.name")
    else:
        for msg in dns1123_label(str(name)):
            errors.invalid(f"{path}.name", name, msg)
    image = container.get("image")
    if is_pod and not image:
        errors.required(f"{path}.image")
    elif isinstance(image, str) and image != image.strip():
        errors.invalid(f"{path}.image", image, "must not have leading or trailing whitespace")
    policy = container.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES:
        errors.not_supported(f"{path}.imagePullPolicy", policy, PULL_POLICIES)
    port_names: set[str] = set()
    for index, port in enumerate(container.get("ports") or []):
        port_path = f"{path}.ports[{index}]"
        if not isinstance(port, dict):
            continue
        validate_port_number(errors, f"{port_path}.containerPort", port.get("containerPort"))
        validate_port_number(errors, f"{port_path}.hostPort", port.get("hostPort"), required=False)
        protocol = port.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            errors.not_supported(f"{port_path}.protocol", protocol, PROTOCOLS)
        name_of_port = port.get("name")
        if name_of_port:
            for msg in port_name(str(name_of_port)):
                errors.invalid(f"{port_path}.name", name_of_port, msg)
            if name_of_port in port_names:
                errors.duplicate(f"{port_path}.name", name_of_port)
            port_names.add(name_of_port)
    env_names = container.get("env") or []
    for index, env in enumerate(env_names):
        if isinstance(env, dict) and not env.get("name"):
            errors.required(f"{path}.env[{index}].name")
        elif isinstance(env, dict) and "=" in str(env["name"]):
            errors.invalid(
                f"{path}.env[{index}].name",
                env["name"],
                "a valid environment variable name must consist only of printable ASCII characters other than '='",
            )
    for index, mount in enumerate(container.get("volumeMounts") or []):
        if not isinstance(mount, dict):
            continue
        mount_path = f"{path}.volumeMounts[{index}]"
        if not mount.get("name"):
            errors.required(f"{mount_path}.name")
        elif mount["name"] not in volumes:
            errors.not_found(f"{mount_path}.name", mount["name"])
        if not mount.get("mountPath"):
            errors.required(f"{mount_path}.mountPath")
    _validate_resources(errors, container.get("resources"), f"{path}.resources")


def _validate_resources(errors: Errors, resources: Any, path: str) -> None:
    if not isinstance(resources, dict):
        return
    parsed: dict[str, dict[str, Any]] = {}
    for kind in ("limits", "requests"):
        parsed[kind] = {}
        for key, raw in (resources.get(kind) or {}).items():
            try:
                value, _ = parse(raw)
            except QuantityError:
                continue
            parsed[kind][key] = value
            if value < 0:
                errors.invalid(f"{path}.{kind}[{key}]", str(raw), "must be greater than or equal to 0")
    for key, request in parsed["requests"].items():
        limit = parsed["limits"].get(key)
        if limit is not None and request > limit:
            raw_request = resources["requests"][key]
            raw_limit = resources["limits"][key]
            errors.invalid(
                f"{path}.requests",
                str(raw_request),
                f"must be less than or equal to {key} limit of {raw_limit}",
            )
