"""Kubernetes `resource.Quantity`: parse and print in the canonical form kube-apiserver stores.

The real server decodes every quantity of a built-in type and re-encodes it canonically:
`1000m` -> `1`, `0.5` -> `500m`, `1024Mi` -> `1Gi`, `2000Mi` stays `2000Mi`, `1e3` stays `1e3`
(exponent notation keeps its format), `1.5Gi` -> `1536Mi`, `0.5Ki` -> `512`. Values are rounded up
(away from zero) to nano precision, like `ParseQuantity`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_ERROR = f"quantities must match the regular expression '{QUANTITY_PATTERN}'"

_SHAPE = re.compile(QUANTITY_PATTERN)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BINARY_SUFFIX = {exp: suffix for suffix, exp in _BINARY.items()}
_EXPONENT = re.compile(r"^[eE]([-+]?[0-9]+)$")
_NANO = 10**9
_INT32_MAX = 2**31 - 1

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity; the message is the real server's."""


def _as_text(text: object) -> str:
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise QuantityError(QUANTITY_ERROR)
    return repr(text) if isinstance(text, float) else str(text)


def parse(text: str | int | float) -> tuple[Fraction, str]:
    """Return (exact value rounded up to nano precision, format) of a quantity."""
    return _parse(_as_text(text))


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Fraction, str]:
    if not text:
        raise QuantityError(QUANTITY_ERROR)
    shape = _SHAPE.match(text)
    if shape is None:
        raise QuantityError(QUANTITY_ERROR)
    number, suffix = shape.group(1), shape.group(2)
    sign = -1 if number.startswith("-") else 1
    digits = number.lstrip("+-")
    if digits.count(".") > 1 or "+" in digits or "-" in digits:
        raise QuantityError(QUANTITY_ERROR)
    whole, _, frac = digits.partition(".")
    magnitude = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    value, fmt = _apply_suffix(magnitude, suffix)
    return _round_up_to_nano(sign * value), fmt


def _apply_suffix(magnitude: Fraction, suffix: str) -> tuple[Fraction, str]:
    if suffix in _BINARY:
        return magnitude * 1024 ** _BINARY[suffix], BINARY_SI
    if suffix in _DECIMAL:
        return magnitude * Fraction(10) ** _DECIMAL[suffix], DECIMAL_SI
    exponent = _EXPONENT.match(suffix)
    if exponent is None or abs(int(exponent.group(1))) > _INT32_MAX:
        raise QuantityError(QUANTITY_ERROR)
    return magnitude * Fraction(10) ** int(exponent.group(1)), DECIMAL_EXPONENT


def _round_up_to_nano(value: Fraction) -> Fraction:
    scaled = value * _NANO
    if scaled.denominator == 1:
        return value
    whole = (
        -(-scaled.numerator // scaled.denominator) if value > 0 else scaled.numerator // scaled.denominator
    )
    return Fraction(whole, _NANO)


def format_quantity(value: Fraction, fmt: str) -> str:
    """The canonical string of a value in a format (Quantity.CanonicalizeBytes)."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI and (-1024 < value < 1024 or value.denominator != 1):
        fmt = DECIMAL_SI
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if fmt == BINARY_SI:
        mantissa, power = int(magnitude), 0
        while mantissa % 1024 == 0 and power < 6:
            mantissa //= 1024
            power += 1
        return f"{sign}{mantissa}{_BINARY_SUFFIX.get(power, '') if power else ''}"
    mantissa = int(magnitude * _NANO)
    exponent = -9
    while mantissa % 1000 == 0:
        mantissa //= 1000
        exponent += 3
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{mantissa}{'' if exponent == 0 else f'e{exponent}'}"
    suffix = _DECIMAL_SUFFIX.get(exponent)
    return f"{sign}{mantissa}{suffix if suffix is not None else f'e{exponent}'}"


def canonical(text: str | int | float) -> str:
    """The string the real server stores for a quantity; raises QuantityError when invalid."""
    return _canonical(_as_text(text))


@lru_cache(maxsize=4096)
def _canonical(text: str) -> str:
    value, fmt = _parse(text)
    return format_quantity(value, fmt)


def canonicalize_map(resources: object, path: str) -> None:
    """Canonicalise every value of a ResourceList in place; QuantityError names the field path."""
    if not isinstance(resources, dict):
        return
    for key, raw in list(resources.items()):
        try:
            resources[key] = canonical(raw)
        except QuantityError as exc:
            raise QuantityError(f"{path}.{key}: {exc}") from None
