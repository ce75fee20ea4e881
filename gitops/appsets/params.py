"""Generator parameter sets: plain dicts, nested for `goTemplate: true`, flat (`a.b.c` keys, string
values) for the default `{{param}}` templates. Helpers to flatten, to normalise names as Argo CD does
(`nameNormalized`, `path.basenameNormalized`) and to merge without silent conflicts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from gitops.errors import SpecError

Params = dict[str, Any]
_INVALID_NAME_CHARS = re.compile(r"[^a-z0-9.-]+")


def normalize_name(value: str) -> str:
    """A DNS-1123-ish name: lower case, every run of other characters (`_`, `/`, spaces) becomes `-`."""
    return _INVALID_NAME_CHARS.sub("-", value.lower())


def scalar_text(value: Any) -> str:
    """How a value reads in a `{{param}}` template: strings as is, others as JSON (`true`, `3`)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"a": {"b": 1}, "l": [x, y]}` -> `{"a.b": "1", "l[0]": "x", "l[1]": "y"}` (Argo CD's flattening)."""
    out: dict[str, str] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        _flatten_into(out, name, item)
    return out


def _flatten_into(out: dict[str, str], name: str, item: Any) -> None:
    if isinstance(item, Mapping):
        if not item:
            out[name] = "{}"
        for key, sub in item.items():
            _flatten_into(out, f"{name}.{key}", sub)
    elif isinstance(item, list):
        if not item:
            out[name] = "[]"
        for index, sub in enumerate(item):
            _flatten_into(out, f"{name}[{index}]", sub)
    else:
        out[name] = scalar_text(item)


def lookup(params: Mapping[str, Any], dotted: str) -> Any:
    """A value by dotted name: the flat key if present, else a walk through nested maps (None if absent)."""
    if dotted in params:
        return params[dotted]
    current: Any = params
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Params:
    """`override` wins; nested maps merge."""
    merged: Params = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def combine_strict(first: Mapping[str, Any], second: Mapping[str, Any], where: str) -> Params:
    """Union of two parameter sets (a matrix row); the same key with different values is a SpecError."""
    combined: Params = dict(first)
    for key, value in second.items():
        if key in combined and combined[key] != value:
            if isinstance(value, Mapping) and isinstance(combined[key], Mapping):
                combined[key] = combine_strict(combined[key], value, where)
                continue
            raise SpecError(
                f"parameter {key!r} has two values ({scalar_text(combined[key])!r} and {scalar_text(value)!r})",
                target=where,
                hint="rename the parameter in one of the matrix generators (e.g. with values or pathParamPrefix)",
            )
        combined[key] = value
    return combined
