"""`ignoreDifferences`: fields left out of compare (jsonPointers, jqPathExpressions, managedFieldsManagers).

`IgnoreRule.parse` validates a spec entry (a bad pointer or jq expression is a SpecError naming it);
`strip_ignored` removes ignored fields from a copy; `respect_ignored` copies live values of ignored
fields into the desired object (sync option RespectIgnoreDifferences=true).
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jq

from gitops.compare.fields import Path, has_path, leaf_paths, manager_fields, remove_path
from gitops.errors import SpecError

Obj = dict[str, Any]


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """RFC 6901: `/spec/template/metadata/annotations/a~1b` -> (spec, template, metadata, annotations, a/b)."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/'")
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/"))


def _pointer_path(obj: Any, parts: tuple[str, ...]) -> Path | None:
    """The pointer as field-path steps against obj (list indices need the list), None if absent."""
    steps: list[tuple[str, Any]] = []
    node = obj
    for part in parts:
        if isinstance(node, dict) and part in node:
            steps.append(("f", part))
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            steps.append(("i", int(part)))
            node = node[int(part)]
        else:
            return None
    return tuple(steps)


@lru_cache(maxsize=256)
def _compiled(program: str) -> Any:
    return jq.compile(program)


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[tuple[str, ...], ...] = ()
    jq_paths: tuple[str, ...] = ()
    managers: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, spec: Mapping[str, Any], app: str | None = None) -> IgnoreRule:
        where = f"ignoreDifferences entry for kind {spec.get('kind')!r}"
        if not spec.get("kind"):
            raise SpecError(
                "an ignoreDifferences entry needs a kind",
                app=app,
                target="spec.ignoreDifferences",
                hint="add kind (and group for non-core kinds)",
            )
        pointers = []
        for pointer in spec.get("jsonPointers") or []:
            try:
                pointers.append(parse_pointer(str(pointer)))
            except ValueError as exc:
                raise SpecError(
                    str(exc), app=app, target=where, hint="write pointers like /spec/replicas"
                ) from None
        jq_paths = []
        for expr in spec.get("jqPathExpressions") or []:
            try:
                _compiled(f"del({expr})")
            except ValueError as exc:
                raise SpecError(
                    f"invalid jq path expression {expr!r}: {exc}",
                    app=app,
                    target=where,
                    hint="write paths like .spec.template.spec.containers[].image",
                ) from None
            jq_paths.append(str(expr))
        return cls(
            group=str(spec.get("group") or ""),
            kind=str(spec["kind"]),
            name=str(spec.get("name") or ""),
            namespace=str(spec.get("namespace") or ""),
            json_pointers=tuple(pointers),
            jq_paths=tuple(jq_paths),
            managers=frozenset(str(m) for m in spec.get("managedFieldsManagers") or []),
        )

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        return (
            fnmatch.fnmatchcase(group, self.group or "")
            and fnmatch.fnmatchcase(kind, self.kind)
            and (not self.name or self.name == name)
            and (not self.namespace or self.namespace == namespace)
        )


def parse_rules(specs: Iterable[Mapping[str, Any]], app: str | None = None) -> tuple[IgnoreRule, ...]:
    return tuple(IgnoreRule.parse(spec, app) for spec in specs)


def rules_for(
    rules: Iterable[IgnoreRule], group: str, kind: str, namespace: str, name: str
) -> tuple[IgnoreRule, ...]:
    return tuple(rule for rule in rules if rule.matches(group, kind, namespace, name))


def ignored_paths(obj: Any, rules: Iterable[IgnoreRule], live: Obj | None) -> list[Path]:
    """Field paths of obj that the rules ignore (managers' fields are read from the live object)."""
    paths: list[Path] = []
    for rule in rules:
        for pointer in rule.json_pointers:
            path = _pointer_path(obj, pointer)
            if path is not None:
                paths.append(path)
        for expr in rule.jq_paths:
            try:
                found = _compiled(f"[path({expr})]").input_value(obj).first()
            except ValueError:
                continue
            for raw in found or []:
                paths.append(tuple(("i", step) if isinstance(step, int) else ("f", step) for step in raw))
        if rule.managers and live is not None:
            for tree in manager_fields(live, set(rule.managers)):
                paths.extend(path for path in leaf_paths(tree) if has_path(obj, path))
    return paths


def strip_ignored(obj: Obj, rules: Iterable[IgnoreRule], live: Obj | None) -> Obj:
    """A copy of obj without the ignored fields (list items removed last-index first)."""
    rules = tuple(rules)
    if not rules:
        return obj
    stripped = copy.deepcopy(obj)
    for path in sorted(ignored_paths(stripped, rules, live), key=_removal_order, reverse=True):
        remove_path(stripped, path)
    return stripped


def _removal_order(path: Path) -> tuple[Any, ...]:
    return tuple((kind, value if isinstance(value, int) else -1) for kind, value in path)


def _get(node: Any, path: Path) -> Any:
    for _kind, value in path:
        node = node[value]
    return node


def _set(node: Any, path: Path, value: Any) -> None:
    for kind, step in path[:-1]:
        node = node.setdefault(step, {}) if kind == "f" else node[step]
    kind, last = path[-1]
    if kind == "f" or (isinstance(node, list) and last < len(node)):
        node[last] = value


def respect_ignored(desired: Obj, live: Obj | None, rules: Iterable[IgnoreRule]) -> Obj:
    """RespectIgnoreDifferences: desired with each ignored field taken from live (dropped if live lacks it)."""
    rules = tuple(rules)
    if not rules or live is None:
        return desired
    target = copy.deepcopy(desired)
    for path in ignored_paths(live, rules, live):
        if all(kind in ("f", "i") for kind, _ in path):
            try:
                _set(target, path, copy.deepcopy(_get(live, path)))
            except (KeyError, IndexError, TypeError):
                continue
    for path in sorted(ignored_paths(target, rules, live), key=_removal_order, reverse=True):
        if not has_path(live, path):
            remove_path(target, path)
    return target
