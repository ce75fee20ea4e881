"""Regenerates `builtin_fields.json`: for every type reachable from the built-in kinds kubesim serves, its
JSON field names and their types, taken from the official `kubernetes` client's models (which mirror the
Go structs). `python -m kubesim.schemas.generate` rewrites the file; a test keeps it current."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from kubesim.resources import BUILTINS

PRIMITIVES = frozenset({"str", "int", "bool", "float", "datetime", "date", "object", "bytes"})
OUTPUT = Path(__file__).with_name("builtin_fields.json")
_WRAPPED = re.compile(r"^(?:List\[|Dict\[str,\s*)(.+)\]$")


def model_name(version: str, kind: str) -> str:
    return version[0].upper() + version[1:] + kind


def _inner(type_name: str) -> str | None:
    m = _WRAPPED.match(type_name)
    if m:
        return _inner(m.group(1).strip())
    return None if type_name in PRIMITIVES else type_name


def build() -> dict[str, Any]:
    from kubernetes.client import models

    seen: dict[str, dict[str, str]] = {}
    kinds: dict[str, str] = {}
    for rt in BUILTINS:
        group_prefix = (rt.group.split(".")[0] or "core").capitalize()
        for candidate in (model_name(rt.version, rt.kind), group_prefix + model_name(rt.version, rt.kind)):
            if hasattr(models, candidate):
                kinds[f"{rt.group}/{rt.version}/{rt.kind}"] = candidate
                break
    queue = list(kinds.values())
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        cls = getattr(models, name, None)
        if cls is None:
            continue
        fields = {cls.attribute_map[attr]: kind for attr, kind in cls.openapi_types.items()}
        seen[name] = fields
        for kind in fields.values():
            inner = _inner(kind)
            if inner and inner not in seen:
                queue.append(inner)
    return {"kinds": kinds, "types": dict(sorted(seen.items()))}  # fmt: skip


def render() -> str:
    return json.dumps(build(), sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
