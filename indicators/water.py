"""Surface-water class (GB 3838-2002, single-factor method) and urban black-odorous grade (2015 guideline).

Water class (standards.md §3): each item is put in the best class whose limit it meets (a limit value belongs to the
class; where classes share a limit, e.g. COD 15 for I and II, the better class wins; DO is "≥", the others "≤"); the
section's class is the worst item class; failing V is 劣V. pH 6-9 holds for every class, so pH inside is class I and
outside is 劣V. TP uses the river or the lake/reservoir column; TN counts for lakes/reservoirs only (a river's tn is
accepted and ignored, per the 2011 evaluation method). Keys: do codmn cod bod5 nh3n tp tn ph (mg/L; pH unitless).
Comparisons are plain float comparisons: a float and a limit written as a decimal literal compare exactly as their
shortest decimal reprs do, so no float noise moves a class.

Class colours are [UNVERIFIED]: the table CLASSES uses the legend of China's national real-time surface-water
quality map (CNEMC, "国家地表水水质自动监测实时数据发布系统") as recalled, not checked against an official spec:
I #CCFFFF, II #00CCFF, III #00FF00, IV #FFFF00, V #FF9B00, 劣V #FF0000. Change them only in CLASSES.

Black-odorous (城市黑臭水体整治工作指南, 2015; standards.md §3) is in black_odorous.py and re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indicators._numbers import finite_float, is_missing
from indicators.black_odorous import BLACK_ODOROUS_LEVELS, black_odorous, black_odorous_series

__all__ = ["BLACK_ODOROUS_LEVELS", "CLASSES", "KEYS", "WaterClass", "black_odorous", "black_odorous_series",
           "classify"]

KEYS: tuple[str, ...] = ("do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "ph")

# One table for names, labels and colours (labels: standards.md §3; colours: [UNVERIFIED], see module docstring).
CLASSES: list[dict[str, Any]] = [
    {"klass": "I", "rank": 1, "name_zh": "Ⅰ类", "zh": "优", "en": "Excellent", "color": "#CCFFFF"},
    {"klass": "II", "rank": 2, "name_zh": "Ⅱ类", "zh": "优", "en": "Excellent", "color": "#00CCFF"},
    {"klass": "III", "rank": 3, "name_zh": "Ⅲ类", "zh": "良好", "en": "Good", "color": "#00FF00"},
    {"klass": "IV", "rank": 4, "name_zh": "Ⅳ类", "zh": "轻度污染", "en": "Lightly polluted", "color": "#FFFF00"},
    {"klass": "V", "rank": 5, "name_zh": "Ⅴ类", "zh": "中度污染", "en": "Moderately polluted", "color": "#FF9B00"},
    {"klass": "劣V", "rank": 6, "name_zh": "劣Ⅴ类", "zh": "重度污染", "en": "Heavily polluted", "color": "#FF0000"},
]
_NAMES = tuple(c["klass"] for c in CLASSES)

# GB 3838-2002 Table 1 (standards.md §3): limits for classes I..V.
_AT_LEAST = {"do": (7.5, 6.0, 5.0, 3.0, 2.0)}
_AT_MOST_COMMON = {
    "codmn": (2.0, 4.0, 6.0, 10.0, 15.0),
    "cod": (15.0, 15.0, 20.0, 30.0, 40.0),
    "bod5": (3.0, 3.0, 4.0, 6.0, 10.0),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
}
_AT_MOST = {
    "river": {**_AT_MOST_COMMON, "tp": (0.02, 0.1, 0.2, 0.3, 0.4)},
    "lake": {**_AT_MOST_COMMON, "tp": (0.01, 0.025, 0.05, 0.1, 0.2), "tn": (0.2, 0.5, 1.0, 1.5, 2.0)},
}
_WATERBODIES = {"river": "river", "lake": "lake", "reservoir": "lake"}
_PH_RANGE = (6.0, 9.0)


@dataclass(frozen=True, slots=True)
class WaterClass:
    """A section's class with the items that set it, so the screen can say why a river is 劣V.

    klass and the labels are None when no item could be classed; `missing` lists keys given without a usable value.
    """

    klass: str | None
    per_item: dict[str, str]
    worst: list[str]
    label_zh: str | None
    label_en: str | None
    color: str | None
    waterbody: str
    missing: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able copy for the store."""
        return {
            "klass": self.klass,
            "per_item": dict(self.per_item),
            "worst": list(self.worst),
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "color": self.color,
            "waterbody": self.waterbody,
            "missing": list(self.missing),
        }


def _item_rank(key: str, value: float, waterbody: str) -> int | None:
    """0-based class index (0 = I .. 5 = 劣V) of one item; None if the item does not count for this water body."""
    if key == "ph":
        return 0 if _PH_RANGE[0] <= value <= _PH_RANGE[1] else 5
    if key in _AT_LEAST:
        return next((i for i, limit in enumerate(_AT_LEAST[key]) if value >= limit), 5)
    limits = _AT_MOST[waterbody].get(key)
    if limits is None:
        return None  # tn in a river
    return next((i for i, limit in enumerate(limits) if value <= limit), 5)


def classify(sample: Mapping[str, float | None], *, waterbody: str = "river") -> WaterClass:
    """Single-factor class over the items given (standards.md §3); unknown keys or water bodies raise ValueError."""
    body = _WATERBODIES.get(waterbody)
    if body is None:
        raise ValueError(f"unknown waterbody {waterbody!r}; expected 'river' or 'lake' (or 'reservoir')")
    ranks: dict[str, int] = {}
    missing: list[str] = []
    for key, raw in sample.items():
        if key not in KEYS:
            raise ValueError(f"unknown water-quality key {key!r}; expected one of {KEYS}")
        value = None if is_missing(raw) else finite_float(raw)
        if value is None or value < 0:
            missing.append(key)
            continue
        rank = _item_rank(key, value, body)
        if rank is not None:
            ranks[key] = rank
    if not ranks:
        return WaterClass(None, {}, [], None, None, None, waterbody, missing)
    worst_rank = max(ranks.values())
    info = CLASSES[worst_rank]
    return WaterClass(
        klass=info["klass"],
        per_item={key: _NAMES[rank] for key, rank in ranks.items()},
        worst=[key for key in KEYS if ranks.get(key) == worst_rank],
        label_zh=info["zh"],
        label_en=info["en"],
        color=info["color"],
        waterbody=waterbody,
        missing=missing,
    )
