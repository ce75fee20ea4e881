"""Label and field selectors as kube-apiserver parses them (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`,
`gt`/`lt`), with the real 400 messages for bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesim.errors import ApiError

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]

_TERM = re.compile(
    r"""\s*(?:
        (?P<not>!)\s*(?P<nkey>[^\s,=!<>()]+)
      | (?P<key>[^\s,=!<>()]+)\s*(?:
            (?P<setop>in|notin)\s*\((?P<values>[^)]*)\)
          | (?P<op>==|=|!=|>|<)\s*(?P<value>[^\s,=!<>()]*)
        )?
    )\s*(?:,|$)""",
    re.VERBOSE,
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_KEY_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _check_key(key: str, selector: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not name or len(name) > 63 or not _LABEL_KEY_NAME.match(name) or len(prefix) > 253:
        raise ApiError(
            400,
            f'unable to parse requirement: values[0][{key}]: Invalid value: "{key}": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        )


def _check_value(value: str, key: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise ApiError(
            400,
            f'unable to parse requirement: values[0][{key}]: Invalid value: "{value}": a valid label must be an '
            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character",
        )


def parse_label_selector(selector: str | None) -> Predicate | None:
    """A predicate over an object's labels, or None when the selector selects everything."""
    if not selector or not selector.strip():
        return None
    checks: list[Callable[[dict[str, str]], bool]] = []
    pos = 0
    text = selector.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            raise ApiError(400, f"unable to parse requirement: found '{text[pos:]}', expected: identifier")
        pos = m.end()
        checks.append(_requirement(m, selector))
    if not checks:
        return None
    empty: dict[str, str] = {}
    if len(checks) == 1:
        only = checks[0]
        return lambda obj: only(obj["metadata"].get("labels") or empty)

    def predicate(obj: Obj) -> bool:
        labels = obj["metadata"].get("labels") or empty
        return all(check(labels) for check in checks)

    return predicate


def equality_labels(selector: str | None) -> list[tuple[str, str]]:
    """The `key=value` / `key==value` requirements of a label selector already accepted by
    `parse_label_selector` (for an index lookup; the predicate still decides)."""
    pairs: list[tuple[str, str]] = []
    text, pos = (selector or "").strip(), 0
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            return []
        pos = m.end()
        if m.group("key") and m.group("op") in ("=", "=="):
            pairs.append((m.group("key"), m.group("value") or ""))
    return pairs


def _requirement(m: re.Match[str], selector: str) -> Callable[[dict[str, str]], bool]:
    if m.group("not"):
        key = m.group("nkey")
        _check_key(key, selector)
        return lambda labels: key not in labels
    key = m.group("key")
    _check_key(key, selector)
    if m.group("setop"):
        values = {v.strip() for v in m.group("values").split(",") if v.strip()}
        for v in values:
            _check_value(v, key)
        if not values:
            raise ApiError(
                400, "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"
            )
        if m.group("setop") == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    op = m.group("op")
    if op is None:
        return lambda labels: key in labels
    value = m.group("value") or ""
    if op in (">", "<"):
        try:
            bound = int(value)
        except ValueError:
            raise ApiError(
                400, "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"
            ) from None
        return lambda labels: _int_compare(labels.get(key), bound, op)
    _check_value(value, key)
    if op == "!=":
        return lambda labels: labels.get(key) != value
    return lambda labels: labels.get(key) == value


def _int_compare(raw: str | None, bound: int, op: str) -> bool:
    try:
        number = int(raw) if raw is not None else None
    except ValueError:
        return False
    if number is None:
        return False
    return number > bound if op == ">" else number < bound


def _path_value(obj: Obj, path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, dict):
        return str(node.get("component", "")) if path == "source" else ""
    return str(node)


def parse_field_selector(selector: str | None, supported: tuple[str, ...] = ()) -> Predicate | None:
    """metadata.name / metadata.namespace plus the kind's extra fields; unsupported fields are 400."""
    if not selector or not selector.strip():
        return None
    terms: list[tuple[str, str, str]] = []
    for raw in selector.split(","):
        raw = raw.strip()
        if not raw:
            continue
        m = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", raw)
        if not m:
            raise ApiError(400, f"invalid selector: '{selector}'; can't understand '{raw}'")
        field, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if field not in ("metadata.name", "metadata.namespace") and field not in supported:
            raise ApiError(400, f"field label not supported: {field}")
        terms.append((field, op, value))
    if not terms:
        return None

    def predicate(obj: Obj) -> bool:
        for field, op, value in terms:
            actual = _path_value(obj, field)
            if (actual == value) == (op == "!="):
                return False
        return True

    return predicate


def combine(*predicates: Predicate | None) -> Predicate | None:
    present = [p for p in predicates if p is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return lambda obj: all(p(obj) for p in present)


def name_of_field_selector(selector: str | None) -> str | None:
    """`metadata.name=x` alone names one object (lets a list skip the scan)."""
    if not selector:
        return None
    m = re.fullmatch(r"\s*metadata\.name\s*==?\s*([^,\s]+)\s*", selector)
    return m.group(1) if m else None
