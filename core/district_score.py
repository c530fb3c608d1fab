"""A district's attention score: which district needs a leader's attention first, and why (#17 item 10).

Made only from the levels the overview already shows for the district, each turned into a part score from 0 (fine)
to 100 (as bad as the scale goes):
- air: the district's AQI level (HJ 633: 优 1 .. 严重污染 6) -> (level - 1) x 20: 优 0, 良 20, 轻度 40 ... 严重 100;
- traffic: its congestion level (1 smooth .. 5 severely congested) -> (level - 1) x 25;
- cases: the share of its open 12345 cases that are overdue -> share / CASES_FULL x 100, at most 100 (40 % overdue
  is 100; the simulated city's usual ~12 % is 30); no open case is 0 (while the case feed reports);
- water: its worst section's GB 3838 class -> I-III 0 (good water), IV 40, V 70, worse than V 100.
Score = half the worst part plus half the mean of the parts the district has (a district without air stations is
scored on the rest; with no part at all it has no score): one severe problem puts a district near the top, several
moderate ones too, and a district bad at everything ranks above one bad at one thing. Rounded to an integer, half
to even (GB/T 8170, as the indicators round).
The main cause is the part that scores highest (ties: air, traffic, cases, water); none when every part is 0.
Bands (the colour of the score): under 25 fine, 25-49 watch, 50-74 act, 75 and over urgent.
The scores are recorded once a minute with the city KPIs (store.kpi, 'district:<adcode>'), so the overview shows
each district's change over the last hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indicators import aqi_cn

PARTS = ("air", "traffic", "cases", "water")
CASES_FULL = 0.40  # the overdue share that scores 100
WATER_PART = {"I": 0.0, "II": 0.0, "III": 0.0, "IV": 40.0, "V": 70.0, "劣V": 100.0}
BANDS = ((75, "#FF0000"), (50, "#FF7E00"), (25, "#FFFF00"), (0, "#00E400"))  # the AQI scale's own colours
KPI_PREFIX = "district:"


def parts(aqi: Any = None, tpi_level: Any = None, n_open: Any = None, n_overdue: Any = None,
          water: Any = None) -> dict[str, float]:
    """The part scores a district has (a missing figure gives no part)."""
    out: dict[str, float] = {}
    level = aqi_level(aqi)
    if level is not None:
        out["air"] = (level - 1) * 20.0
    if isinstance(tpi_level, int) and 1 <= tpi_level <= 5:
        out["traffic"] = (tpi_level - 1) * 25.0
    if isinstance(n_open, int) and n_open >= 0:
        out["cases"] = min(100.0, 100.0 * max(0, int(n_overdue or 0)) / n_open / CASES_FULL) if n_open else 0.0
    if water in WATER_PART:
        out["water"] = WATER_PART[water]
    return out


def aqi_level(aqi: Any) -> int | None:
    """The HJ 633 level (1-6) of an AQI; None for no AQI or one outside 0..500."""
    if not isinstance(aqi, int | float) or not 0 <= aqi <= 500:
        return None
    info = aqi_cn.level_info(int(round(aqi)))
    return None if info is None else int(info["level"])


def score(part: Mapping[str, float]) -> int | None:
    """Half the worst part plus half their mean; None without parts."""
    if not part:
        return None
    vals = list(part.values())
    return int(round(0.5 * max(vals) + 0.5 * sum(vals) / len(vals)))


def cause(part: Mapping[str, float]) -> str | None:
    """The part that scores highest (ties in PARTS order); None when all are 0."""
    best = max((p for p in PARTS if p in part), key=lambda p: (part[p], -PARTS.index(p)), default=None)
    return None if best is None or part[best] <= 0 else best


def color(value: int | None) -> str | None:
    """The band colour of a score."""
    if value is None:
        return None
    return next(c for floor, c in BANDS if value >= floor)


def from_summary(summary: Mapping[str, Any]) -> dict[str, tuple[int | None, dict[str, float]]]:
    """adcode -> (score, parts) for every district the summary knows (its readings or its open cases). Case parts
    only while the case feed has reported (no invented zeros)."""
    districts = summary.get("districts") or {}
    cases_known = summary.get("status", {}).get("service", {}).get("state", "none") != "none"
    by_district = (summary.get("service") or {}).get("by_district") or {}
    out = {}
    for adcode in {*districts, *by_district}:
        d = districts.get(adcode) or {}
        n_open, n_overdue = (list(by_district.get(adcode) or []) + [0, 0])[:2] if cases_known else (None, None)
        p = parts(d.get("aqi"), d.get("tpi_level"), n_open, n_overdue, d.get("water_worst"))
        out[adcode] = (score(p), p)
    return out


def kpis(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """The scores as KPI samples ('district:<adcode>' -> score), recorded with the city's once a minute."""
    return {f"{KPI_PREFIX}{ad}": s for ad, (s, _) in from_summary(summary).items()}
