"""Type errors the real server's JSON decoder reports before any defaulting: a label, annotation,
ConfigMap value or env value that is not a string (YAML `version: 1.0`, `enabled: true`), or a quoted
replica count or port number, is 400 `... cannot be handled as a Kind: json: cannot unmarshal number
into Go struct field ... of type string`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]

_POD_SPEC_PATHS = {
    ("", "Pod"): ("spec",),
    ("", "PodTemplate"): ("template", "spec"),
    ("", "ReplicationController"): ("spec", "template", "spec"),
    ("apps", "Deployment"): ("spec", "template", "spec"),
    ("apps", "ReplicaSet"): ("spec", "template", "spec"),
    ("apps", "StatefulSet"): ("spec", "template", "spec"),
    ("apps", "DaemonSet"): ("spec", "template", "spec"),
    ("batch", "Job"): ("spec", "template", "spec"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else "string"


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _string_maps(group: str, kind: str, obj: Obj) -> Iterator[tuple[str, Any]]:
    """(Go struct field, map) pairs whose values must be strings."""
    yield "ObjectMeta.metadata.labels", _dig(obj, ("metadata", "labels"))
    yield "ObjectMeta.metadata.annotations", _dig(obj, ("metadata", "annotations"))
    if (group, kind) in (("", "ConfigMap"), ("", "Secret")):
        yield f"{kind}.data", obj.get("data")
        if kind == "Secret":
            yield "Secret.stringData", obj.get("stringData")
    pod_spec_path = _POD_SPEC_PATHS.get((group, kind))
    if pod_spec_path is None:
        return
    dotted = ".".join(pod_spec_path)
    if pod_spec_path[-2:] == ("template", "spec"):
        template = pod_spec_path[:-1]
        prefix = ".".join(template)
        yield f"ObjectMeta.{prefix}.metadata.labels", _dig(obj, (*template, "metadata", "labels"))
        yield f"ObjectMeta.{prefix}.metadata.annotations", _dig(obj, (*template, "metadata", "annotations"))
    spec = _dig(obj, pod_spec_path)
    yield (
        f"PodSpec.{dotted}.nodeSelector",
        (spec or {}).get("nodeSelector") if isinstance(spec, dict) else None,
    )


def _env_values(group: str, kind: str, obj: Obj) -> Iterator[tuple[str, Any]]:
    pod_spec_path = _POD_SPEC_PATHS.get((group, kind))
    spec = _dig(obj, pod_spec_path) if pod_spec_path else None
    if not isinstance(spec, dict) or pod_spec_path is None:
        return
    dotted = ".".join(pod_spec_path)
    for list_name in ("initContainers", "containers"):
        for container in spec.get(list_name) or []:
            for env in (container.get("env") or []) if isinstance(container, dict) else []:
                if isinstance(env, dict) and "value" in env:
                    yield f"EnvVar.{dotted}.{list_name}.env.value", env["value"]


_REPLICAS = {
    ("apps", "Deployment"): "DeploymentSpec",
    ("apps", "ReplicaSet"): "ReplicaSetSpec",
    ("apps", "StatefulSet"): "StatefulSetSpec",
    ("", "ReplicationController"): "ReplicationControllerSpec",
}


def _int_fields(group: str, kind: str, obj: Obj) -> Iterator[tuple[str, Any]]:
    """(Go struct field, value) pairs whose values must be integers."""
    spec_struct = _REPLICAS.get((group, kind))
    if spec_struct is not None and isinstance(obj.get("spec"), dict) and "replicas" in obj["spec"]:
        yield f"{spec_struct}.spec.replicas", obj["spec"]["replicas"]
    if (group, kind) == ("", "Service"):
        for port in (obj.get("spec") or {}).get("ports") or []:
            for field in ("port", "nodePort"):
                if isinstance(port, dict) and field in port:
                    yield f"ServicePort.spec.ports.{field}", port[field]
    pod_spec_path = _POD_SPEC_PATHS.get((group, kind))
    spec = _dig(obj, pod_spec_path) if pod_spec_path else None
    if not isinstance(spec, dict) or pod_spec_path is None:
        return
    dotted = ".".join(pod_spec_path)
    for list_name in ("initContainers", "containers"):
        for container in spec.get(list_name) or []:
            for port in (container.get("ports") or []) if isinstance(container, dict) else []:
                for field in ("containerPort", "hostPort"):
                    if isinstance(port, dict) and field in port:
                        yield f"ContainerPort.{dotted}.{list_name}.ports.{field}", port[field]


def type_error(group: str, kind: str, obj: Obj) -> str | None:
    """The decoder's message for the first non-string value where a string is required, else None."""
    for field, mapping in _string_maps(group, kind, obj):
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            return f"json: cannot unmarshal {_json_type(mapping)} into Go struct field {field} of type map[string]string"
        for value in mapping.values():
            if value is not None and not isinstance(value, str):  # null decodes to ""
                return (
                    f"json: cannot unmarshal {_json_type(value)} into Go struct field {field} of type string"
                )
    for field, value in _int_fields(group, kind, obj):
        if isinstance(value, str | bool | dict | list):
            return f"json: cannot unmarshal {_json_type(value)} into Go struct field {field} of type int32"
    for field, value in _env_values(group, kind, obj):
        if value is not None and not isinstance(value, str):
            return f"json: cannot unmarshal {_json_type(value)} into Go struct field {field} of type string"
    return None
