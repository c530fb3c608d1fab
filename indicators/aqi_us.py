"""US AQI per EPA's May 2024 Technical Assistance Document (EPA-454/B-24-002; standards.md §2), in exact arithmetic.

Rules implemented:
- keys o3_8h o3_1h co_8h (ppm), pm25_24h pm10_24h (µg/m³), so2_1h so2_24h no2_1h (ppb). Convert first with
  indicators.units if a feed reports µg/m³.
- truncate the concentration (O3 to 3 decimals, PM2.5 and CO to 1, the others to integers), then
  I = (I_hi - I_lo) / (BP_hi - BP_lo) * (C - BP_lo) + I_lo rounded half-up, all on exact decimals.
- above the top breakpoint, extrapolate with the 301-500 segment (no clamp at 500).
- O3: the 8h table stops at 0.200 ppm (AQI 300); above it the o3_8h entry takes the o3_1h IAQI if o3_1h is given,
  else None. The 1h table starts at 0.125 ppm (AQI 101): below it o3_1h has no IAQI (None). Where both apply the AQI
  is the higher, which the max over all IAQIs gives.
- SO2: the 1h table stops at 304 ppb (AQI 200); above it the so2_1h entry takes the so2_24h IAQI if so2_24h is given,
  else None. The 24h table only defines AQI 201-500 (305-1004 ppb): so2_24h below 305 ppb has no IAQI (None).
- None, NaN, negative and non-numeric values give None. Unknown keys raise ValueError.
- Assumption: unlike HJ 633, EPA names the pollutant responsible for the AQI at every level, so `primary` is filled
  whenever an AQI exists (ties all listed, in KEYS order).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from indicators._numbers import exact, round_half_up, truncate
from indicators.results import AqiResult

__all__ = ["KEYS", "LEVELS", "STANDARD", "AqiResult", "compute", "iaqi"]

STANDARD = "EPA-2024"
KEYS: tuple[str, ...] = ("o3_8h", "o3_1h", "pm25_24h", "pm10_24h", "co_8h", "so2_1h", "so2_24h", "no2_1h")
_ORDER = {key: i for i, key in enumerate(KEYS)}

# standards.md §2 (EPA-454/B-24-002 Table 6). The zh names are the usual Chinese renderings of EPA's categories.
LEVELS: list[dict[str, Any]] = [
    {"level": 1, "lo": 0, "hi": 50, "zh": "良好", "en": "Good", "color": "#00E400"},
    {"level": 2, "lo": 51, "hi": 100, "zh": "中等", "en": "Moderate", "color": "#FFFF00"},
    {"level": 3, "lo": 101, "hi": 150, "zh": "对敏感人群不健康", "en": "Unhealthy for Sensitive Groups",
     "color": "#FF7E00"},
    {"level": 4, "lo": 151, "hi": 200, "zh": "不健康", "en": "Unhealthy", "color": "#FF0000"},
    {"level": 5, "lo": 201, "hi": 300, "zh": "非常不健康", "en": "Very Unhealthy", "color": "#8F3F97"},
    {"level": 6, "lo": 301, "hi": None, "zh": "危险", "en": "Hazardous", "color": "#7E0023"},
]

_INDEX = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))


def _segments(decimals: int, rows: list[tuple[str, str] | None]) -> tuple[int, tuple[tuple[Fraction, ...], ...]]:
    """(truncation decimals, segments (bp_lo, bp_hi, i_lo, i_hi)) from the table's rows; None = row not defined."""
    segs = tuple(
        (Fraction(lo), Fraction(hi), Fraction(i_lo), Fraction(i_hi))
        for row, (i_lo, i_hi) in zip(rows, _INDEX, strict=True)
        if row is not None
        for lo, hi in [row]
    )
    return decimals, segs


# standards.md §2 table, one row per AQI category; the 8h O3 and 1h SO2 tops are handled as partner cases.
_TABLE: dict[str, tuple[int, tuple[tuple[Fraction, ...], ...]]] = {
    "o3_8h": _segments(3, [("0", ".054"), (".055", ".070"), (".071", ".085"), (".086", ".105"), (".106", ".200"),
                           None]),
    "o3_1h": _segments(3, [None, None, (".125", ".164"), (".165", ".204"), (".205", ".404"), (".405", ".604")]),
    "pm25_24h": _segments(1, [("0", "9.0"), ("9.1", "35.4"), ("35.5", "55.4"), ("55.5", "125.4"),
                              ("125.5", "225.4"), ("225.5", "325.4")]),
    "pm10_24h": _segments(0, [("0", "54"), ("55", "154"), ("155", "254"), ("255", "354"), ("355", "424"),
                              ("425", "604")]),
    "co_8h": _segments(1, [("0", "4.4"), ("4.5", "9.4"), ("9.5", "12.4"), ("12.5", "15.4"), ("15.5", "30.4"),
                           ("30.5", "50.4")]),
    "so2_1h": _segments(0, [("0", "35"), ("36", "75"), ("76", "185"), ("186", "304"), None, None]),
    "so2_24h": _segments(0, [None, None, None, None, ("305", "604"), ("605", "1004")]),
    "no2_1h": _segments(0, [("0", "53"), ("54", "100"), ("101", "360"), ("361", "649"), ("650", "1249"),
                            ("1250", "2049")]),
}
_PARTNER = {"o3_8h": "o3_1h", "so2_1h": "so2_24h"}  # above their last row these keys take the partner's IAQI
_DEFER = -1


def _sub_index(key: str, value: object) -> int | None:
    """IAQI of one key after EPA truncation; _DEFER above the O3-8h / SO2-1h tables."""
    c = exact(value)
    if c is None or c < 0:
        return None
    decimals, segs = _TABLE[key]
    c = truncate(c, decimals)
    if c < segs[0][0]:
        return None  # o3_1h below 0.125 ppm, so2_24h below 305 ppb: the table does not define these
    seg = next((seg for seg in segs if c <= seg[1]), None)
    if seg is None:
        if key in _PARTNER:
            return _DEFER
        seg = segs[-1]  # extrapolate with the last (301-500) segment, as EPA's guidance says for values above 500
    bp_lo, bp_hi, i_lo, i_hi = seg
    return round_half_up((i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo)


def _check(key: str) -> None:
    """Unknown keys are a caller bug, not missing data."""
    if key not in _TABLE:
        raise ValueError(f"unknown pollutant key {key!r}; expected one of {KEYS}")


def iaqi(key: str, concentration: float | None) -> int | None:
    """One sub-index; alone, O3 8h > 0.200 ppm and SO2 1h > 304 ppb have no partner value and give None."""
    _check(key)
    sub = _sub_index(key, concentration)
    return None if sub == _DEFER else sub


def compute(conc: Mapping[str, float | None]) -> AqiResult:
    """US AQI of one set of concentrations: max sub-index, responsible pollutant(s), EPA category and colour."""
    iaqis: dict[str, int | None] = {}
    for key, value in conc.items():
        _check(key)
        iaqis[key] = _sub_index(key, value)
    for key, partner in _PARTNER.items():
        if iaqis.get(key) == _DEFER:
            iaqis[key] = iaqis.get(partner)
    values = [sub for sub in iaqis.values() if sub is not None]
    if not values:
        return AqiResult(None, iaqis, [], None, None, None, None, STANDARD)
    aqi = max(values)
    primary = sorted((key for key, sub in iaqis.items() if sub == aqi), key=_ORDER.__getitem__)
    info = next(lv for lv in LEVELS if lv["hi"] is None or aqi <= lv["hi"])
    return AqiResult(aqi, iaqis, primary, info["level"], info["zh"], info["en"], info["color"], STANDARD)
