"""RespectIgnoreDifferences: copy the live values of ignored fields into the target before applying,
so a sync does not overwrite what `ignoreDifferences` tells the compare to ignore.

Supports `jsonPointers` and `jqPathExpressions` (jq `path(...)`); `managedFieldsManagers` needs no
copy with server-side apply (fields of other managers are left alone unless the target sets them).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import jq

from gitops.tracking import ResourceKey

Obj = dict[str, Any]
Path = list[str | int]


def _rule_matches(rule: Mapping[str, Any], key: ResourceKey) -> bool:
    if str(rule.get("group") or "") != key.group or rule.get("kind") != key.kind:
        return False
    if rule.get("name") and rule["name"] != key.name:
        return False
    return not (rule.get("namespace") and rule["namespace"] != key.namespace)


def _pointer_path(pointer: str) -> Path:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    return [int(p) if p.isdigit() else p for p in parts]


def _jq_paths(expression: str, live: Obj) -> list[Path]:
    try:
        found = jq.compile(f"[path({expression})]").input_value(live).first()
    except ValueError:
        return []
    return [list(p) for p in found or []]


def _read(doc: Any, path: Path) -> tuple[bool, Any]:
    node = doc
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def _write(doc: Any, path: Path, value: Any, present: bool) -> None:
    node = doc
    for index, part in enumerate(path[:-1]):
        nxt = path[index + 1]
        if isinstance(node, dict):
            if part not in node or not isinstance(node[part], dict | list):
                if not present:
                    return
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        if present:
            node[last] = copy.deepcopy(value)
        else:
            node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last < len(node) and present:
        node[last] = copy.deepcopy(value)


def respect_ignore_differences(
    target: Obj, live: Obj | None, key: ResourceKey, rules: Sequence[Mapping[str, Any]]
) -> Obj:
    """The target with every ignored path set to its live value (removed when live lacks it)."""
    if live is None:
        return target
    result = copy.deepcopy(target)
    for rule in rules:
        if not _rule_matches(rule, key):
            continue
        paths = [_pointer_path(p) for p in rule.get("jsonPointers") or []]
        for expression in rule.get("jqPathExpressions") or []:
            paths.extend(_jq_paths(expression, live))
        for path in paths:
            if not path:
                continue
            present, value = _read(live, path)
            _write(result, path, value, present)
    return result
