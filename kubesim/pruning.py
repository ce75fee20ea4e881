"""Unknown fields, handled like the real decoder: built-in kinds keep only the fields of their Go structs
(field lists in kubesim/schemas/builtin_fields.json), custom resources only what their structural
openAPIV3Schema declares (unless x-kubernetes-preserve-unknown-fields). Dropped paths are returned so the
request's fieldValidation (Ignore, Warn, Strict) can decide between silence, a warning and a 400."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from kubesim.errors import ApiError
from kubesim.resources import ResourceType

Obj = dict[str, Any]
_PRIMITIVES = frozenset({"str", "int", "bool", "float", "datetime", "date", "object", "bytes"})
FIELD_VALIDATIONS = ("Ignore", "Warn", "Strict")


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        (Path(__file__).parent / "schemas" / "builtin_fields.json").read_bytes()
    )
    return data


def _prune_type(
    types: dict[str, dict[str, str]], type_name: str, value: Any, path: str, unknown: list[str]
) -> None:
    if type_name in _PRIMITIVES:
        return
    if type_name.startswith("List["):
        if isinstance(value, list):
            inner = type_name[5:-1]
            for i, item in enumerate(value):
                _prune_type(types, inner, item, f"{path}[{i}]", unknown)
        return
    if type_name.startswith("Dict[str, "):
        if isinstance(value, dict):
            inner = type_name[10:-1]
            if inner not in _PRIMITIVES:
                for key, item in value.items():
                    _prune_type(types, inner, item, f"{path}[{key}]", unknown)
        return
    fields = types.get(type_name)
    if fields is None or not isinstance(value, dict):
        return
    for key in list(value):
        child = f"{path}.{key}" if path else key
        kind = fields.get(key)
        if kind is None:
            unknown.append(child)
            del value[key]
        else:
            _prune_type(types, kind, value[key], child, unknown)


def prune_builtin(rt: ResourceType, obj: Obj) -> list[str]:
    data = _builtin()
    model = data["kinds"].get(f"{rt.group}/{rt.version}/{rt.kind}")
    unknown: list[str] = []
    if model is not None:
        _prune_type(data["types"], model, obj, "", unknown)
    return unknown


def _prune_schema(schema: Any, value: Any, path: str, unknown: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        embedded = schema.get("x-kubernetes-embedded-resource") is True
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if key in props:
                _prune_schema(props[key], value[key], child, unknown)
            elif embedded and key in ("apiVersion", "kind"):
                continue
            elif embedded and key == "metadata":
                _prune_type(_builtin()["types"], "V1ObjectMeta", value[key], child, unknown)
            elif isinstance(additional, dict):
                _prune_schema(additional, value[key], child, unknown)
            elif additional is True or preserve:
                continue
            else:
                unknown.append(child)
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune_schema(schema["items"], item, f"{path}[{i}]", unknown)


def prune_custom(schema: Obj | None, obj: Obj) -> list[str]:
    """Prune a custom resource by its version's openAPIV3Schema (no schema: keep everything)."""
    unknown: list[str] = []
    if "metadata" in obj:
        _prune_type(_builtin()["types"], "V1ObjectMeta", obj["metadata"], "metadata", unknown)
    if not schema:
        return unknown
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    _prune_schema(schema, rest, "", unknown)
    for key in [k for k in obj if k not in ("apiVersion", "kind", "metadata") and k not in rest]:
        del obj[key]
    return unknown


def check_mode(mode: str | None) -> None:
    if mode not in (None, "", *FIELD_VALIDATIONS):
        raise ApiError(
            400, f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", "Strict", "Warn"'
        )


def report(rt: ResourceType, unknown: list[str], mode: str | None, warnings: list[str] | None) -> None:
    """Strict: 400 naming every unknown field; Warn: one warning each; Ignore: nothing."""
    if not unknown:
        return
    if mode == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(
            400,
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: strict decoding error: {fields}',
        )
    if mode == "Warn" and warnings is not None:
        warnings.extend(f'unknown field "{path}"' for path in unknown)
