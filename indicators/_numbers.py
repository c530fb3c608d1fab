"""Exact number handling shared by the indicators, so no float noise ever moves a class or an index."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from numbers import Rational, Real

POW10: tuple[int, ...] = tuple(10**k for k in range(40))


def exact(value: object) -> Fraction | None:
    """Turn a reading into the exact decimal it stands for (floats via their shortest repr); None if not a number.

    A float's shortest repr is the decimal the instrument or feed wrote ("0.04", not 0.0400000000000000008), which
    is the value the standards' arithmetic is meant for. NaN and infinities are not readings: None.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Fraction(float.__repr__(value))
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, Real):
        return exact(float(value))
    return None


def is_missing(value: object) -> bool:
    """None and NaN both mean 'no value' in feeds (NaN is how pandas/JSON bridges say missing)."""
    return value is None or (isinstance(value, float) and value != value)


def round_half_up(value: Fraction) -> int:
    """EPA rounds the index half-up; Python's round() is half-even, so it cannot be used."""
    return math.floor(value + Fraction(1, 2))


def truncate(value: Fraction, decimals: int) -> Fraction:
    """Drop digits beyond `decimals` (EPA truncation of non-negative concentrations)."""
    scale = POW10[decimals]
    return Fraction(math.floor(value * scale), scale)


def finite_float(value: object) -> float | None:
    """A finite float for thresholds that are plain comparisons (water, traffic); None if not a number."""
    if isinstance(value, bool) or value is None or not isinstance(value, Real):
        return None
    result = float(value)
    return result if math.isfinite(result) else None
