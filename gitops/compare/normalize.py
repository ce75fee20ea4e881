"""Pure normalisation for compare: server-only fields dropped, Secret stringData folded, quantities equal.

`covers(desired, live)` is the cheap proof of equality: every field Git sets has the same value live
(quantities compared by value, `1000m` == `1`), server-added fields ignored.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

Obj = dict[str, Any]

SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
    "deletionGracePeriodSeconds",
)
# maps whose values are resource quantities, and quantity-valued leaves
QUANTITY_MAPS = frozenset(
    {
        "limits",
        "requests",
        "capacity",
        "allocatable",
        "hard",
        "overhead",
        "min",
        "max",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
    }
)
QUANTITY_LEAVES = frozenset({"sizeLimit", "storage"})

_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
_SUFFIX = {
    None: Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


@lru_cache(maxsize=4096)
def _parse_quantity(text: str) -> Decimal | None:
    match = _QUANTITY.match(text.strip())
    if not match:
        return None
    number, exponent, suffix = match.groups()
    try:
        value = Decimal(number) * _SUFFIX[suffix]
        return value.scaleb(int(exponent)) if exponent else value
    except InvalidOperation:
        return None


def quantity(value: Any) -> Decimal | None:
    """The numeric value of a Kubernetes quantity (`500m`, `1Gi`, `0.5`, 2), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        return _parse_quantity(value)
    return None


def quantities_equal(a: Any, b: Any) -> bool:
    left, right = quantity(a), quantity(b)
    return left is not None and left == right


def fold_string_data(obj: Obj) -> Obj:
    """A Secret with `stringData` merged into base64 `data`, as the API server stores it (other kinds as is)."""
    if obj.get("kind") != "Secret" or not obj.get("stringData"):
        return obj
    folded = dict(obj)
    data = dict(folded.get("data") or {})
    for key, value in (folded.pop("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    folded["data"] = data
    return folded


def _is_empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def covers(desired: Any, live: Any, quantities: bool = False) -> bool:
    """True when every value set in desired equals live's (extra live fields allowed, lists same length)."""
    if type(desired) is dict:
        if type(live) is not dict:
            return live is None and not desired
        for key, value in desired.items():
            if key in live:
                sub = live[key]
                if value == sub and type(value) is type(sub):  # fast path: identical subtree or scalar
                    continue
                if not covers(value, sub, quantities or key in QUANTITY_MAPS or key in QUANTITY_LEAVES):
                    return False
            elif not _is_empty(value):
                return False
        return True
    if type(desired) is list:
        if type(live) is not list:
            return live is None and not desired
        if len(desired) != len(live):
            return False
        return all(covers(d, v, quantities) for d, v in zip(desired, live, strict=True))
    if type(desired) is type(live) and desired == live:
        return True
    if (
        isinstance(desired, int | float)
        and isinstance(live, int | float)
        and not isinstance(desired, bool)
        and not isinstance(live, bool)
    ):
        return desired == live
    return quantities and quantities_equal(desired, live)


def desired_for_check(obj: Obj, namespaced: bool) -> Obj:
    """Desired as the server would store it, for `covers`: stringData folded, status and
    cluster-scoped namespace dropped."""
    checked = fold_string_data(obj)
    if "status" in checked or (not namespaced and "namespace" in (checked.get("metadata") or {})):
        checked = dict(checked)
        checked.pop("status", None)
        if not namespaced:
            checked["metadata"] = {k: v for k, v in checked["metadata"].items() if k != "namespace"}
    return checked


def clean(obj: Obj) -> Obj:
    """A copy for diffing: no status, no server-managed metadata, no empty annotations/labels maps."""
    cleaned = {key: value for key, value in obj.items() if key != "status"}
    meta = {key: value for key, value in (obj.get("metadata") or {}).items() if key not in SERVER_METADATA}
    for key in ("annotations", "labels"):
        if key in meta and not meta[key]:
            del meta[key]
    cleaned["metadata"] = meta
    return fold_string_data(cleaned)
