"""Kubernetes resource quantities ("100m", "1.5Gi", "2e3") as exact Fractions.

The grammar is Kubernetes' (``k8s.io/apimachinery/pkg/api/resource``): a signed decimal
number, then a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E)
or a decimal exponent (e3, E-2). "1E" is one exa; "1E3" is a thousand. Values are exact
(``Fraction``): ``0.1 + 0.2`` CPU is exactly ``300m``, and 1Gi is never rounded.
"""

from __future__ import annotations

import re
from fractions import Fraction

_SUFFIX = {
    "": Fraction(1), "m": Fraction(1, 1000), "u": Fraction(1, 10**6), "n": Fraction(1, 10**9),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
    "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40),
    "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?")


def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        # YAML gave a float (cpu: 0.1): take the decimal the user wrote, not the binary
        # approximation (repr round-trips to the shortest decimal).
        return Fraction(repr(value))
    if not isinstance(value, str):
        return None
    m = _QUANTITY.fullmatch(value.strip())
    if not m:
        return None
    number = Fraction(m.group(1))
    if m.group(2):
        return number * Fraction(10) ** int(m.group(2)[1:])
    return number * _SUFFIX[m.group(3) or ""]


def format_quantity(value: Fraction, resource: str) -> str:
    """A readable figure: CPU in cores or millicores, memory in Mi/Gi, counts plain."""
    if "cpu" in resource:
        milli = value * 1000
        return f"{float(milli):g}m" if milli.denominator != 1 or milli % 1000 else f"{int(value)}"
    if "memory" in resource or "storage" in resource:
        for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value >= size:
                return f"{float(value / size):g}{unit}"
        return f"{float(value):g}"
    return f"{float(value):g}"
