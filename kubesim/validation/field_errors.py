"""Field errors as k8s.io/apimachinery/pkg/util/validation/field formats them.

`Errors` collects (cause type, field path, body) triples; the body is `ErrorBody()`: `Invalid value:
"x": detail`, `Required value`, `Unsupported value: "x": supported values: "a", "b"`, and so on. Values
are printed like Go's `%q` / `%v` / `%#v`, so messages read like the real server's.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.errors import ApiError, invalid


def go_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def go_repr(value: Any) -> str:
    """Go's rendering of a bad value in a field error."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return go_string(value)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        inner = ", ".join(f"{go_string(k)}:{go_string(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[]string{" + ", ".join(go_string(v) for v in value) + "}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def label_selector_repr(selector: Any) -> str:
    """`%#v` of a metav1.LabelSelector, as immutability errors print it."""
    selector = selector if isinstance(selector, dict) else {}
    labels = selector.get("matchLabels")
    labels_text = go_repr(labels) if labels else "map[string]string(nil)"
    expressions = selector.get("matchExpressions") or []
    if expressions:
        parts = []
        for expr in expressions:
            values = expr.get("values") if isinstance(expr, dict) else None
            values_text = go_repr(values) if values else "[]string(nil)"
            parts.append(
                f"v1.LabelSelectorRequirement{{Key:{go_string(str(expr.get('key', '')))}, "
                f"Operator:{go_string(str(expr.get('operator', '')))}, Values:{values_text}}}"
            )
        expr_text = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        expr_text = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{expr_text}}}"


class Errors:
    """An ordered field.ErrorList."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def invalid(self, path: str, value: Any, detail: str, *, rendered: str | None = None) -> None:
        shown = rendered if rendered is not None else go_repr(value)
        self.items.append(("FieldValueInvalid", path, f"Invalid value: {shown}: {detail}"))

    def required(self, path: str, detail: str = "") -> None:
        self.items.append(("FieldValueRequired", path, "Required value" + (f": {detail}" if detail else "")))

    def not_supported(self, path: str, value: Any, supported: list[str]) -> None:
        allowed = ", ".join(go_string(s) for s in supported)
        self.items.append(
            (
                "FieldValueNotSupported",
                path,
                f"Unsupported value: {go_repr(value)}: supported values: {allowed}",
            )
        )

    def forbidden(self, path: str, detail: str) -> None:
        self.items.append(("FieldValueForbidden", path, f"Forbidden: {detail}"))

    def duplicate(self, path: str, value: Any) -> None:
        self.items.append(("FieldValueDuplicate", path, f"Duplicate value: {go_repr(value)}"))

    def not_found(self, path: str, value: Any) -> None:
        self.items.append(("FieldValueNotFound", path, f"Not found: {go_repr(value)}"))

    def too_long(self, path: str, limit: int) -> None:
        self.items.append(("FieldValueTooLong", path, f"Too long: must have at most {limit} bytes"))

    def immutable(self, path: str, value: Any, *, rendered: str | None = None) -> None:
        self.invalid(path, value, "field is immutable", rendered=rendered)

    def to_api_error(self, kind: str, name: str, group: str) -> ApiError:
        return invalid(kind, name, group, self.items)

    def raise_if_any(self, kind: str, name: str, group: str) -> None:
        if self.items:
            raise self.to_api_error(kind, name, group)
