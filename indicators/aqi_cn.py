"""China AQI per HJ 633-2012 and HJ 633-2026 (standards.md §1): exact to the integer, fast enough for every reading.

Arithmetic. IAQI = ceil(I_lo + (I_hi - I_lo) * (C - BP_lo) / (BP_hi - BP_lo)) is done in integers: HJ633-2026 first
rounds C half-to-even (GB/T 8170) to whole µg/m³ or to 0.1 mg/m³ for CO, so C is an integer number of units; HJ633-2012
uses the exact decimal a float stands for (its shortest repr, "60.11" not 60.1099999...), as a scaled integer.
`-(-a // b)` is an exact ceil, so 100 stays 100. Breakpoint lookup uses bisect on integer tuples (a float compares
exactly with an integer breakpoint, and its shortest repr lies on the same side of it).

Rules implemented (standards.md §1.1-§1.4, and the lead's decisions):
- keys so2_24h so2_1h no2_24h no2_1h co_24h co_1h o3_1h o3_8h pm10_24h pm10_1h pm25_24h pm25_1h, µg/m³ (CO mg/m³);
  pm10_1h / pm25_1h use the 24h PM columns of the chosen standard (the 2026 real-time rule, §1.3; for 2012 this is what
  the platforms did from 2014, since HJ 633-2012 has no 1h PM column).
- the AQI is the maximum over every IAQI given: the caller passes the keys of the report it wants (hourly or daily).
- SO2 1h > 800: 2012 -> the so2_24h IAQI if so2_24h is given, else None; 2026 -> 200. O3 8h > 800: 2012 -> the o3_1h
  IAQI if given, else None; 2026 -> 300. Every other key above its last breakpoint clamps to 500.
- None, NaN, negative, infinite or non-numeric concentrations give IAQI None (never 0).
- Missing data (HJ 633-2026 §5.3.1, applied for HJ633-2026 only): a key present in `conc` whose IAQI is None because the
  value is None/NaN/invalid is a monitored-but-missing pollutant; a key absent from `conc` is not monitored. With a
  monitored pollutant missing, the AQI is published only if it is > 100; otherwise aqi (and level, category, primary)
  is None while the IAQIs remain.
- Primary pollutants: only when AQI > 50, every key whose IAQI equals the AQI (ties all listed, in KEYS order).
- An unknown key raises ValueError (a typo must not silently drop a pollutant).

Note on standards.md §1.5 "PM2.5 60.11 -> 101": that figure is the 2026 formula on the unrounded 60.11. With the
2026 rounding rule (§1.2) 60.11 is first rounded to 60, which is the IAQI-100 breakpoint, so this module returns 100;
the tests pin both facts. Ceil itself is shown by e.g. 2026 PM2.5 66 -> 106 (105.45...).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from indicators._numbers import POW10, exact
from indicators.results import AqiResult

__all__ = ["KEYS", "LEVELS", "STANDARDS", "STANDARD_2012", "STANDARD_2026", "AqiResult", "compute", "iaqi",
           "level_info", "standard_for"]

STANDARD_2012 = "HJ633-2012"
STANDARD_2026 = "HJ633-2026"
STANDARDS = (STANDARD_2012, STANDARD_2026)
KEYS: tuple[str, ...] = ("so2_24h", "so2_1h", "no2_24h", "no2_1h", "co_24h", "co_1h", "o3_1h", "o3_8h",
                         "pm10_24h", "pm10_1h", "pm25_24h", "pm25_1h")
_ORDER = {key: i for i, key in enumerate(KEYS)}

# standards.md §1.4 (HJ 633 Table 2 / Appendix A), identical in both versions.
LEVELS: list[dict[str, Any]] = [
    {"level": 1, "lo": 0, "hi": 50, "zh": "优", "en": "Excellent", "color": "#00E400"},
    {"level": 2, "lo": 51, "hi": 100, "zh": "良", "en": "Good", "color": "#FFFF00"},
    {"level": 3, "lo": 101, "hi": 150, "zh": "轻度污染", "en": "Lightly polluted", "color": "#FF7E00"},
    {"level": 4, "lo": 151, "hi": 200, "zh": "中度污染", "en": "Moderately polluted", "color": "#FF0000"},
    {"level": 5, "lo": 201, "hi": 300, "zh": "重度污染", "en": "Heavily polluted", "color": "#99004C"},
    {"level": 6, "lo": 301, "hi": 500, "zh": "严重污染", "en": "Severely polluted", "color": "#7E0023"},
]
_LEVEL_BY_AQI: tuple[tuple[int, str, str, str], ...] = tuple(
    next((lv["level"], lv["zh"], lv["en"], lv["color"]) for lv in LEVELS if aqi <= lv["hi"]) for aqi in range(501)
)

_IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)
_DEFER = -1  # "take the partner key's IAQI" (the 2012 special cases)
_PARTNERS = (("so2_1h", "so2_24h"), ("o3_8h", "o3_1h"))
_INF = float("inf")
_TENTHS_2026 = frozenset({"co_24h", "co_1h"})  # CO is rounded to 0.1 mg/m³, everything else to 1 µg/m³


def _breakpoints(standard: str) -> dict[str, tuple[int, ...]]:
    """HJ 633 Table 1 / standards.md §1.1 (µg/m³, CO mg/m³); only the PM 100-breakpoints differ by version."""
    pm10 = (0, 50, 150 if standard == STANDARD_2012 else 120, 250, 350, 420, 500, 600)
    pm25 = (0, 35, 75 if standard == STANDARD_2012 else 60, 115, 150, 250, 350, 500)
    return {
        "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
        "so2_1h": (0, 150, 500, 650, 800),
        "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
        "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
        "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
        "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
        "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
        "o3_8h": (0, 100, 160, 215, 265, 800),
        "pm10_24h": pm10,
        "pm10_1h": pm10,
        "pm25_24h": pm25,
        "pm25_1h": pm25,
    }


Spec = tuple[tuple[int, ...], tuple[Any, ...], int, bool]


def _compile(standard: str) -> dict[str, Spec]:
    """Precompute (breakpoints, segments (bp_lo, iaqi_lo, rise, run), overflow IAQI, CO-tenths) per key."""
    table: dict[str, Spec] = {}
    for key, raw in _breakpoints(standard).items():
        tenths = standard == STANDARD_2026 and key in _TENTHS_2026
        bps = tuple(bp * 10 for bp in raw) if tenths else raw
        segs = (None,) + tuple(
            (bps[i - 1], _IAQI_STEPS[i - 1], _IAQI_STEPS[i] - _IAQI_STEPS[i - 1], bps[i] - bps[i - 1])
            for i in range(1, len(bps))
        )
        over = 500
        if key == "so2_1h":
            over = _DEFER if standard == STANDARD_2012 else 200
        elif key == "o3_8h":
            over = _DEFER if standard == STANDARD_2012 else 300
        table[key] = (bps, segs, over, tenths)
    return table


_TABLES: dict[str, dict[str, Spec]] = {std: _compile(std) for std in STANDARDS}


def _iaqi_2026(spec: Spec, value: object) -> int | None:
    """Round C per GB/T 8170 to whole units first (2026 rule), then an integer ceil; _DEFER never occurs here."""
    bps, segs, over, tenths = spec
    if type(value) is float:
        if not 0.0 <= value < _INF:
            return None
        if tenths:
            x = value * 10.0
            c = round(x)
            if abs(abs(x - c) - 0.5) < 1e-6:  # near a half: decide on the exact decimal the float stands for
                c = round(exact(value) * 10)  # type: ignore[operator]
        else:
            c = round(value)  # exact half-even: x.5 is representable and a shortest repr never crosses it
    elif type(value) is int:
        if value < 0:
            return None
        c = value * 10 if tenths else value
    else:
        f = exact(value)
        if f is None or f < 0:
            return None
        c = round(f * 10) if tenths else round(f)
    i = bisect_left(bps, c)
    if i == 0:
        return 0
    if i == len(bps):
        return over
    lo, base, rise, run = segs[i]
    return base - (-rise * (c - lo) // run)


def _iaqi_2012(spec: Spec, value: object) -> int | None:
    """Exact decimal C as n / 10**k (from the shortest repr), integer ceil; may return _DEFER."""
    bps, segs, over, _ = spec
    if type(value) is float:
        if not 0.0 <= value < _INF:
            return None
        i = bisect_left(bps, value)
        if i == 0:
            return 0
        if i == len(bps):
            return over
        s = float.__repr__(value)
        dot = s.find(".")
        if dot < 0 or "e" in s:
            f = exact(value)
            n, d = f.numerator, f.denominator  # type: ignore[union-attr]
        else:
            n, d = int(s[:dot] + s[dot + 1 :]), POW10[len(s) - dot - 1]
    else:
        f = exact(value)
        if f is None or f < 0:
            return None
        i = bisect_left(bps, f)
        if i == 0:
            return 0
        if i == len(bps):
            return over
        n, d = f.numerator, f.denominator
    lo, base, rise, run = segs[i]
    return base - (-rise * (n - lo * d) // (run * d))


def _table(standard: str) -> dict[str, Spec]:
    """The compiled table, or a clear error for an unknown standard tag."""
    try:
        return _TABLES[standard]
    except KeyError:
        raise ValueError(f"unknown standard {standard!r}; expected one of {STANDARDS}") from None


def iaqi(key: str, concentration: float | None, *, standard: str = STANDARD_2026) -> int | None:
    """One IAQI; alone, the 2012 SO2-1h/O3-8h > 800 cases have no partner value and give None."""
    spec = _table(standard).get(key)
    if spec is None:
        raise ValueError(f"unknown pollutant key {key!r}; expected one of {KEYS}")
    if concentration is None:
        return None
    sub = (_iaqi_2026 if standard == STANDARD_2026 else _iaqi_2012)(spec, concentration)
    return None if sub == _DEFER else sub


def compute(conc: Mapping[str, float | None], *, standard: str = STANDARD_2026,
            partners: Mapping[str, float | None] | None = None) -> AqiResult:
    """AQI, IAQIs, primary pollutants and level of one report (see the module docstring for every rule).

    `partners` are values used only by HJ 633-2012's special cases, never in the AQI themselves: the real-time
    report has no 24-h SO2 term, yet SO2 1-h > 800 is reported with the SO2 24-h IAQI (indicators/aqi_periods.py).
    """
    table = _table(standard)
    fn = _iaqi_2026 if standard == STANDARD_2026 else _iaqi_2012
    iaqis: dict[str, int | None] = {}
    missing = deferred = False
    for key, value in conc.items():
        spec = table.get(key)
        if spec is None:
            raise ValueError(f"unknown pollutant key {key!r}; expected one of {KEYS}")
        sub = None if value is None else fn(spec, value)
        if sub is None:
            missing = True
        elif sub == _DEFER:
            deferred = True
        iaqis[key] = sub
    if deferred:
        for key, partner in _PARTNERS:
            if iaqis.get(key) == _DEFER:
                sub = iaqis.get(partner)
                if partner not in iaqis and partners and partners.get(partner) is not None:
                    sub = fn(table[partner], partners[partner])
                iaqis[key] = None if sub == _DEFER else sub
    aqi = -1
    for sub in iaqis.values():
        if sub is not None and sub > aqi:
            aqi = sub
    if aqi < 0 or (missing and aqi <= 100 and standard == STANDARD_2026):
        return AqiResult(None, iaqis, [], None, None, None, None, standard)
    primary = [key for key, sub in iaqis.items() if sub == aqi] if aqi > 50 else []
    if len(primary) > 1:
        primary.sort(key=_ORDER.__getitem__)
    level, zh, en, color = _LEVEL_BY_AQI[aqi]
    return AqiResult(aqi, iaqis, primary, level, zh, en, color, standard)


def level_info(aqi: int | None) -> dict[str, Any] | None:
    """The LEVELS entry for an AQI (for legends and tiles); None for None."""
    if aqi is None:
        return None
    if not 0 <= aqi <= 500:
        raise ValueError(f"China AQI {aqi} outside 0..500")
    return dict(LEVELS[_LEVEL_BY_AQI[aqi][0] - 1])


_SWITCH = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # HJ 633-2026 in force (standards.md §1)
_SWITCH_MS = int(_SWITCH.timestamp()) * 1000
_SWITCH_DATE = _SWITCH.date()


def standard_for(when: datetime | date | int | float) -> str:
    """The HJ 633 version in force at `when`, judged by its Asia/Shanghai date; naive datetimes are UTC.

    Also accepts UTC epoch milliseconds (ingest's timestamps) and a plain date (taken as a Shanghai date).
    """
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            when = when.replace(tzinfo=UTC)
        return STANDARD_2026 if when >= _SWITCH else STANDARD_2012
    if isinstance(when, date):
        return STANDARD_2026 if when >= _SWITCH_DATE else STANDARD_2012
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise TypeError(f"expected a datetime, a date or epoch milliseconds, got {type(when).__name__}")
    if when != when or when in (_INF, -_INF):
        raise ValueError(f"epoch milliseconds must be finite, got {when!r}")
    return STANDARD_2026 if when >= _SWITCH_MS else STANDARD_2012
