"""Ingest derivation: config reaches the indicators, Open311 times parse, AQI standard switches by date."""

from __future__ import annotations

from pathlib import Path

from config.indicator_config import load_traffic_config
from core.derive import air_standard, derive, derive_traffic, parse_time_ms
from core.readings import Reading

ARTERIAL_25 = Reading("traffic", "seg-1", 0, {"speed_kmh": 25, "free_flow_kmh": 55}, {"road_class": "arterial"})


def test_traffic_thresholds_come_from_config(tmp_path: Path) -> None:
    # default arterial bounds 40/30/20/15 (standards.md §4): 25 km/h is level 3
    assert derive(ARTERIAL_25)["level"] == 3
    cfg_file = tmp_path / "indicators.yaml"
    cfg_file.write_text("traffic:\n  speed_thresholds_kmh:\n    arterial: [24, 20, 18, 16]\n")
    assert derive(ARTERIAL_25, traffic_cfg=load_traffic_config(cfg_file))["level"] == 1


def test_aqi_standard_switches_on_2026_03_01_shanghai() -> None:
    # HJ 633-2026 in force 2026-03-01 (standards.md §1): midnight Shanghai = 2026-02-28T16:00Z
    switch_ms = parse_time_ms("2026-02-28T16:00:00+00:00")
    assert air_standard("auto", switch_ms - 1) == "HJ633-2012"
    assert air_standard("auto", switch_ms) == "HJ633-2026"
    assert air_standard("EPA-2024", switch_ms) == "EPA-2024"


def test_open311_times_need_an_offset() -> None:
    assert parse_time_ms("2026-11-21T08:00:00+08:00") == parse_time_ms("2026-11-21T00:00:00Z")
    assert parse_time_ms("2026-11-21T08:00:00") is None  # no zone: refuse to guess
    assert parse_time_ms("not a date") is None


def test_late_closure_is_marked() -> None:
    values = {"status": "closed", "expected_datetime": "2026-11-21T08:00:00+08:00",
              "updated_datetime": "2026-11-21T09:00:00+08:00", "requested_datetime": "2026-11-21T07:00:00+08:00"}
    d = derive(Reading("service", "c1", 0, values, {}))
    assert d["status"] == "closed" and d["late"] is True and d["closed_ms"] > d["due_ms"]


def test_us_scale_converts_back_to_ppb() -> None:
    # EPA-454/B-24-002 (standards.md §2): PM2.5 35.9 µg/m³ -> 102
    values = {"pm25_1h": 35.9, "pm10_1h": 20, "so2_1h": 2.619, "no2_1h": 1.88, "o3_1h": 19.62, "co_1h": 0.2}
    d = derive(Reading("air", "a", 0, values, {}), aqi_setting="EPA-2024")
    assert d["aqi"] == 102 and d["standard"] == "EPA-2024"


def test_amap_status_gives_a_level_when_there_is_no_speed() -> None:
    # AMap trafficinfo status "1" smooth .. "3" congested (standards.md §4) -> levels 1 / 3 / 5; "0" unknown -> none
    for status, level in (("1", 1), ("2", 3), ("3", 5), ("0", None)):
        d = derive(Reading("traffic", "amap-1", 0, {"status_amap": status}, {}))
        assert d["level"] == level


def test_speed_ratio_is_speed_over_free_flow() -> None:
    # the share of free-flow speed a segment runs at: 15 km/h on a 60 km/h road is 0.25, never 4 (rules and the
    # wall's worst-segment order read it as "lower is worse")
    d = derive_traffic({"speed_kmh": 15, "free_flow_kmh": 60}, {"road_class": "arterial"})
    assert d["speed_ratio"] == 0.25
    assert derive_traffic({"speed_kmh": 15, "free_flow_kmh": 0}, {"road_class": "arterial"})["speed_ratio"] is None


def test_one_iso_reader_for_every_feed() -> None:
    # ISO 8601 with Z, z or an offset is read; without one it is read in the given zone, or refused as ambiguous
    from datetime import UTC, timedelta, timezone

    import pytest

    from core import times

    assert times.parse_iso("2026-05-01T00:00:00z") == times.parse_iso("2026-05-01T08:00:00+08:00")
    assert times.parse_iso("2026-05-01T08:00:00", timezone(timedelta(hours=8))).astimezone(UTC).hour == 0
    with pytest.raises(times.NoOffset):
        times.parse_iso("2026-05-01T08:00:00")
    with pytest.raises(ValueError):
        times.parse_iso("yesterday")
