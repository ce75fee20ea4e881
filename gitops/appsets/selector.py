"""Label selectors (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist), used by
the cluster generator (on Secret labels) and by every generator's post `selector` (on parameters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.errors import SpecError

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_selector(selector: Mapping[str, Any] | None, where: str) -> None:
    """SpecError for a malformed selector (unknown operator, In/NotIn without values)."""
    if not selector:
        return
    if not isinstance(selector, Mapping):
        raise SpecError("a selector must be a mapping", target=where)
    for expression in selector.get("matchExpressions") or []:
        operator = expression.get("operator")
        if operator not in OPERATORS:
            raise SpecError(f"unknown selector operator {operator!r}", target=f"{where}.matchExpressions",
                            hint=f"use one of {', '.join(OPERATORS)}")  # fmt: skip
        if operator in ("In", "NotIn") and not expression.get("values"):
            raise SpecError(f"operator {operator} needs values", target=f"{where}.matchExpressions")
        if not expression.get("key"):
            raise SpecError("a selector expression needs a key", target=f"{where}.matchExpressions")


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """Whether `labels` (string values; others compared as text) satisfy the selector; empty matches all."""
    if not selector:
        return True
    text = {str(k): v if isinstance(v, str) else str(v) for k, v in labels.items()}
    for key, value in (selector.get("matchLabels") or {}).items():
        if text.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = str(expression.get("key")), expression.get("operator")
        values = [str(v) for v in expression.get("values") or []]
        present = key in text
        if operator == "In" and not (present and text[key] in values):
            return False
        if operator == "NotIn" and present and text[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
