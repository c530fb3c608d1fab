"""The pipeline every reading passes: positions, city bounds, plausibility, case statuses, monitored pollutants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import load_city
from core.readings import Reading
from data_sources.pipeline import Rules, plausibility, process, rules_for

NOW = 1_800_000_000_000  # an injected clock: the pipeline itself never reads one
DAY = 86_400_000
GZ = load_city("guangzhou")
RULES = rules_for(GZ)


def air(eid: str = "1345A", ts: int = NOW, meta: dict | None = None, **values: float) -> Reading:
    return Reading("air", eid, ts, values or {"pm25_1h": 30.0}, meta or {"lat": 23.14, "lon": 113.26})


def test_guangzhou_bounds_come_from_its_districts_with_the_margin() -> None:
    lon0, lat0, lon1, lat1 = RULES.bounds or (0, 0, 0, 0)
    # Guangzhou's districts span about 112.95-114.05 E, 22.56-23.94 N; the margin is 0.5°
    assert 112.3 < lon0 < 112.6 and 114.4 < lon1 < 114.7 and 21.9 < lat0 < 22.2 and 24.3 < lat1 < 24.6


@pytest.mark.parametrize(("meta", "reason"), [
    ({"lat": 95.0, "lon": 113.0}, "meta.lat: 95 outside [-90, 90]"),
    ({"lat": 23.0, "lon": 200.0}, "meta.lon: 200 outside [-180, 180]"),
    ({"lat": float("nan"), "lon": 113.0}, "meta.lat: expected a finite number"),
    ({"lat": 23.0}, "meta.lat and meta.lon must be given together"),
    ({"lat": 23.1, "lon": 113.2, "line": [[113.2, 23.1], [213.2, 23.1]]}, "meta.line[1][0]: 213.2 outside"),
])  # fmt: skip
def test_a_position_outside_wgs84_rejects_the_record_naming_the_field(meta: dict, reason: str) -> None:
    batch = process([air("bad", meta=meta), air("good")], RULES)
    assert [rd.entity_id for rd, _ in batch.items] == ["good"]
    assert [(r.index, r.kind) for r in batch.rejected] == [(0, "record")]
    assert batch.rejected[0].reason.startswith(reason)


def test_a_point_far_outside_the_city_is_kept_and_flagged() -> None:
    beijing = air("beijing", meta={"lat": 39.9, "lon": 116.4})
    batch = process([beijing, air("ok")], RULES)
    assert [rd.entity_id for rd, _ in batch.items] == ["beijing", "ok"]
    (flag,) = batch.rejected
    assert (flag.index, flag.kind) == (0, "flag") and "far outside the city's bounds" in flag.reason
    assert "swapped" not in flag.reason
    # where both orders are valid degrees (a city at 10-11 E, 50-51 N), a swapped pair is flagged with the hint
    rules = Rules(bounds=(9.5, 49.5, 11.5, 51.5))
    swapped = process([air("s", meta={"lat": 10.5, "lon": 50.5})], rules)
    assert swapped.items and "lat/lon swapped?" in swapped.rejected[0].reason


def test_a_swapped_pair_that_is_not_degrees_says_so() -> None:
    # Guangzhou with lat and lon swapped: lat 113.26 is no latitude at all -> rejected, with the likely cause
    batch = process([air("x", meta={"lat": 113.26, "lon": 23.14})], RULES)
    assert not batch.items and batch.refused[0].reason.startswith("meta.lat: 113.26 outside [-90, 90]")
    assert "lat/lon swapped?" in batch.refused[0].reason


def test_an_implausible_value_is_dropped_and_the_rest_kept() -> None:
    # the FIWARE AirQualityObserved example's CO of 500 mg/m³ (a unit mix-up) must not become AQI 500
    all_six = {"so2_1h": 5.0, "no2_1h": 30.0, "co_1h": 500.0, "o3_1h": 60.0, "pm10_1h": 40.0, "pm25_1h": 20.0}
    batch = process([air("x", **all_six)], RULES)
    (reading, derived), = batch.items
    assert "co_1h" not in reading.values and reading.values["no2_1h"] == 30.0
    # the dropped CO is a monitored pollutant missing this hour (HJ 633-2026 §5.3.1): the AQI (40 from PM10) is <= 100,
    # so it is withheld, never 500
    assert derived["aqi"] is None and derived["missing"] == ["co"] and derived["iaqi"]["pm10_1h"] == 40
    (rej,) = batch.rejected
    assert rej.kind == "value" and rej.reason.startswith("values.co_1h: 500 mg/m³ outside the plausible range [0, 100]")
    nothing_left = process([air("y", co_1h=500.0)], RULES)
    assert not nothing_left.items and nothing_left.refused[0].reason == "no plausible values left"


def test_non_finite_values_are_dropped() -> None:
    batch = process([Reading("traffic", "t", NOW, {"speed_kmh": float("inf"), "free_flow_kmh": 60.0}, {})], RULES)
    assert batch.rejected[0].reason == "values.speed_kmh: not a finite number"


def test_plausibility_is_overridable_per_city(tmp_path: Path) -> None:
    table = plausibility({"plausibility": {"air": {"pm10_1h": [0, 12000], "co_1h": None}}})
    assert table["air"]["pm10_1h"] == (0.0, 12000.0) and "co_1h" not in table["air"]
    assert table["air"]["pm25_1h"] == (0.0, 3000.0)  # the shipped default stays
    for bad, where in (({"air": {"pm99": [0, 1]}}, "plausibility.air.pm99"), ({"air": {"co_1h": [5, 1]}},
                                                                              "plausibility.air.co_1h"),
                       ({"sky": {}}, "plausibility.sky")):
        with pytest.raises(ValueError, match=where.replace(".", r"\.")):
            plausibility({"plausibility": bad})


@pytest.mark.parametrize(("field", "value", "fix"), [
    ("aqi_realtime_rule", "guess", "aqi_realtime_rule"), ("bounds", [1, 2, 3], "bounds"),
    ("air_monitors", {"default": ["pm2.5"]}, "air_monitors.default"),
    ("air_monitors", {"sometimes": []}, "air_monitors.sometimes"),
])  # fmt: skip
def test_profile_mistakes_name_the_field(field: str, value: object, fix: str) -> None:
    with pytest.raises(ValueError, match=fix):
        rules_for({**GZ, field: value})


def test_an_unknown_case_status_is_kept_open_and_flagged() -> None:
    case = Reading("service", "c1", NOW, {"status": "open", "status_raw": "triaged"}, {"status_unknown": True})
    batch = process([case], RULES)
    assert batch.items[0][1]["status"] == "open"
    assert batch.rejected[0].kind == "flag" and "'triaged' is not in the status table" in batch.rejected[0].reason


def test_monitored_pollutants_are_learnt_and_age_out() -> None:
    # HJ 633-2026 §5.3: CO reported yesterday -> monitored; missing now -> §5.3.1 (AQI <= 100 not published)
    rules = Rules(aqi_standard="HJ633-2026")
    learnt = {"S1": {"co": [NOW - 3 * DAY, NOW - DAY], "pm25": [NOW - 3 * DAY, NOW - DAY]}}
    batch = process([air("S1", pm25_1h=20.0)], rules, learnt)
    d = batch.items[0][1]
    assert d["aqi"] is None and d["missing"] == ["co"] and d["monitored"] == ["co", "pm25"]
    # pm25's last report moves to now; co's stays
    assert batch.monitored == {"S1": {"co": [NOW - 3 * DAY, NOW - DAY], "pm25": [NOW - 3 * DAY, NOW]}}
    # CO last seen 8 days ago: no longer monitored (default learning window 7 days)
    old = process([air("S1", pm25_1h=20.0)], rules, {"S1": {"co": [NOW - 9 * DAY, NOW - 8 * DAY]}})
    assert old.items[0][1]["aqi"] == 29 and old.items[0][1]["missing"] == []


def test_a_backfilled_reading_is_judged_by_what_was_monitored_then() -> None:
    # the station got its CO analyser 2 days ago: a reading from 5 days ago without CO is not "CO missing"
    rules = Rules(aqi_standard="HJ633-2026")
    learnt = {"S1": {"co": [NOW - 2 * DAY, NOW], "pm25": [NOW - 30 * DAY, NOW]}}
    batch = process([air("S1", ts=NOW - 5 * DAY, pm25_1h=20.0)], rules, learnt)
    assert batch.items[0][1]["aqi"] == 29 and batch.items[0][1]["missing"] == []
    assert batch.monitored == {}  # pm25's span already covers that time


def test_only_the_reports_own_periods_teach_what_is_monitored() -> None:
    # a feed sending PM only as 24-h means is not "PM monitored, 1-h missing" every hour (§1.3: the real-time report
    # reads 1-h values)
    rules = Rules(aqi_standard="HJ633-2026")
    batch = process([air("S1", pm25_24h=40.0, no2_1h=20.0)], rules)
    assert batch.monitored == {"S1": {"no2": [NOW, NOW]}} and batch.items[0][1]["aqi"] == 10


def test_declared_monitors_win_over_what_was_learnt() -> None:
    rules = Rules(aqi_standard="HJ633-2026", monitors={"S1": frozenset({"pm25"})},
                  monitors_default=frozenset({"so2", "no2", "co", "o3", "pm10", "pm25"}))
    by_station = process([air("S1", pm25_1h=20.0)], rules, {"S1": {"co": [NOW, NOW]}})
    assert by_station.items[0][1]["aqi"] == 29
    by_source = process([air("S2", meta={"monitors": ["pm25", "o3"]}, pm25_1h=20.0)], rules)
    assert by_source.items[0][1]["aqi"] is None and by_source.items[0][1]["missing"] == ["o3"]
    by_default = process([air("S3", pm25_1h=20.0)], rules)
    assert by_default.items[0][1]["missing"] == ["so2", "no2", "co", "o3", "pm10"]
    assert by_station.monitored == by_source.monitored == by_default.monitored == {}  # declared: nothing to learn


def test_a_replayed_reading_is_judged_by_its_own_date() -> None:
    # standards.md §1: HJ 633-2012 before 2026-03-01. PM2.5 70 -> 94 under 2012, 110 under 2026
    hist = 1_483_228_800_000  # 2017-01-01T00:00Z, re-stamped to NOW by the replay
    batch = process([Reading("air", "1001A", NOW, {"pm25_1h": 70.0}, {"hist_ts": hist, "replay": True})], RULES)
    assert (batch.items[0][1]["aqi"], batch.items[0][1]["standard"]) == (94, "HJ633-2012")


def test_water_without_black_odorous_items_keeps_its_class() -> None:
    # GB 3838-2002 (standards.md §3): CODMn 5 -> III, TP 0.15 -> III; no transparency, DO, ORP or NH3-N (the 2015
    # guideline's indicators): the black-odorous grade is unknown, never a rejected reading
    rd = Reading("water", "w1", NOW, {"codmn": 5.0, "tp": 0.15, "ph": 7.4}, {"waterbody": "river"})
    batch = process([rd], RULES)
    assert not batch.rejected
    assert batch.items[0][1]["klass"] == "III" and batch.items[0][1]["black_odorous"] is None


def test_one_reading_that_cannot_be_derived_costs_only_itself() -> None:
    # an unknown road class makes the traffic indicators raise: that one record is rejected with the reason
    bad = Reading("traffic", "t1", NOW, {"speed_kmh": 30.0}, {"road_class": "motorway"})
    batch = process([bad, air("ok")], RULES)
    assert [rd.entity_id for rd, _ in batch.items] == ["ok"]
    assert batch.refused[0].reason.startswith("cannot derive indicators") and json.loads(batch.refused[0].raw)


def test_a_withheld_hour_stays_withheld_in_replay() -> None:
    # history keeps AQI None for a §5.3.1 hour (the sample has no aqi): replay must not recompute it as 29
    from views.replay import doc_of

    withheld = doc_of("air", "S1", {"t": NOW, "m": NOW, "pm25_1h": 20.0}, {})
    assert withheld["d"]["aqi"] is None and withheld["d"]["level"] is None
    published = doc_of("air", "S1", {"t": NOW, "m": NOW, "aqi": 29, "level": 1, "pm25_1h": 20.0}, {})
    assert published["d"]["aqi"] == 29
