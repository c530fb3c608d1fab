"""Urban black-odorous water grading per the 2015 guideline (城市黑臭水体整治工作指南; standards.md §3).

Thresholds (keys transparency_cm, do mg/L, orp_mv, nh3n mg/L):
    light: transparency 10-25 cm, DO 0.2-2.0, ORP -200-50 mV, NH3-N 8.0-15   heavy: <10, <0.2, <-200, >15
Assumptions where the guideline's table is terse (the lead should know):
- the light ranges are read as closed intervals, as printed (transparency 25 cm, DO 2.0, ORP 50 mV, NH3-N 8.0 and
  15 are "light"); the heavy bounds are strict, as printed.
- depth < 25 cm: the guideline's footnote (on the value 10) sets the transparency bound to 40 % of the depth, which is
  continuous with 10 cm at 25 cm depth: heavy below 0.4 x depth. Transparency cannot exceed the depth, so the 25 cm
  light bound becomes the depth itself: light when 0.4 x depth <= transparency < depth (bottom not visible).
- one sample: the worst indicator decides (one indicator heavy in 100 % of one sample meets the series rule below).
- a series (black_odorous_series): heavy when one indicator is heavy in >= 60 % of the samples that measured it, or
  two indicators in >= 30 %; otherwise light when any sample has any indicator light or heavy; otherwise none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from indicators._numbers import exact, is_missing

__all__ = ["BLACK_ODOROUS_LEVELS", "KEYS", "black_odorous", "black_odorous_series"]

KEYS: tuple[str, ...] = ("transparency_cm", "do", "orp_mv", "nh3n")
BLACK_ODOROUS_LEVELS: list[dict[str, Any]] = [
    {"level": "none", "zh": "无黑臭", "en": "Not black-odorous"},
    {"level": "light", "zh": "轻度黑臭", "en": "Lightly black-odorous"},
    {"level": "heavy", "zh": "重度黑臭", "en": "Heavily black-odorous"},
]
_NAMES = ("none", "light", "heavy")
_DEEP = Fraction(25)
_TWO_FIFTHS = Fraction(2, 5)


def _depth(depth_cm: float | None) -> Fraction | None:
    """Exact depth, or None when not given; a non-positive or non-numeric depth is a caller error."""
    if depth_cm is None:
        return None
    depth = exact(depth_cm)
    if depth is None or depth <= 0:
        raise ValueError(f"depth_cm must be a positive number, got {depth_cm!r}")
    return depth


def _grade(key: str, value: Fraction, depth: Fraction | None) -> int:
    """0 none, 1 light, 2 heavy for one indicator."""
    if key == "transparency_cm":
        if depth is not None and depth < _DEEP:
            heavy_below, light = depth * _TWO_FIFTHS, value < depth
        else:
            heavy_below, light = Fraction(10), value <= 25
        return 2 if value < heavy_below else int(light)
    if key == "do":
        return 2 if value < Fraction(1, 5) else int(value <= 2)
    if key == "orp_mv":
        return 2 if value < -200 else int(value <= 50)
    return 2 if value > 15 else int(value >= 8)  # nh3n


def _grades(sample: Mapping[str, float | None], depth: Fraction | None) -> dict[str, int]:
    """Per-indicator grades of one sample; missing or invalid values are skipped, unknown keys raise."""
    grades: dict[str, int] = {}
    for key, raw in sample.items():
        if key not in KEYS:
            raise ValueError(f"unknown black-odorous key {key!r}; expected one of {KEYS}")
        value = None if is_missing(raw) else exact(raw)
        if value is None or (value < 0 and key != "orp_mv"):
            continue
        grades[key] = _grade(key, value, depth)
    return grades


def black_odorous(sample: Mapping[str, float | None], *, depth_cm: float | None = None) -> str:
    """'none' | 'light' | 'heavy' for one sample (worst indicator); ValueError if no indicator has a value."""
    grades = _grades(sample, _depth(depth_cm))
    if not grades:
        raise ValueError("no usable black-odorous indicator in the sample")
    return _NAMES[max(grades.values())]


def black_odorous_series(samples: Iterable[Mapping[str, float | None]], *, depth_cm: float | None = None) -> str:
    """Grade of a monitoring point over a series of samples, with the guideline's 60 % / 30 % rule."""
    depth = _depth(depth_cm)
    measured = dict.fromkeys(KEYS, 0)
    heavy = dict.fromkeys(KEYS, 0)
    any_black = False
    for sample in samples:
        for key, grade in _grades(sample, depth).items():
            measured[key] += 1
            heavy[key] += grade == 2
            any_black = any_black or grade > 0
    if not any(measured.values()):
        raise ValueError("no usable black-odorous indicator in the series")
    shares = [Fraction(heavy[key], measured[key]) for key in KEYS if measured[key]]
    if any(share >= Fraction(3, 5) for share in shares) or sum(share >= Fraction(3, 10) for share in shares) >= 2:
        return "heavy"
    return "light" if any_black else "none"
