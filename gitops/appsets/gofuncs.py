"""The functions of Bosun's Go-template subset (`goTemplate: true`), named and ordered as in Go's
text/template and Sprig: arguments first, a piped value last (`{{ .x | replace "a" "b" }}`).

Supported: index, default, lower, upper, replace, toJson, quote, trim, trimPrefix, trimSuffix,
printf (%s %v %d %q), normalize, eq, ne, not, and, or, len. Anything else is a SpecError."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from gitops.appsets.params import normalize_name
from gitops.errors import SpecError

NO_VALUE = "<no value>"


class GoTemplateError(SpecError):
    """A template that cannot render (syntax, unknown function, missing key with missingkey=error)."""


def go_text(value: Any) -> str:
    """How Go's fmt prints a value in a template: nil as `<no value>`, maps and lists Go-style."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{go_text(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    if isinstance(value, list):
        return "[" + " ".join(go_text(v) for v in value) + "]"
    return str(value)


def truthy(value: Any) -> bool:
    """Go's truth: false, 0, nil and empty strings, maps and lists are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float, str, list, dict)):
        return bool(value)
    return True


def _index(collection: Any, *keys: Any) -> Any:
    current = collection
    for key in keys:
        if isinstance(current, Mapping):
            current = current.get(key if isinstance(key, str) else str(key))
        elif isinstance(current, list):
            if not isinstance(key, int) or not 0 <= key < len(current):
                raise GoTemplateError(f"index {key!r} out of range for a list of {len(current)}")
            current = current[key]
        elif current is None:
            return None
        else:
            raise GoTemplateError(f"cannot index {go_text(current)!r} with {key!r}")
    return current


def _default(fallback: Any, value: Any = None) -> Any:
    return value if truthy(value) else fallback


def _printf(fmt: str, *args: Any) -> str:
    values = list(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        if not values:
            return f"%!{verb}(MISSING)"
        value = values.pop(0)
        return json.dumps(go_text(value)) if verb == "q" else go_text(value)

    return re.sub(r"%([svdq%])", one, fmt)


def _to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise GoTemplateError(f"len of {go_text(value)!r}")


def _and(*args: Any) -> Any:
    for arg in args:
        if not truthy(arg):
            return arg
    return args[-1] if args else None


def _or(*args: Any) -> Any:
    for arg in args:
        if truthy(arg):
            return arg
    return args[-1] if args else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "index": _index,
    "default": _default,
    "lower": lambda s: go_text(s).lower(),
    "upper": lambda s: go_text(s).upper(),
    "replace": lambda old, new, s: go_text(s).replace(go_text(old), go_text(new)),
    "toJson": _to_json,
    "quote": lambda *s: " ".join(json.dumps(go_text(x) if x is not None else "") for x in s),
    "trim": lambda s: go_text(s).strip(),
    "trimPrefix": lambda p, s: go_text(s).removeprefix(go_text(p)),
    "trimSuffix": lambda p, s: go_text(s).removesuffix(go_text(p)),
    "printf": _printf,
    "normalize": lambda s: normalize_name(go_text(s)),
    "eq": lambda a, *bs: any(a == b for b in bs),
    "ne": lambda a, b: a != b,
    "not": lambda a: not truthy(a),
    "and": _and,
    "or": _or,
    "len": _len,
}


def call(name: str, args: list[Any]) -> Any:
    function = FUNCTIONS.get(name)
    if function is None:
        raise GoTemplateError(
            f"function {name!r} is not supported",
            hint=f"Bosun's Go-template subset has: {', '.join(sorted(FUNCTIONS))} (see docs/fleet.md)",
        )
    try:
        return function(*args)
    except TypeError:
        raise GoTemplateError(f"wrong number of arguments for {name} ({len(args)} given)") from None
