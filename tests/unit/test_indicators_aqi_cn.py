"""China AQI (HJ 633-2012 / HJ 633-2026) against the standards' tables and worked examples (standards.md §1)."""

from __future__ import annotations

import json
import math
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import aqi_cn

S12, S26 = "HJ633-2012", "HJ633-2026"
STEPS = (0, 50, 100, 150, 200, 300, 400, 500)

# HJ 633 Table 1 / standards.md §1.1 as the standard prints it, a row per IAQI step, typed again here (and transposed)
# so the tests do not trust the module's own copy. None: the column has no breakpoint at that step.
_COLUMNS = ("so2_24h", "so2_1h", "no2_24h", "no2_1h", "co_24h", "co_1h", "o3_1h", "o3_8h")
_ROWS = (
    # IAQI SO2-24h SO2-1h NO2-24h NO2-1h CO-24h CO-1h O3-1h O3-8h
    (0,       0,     0,     0,     0,     0,    0,     0,    0),
    (50,     50,   150,    40,   100,     2,    5,   160,  100),
    (100,   150,   500,    80,   200,     4,   10,   200,  160),
    (150,   475,   650,   180,   700,    14,   35,   300,  215),
    (200,   800,   800,   280,  1200,    24,   60,   400,  265),
    (300,  1600,  None,   565,  2340,    36,   90,   800,  800),
    (400,  2100,  None,   750,  3090,    48,  120,  1000, None),
    (500,  2620,  None,   940,  3840,    60,  150,  1200, None),
)  # fmt: skip
TABLE_1 = {key: tuple(row[i + 1] for row in _ROWS if row[i + 1] is not None) for i, key in enumerate(_COLUMNS)}
PM = {
    S12: {"pm10": (0, 50, 150, 250, 350, 420, 500, 600), "pm25": (0, 35, 75, 115, 150, 250, 350, 500)},
    S26: {"pm10": (0, 50, 120, 250, 350, 420, 500, 600), "pm25": (0, 35, 60, 115, 150, 250, 350, 500)},
}


def columns(standard: str, key: str) -> tuple[int, ...]:
    """standards.md §1.1 column; the 1h PM keys use the 24h PM columns (§1.3)."""
    return TABLE_1[key] if key in TABLE_1 else PM[standard][key.split("_")[0]]


def ref_iaqi(key: str, value: float | int, standard: str, *, round_first: bool = True) -> int | None:
    """Independent Fraction reference of one IAQI (standards.md §1.1-§1.2), without the 2012 partner cases."""
    c = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if c < 0:
        return None
    if standard == S26 and round_first:
        c = Fraction(round(c * 10), 10) if key.startswith("co") else Fraction(round(c))
    bps = columns(standard, key)
    if c > bps[-1]:
        if key in ("so2_1h", "o3_8h"):
            return None if standard == S12 else {"so2_1h": 200, "o3_8h": 300}[key]
        return 500
    for i in range(1, len(bps)):
        if c <= bps[i]:
            return math.ceil(Fraction(STEPS[i] - STEPS[i - 1], bps[i] - bps[i - 1]) * (c - bps[i - 1]) + STEPS[i - 1])
    return 0


# --- standards.md §1.5 worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected", "cite"),
    [
        ("pm25_24h", 75, 114, "standards.md §1.5 2026 example; HJ 633-2026 Table 1"),
        ("pm10_24h", 150, 112, "standards.md §1.5 2026 example; HJ 633-2026 Table 1"),
        ("no2_1h", 350, 115, "standards.md §1.5 2026 example"),
        ("so2_1h", 801, 200, "standards.md §1.1 special case / §1.5: 2026 SO2 1h > 800 -> 200"),
        ("o3_8h", 801, 300, "standards.md §1.1 special case / §1.5: 2026 O3 8h > 800 -> 300"),
    ],
)
def test_2026_worked_examples(key: str, value: float, expected: int, cite: str) -> None:
    assert aqi_cn.iaqi(key, value, standard=S26) == expected, cite
    assert aqi_cn.compute({key: value}, standard=S26).aqi == expected, cite


def test_2026_pm25_60_11_example_conflicts_with_the_rounding_rule() -> None:
    # standards.md §1.5 says "PM2.5 60.11 -> 101 (proves ceil)": that is the 2026 formula on the UNROUNDED value.
    assert ref_iaqi("pm25_24h", 60.11, S26, round_first=False) == 101
    # standards.md §1.2 (HJ 633-2026): round the concentration first -> 60 = the IAQI-100 breakpoint.
    assert aqi_cn.iaqi("pm25_24h", 60.11, standard=S26) == 100
    # ceil (not round, not truncate) on rounded inputs, HJ 633-2026 Table 1: 66 -> 105.45 -> 106; 61 -> 100.9 -> 101.
    assert aqi_cn.iaqi("pm25_24h", 66, standard=S26) == 106
    assert aqi_cn.iaqi("pm25_24h", 61, standard=S26) == 101
    # 2012 keeps the raw value: 50 + 1.25 * 25.11 = 81.3875 -> 82 (HJ 633-2012 Table 1).
    assert aqi_cn.iaqi("pm25_24h", 60.11, standard=S12) == 82


def test_2026_daily_example() -> None:
    # standards.md §1.5 2026 daily example; levels from §1.4.
    conc = {"so2_24h": 10, "no2_24h": 15, "co_24h": 0.5, "o3_8h": 60, "pm10_24h": 40, "pm25_24h": 80}
    result = aqi_cn.compute(conc, standard=S26)
    assert result.aqi == 119
    assert result.iaqi == {"so2_24h": 10, "no2_24h": 19, "co_24h": 13, "o3_8h": 30, "pm10_24h": 40, "pm25_24h": 119}
    assert result.primary == ["pm25_24h"]
    assert (result.level, result.category_zh, result.category_en, result.color) == (3, "轻度污染", "Lightly polluted",
                                                                                    "#FF7E00")
    assert result.standard == S26


@pytest.mark.parametrize(
    ("conc", "expected"),
    [
        ({"pm25_24h": 55}, {"pm25_24h": 75}),  # standards.md §1.5 2012 example
        ({"pm10_24h": 200}, {"pm10_24h": 125}),  # standards.md §1.5 2012 example
        ({"pm25_24h": 75, "pm10_24h": 150}, {"pm25_24h": 100, "pm10_24h": 100}),  # §1.5: exact 100 stays 100
        ({"pm25_24h": 55.0, "pm10_24h": 150.0}, {"pm25_24h": 75, "pm10_24h": 100}),  # same with floats
    ],
)
def test_2012_worked_examples(conc: dict[str, float], expected: dict[str, int]) -> None:
    result = aqi_cn.compute(conc, standard=S12)
    assert result.iaqi == expected
    assert result.aqi == max(expected.values())


def test_2012_ties_list_every_primary_pollutant() -> None:
    # standards.md §1.2: every pollutant whose IAQI equals the AQI (ties: all), here 100/100 from §1.5.
    result = aqi_cn.compute({"pm10_24h": 150, "pm25_24h": 75, "no2_24h": 10}, standard=S12)
    assert (result.aqi, result.primary, result.level, result.category_zh) == (100, ["pm10_24h", "pm25_24h"], 2, "良")


# --- every breakpoint of HJ 633 Table 1 (standards.md §1.1), both versions --------------------------------------

BOUNDARY_CASES = [
    (standard, key, i, bp)
    for standard in (S12, S26)
    for key in aqi_cn.KEYS
    for i, bp in enumerate(columns(standard, key))
]


@pytest.mark.parametrize(("standard", "key", "i", "bp"), BOUNDARY_CASES)
def test_every_breakpoint_gives_its_iaqi_and_one_unit_above_rounds_up(standard: str, key: str, i: int, bp: int) -> None:
    # HJ 633 Table 1 / standards.md §1.1: at a breakpoint the IAQI is the table's; just above, ceil takes it up.
    assert aqi_cn.iaqi(key, bp, standard=standard) == STEPS[i]
    assert aqi_cn.iaqi(key, float(bp), standard=standard) == STEPS[i]
    unit = 0.1 if key.startswith("co") else 1
    above = round(bp + unit, 1)
    expected = ref_iaqi(key, above, standard)
    if standard == S12 and key in ("so2_1h", "o3_8h") and above > columns(standard, key)[-1]:
        expected = None  # 2012 special cases: no partner value given
    assert aqi_cn.iaqi(key, above, standard=standard) == expected
    if expected is not None and i + 1 < len(columns(standard, key)):
        assert STEPS[i] < expected <= STEPS[i + 1]


@pytest.mark.parametrize("standard", [S12, S26])
@pytest.mark.parametrize("key", [k for k in aqi_cn.KEYS if k not in ("so2_1h", "o3_8h")])
def test_above_the_last_breakpoint_clamps_to_500(standard: str, key: str) -> None:
    # standards.md §1.1 "Above the 500 breakpoint: clamp to 500" (a known public bug returns 0 here, §1.5).
    top = columns(standard, key)[-1]
    assert aqi_cn.iaqi(key, top + 1, standard=standard) == 500
    assert aqi_cn.iaqi(key, top * 10.5, standard=standard) == 500


def test_special_cases_2012_take_the_partner_iaqi() -> None:
    # standards.md §1.1 special cases, HJ 633-2012: SO2 1h > 800 -> SO2 24h IAQI; O3 8h > 800 -> O3 1h IAQI.
    result = aqi_cn.compute({"so2_1h": 900, "so2_24h": 700}, standard=S12)
    assert result.iaqi == {"so2_1h": 185, "so2_24h": 185}  # 150 + 50 * 225 / 325 = 184.6 -> 185
    assert aqi_cn.compute({"so2_1h": 900}, standard=S12).iaqi == {"so2_1h": None}
    # O3 1h 900: 300 + 100 * 100 / 200 = 350
    assert aqi_cn.compute({"o3_8h": 801, "o3_1h": 900}, standard=S12).iaqi == {"o3_8h": 350, "o3_1h": 350}
    assert aqi_cn.compute({"o3_8h": 801, "o3_1h": None}, standard=S12).iaqi == {"o3_8h": None, "o3_1h": None}
    assert aqi_cn.iaqi("so2_1h", 801, standard=S12) is None
    assert aqi_cn.iaqi("so2_1h", 800, standard=S12) == 200
    assert aqi_cn.iaqi("o3_8h", 800, standard=S12) == 300


def test_special_cases_2026_are_fixed_values_and_see_the_rounded_value() -> None:
    # standards.md §1.1 (2026: SO2 1h > 800 -> 200, O3 8h > 800 -> 300) and §1.2 (rounding first).
    assert aqi_cn.iaqi("so2_1h", 5000, standard=S26) == 200
    assert aqi_cn.iaqi("o3_8h", 5000, standard=S26) == 300
    assert aqi_cn.iaqi("o3_8h", 800.5, standard=S26) == 300  # rounds to 800 (half-even), the breakpoint
    assert aqi_cn.iaqi("so2_1h", 650.5, standard=S26) == 150  # 650.5 -> 650 exactly the 150 breakpoint
    assert aqi_cn.iaqi("so2_1h", 650.51, standard=S26) == 151


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # standards.md §1.2: 2026 rounds per GB/T 8170 (half to even) - µg/m³ to integers, CO to 0.1 mg/m³.
        ("pm25_24h", 60.5, 100),  # -> 60
        ("pm25_24h", 61.5, 102),  # -> 62: 100 + 100/55 = 101.8 -> 102
        ("pm25_24h", 60.49, 100),
        ("pm25_24h", 60.51, 101),  # -> 61
        ("co_24h", 0.25, 5),  # -> 0.2 (half to even): 25 * 0.2 = 5
        ("co_24h", 0.35, 10),  # -> 0.4 on the decimal 0.35 (the binary float is 0.34999...)
        ("co_24h", 0.45, 10),  # -> 0.4
        ("co_24h", 0.451, 13),  # -> 0.5: 12.5 -> 13
        ("co_1h", 5.05, 50),  # -> 5.0, the 50 breakpoint
        ("co_1h", 5.15, 52),  # -> 5.2 (1 is odd, so the 5 rounds up): 50 + 10 * 0.2 = 52
    ],
)
def test_2026_rounds_concentrations_half_to_even_first(key: str, value: float, expected: int) -> None:
    assert aqi_cn.iaqi(key, value, standard=S26) == expected


def test_2012_uses_the_exact_decimal_not_the_binary_float() -> None:
    # standards.md §1.2: "An exact integer stays ... float noise turns 100 into 101".
    assert aqi_cn.iaqi("co_24h", 0.04, standard=S12) == 1  # 25 * 0.04 = 1 exactly (binary 0.04 is a bit above)
    assert aqi_cn.iaqi("pm25_24h", 35.04, standard=S12) == 51  # 50.05 -> 51
    assert aqi_cn.iaqi("no2_24h", 0.1 + 0.2, standard=S12) == 1  # 0.30000000000000004 is its own decimal
    assert aqi_cn.iaqi("so2_24h", 1e-05, standard=S12) == 1
    assert aqi_cn.iaqi("so2_24h", Decimal("50.00"), standard=S12) == 50
    assert aqi_cn.iaqi("so2_24h", Fraction(101, 2), standard=S12) == 51


# --- invalid input, missing data, primary pollutants, levels -----------------------------------------------------


@pytest.mark.parametrize("standard", [S12, S26])
@pytest.mark.parametrize("bad", [-1, -0.1, float("nan"), float("inf"), "12", True, None, [1]])
def test_invalid_concentrations_are_none_never_zero(standard: str, bad: object) -> None:
    # standards.md §1.1: "Invalid or negative concentration: NA (never 0)".
    assert aqi_cn.iaqi("pm25_24h", bad, standard=standard) is None  # type: ignore[arg-type]
    assert aqi_cn.compute({"pm25_24h": bad}, standard=standard).aqi is None  # type: ignore[dict-item]


def test_unknown_keys_and_standards_raise() -> None:
    with pytest.raises(ValueError, match="unknown pollutant key"):
        aqi_cn.compute({"pm2.5_24h": 10})
    with pytest.raises(ValueError, match="unknown pollutant key"):
        aqi_cn.iaqi("co_8h", 1.0)
    with pytest.raises(ValueError, match="unknown standard"):
        aqi_cn.compute({"pm25_24h": 10}, standard="EPA-2024")


def test_2026_missing_data_rule_publishes_only_above_100() -> None:
    # HJ 633-2026 §5.3.1 / standards.md §1.3: a monitored pollutant missing -> AQI only if > 100, IAQIs kept.
    low = aqi_cn.compute({"pm25_24h": 30, "pm10_24h": None}, standard=S26)
    assert (low.aqi, low.level, low.category_zh, low.color, low.primary) == (None, None, None, None, [])
    assert low.iaqi == {"pm25_24h": 43, "pm10_24h": None}
    high = aqi_cn.compute({"pm25_24h": 80, "pm10_24h": float("nan")}, standard=S26)
    assert (high.aqi, high.primary, high.level) == (119, ["pm25_24h"], 3)
    edge = aqi_cn.compute({"pm25_24h": 60, "o3_8h": -5}, standard=S26)  # AQI exactly 100 is not > 100
    assert edge.aqi is None and edge.iaqi == {"pm25_24h": 100, "o3_8h": None}
    # a key absent from conc is not monitored: the rule does not apply
    assert aqi_cn.compute({"pm25_24h": 30}, standard=S26).aqi == 43
    # HJ 633-2012 has no such rule
    assert aqi_cn.compute({"pm25_24h": 30, "pm10_24h": None}, standard=S12).aqi == 43


def test_primary_only_above_50() -> None:
    # standards.md §1.2: primary pollutant(s) only when AQI > 50.
    assert aqi_cn.compute({"pm25_24h": 35, "pm10_24h": 50}).primary == []
    result = aqi_cn.compute({"pm25_24h": 36, "pm10_24h": 50})
    assert (result.aqi, result.primary) == (52, ["pm25_24h"])  # 50 + 50/25 = 52


@pytest.mark.parametrize(
    ("aqi", "level", "zh", "en", "color"),
    [  # standards.md §1.4 (HJ 633 Table 2 and Appendix A), both ends of every band
        (0, 1, "优", "Excellent", "#00E400"), (50, 1, "优", "Excellent", "#00E400"),
        (51, 2, "良", "Good", "#FFFF00"), (100, 2, "良", "Good", "#FFFF00"),
        (101, 3, "轻度污染", "Lightly polluted", "#FF7E00"), (150, 3, "轻度污染", "Lightly polluted", "#FF7E00"),
        (151, 4, "中度污染", "Moderately polluted", "#FF0000"), (200, 4, "中度污染", "Moderately polluted", "#FF0000"),
        (201, 5, "重度污染", "Heavily polluted", "#99004C"), (300, 5, "重度污染", "Heavily polluted", "#99004C"),
        (301, 6, "严重污染", "Severely polluted", "#7E0023"), (500, 6, "严重污染", "Severely polluted", "#7E0023"),
    ],
)
def test_levels_names_and_colours(aqi: int, level: int, zh: str, en: str, color: str) -> None:
    info = aqi_cn.level_info(aqi)
    assert info is not None and (info["level"], info["zh"], info["en"], info["color"]) == (level, zh, en, color)
    # and through compute: every AQI 0..500 is reached by some integer SO2 24h concentration (fine slopes).
    value = next(c for c in range(0, 3000) if aqi_cn.iaqi("so2_24h", c) == aqi)
    result = aqi_cn.compute({"so2_24h": value})
    assert (result.aqi, result.level, result.category_zh, result.category_en, result.color) == (aqi, level, zh, en,
                                                                                                color)


def test_levels_table_is_complete() -> None:
    assert [lv["level"] for lv in aqi_cn.LEVELS] == [1, 2, 3, 4, 5, 6]
    assert [(lv["lo"], lv["hi"]) for lv in aqi_cn.LEVELS] == [(0, 50), (51, 100), (101, 150), (151, 200), (201, 300),
                                                            (301, 500)]
    assert aqi_cn.level_info(None) is None
    with pytest.raises(ValueError):
        aqi_cn.level_info(501)


def test_result_is_frozen_and_json_able() -> None:
    result = aqi_cn.compute({"pm25_1h": 80, "pm10_1h": 40}, standard=S26)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data == {"aqi": 119, "iaqi": {"pm25_1h": 119, "pm10_1h": 40}, "primary": ["pm25_1h"], "level": 3,
                    "category_zh": "轻度污染", "category_en": "Lightly polluted", "color": "#FF7E00",
                    "standard": S26}
    with pytest.raises(FrozenInstanceError):
        result.aqi = 1  # type: ignore[misc]


def test_hourly_pm_uses_the_24h_columns() -> None:
    # standards.md §1.3: 2026 hourly PM judged against the 24h PM columns.
    for standard in (S12, S26):
        for value in (35, 60, 75, 115, 333.3):
            assert aqi_cn.iaqi("pm25_1h", value, standard=standard) == aqi_cn.iaqi("pm25_24h", value,
                                                                                   standard=standard)
            assert aqi_cn.iaqi("pm10_1h", value, standard=standard) == aqi_cn.iaqi("pm10_24h", value,
                                                                                   standard=standard)


def test_aqi_is_max_over_all_keys_given() -> None:
    # decision: with both a 1h and a 24h value the AQI is the max over all IAQIs given.
    result = aqi_cn.compute({"no2_1h": 350, "no2_24h": 100}, standard=S26)
    assert result.iaqi == {"no2_1h": 115, "no2_24h": 110} and result.aqi == 115


# --- standard_for (standards.md §1: HJ 633-2026 in force from 2026-03-01) -----------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 2, 28, 23, 59, 59, tzinfo=SHANGHAI), S12),
        (datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI), S26),
        (datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC), S12),
        (datetime(2026, 2, 28, 16, 0, tzinfo=UTC), S26),  # = 2026-03-01 00:00 in Shanghai
        (datetime(2026, 2, 28, 16, 0), S26),  # naive = UTC
        (datetime(2026, 2, 28, 15, 59), S12),
        (datetime(2026, 2, 28, 12, 0, tzinfo=timezone(timedelta(hours=-5))), S26),  # 17:00Z
        (date(2026, 2, 28), S12),
        (date(2026, 3, 1), S26),
        (int(datetime(2026, 2, 28, 16, 0, tzinfo=UTC).timestamp() * 1000), S26),
        (int(datetime(2026, 2, 28, 16, 0, tzinfo=UTC).timestamp() * 1000) - 1, S12),
        (0, S12),
    ],
)
def test_standard_for(when: object, expected: str) -> None:
    assert aqi_cn.standard_for(when) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2026-03-01", True, None, float("nan")])
def test_standard_for_rejects_other_types(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        aqi_cn.standard_for(bad)  # type: ignore[arg-type]


# --- properties: monotone, bounded, equal to the independent Fraction reference ----------------------------------

concentrations = st.one_of(
    st.floats(min_value=0, max_value=4000, allow_nan=False),
    st.decimals(min_value=0, max_value=4000, places=2).map(float),
    st.integers(min_value=0, max_value=4000),
)


@given(standard=st.sampled_from([S12, S26]), key=st.sampled_from(aqi_cn.KEYS), value=concentrations)
def test_iaqi_equals_fraction_reference_and_is_bounded(standard: str, key: str, value: float) -> None:
    got = aqi_cn.iaqi(key, value, standard=standard)
    assert got == ref_iaqi(key, value, standard)
    if got is not None:
        assert 0 <= got <= 500


@given(standard=st.sampled_from([S12, S26]), key=st.sampled_from(aqi_cn.KEYS), a=concentrations, b=concentrations)
def test_iaqi_is_monotone_in_concentration(standard: str, key: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    if standard == S12 and key in ("so2_1h", "o3_8h"):
        hi = min(hi, 800)  # beyond 800 the 2012 value comes from another key (standards.md §1.1)
        lo = min(lo, hi)
    ia, ib = aqi_cn.iaqi(key, lo, standard=standard), aqi_cn.iaqi(key, hi, standard=standard)
    assert ia is not None and ib is not None and ia <= ib


@given(
    standard=st.sampled_from([S12, S26]),
    conc=st.dictionaries(st.sampled_from(aqi_cn.KEYS), st.one_of(st.none(), concentrations), min_size=1),
)
def test_compute_is_max_of_reference_iaqis(standard: str, conc: dict[str, float | None]) -> None:
    result = aqi_cn.compute(conc, standard=standard)
    for key, sub in result.iaqi.items():
        value = conc[key]
        partner = {"so2_1h": "so2_24h", "o3_8h": "o3_1h"}.get(key)
        if value is not None and standard == S12 and partner and Fraction(repr(value)) > 800:
            expected = ref_iaqi(partner, conc[partner], standard) if conc.get(partner) is not None else None
        else:
            expected = None if value is None else ref_iaqi(key, value, standard)
        assert sub == expected
    subs = [s for s in result.iaqi.values() if s is not None]
    top = max(subs) if subs else None
    if standard == S26 and None in result.iaqi.values() and top is not None and top <= 100:
        top = None
    assert result.aqi == top
    if top is not None and top > 50:
        assert result.primary == [k for k in aqi_cn.KEYS if result.iaqi.get(k) == top]
    else:
        assert result.primary == []
