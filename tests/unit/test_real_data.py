"""Real data nobody here wrote, through the pipeline (not only the maths): China's published real-time station AQI,
the FIWARE Smart Data Models' own examples, real Open311 responses and OpenAQ v3 responses (tests/fixtures/real/)."""

from __future__ import annotations

from collections import Counter

import pytest

from data_sources.pipeline import Rules, plausibility, process
from data_sources.providers import ngsi_ld
from data_sources.providers.open311 import Open311
from data_sources.providers.openaq import OpenAQ, _station
from tests.fixtures import real_data

PUBLISHED = [row for row in real_data.cnemc_rows() if row["aqi"].strip()]
# the defaults: standard by observation date, the published real-time rule, the shipped plausibility table, no city
RULES = Rules(plausible=plausibility({}))


def test_the_fixture_spans_years_and_every_level() -> None:
    years = {row["date"][:4] for row in PUBLISHED}
    levels = Counter(next(i for i, hi in enumerate((50, 100, 150, 200, 300, 500), 1) if int(row["aqi"]) <= hi)
                     for row in PUBLISHED)
    assert len(PUBLISHED) >= 1_500 and {"2017", "2018", "2019", "2022"} <= years and set(levels) == {1, 2, 3, 4, 5, 6}


def test_published_realtime_aqi_is_reproduced_through_the_pipeline() -> None:
    # standards.md §1.3: the national platform's real-time station AQI (HJ 633-2012, 2017-2022) is the max IAQI of
    # the 1-h SO2, NO2, CO, O3 and the 1-h PM on the 24-h PM columns, no O3-8h term. Every published station-hour
    # (AQI, level, primary pollutants where published) must come out of the pipeline exactly.
    readings = [real_data.cnemc_reading(row, f"{row['station']}@{row['date']}T{row['hour']}") for row in PUBLISHED]
    batch = process(readings, RULES)
    assert not batch.refused
    wrong = []
    for row, (_, d) in zip(PUBLISHED, batch.items, strict=True):
        primary = real_data.cnemc_primary(row)
        got = (d["aqi"], d["category_zh"] if row["level"] else None,
               sorted(d["primary"]) if primary is not None else None)
        want = (int(row["aqi"]), row["level"] or None, primary)
        if got != want or d["standard"] != "HJ633-2012":
            wrong.append((row["source_file"], row["date"], row["hour"], row["station"], want, got))
    assert not wrong, f"{len(wrong)} of {len(PUBLISHED)} station-hours differ, first: {wrong[:3]}"


def test_the_2012_text_rule_does_not_reproduce_what_was_published() -> None:
    # the old pipeline (PM from the 24-h means) matched about 1 in 5 published hours: the rule stays by name only
    readings = [real_data.cnemc_reading(row, f"{row['station']}@{row['date']}T{row['hour']}") for row in PUBLISHED]
    batch = process(readings, Rules(aqi_rule="text-2012"))
    same = sum(d["aqi"] == int(row["aqi"]) for row, (_, d) in zip(PUBLISHED, batch.items, strict=True))
    assert same < len(PUBLISHED) * 0.5


FIWARE = list(real_data.fiware_entities())


@pytest.mark.parametrize(("name", "entity"), FIWARE, ids=[name for name, _ in FIWARE])
def test_every_fiware_example_is_accepted(name: str, entity: dict) -> None:
    reading = ngsi_ld.to_reading(entity)
    batch = process([reading], RULES)
    assert len(batch.items) == 1 and not batch.refused
    stored, derived = batch.items[0]
    assert -90 <= stored.meta["lat"] <= 90 and -180 <= stored.meta["lon"] <= 180
    if reading.feed == "water":
        # GB 3838-2002 (standards.md §3): the examples' TP 0.6 mg/L is worse than river V (0.4) -> 劣V; the
        # GeoJSON example carries only pH (6-9 -> I); no black-odorous indicator anywhere: grade unknown
        assert derived["klass"] == ("I" if set(stored.values) <= {"ph", "temp_c", "conductivity_us_cm"} else "劣V")
        assert derived["black_odorous"] is None
    if reading.feed == "air":
        # the normalized examples' CO 500 with unitCode GP (mg/m³) is a unit mix-up: dropped, never AQI 500
        assert derived["aqi"] is not None and derived["aqi"] <= 50
        assert all(r.kind == "value" and r.reason.startswith("values.co_1h: 500") for r in batch.rejected)
    if reading.feed == "traffic":
        assert stored.ts == 1_481_109_300_000  # dateObservedTo 2016-12-07T11:15:00Z: an interval is stamped at its end


def test_real_open311_requests_are_kept_whatever_their_status() -> None:
    src = Open311(base_url="http://x")
    kept: list[str] = []
    refused: list[str] = []
    statuses: Counter[str] = Counter()
    for name, row in real_data.open311_requests():
        try:
            rd = src.to_reading(row)
        except ValueError as exc:
            refused.append(f"{name}: {exc}")
            continue
        batch = process([rd], RULES)
        assert batch.items, batch.rejected
        kept.append(name)
        statuses[rd.values.get("status_raw") or rd.values["status"]] += 1
    assert refused == []
    # mySociety's adapter test request at lat 100 / long 100 (not WGS-84): kept, its position rejected, field named
    assert [r.reason for r in src.take_rejected()] == [
        "2003: lat: 100 outside [-90, 90] (WGS-84 degrees); case kept without a position"]
    assert len(kept) >= 60 and statuses["investigating"] >= 1 and statuses["closed"] >= 40


def test_real_openaq_locations_join_their_latest_values() -> None:
    # openaq-r's recording of api.openaq.org/v3/locations/1 and its /latest: one PM2.5 sensor at a PM-only station
    src = OpenAQ(bbox=[-180, -90, 180, 90], api_key=None)
    station = _station(real_data.openaq("r_v3_locations_1.json")["results"][0])
    assert station is not None and station.monitors == ["pm25"]
    reading, unknown = src.to_reading(station, real_data.openaq("r_v3_locations_1_latest.json")["results"])
    assert reading is not None and not unknown and reading.values == {"pm25_1h": 8.15}
    d = process([reading], RULES).items[0][1]
    assert d["aqi"] == 12 and d["missing"] == [] and d["standard"] == "HJ633-2012"  # 2025-07-09: before 2026-03-01
    # a location whose coordinates are not WGS-84 (parameters/2/latest lists location 5 at longitude 185.2)
    bad = _station({"id": 5, "name": "x", "coordinates": {"latitude": -16.5, "longitude": 185.199922}, "sensors": []})
    assert bad is not None and bad.position_error == "coordinates.longitude: 185.2 outside [-180, 180] (WGS-84 degrees)"
