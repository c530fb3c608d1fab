"""Which averaging periods make up each China AQI report, and monitored versus missing (standards.md §1.3)."""

from __future__ import annotations

import pytest

from core.derive import derive, derive_air
from core.readings import Reading
from indicators import aqi_cn
from indicators.aqi_periods import (
    DAILY,
    PUBLISHED,
    REALTIME,
    TEXT_2012,
    concentrations,
    missing_pollutants,
    report_keys,
)

S12, S26 = aqi_cn.STANDARD_2012, aqi_cn.STANDARD_2026


@pytest.mark.parametrize(("standard", "report", "rule", "keys"), [
    # standards.md §1.3: the published real-time AQI (2012 as 2026) = 1-h gases and 1-h PM on the 24-h PM columns,
    # no O3-8h term
    (S12, REALTIME, PUBLISHED, {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"}),
    (S26, REALTIME, PUBLISHED, {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"}),
    # the HJ 633-2012 text's variant, by name only: PM from the 24-h moving averages
    (S12, REALTIME, TEXT_2012, {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_24h", "pm25_24h"}),
    # daily (§1.3): 24-h means + O3 daily max 8-h; 2012 also the daily max 1-h O3
    (S26, DAILY, PUBLISHED, {"so2_24h", "no2_24h", "co_24h", "o3_8h", "pm10_24h", "pm25_24h"}),
    (S12, DAILY, PUBLISHED, {"so2_24h", "no2_24h", "co_24h", "o3_1h", "o3_8h", "pm10_24h", "pm25_24h"}),
])  # fmt: skip
def test_report_keys(standard: str, report: str, rule: str, keys: set[str]) -> None:
    assert set(report_keys(standard, report, rule)) == keys


@pytest.mark.parametrize("bad", [{"standard": "HJ633-2020"}, {"report": "weekly"}, {"rule": "guess"}])
def test_report_keys_refuse_unknown_names(bad: dict[str, str]) -> None:
    args = {"standard": S26, "report": REALTIME, "rule": PUBLISHED, **bad}
    with pytest.raises(ValueError, match="unknown"):
        report_keys(**args)


def test_one_hour_pm_counts_under_2012() -> None:
    # The case: a feed sending only 1-h values, PM2.5 80 with NO2 20, under HJ 633-2012. Published practice
    # (§1.3) reads PM2.5 1-h on the 2012 24-h column (75 -> 100, 115 -> 150): 100 + 50 * 5 / 40 = 106.25 -> 107.
    d = derive_air({"pm25_1h": 80, "no2_1h": 20}, S12)
    assert (d["aqi"], d["level"], d["primary"]) == (107, 3, ["pm25_1h"])
    # the 2012 text's rule has no 24-h PM here, so only NO2 counts: IAQI 10 (the old pipeline's "AQI 10, 优")
    assert derive_air({"pm25_1h": 80, "no2_1h": 20}, S12, rule=TEXT_2012)["aqi"] == 10


def test_hourly_aqi_ignores_the_24h_and_8h_means() -> None:
    # §1.3: no O3-8h and no 24-h PM in the real-time figure; only the 1-h values decide
    values = {"pm25_1h": 30, "pm25_24h": 200, "o3_1h": 100, "o3_8h": 300, "no2_1h": 10}
    for standard in (S12, S26):
        assert derive_air(values, standard)["aqi"] == aqi_cn.compute({"pm25_1h": 30, "o3_1h": 100, "no2_1h": 10},
                                                                       standard=standard).aqi


def test_not_monitored_is_not_missing() -> None:
    # HJ 633-2026 §5.3.2: a PM-only station (most OpenAQ stations abroad) gets an AQI <= 100 from what it monitors
    # (PM10 30 -> 30, PM2.5 20 -> 28.6 -> 29: AQI 30)
    d = derive_air({"pm25_1h": 20, "pm10_1h": 30}, S26)
    assert d["aqi"] == 30 and d["monitored"] == ["pm10", "pm25"] and d["missing"] == []
    # declared without CO: still published
    assert derive_air({"pm25_1h": 20, "pm10_1h": 30}, S26, monitored={"pm25", "pm10"})["aqi"] == 30


def test_monitored_but_missing_applies_5_3_1() -> None:
    # §5.3.1: a monitored pollutant missing this hour -> AQI published only when > 100 (IAQIs stay)
    all_six = {"so2", "no2", "co", "o3", "pm10", "pm25"}
    d = derive_air({"pm25_1h": 20, "pm10_1h": 30, "so2_1h": 5, "no2_1h": 10, "o3_1h": 50}, S26, monitored=all_six)
    assert d["aqi"] is None and d["level"] is None and d["missing"] == ["co"] and d["iaqi"]["pm25_1h"] == 29
    high = derive_air({"pm25_1h": 150, "no2_1h": 10}, S26, monitored=all_six)
    assert high["aqi"] == 200 and set(high["missing"]) == {"so2", "co", "o3", "pm10"}
    # under HJ 633-2012 the missing rule does not exist: computed from what is there
    assert derive_air({"pm25_1h": 20, "no2_1h": 10}, S12, monitored=all_six)["aqi"] == 29


def test_concentrations_keep_reported_pollutants_even_when_not_declared() -> None:
    keys = report_keys(S26)
    conc = concentrations({"pm25_1h": 12.0, "co_1h": 0.4}, keys, monitored={"pm25", "o3"})
    assert conc == {"co_1h": 0.4, "o3_1h": None, "pm25_1h": 12.0}
    assert missing_pollutants(conc) == ["o3"]
    # sent but unusable (negative, NaN): monitored and missing this hour, not "not monitored" (§5.3.1, not §5.3.2)
    assert concentrations({"pm25_1h": -1, "pm10_1h": float("nan")}, keys) == {"pm10_1h": None, "pm25_1h": None}
    assert concentrations({}, keys) == {}


def test_the_2012_text_rule_never_changes_a_2026_reading() -> None:
    # HJ 633-2026's own text (§1.3) reads 1-h PM; the 2012 text's rule applies only to readings judged under 2012
    assert report_keys(S26, REALTIME, TEXT_2012) == report_keys(S26, REALTIME, PUBLISHED)
    assert derive_air({"pm25_1h": 70, "pm25_24h": 30}, S26, rule=TEXT_2012)["aqi"] == 110


def test_an_unindexed_so2_hour_is_listed_missing() -> None:
    # HJ 633-2012: SO2 1-h > 800 without a 24-h mean has no IAQI: the popup lists SO2 as missing this hour
    d = derive_air({"so2_1h": 900, "no2_1h": 20}, S12)
    assert d["iaqi"]["so2_1h"] is None and d["missing"] == ["so2"]


def test_a_reading_is_judged_by_its_observation_time() -> None:
    # standards.md §1: HJ 633-2026 from 2026-03-01 (Shanghai). A 2017 reading replayed today is still judged by 2012:
    # PM2.5 70 -> 2012: 50 + 50 * 35 / 40 = 93.75 -> 94; 2026: 100 + 50 * 10 / 55 = 109.1 -> 110
    now = 1_800_000_000_000
    observed_2017 = 1_483_228_800_000  # 2017-01-01T00:00Z
    rd = Reading("air", "1001A", now, {"pm25_1h": 70}, {"hist_ts": observed_2017})
    assert derive(rd)["aqi"] == 110 and derive(rd)["standard"] == S26
    old = derive(rd, observed_ms=observed_2017)
    assert old["aqi"] == 94 and old["standard"] == S12


def test_so2_above_800_is_reported_with_its_24h_iaqi_under_2012() -> None:
    # HJ 633-2012 Table 1 note (standards.md §1.1): SO2 1-h > 800 -> the SO2 24-h IAQI is reported instead.
    # SO2 24-h 300 -> 100 + 50 * 150 / 325 = 123.1 -> 124; the 24-h mean never enters the hourly AQI otherwise.
    d = derive_air({"so2_1h": 900, "so2_24h": 300, "pm25_1h": 20}, S12)
    assert d["aqi"] == 124 and d["primary"] == ["so2_1h"] and "so2_24h" not in d["iaqi"]
    assert derive_air({"so2_1h": 100, "so2_24h": 900, "pm25_1h": 20}, S12)["aqi"] == 34  # SO2 1-h 100 -> 34
    # HJ 633-2026: SO2 1-h > 800 -> 200 whatever the 24-h mean
    assert derive_air({"so2_1h": 900, "so2_24h": 300}, S26)["aqi"] == 200
