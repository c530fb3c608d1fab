"""US AQI against EPA's May 2024 guidance (EPA-454/B-24-002): table, footnotes and worked examples (standards.md §2)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import aqi_us

INDEX = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))
# standards.md §2 table (EPA-454/B-24-002 Table 6), typed again here; None = not defined for that category.
TABLE = {
    "o3_8h": (3, [("0", ".054"), (".055", ".070"), (".071", ".085"), (".086", ".105"), (".106", ".200"), None]),
    "o3_1h": (3, [None, None, (".125", ".164"), (".165", ".204"), (".205", ".404"), (".405", ".604")]),
    "pm25_24h": (1, [("0", "9.0"), ("9.1", "35.4"), ("35.5", "55.4"), ("55.5", "125.4"), ("125.5", "225.4"),
                     ("225.5", "325.4")]),
    "pm10_24h": (0, [("0", "54"), ("55", "154"), ("155", "254"), ("255", "354"), ("355", "424"), ("425", "604")]),
    "co_8h": (1, [("0", "4.4"), ("4.5", "9.4"), ("9.5", "12.4"), ("12.5", "15.4"), ("15.5", "30.4"),
                  ("30.5", "50.4")]),
    "so2_1h": (0, [("0", "35"), ("36", "75"), ("76", "185"), ("186", "304"), None, None]),
    "so2_24h": (0, [None, None, None, None, ("305", "604"), ("605", "1004")]),
    "no2_1h": (0, [("0", "53"), ("54", "100"), ("101", "360"), ("361", "649"), ("650", "1249"), ("1250", "2049")]),
}
ROWS = [
    (key, Fraction(row[0]), Fraction(row[1]), lo, hi)
    for key, (_, rows) in TABLE.items()
    for row, (lo, hi) in zip(rows, INDEX, strict=True)
    if row is not None
]


def ref(key: str, value: float) -> int | None:
    """Independent reference: truncate, locate, interpolate, round half-up (standards.md §2), no partner cases."""
    decimals, rows = TABLE[key]
    c = Fraction(math.floor(Fraction(repr(value)) * 10**decimals), 10**decimals)
    segs = [(Fraction(r[0]), Fraction(r[1]), lo, hi) for r, (lo, hi) in zip(rows, INDEX, strict=True) if r]
    if c < segs[0][0]:
        return None
    seg = next((s for s in segs if c <= s[1]), None)
    if seg is None:
        if key in ("o3_8h", "so2_1h"):
            return None
        seg = segs[-1]
    bp_lo, bp_hi, i_lo, i_hi = seg
    return math.floor(Fraction(i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo + Fraction(1, 2))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("o3_8h", 0.07853333, 126),  # standards.md §2 EPA example: truncate to .078 -> 125.5 -> half-up 126
        ("pm25_24h", 35.9, 102),  # standards.md §2 EPA example
        ("co_8h", 8.4, 90),  # standards.md §2 EPA example
        ("o3_1h", 0.162, 147),  # standards.md §2: the guidance prints 148 but its own formula gives 147.49 -> 147
    ],
)
def test_epa_worked_examples(key: str, value: float, expected: int) -> None:
    assert aqi_us.iaqi(key, value) == expected


def test_epa_combined_example() -> None:
    # standards.md §2: O3 8h .07853333, PM2.5 35.9, CO 8.4 -> AQI 126, O3 responsible.
    result = aqi_us.compute({"o3_8h": 0.07853333, "pm25_24h": 35.9, "co_8h": 8.4})
    assert result.iaqi == {"o3_8h": 126, "pm25_24h": 102, "co_8h": 90}
    assert (result.aqi, result.primary, result.level, result.category_en, result.color, result.standard) == (
        126, ["o3_8h"], 3, "Unhealthy for Sensitive Groups", "#FF7E00", "EPA-2024")
    assert json.loads(json.dumps(result.to_dict()))["aqi"] == 126


@pytest.mark.parametrize(("key", "bp_lo", "bp_hi", "i_lo", "i_hi"), ROWS)
def test_every_breakpoint_row(key: str, bp_lo: Fraction, bp_hi: Fraction, i_lo: int, i_hi: int) -> None:
    # standards.md §2 table: both ends of every row give the row's index ends.
    assert aqi_us.iaqi(key, float(bp_lo)) == i_lo
    assert aqi_us.iaqi(key, float(bp_hi)) == i_hi
    step = Fraction(1, 10 ** TABLE[key][0])
    # just below the next row's start: truncation keeps the value in this row
    assert aqi_us.iaqi(key, float(bp_hi + step * Fraction(9, 10))) == i_hi


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # standards.md §2: truncate first (O3 3 decimals, PM2.5 and CO 1, others integer).
        ("pm25_24h", 9.09, 50),
        ("pm25_24h", 35.49, 100),
        ("o3_8h", 0.0549, 50),
        ("pm10_24h", 54.9, 50),
        ("co_8h", 4.49, 50),
        ("no2_1h", 53.9, 50),
        ("so2_1h", 35.9, 50),
        ("o3_8h", 0.2009, 300),
    ],
)
def test_truncation(key: str, value: float, expected: int) -> None:
    assert aqi_us.iaqi(key, value) == expected


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [  # standards.md §2: index rounded half-UP (Python's round would give the even neighbour)
        ("co_8h", 1.1, 13),  # 50 / 4.4 * 1.1 = 12.5
        ("o3_8h", 0.072, 105),  # 101 + 49 / .014 * .001 = 104.5
    ],
)
def test_half_up_rounding(key: str, value: float, expected: int) -> None:
    assert aqi_us.iaqi(key, value) == expected
    assert round(expected - 0.5) != expected  # the case really discriminates half-up from half-even


def test_extrapolates_above_500() -> None:
    # standards.md §2: "Above 500: extrapolate with the 301-500 segment".
    assert aqi_us.iaqi("pm25_24h", 400) == math.floor(Fraction(199, Fraction("99.9")) * Fraction("174.5") + 301
                                                      + Fraction(1, 2))
    assert aqi_us.iaqi("pm25_24h", 400) == 649
    assert aqi_us.iaqi("pm10_24h", 700) == 607  # 301 + 199/179 * 275 = 606.7
    assert aqi_us.compute({"co_8h": 60}).level == 6


def test_ozone_footnotes() -> None:
    # standards.md §2: O3 8h defines AQI up to 300; above .200 use 1h; 1h starts at .125 (AQI 101).
    assert aqi_us.iaqi("o3_8h", 0.201) is None
    # 1h .45: 301 + 199 / .199 * .045 = 346
    assert aqi_us.compute({"o3_8h": 0.25, "o3_1h": 0.45}).iaqi == {"o3_8h": 346, "o3_1h": 346}
    assert aqi_us.compute({"o3_8h": 0.25}).aqi is None
    assert aqi_us.iaqi("o3_1h", 0.124) is None
    both = aqi_us.compute({"o3_8h": 0.080, "o3_1h": 0.170})  # both apply: report the higher
    assert both.iaqi == {"o3_8h": 133, "o3_1h": 157} and both.aqi == 157 and both.primary == ["o3_1h"]


def test_so2_footnotes() -> None:
    # standards.md §2: SO2 1h defines AQI up to 200 (304 ppb); above that the 24h value is used (305-1004 ppb).
    assert aqi_us.iaqi("so2_1h", 304) == 200
    assert aqi_us.iaqi("so2_1h", 305) is None
    assert aqi_us.compute({"so2_1h": 400, "so2_24h": 350}).iaqi == {"so2_1h": 216, "so2_24h": 216}
    assert aqi_us.compute({"so2_1h": 400}).aqi is None
    assert aqi_us.iaqi("so2_24h", 304) is None  # the 24h table does not define AQI <= 200
    assert aqi_us.iaqi("so2_24h", 1104) == 550  # extrapolated: 301 + 199 * 499 / 399 = 549.87


@pytest.mark.parametrize(
    ("value", "level", "en", "color"),
    [  # standards.md §2 categories and colours, both ends of each band (PM10 maps integers onto them)
        (54, 1, "Good", "#00E400"), (55, 2, "Moderate", "#FFFF00"), (154, 2, "Moderate", "#FFFF00"),
        (155, 3, "Unhealthy for Sensitive Groups", "#FF7E00"), (255, 4, "Unhealthy", "#FF0000"),
        (354, 4, "Unhealthy", "#FF0000"), (355, 5, "Very Unhealthy", "#8F3F97"),
        (424, 5, "Very Unhealthy", "#8F3F97"), (425, 6, "Hazardous", "#7E0023"), (604, 6, "Hazardous", "#7E0023"),
    ],
)
def test_categories(value: int, level: int, en: str, color: str) -> None:
    result = aqi_us.compute({"pm10_24h": value})
    assert (result.level, result.category_en, result.color, result.primary) == (level, en, color, ["pm10_24h"])


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "5", None, True])
def test_invalid_values_are_none(bad: object) -> None:
    assert aqi_us.iaqi("pm25_24h", bad) is None  # type: ignore[arg-type]
    assert aqi_us.compute({"pm25_24h": bad}).aqi is None  # type: ignore[dict-item]


def test_unknown_key_raises_and_other_number_types_work() -> None:
    with pytest.raises(ValueError, match="unknown pollutant key"):
        aqi_us.compute({"pm25_1h": 10})
    assert aqi_us.iaqi("pm25_24h", Decimal("35.9")) == 102
    assert aqi_us.iaqi("pm10_24h", 100) == aqi_us.iaqi("pm10_24h", 100.0)


values = st.one_of(st.floats(min_value=0, max_value=3000, allow_nan=False),
                   st.decimals(min_value=0, max_value=3000, places=3).map(float))


@given(key=st.sampled_from(aqi_us.KEYS), value=values)
def test_iaqi_equals_fraction_reference(key: str, value: float) -> None:
    assert aqi_us.iaqi(key, value) == ref(key, value)


@given(key=st.sampled_from(aqi_us.KEYS), a=values, b=values)
def test_iaqi_is_monotone(key: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    ia, ib = aqi_us.iaqi(key, lo), aqi_us.iaqi(key, hi)
    if ia is not None and ib is not None:
        assert 0 <= ia <= ib
