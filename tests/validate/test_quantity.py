"""Kubernetes quantities, parsed exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcompile.validate.quantity import format_quantity, parse_quantity


@pytest.mark.parametrize("text, value", [
    ("100m", Fraction(1, 10)),
    ("1", Fraction(1)),
    ("0.5", Fraction(1, 2)),
    (".5", Fraction(1, 2)),
    ("5.", Fraction(5)),
    ("1500m", Fraction(3, 2)),
    ("250u", Fraction(1, 4000)),
    ("3n", Fraction(3, 10**9)),
    ("1k", Fraction(1000)),
    ("1M", Fraction(10**6)),
    ("1G", Fraction(10**9)),
    ("2T", Fraction(2 * 10**12)),
    ("1Ki", Fraction(1024)),
    ("1.5Mi", Fraction(3 * 2**19)),
    ("1Gi", Fraction(2**30)),
    ("1Ei", Fraction(2**60)),
    ("1E", Fraction(10**18)),  # exa, not an exponent
    ("1E3", Fraction(1000)),  # exponent
    ("12e-1", Fraction(6, 5)),
    ("+1k", Fraction(1000)),
    ("-1Mi", Fraction(-(2**20))),
    (3, Fraction(3)),
    (0.1, Fraction(1, 10)),  # the decimal the user wrote, not the binary float
])
def test_parses_exactly(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Gi", "1 Gi", "1.5.5", "1e", "1KI", "one", "1gi", None, True, [1], float("nan")])
def test_rejects_non_quantities(text):
    assert parse_quantity(text) is None


def test_sums_are_exact_where_floats_are_not():
    total = sum((parse_quantity(q) for q in ["100m"] * 3), Fraction(0))
    assert total == Fraction(3, 10)
    assert 0.1 + 0.1 + 0.1 != 0.3  # the reason for Fractions


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1e12"), places=3, allow_nan=False),
       st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"]))
def test_decimal_with_suffix_round_trips(number, suffix):
    multiplier = {"": 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9,
                  "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[suffix]
    assert parse_quantity(f"{number}{suffix}") == Fraction(number) * multiplier


def test_format_is_readable():
    assert format_quantity(Fraction(1, 2), "requests.cpu") == "500m"
    assert format_quantity(Fraction(2), "limits.cpu") == "2"
    assert format_quantity(Fraction(5 * 2**28), "limits.memory") == "1.25Gi"
    assert format_quantity(Fraction(10), "pods") == "10"
