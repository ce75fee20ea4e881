"""Decoding the protobuf request bodies kubectl's typed clients send (`kubectl create configmap`, `secret`,
`namespace`, `serviceaccount`): the `k8s\\x00` envelope around runtime.Unknown, then the object by the field
numbers of k8s.io/api's generated.proto. `kubectl create deployment` is decoded too (the fields that
generator sets; any other field is refused rather than dropped). Other kinds answer 415 naming the JSON
alternative."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from kubesim.errors import ApiError

Obj = dict[str, Any]
MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value): varints as int, length-delimited as bytes; fixed-width values are skipped."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            length, pos = _varint(data, pos)
            yield number, data[pos : pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _text(value: int | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entry(value: int | bytes) -> tuple[str, bytes]:
    key, item = "", b""
    for number, part in fields(value if isinstance(value, bytes) else b""):
        if number == 1:
            key = _text(part)
        elif number == 2 and isinstance(part, bytes):
            item = part
    return key, item


def _time(value: int | bytes) -> str | None:
    seconds = 0
    for number, part in fields(value if isinstance(value, bytes) else b""):
        if number == 1 and isinstance(part, int):
            seconds = part
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _owner(value: int | bytes) -> Obj:
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    ref: Obj = {}
    for number, part in fields(value if isinstance(value, bytes) else b""):
        if number in names:
            ref[names[number]] = _text(part)
        elif number == 6:
            ref["controller"] = bool(part)
        elif number == 7:
            ref["blockOwnerDeletion"] = bool(part)
    return ref


def object_meta(data: bytes) -> Obj:
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    meta: Obj = {}
    for number, part in fields(data):
        if number in strings:
            if _text(part):
                meta[strings[number]] = _text(part)
        elif number in (11, 12):
            key, item = _entry(part)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = item.decode()
        elif number == 13:
            meta.setdefault("ownerReferences", []).append(_owner(part))
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(part))
        elif number == 8:
            stamp = _time(part)
            if stamp:
                meta["creationTimestamp"] = stamp
    return meta


def _config_map(data: bytes) -> Obj:
    obj: Obj = {}
    for number, part in fields(data):
        if number == 1 and isinstance(part, bytes):
            obj["metadata"] = object_meta(part)
        elif number == 2:
            key, item = _entry(part)
            obj.setdefault("data", {})[key] = item.decode()
        elif number == 3:
            key, item = _entry(part)
            obj.setdefault("binaryData", {})[key] = base64.b64encode(item).decode()
        elif number == 4:
            obj["immutable"] = bool(part)
    return obj


def _secret(data: bytes) -> Obj:
    obj: Obj = {}
    for number, part in fields(data):
        if number == 1 and isinstance(part, bytes):
            obj["metadata"] = object_meta(part)
        elif number == 2:
            key, item = _entry(part)
            obj.setdefault("data", {})[key] = base64.b64encode(item).decode()
        elif number == 3:
            obj["type"] = _text(part)
        elif number == 4:
            key, item = _entry(part)
            obj.setdefault("stringData", {})[key] = item.decode()
        elif number == 5:
            obj["immutable"] = bool(part)
    return obj


def _namespace(data: bytes) -> Obj:
    obj: Obj = {}
    for number, part in fields(data):
        if number == 1 and isinstance(part, bytes):
            obj["metadata"] = object_meta(part)
        elif number == 2 and isinstance(part, bytes):
            finalizers = [_text(f) for n, f in fields(part) if n == 1]
            if finalizers:
                obj["spec"] = {"finalizers": finalizers}
    return obj


def _service_account(data: bytes) -> Obj:
    obj: Obj = {}
    for number, part in fields(data):
        if number == 1 and isinstance(part, bytes):
            obj["metadata"] = object_meta(part)
        elif number == 3 and isinstance(part, bytes):
            names = [_text(v) for n, v in fields(part) if n == 1]
            obj.setdefault("imagePullSecrets", []).append({"name": names[0]} if names else {})
        elif number == 4:
            obj["automountServiceAccountToken"] = bool(part)
    return obj


class _Unsupported(Exception):
    """A field this decoder does not know: refuse rather than drop it silently."""


# field number -> (JSON name, kind); kind: "str", "int" (0 omitted), "ptrint" (0 kept), "bool", "liststr",
# "map" (string values), "meta" (ObjectMeta), "skip", a nested schema dict, or [schema] for a repeated message
Schema = dict[int, tuple[str, Any]]
_LABEL_SELECTOR: Schema = {1: ("matchLabels", "map")}
_CONTAINER_PORT: Schema = {1: ("name", "str"), 2: ("hostPort", "int"), 3: ("containerPort", "int"),
                           4: ("protocol", "str"), 5: ("hostIP", "str")}  # fmt: skip
_CONTAINER: Schema = {1: ("name", "str"), 2: ("image", "str"), 3: ("command", "liststr"), 4: ("args", "liststr"),
                      5: ("workingDir", "str"), 6: ("ports", [_CONTAINER_PORT]), 8: ("resources", {}),
                      13: ("terminationMessagePath", "str"), 14: ("imagePullPolicy", "str"), 16: ("stdin", "bool"),
                      17: ("stdinOnce", "bool"), 18: ("tty", "bool"),
                      20: ("terminationMessagePolicy", "str")}  # fmt: skip
_POD_SPEC: Schema = {2: ("containers", [_CONTAINER]), 3: ("restartPolicy", "str"),
                     4: ("terminationGracePeriodSeconds", "ptrint"), 6: ("dnsPolicy", "str"),
                     8: ("serviceAccountName", "str"), 9: ("serviceAccount", "str"), 10: ("nodeName", "str"),
                     11: ("hostNetwork", "bool"), 12: ("hostPID", "bool"), 13: ("hostIPC", "bool"),
                     14: ("securityContext", {}), 16: ("hostname", "str"), 17: ("subdomain", "str"),
                     19: ("schedulerName", "str"), 24: ("priorityClassName", "str")}  # fmt: skip
_POD_TEMPLATE: Schema = {1: ("metadata", "meta"), 2: ("spec", _POD_SPEC)}
_DEPLOYMENT: Schema = {
    1: ("metadata", "meta"),
    2: ("spec", {1: ("replicas", "ptrint"), 2: ("selector", _LABEL_SELECTOR), 3: ("template", _POD_TEMPLATE),
                 4: ("strategy", {1: ("type", "str")}), 5: ("minReadySeconds", "int"), 7: ("paused", "bool")}),
    3: ("status", "skip"),
}  # fmt: skip


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _message(schema: Schema, data: bytes, path: str) -> Obj:
    obj: Obj = {}
    for number, part in fields(data):
        spec = schema.get(number)
        if spec is None:
            raise _Unsupported(f"{path or 'object'} field {number}")
        name, kind = spec
        where = f"{path}.{name}" if path else name
        if kind == "str":
            if _text(part):
                obj[name] = _text(part)
        elif kind in ("int", "ptrint"):
            value = _signed(part) if isinstance(part, int) else 0
            if value or kind == "ptrint":
                obj[name] = value
        elif kind == "bool":
            if part:
                obj[name] = True
        elif kind == "liststr":
            obj.setdefault(name, []).append(_text(part))
        elif kind == "map":
            key, item = _entry(part)
            obj.setdefault(name, {})[key] = item.decode()
        elif kind == "meta":
            obj[name] = object_meta(part if isinstance(part, bytes) else b"")
        elif isinstance(kind, dict):
            obj[name] = _message(kind, part if isinstance(part, bytes) else b"", where)
        elif isinstance(kind, list):
            obj.setdefault(name, []).append(
                _message(kind[0], part if isinstance(part, bytes) else b"", where)
            )
    return obj


def _deployment(data: bytes) -> Obj:
    return _message(_DEPLOYMENT, data, "")


_DECODERS: dict[tuple[str, str], Callable[[bytes], Obj]] = {
    ("apps/v1", "Deployment"): _deployment,
    ("v1", "ConfigMap"): _config_map,
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
    ("v1", "ServiceAccount"): _service_account,
}


def decode(raw: bytes) -> Obj:
    """A JSON-shaped object from a protobuf request body; 415 for kinds kubesim cannot decode."""
    if not raw.startswith(MAGIC):
        raise ApiError(400, "the body of the request was not a Kubernetes protobuf envelope")
    try:
        api_version = kind = ""
        inner = b""
        for number, part in fields(raw[len(MAGIC) :]):
            if number == 1 and isinstance(part, bytes):
                for n, v in fields(part):
                    if n == 1:
                        api_version = _text(v)
                    elif n == 2:
                        kind = _text(v)
            elif number == 2 and isinstance(part, bytes):
                inner = part
        decoder = _DECODERS.get((api_version, kind))
        if decoder is None:
            raise ApiError(
                415,
                f"kubesim cannot decode protobuf bodies of {kind or 'this kind'} ({api_version}); "
                "send application/json (e.g. kubectl create -f FILE)",
            )
        obj = decoder(inner)
    except _Unsupported as exc:
        raise ApiError(
            415,
            f"kubesim cannot decode this protobuf {kind} ({exc}); send application/json (e.g. kubectl create -f FILE)",
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body of the request could not be decoded: {exc}") from exc
    _drop_zero_scalars(obj)
    _drop_zero_scalars(obj.get("metadata") or {})
    return {"apiVersion": api_version, "kind": kind, **obj}


def _drop_zero_scalars(obj: Obj) -> None:
    """Go zero values ("" and false in scalar fields) are absent in JSON: drop them likewise."""
    for key in [k for k, v in obj.items() if v == "" or v is False]:
        del obj[key]
