"""Custom resources against their CRD's structural openAPIV3Schema: defaults (`default`) applied, then
validation of type, nullable, enum, required, bounds, lengths, pattern and item counts, reported as a
422 Invalid with one cause per violation in the real server's wording."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from kubesim.errors import invalid
from kubesim.resources import CRDS, ResourceType

if TYPE_CHECKING:
    from kubesim.api import Api

Obj = dict[str, Any]
Cause = tuple[str, str, str]
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def schema_for(api: Api, rt: ResourceType) -> Obj | None:
    """The openAPIV3Schema of rt's version in its CRD (None when there is none)."""
    crd = api.store.get(CRDS.storage_key, None, f"{rt.plural}.{rt.group}")
    if crd is None:
        return None
    spec = crd.get("spec") or {}
    for version in spec.get("versions") or []:
        if version.get("name") == rt.version:
            schema = (version.get("schema") or spec.get("validation") or {}).get("openAPIV3Schema")
            return schema if isinstance(schema, dict) else None
    return None


def apply_defaults(schema: Any, value: Any) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and isinstance(sub, dict) and "default" in sub:
                value[key] = orjson.loads(orjson.dumps(sub["default"]))
            if key in value:
                apply_defaults(sub, value[key])
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            for key, item in value.items():
                if key not in (schema.get("properties") or {}):
                    apply_defaults(additional, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(schema["items"], item)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return orjson.dumps(value).decode()


def _type_ok(kind: str, value: Any, schema: Obj) -> bool:
    if schema.get("x-kubernetes-int-or-string") is True:
        return isinstance(value, int | str) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = _TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _check(schema: Any, value: Any, path: str, causes: list[Cause]) -> None:
    if not isinstance(schema, dict):
        return
    where = path or "<root>"
    if value is None:
        if not schema.get("nullable"):
            causes.append(("FieldValueInvalid", where, f'Invalid value: "null": {where} in body must be of type '
                           f'{schema.get("type", "object")}: "null"'))  # fmt: skip
        return
    kind = schema.get("type")
    if kind and not _type_ok(kind, value, schema):
        causes.append(("FieldValueInvalid", where, f"Invalid value: {_show(value)}: {where} in body must be of type "
                       f"{kind}: {_show(value)}"))  # fmt: skip
        return
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        allowed = ", ".join(_show(v) for v in enum)
        causes.append(
            (
                "FieldValueNotSupported",
                where,
                f"Unsupported value: {_show(value)}: supported values: {allowed}",
            )
        )
    _bounds(schema, value, where, causes)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                field = f"{path}.{name}" if path else name
                causes.append(("FieldValueRequired", field, "Required value"))
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if key in props:
                _check(props[key], item, child, causes)
            elif isinstance(additional, dict):
                _check(additional, item, child, causes)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{path}[{i}]", causes)


def _bounds(schema: Obj, value: Any, where: str, causes: list[Cause]) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            causes.append(("FieldValueInvalid", where, f"Invalid value: {_show(value)}: {where} in body should be "
                           f"greater than or equal to {schema['minimum']}"))  # fmt: skip
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(("FieldValueInvalid", where, f"Invalid value: {_show(value)}: {where} in body should be "
                           f"less than or equal to {schema['maximum']}"))  # fmt: skip
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(
                ("FieldValueTooLong", where, f"Too long: may not be more than {schema['maxLength']} bytes")
            )
        if "minLength" in schema and len(value) < schema["minLength"]:
            causes.append(("FieldValueInvalid", where, f"Invalid value: {_show(value)}: {where} in body should be "
                           f"at least {schema['minLength']} chars long"))  # fmt: skip
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            causes.append(("FieldValueInvalid", where, f"Invalid value: {_show(value)}: {where} in body should "
                           f"match '{pattern}'"))  # fmt: skip
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(("FieldValueTooMany", where, f"Too many: {len(value)}: must have at most "
                           f"{schema['maxItems']} items"))  # fmt: skip
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(("FieldValueInvalid", where, f"Invalid value: {len(value)}: {where} in body should have "
                           f"at least {schema['minItems']} items"))  # fmt: skip


def validate(rt: ResourceType, schema: Obj | None, obj: Obj) -> None:
    """Default then validate a custom resource in place; 422 Invalid on any violation."""
    if not schema:
        return
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    apply_defaults(schema, body)
    obj.update(body)
    causes: list[Cause] = []
    root = {k: v for k, v in schema.items() if k != "required"}
    _check(root, body, "", causes)
    for name in schema.get("required") or []:
        if name not in obj:
            causes.append(("FieldValueRequired", name, "Required value"))
    if causes:
        raise invalid(rt.kind, obj.get("metadata", {}).get("name", ""), rt.group, causes)
