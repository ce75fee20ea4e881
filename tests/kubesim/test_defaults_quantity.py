"""Canonical quantities: kubesim stores them as kube-apiserver does (resource.Quantity's String())."""

from __future__ import annotations

import pytest

from kubesim.quantity import QUANTITY_ERROR, QuantityError, canonical


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1024Mi", "1Gi"),
        ("2000Mi", "2000Mi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        ("1.2e3", "1200"),
        ("80e-3", "80e-3"),
        ("1.08", "1080m"),
        ("100.035k", "100035"),
        ("12E", "12E"),
        ("5e21", "5e21"),
        ("0.0000000001", "1n"),
        ("3.001n", "4n"),
        ("0Mi", "0"),
        (".", "0"),
        ("1.G", "1G"),
        ("-0.5", "-500m"),
        ("+250m", "250m"),
        (2, "2"),
        (0.25, "250m"),
    ],
)
def test_canonical_form_matches_the_real_server(given: str | int | float, stored: str) -> None:
    assert canonical(given) == stored


@pytest.mark.parametrize(
    "bad", ["1.1.M", "1+1.0M", "0.1mi", "aoeu", "1i", "-3.01e-", " 1", "1 ", "", "1e4294967297"]
)
def test_malformed_quantities_are_rejected_with_the_real_message(bad: str) -> None:
    with pytest.raises(QuantityError) as caught:
        canonical(bad)
    assert QUANTITY_ERROR in str(caught.value)


def test_booleans_are_not_quantities() -> None:
    with pytest.raises(QuantityError):
        canonical(True)  # type: ignore[arg-type]
