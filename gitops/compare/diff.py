"""A readable unified diff per resource (live -> desired), with Secret values masked.

Masking as Argo CD does it: every distinct value of a Secret's `data`/`stringData` key gets its own
run of `+` (same value, same mask), so a changed value still shows as a changed line.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

Obj = dict[str, Any]
MASK_BASE = 8


def mask_secrets(live: Obj | None, desired: Obj | None) -> tuple[Obj | None, Obj | None]:
    """Copies of both sides with Secret values replaced by masks (other kinds unchanged)."""
    if (live or desired or {}).get("kind") != "Secret":
        return live, desired
    masks: dict[str, str] = {}

    def mask(value: Any) -> str:
        key = str(value)
        if key not in masks:
            masks[key] = "+" * (MASK_BASE + len(masks))
        return masks[key]

    def masked(obj: Obj | None) -> Obj | None:
        if obj is None:
            return None
        copy = dict(obj)
        for field in ("data", "stringData"):
            if isinstance(copy.get(field), dict):
                copy[field] = {k: mask(v) for k, v in sorted(copy[field].items())}
        annotations = (copy.get("metadata") or {}).get("annotations") or {}
        if "kubectl.kubernetes.io/last-applied-configuration" in annotations:
            meta = dict(copy["metadata"])
            meta["annotations"] = {
                **annotations,
                "kubectl.kubernetes.io/last-applied-configuration": mask(
                    annotations["kubectl.kubernetes.io/last-applied-configuration"]
                ),
            }
            copy["metadata"] = meta
        return copy

    return masked(live), masked(desired)


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: same text, ~10x faster


def _yaml(obj: Obj | None) -> list[str]:
    if obj is None:
        return []
    return yaml.dump(obj, Dumper=_DUMPER, sort_keys=True, default_flow_style=False, width=1000).splitlines()


def unified_diff(live: Obj | None, desired: Obj | None, title: str, context: int = 3) -> str:
    """`--- live/<title>` / `+++ desired/<title>` unified diff of the YAML of both (empty when equal)."""
    live, desired = mask_secrets(live, desired)
    lines = difflib.unified_diff(
        _yaml(live), _yaml(desired), f"live/{title}", f"desired/{title}", lineterm="", n=context
    )
    return "\n".join(lines)
