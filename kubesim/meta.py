"""Object metadata rules of kube-apiserver: names, generateName, timestamps, uids, generation, which kinds
carry a generation and how status is reset on create."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from kubesim.errors import ApiError, invalid
from kubesim.resources import ResourceType

Obj = dict[str, Any]

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# kinds whose names must be DNS-1123 labels (the others: DNS-1123 subdomains; RBAC: path segment names)
_LABEL_NAMED = {("", "namespaces"), ("", "services")}
_PATH_SEGMENT_NAMED = {
    ("rbac.authorization.k8s.io", p) for p in ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
}
# kinds whose strategy sets metadata.generation (custom resources always do)
_GENERATION_KINDS = {
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("", "replicationcontrollers"),
    ("", "pods"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "ingressclasses"),
    ("networking.k8s.io", "networkpolicies"),
    ("policy", "poddisruptionbudgets"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("autoscaling", "horizontalpodautoscalers"),
}


def clone(obj: Any) -> Any:
    """A deep copy (JSON types only)."""
    return orjson.loads(orjson.dumps(obj))


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str) -> str:
    return prefix[:58] + "".join(random.choices(_GENERATE_ALPHABET, k=5))


def has_generation(rt: ResourceType) -> bool:
    return rt.custom or rt.storage_key in _GENERATION_KINDS


def validate_name(rt: ResourceType, name: str) -> None:
    """422 Invalid when the name breaks the rule kube-apiserver applies to this kind."""
    if rt.storage_key in _PATH_SEGMENT_NAMED:
        if name in (".", "..") or "/" in name or "%" in name:
            raise invalid(
                rt.kind,
                name,
                rt.group,
                [
                    (
                        "FieldValueInvalid",
                        "metadata.name",
                        f"Invalid value: \"{name}\": may not contain '/' or '%'",
                    )
                ],
            )
        return
    if rt.storage_key in _LABEL_NAMED:
        if len(name) > 63 or not _DNS_LABEL.match(name):
            raise invalid(
                rt.kind,
                name,
                rt.group,
                [
                    (
                        "FieldValueInvalid",
                        "metadata.name",
                        (
                            f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case alphanumeric '
                            "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                            "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                        ),
                    )
                ],
            )
        return
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise invalid(
            rt.kind,
            name,
            rt.group,
            [
                (
                    "FieldValueInvalid",
                    "metadata.name",
                    (
                        f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                        "regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                    ),
                )
            ],
        )


def drop_nulls(value: Any) -> Any:
    """JSON nulls decode to Go zero values, which the server then omits: drop them (in place)."""
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for v in value.values():
            drop_nulls(v)
    elif isinstance(value, list):
        for v in value:
            drop_nulls(v)
    return value


def check_body_type(rt: ResourceType, body: Any) -> Obj:
    """The body must be an object of this kind (missing apiVersion/kind are filled in like the real decoder)."""
    if not isinstance(body, dict):
        raise ApiError(400, f"the object provided is unrecognized (must be of type {rt.kind})")
    drop_nulls(body)
    kind = body.get("kind")
    api_version = body.get("apiVersion")
    if (kind and kind != rt.kind) or (api_version and api_version.rpartition("/")[0] != rt.group):
        raise ApiError(
            400,
            f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})"
            if kind == rt.kind
            else f"the object provided is unrecognized (must be of type {rt.kind}): "
            f"couldn't get version/kind; json parse error: kind {kind}",
        )
    body["kind"] = rt.kind
    body["apiVersion"] = rt.api_version
    meta = body.get("metadata")
    if meta is None:
        body["metadata"] = {}
    elif not isinstance(meta, dict):
        raise ApiError(400, "metadata must be an object")
    return body


def spec_changed(rt: ResourceType, old: Obj, new: Obj) -> bool:
    """Generation moves when anything but metadata (and status, for kinds with a status subresource) changes."""
    skip = {"metadata", "apiVersion", "kind"}
    if "status" in rt.subresources:
        skip.add("status")
    keys = (set(old) | set(new)) - skip
    return any(old.get(k) != new.get(k) for k in keys)


def initial_status(rt: ResourceType, obj: Obj) -> None:
    """On create, kinds with a status subresource start from an empty status (the server owns it)."""
    if "status" not in rt.subresources:
        return
    if rt.custom:
        obj.pop("status", None)
    elif rt.storage_key == ("", "namespaces"):
        obj["status"] = {"phase": "Active"}
    elif rt.storage_key == ("", "pods"):
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif rt.storage_key == ("apiextensions.k8s.io", "customresourcedefinitions"):
        pass  # set by the CRD handling
    else:
        obj["status"] = {}


def age(timestamp: str | None) -> str:
    """kubectl's human duration for the AGE column."""
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    seconds = int((datetime.now(UTC) - then).total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"
