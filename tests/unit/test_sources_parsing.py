"""Pure parsing of the real sources: NGSI-LD mapping, unit conversion, CSV replay, the city-profile registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from core.readings import Reading
from data_sources.providers import ngsi_ld
from data_sources.providers.csv_replay import CsvReplay, SourceFileError
from data_sources.providers.units import UnitError, to_standard
from data_sources.registry import WithoutFeeds, build, without_feeds

FIX = Path(__file__).resolve().parent.parent / "fixtures"
T18 = 1_795_284_000_000  # 2026-11-21T18:00:00Z


def entity(name: str) -> dict:
    return json.loads((FIX / name).read_text(encoding="utf-8"))[0]


@pytest.mark.parametrize(("poll", "value", "unit", "expected"), [
    ("no2", 100, "ppb", 188.0), ("so2", 10, "ppb", 26.19), ("o3", 0.05, "ppm", 98.1), ("o3", 30, "61", 58.86),
    ("co", 1, "ppm", 1.145), ("co", 800, "GQ", 0.8), ("co", 1.2, "GP", 1.2), ("co", 500, "ppb", 0.573),
    ("pm25", 35, "µg/m³", 35.0), ("pm25", 35, "μg/m³", 35.0), ("pm10", 0.07, "mg/m³", 70.0), ("no2", 40, None, 40.0),
])  # fmt: skip
def test_units_convert_at_25_c(poll: str, value: float, unit: str | None, expected: float) -> None:
    assert to_standard(poll, value, unit) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("poll", "value", "unit"), [("pm25", 10, "ppb"), ("no2", -999, "ppb"),
                                                     ("no2", 1, "furlongs"), ("co", float("nan"), "ppm")])
def test_units_refuse_what_cannot_be_converted(poll: str, value: float, unit: str) -> None:
    with pytest.raises(UnitError):
        to_standard(poll, value, unit)


def test_ngsi_air_normalized() -> None:
    rd = ngsi_ld.to_reading(entity("ngsi_air_normalized.json"))
    assert rd.feed == "air" and rd.entity_id.startswith("urn:ngsi-ld:AirQualityObserved:")
    assert rd.ts == T18  # interval "17:00Z/18:00Z": the end counts
    assert rd.values == {"co_1h": 0.8, "no2_1h": 69.0, "so2_1h": 11.0, "o3_1h": 58.86, "pm25_1h": 45.0,
                         "pm10_1h": 70.0}  # CO µg/m³ -> mg/m³, O3 ppb -> µg/m³; CO_Level ignored
    assert rd.meta["lat"] == 23.1422 and rd.meta["lon"] == 113.259 and rd.meta["name"] == "广雅中学"


def test_ngsi_air_keyvalues_units_from_measurand() -> None:
    rd = ngsi_ld.to_reading(entity("ngsi_air_keyvalues.json"))
    assert rd.values == {"no2_1h": 8.0, "o3_1h": 115.0, "co_1h": 1.2} and rd.ts == T18


def test_ngsi_water_datetime_object_and_mapping() -> None:
    rd = ngsi_ld.to_reading(entity("ngsi_water_normalized.json"))
    assert rd.feed == "water" and rd.ts == T18
    assert rd.values == {"do": 4.2, "nh3n": 1.3, "tp": 0.18, "cod": 22.0, "bod5": 4.5, "orp_mv": 120.0, "ph": 7.4,
                         "temp_c": 24.4, "conductivity_us_cm": 50.0}
    assert "codmn" not in rd.values  # the model has no CODMn attribute


def test_ngsi_traffic_interval_and_line() -> None:
    rd = ngsi_ld.to_reading(entity("ngsi_traffic_normalized.json"))
    assert rd.feed == "traffic" and rd.ts == T18
    assert rd.values == {"speed_kmh": 17.5, "intensity": 197.0, "occupancy": 0.76, "congested": True}
    assert rd.meta["road_segment"] == "urn:ngsi-ld:RoadSegment:Tianhe-Rd-1" and rd.meta["lane"] == 1
    assert rd.meta["lon"] == 113.3252 and 900 < rd.meta["length_m"] < 1100


def test_ngsi_expanded_names_and_multi_attributes() -> None:
    e = {"id": "urn:ngsi-ld:WaterQualityObserved:X", "type": "https://smartdatamodels.org/dataModel.Environment/"
         "WaterQualityObserved", "https://smartdatamodels.org/dataModel.Environment/O2": [
             {"type": "Property", "value": 5.0, "datasetId": "urn:probe:2"}, {"type": "Property", "value": 6.0}],
         "https://uri.etsi.org/ngsi-ld/dateObserved": {"@type": "DateTime", "@value": "2026-11-21T18:00:00Z"}}
    rd = ngsi_ld.to_reading(e)
    assert rd.values == {"do": 6.0} and rd.ts == T18


@pytest.mark.parametrize(("patch", "reason"), [
    ({"type": "Building"}, "not supported"),
    ({"dateObserved": None}, "dateObserved"),
    ({"dateObserved": {"type": "Property", "value": "yesterday"}}, "ISO 8601"),
    ({"NO2": {"type": "Property", "value": "high", "unitCode": "GQ"}}, "not a number"),
    ({"NO2": {"type": "Property", "value": 5, "unitCode": "XYZ"}}, "unknown unit"),
    ({"id": ""}, "id"),
    ({"id": "\x00epoch"}, "printable"),  # a control character: never an id (the store names its own with \0)
])
def test_ngsi_rejections_say_why(patch: dict, reason: str) -> None:
    e = {**entity("ngsi_air_normalized.json"), **patch}
    e = {k: v for k, v in e.items() if v is not None}
    with pytest.raises(ngsi_ld.NgsiError, match=reason):
        ngsi_ld.to_reading(e)


def test_csv_replay_compresses_time_and_skips_bad_cells(tmp_path: Path) -> None:
    src = CsvReplay(path=FIX / "replay_air.csv", feed="air", speed=3600.0)  # one historical hour per real second
    t0 = 1_800_000_000_000
    first = src.poll(t0)
    assert [(rd.entity_id, rd.ts) for rd in first] == [("1345A", t0), ("1346A", t0)]
    assert first[0].values == {"pm25_1h": 35.0, "no2_1h": 40.0, "co_1h": 0.8} and first[0].meta["lat"] == 23.1422
    second = src.poll(t0 + 1000)
    assert [(rd.entity_id, rd.ts) for rd in second] == [("1345A", t0 + 1000), ("1346A", t0 + 1000)]
    assert second[1].values == {"no2_1h": 45.0}  # empty and non-numeric cells dropped, not zeroed
    third = src.poll(t0 + 2500)
    assert [rd.values["pm25_1h"] for rd in third] == [80.0] and third[0].meta["hist_ts"] == 1_795_226_400_000
    again = src.poll(t0 + 2700)  # exhausted: loops from the start, later in real time
    assert [rd.ts for rd in again] == [t0 + 2700, t0 + 2700]
    once = CsvReplay(path=FIX / "replay_air.csv", feed="air", speed=3600.0, loop=False)
    once.poll(t0)
    assert len(once.poll(t0 + 10_000)) == 3 and once.poll(t0 + 20_000) == []


def test_csv_replay_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError):
        CsvReplay(path=tmp_path / "missing.csv", feed="air").poll(0)
    (tmp_path / "x.csv").write_text("entity_id,ts,colour\n1,2026-01-01T00:00:00Z,red\n")
    with pytest.raises(SourceFileError, match="at least one of"):
        CsvReplay(path=tmp_path / "x.csv", feed="air").poll(0)


S = Settings(redis_url=None, simulator=False, openaq_api_key="k")


@pytest.mark.parametrize(("feed", "spec", "match"), [
    ("weather", {"type": "openaq"}, "unknown feed"),
    ("air", {"type": "waqi"}, "unknown type"),
    ("water", {"type": "openaq", "bbox": [1, 2, 3, 4]}, "cannot feed water"),
    ("air", {"type": "openaq", "bbox": [1, 2, 3, 4], "api_key": "secret"}, "environment"),
    ("air", {"type": "openaq", "bogus": 1, "bbox": [1, 2, 3, 4]}, "bogus"),
    ("air", "openaq", "mapping"),
])
def test_registry_refuses_bad_profiles(feed: str, spec: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build(feed, spec, S)


def test_registry_builds_sources_and_push_feeds() -> None:
    src = build("air", {"type": "openaq", "bbox": [113.1, 22.9, 113.7, 23.5], "interval_s": 900}, S)
    assert src is not None and src.name == "openaq" and src.interval_s == 900 and src.feeds == ("air",)
    assert src.http.headers["X-API-Key"] == "k"
    assert build("water", {"type": "push"}, S) is None
    ngsi = build("water", {"type": "ngsi_ld", "base_url": "http://broker"}, S)
    assert ngsi is not None and ngsi.feeds == ("water",)


class Fake:
    name, feeds, interval_s = "sim", ("air", "traffic", "water"), 2.0

    def poll(self, now_ms: int) -> list[Reading]:
        return [Reading(f, "e", now_ms, {}) for f in self.feeds]


def test_simulator_leaves_taken_feeds_alone() -> None:
    [kept] = without_feeds([Fake()], {"air"})
    assert isinstance(kept, WithoutFeeds) and kept.feeds == ("traffic", "water")
    assert {rd.feed for rd in kept.poll(1)} == {"traffic", "water"}
    assert without_feeds([Fake()], {"air", "traffic", "water"}) == []
    assert isinstance(without_feeds([Fake()], {"service"})[0], Fake)


class Broken:
    name, feeds, interval_s = "broken", ("air",), 60.0
    last_latency_ms = 12.5

    def poll(self, now_ms: int) -> list[Reading]:
        return {}["missing"]  # a parser gap


class LatencyLog:
    def __init__(self) -> None:
        self.seen: list[tuple[tuple[str, ...], float]] = []

    def record_latency(self, feeds: tuple[str, ...], latency_ms: float) -> None:
        self.seen.append((feeds, latency_ms))


def test_monitored_turns_parser_gaps_into_a_typed_error_and_reports_latency() -> None:
    from data_sources.providers.http import SourcePayloadError
    from data_sources.registry import Monitored

    log = LatencyLog()
    mon = Monitored(Broken(), log)  # type: ignore[arg-type]
    with pytest.raises(SourcePayloadError, match="unexpected payload \\(KeyError"):
        mon.poll(0)
    assert log.seen == [(("air",), 12.5)]


def test_csv_replay_of_an_amap_export_is_stored_in_wgs84() -> None:
    # standards.md §7: a file exported from AMap is in GCJ-02 (datum: gcj02); the stored position is WGS-84
    from core import coords

    t0 = 1_800_000_000_000  # a replay restamps rows from the first poll: any moment will do
    plain = {rd.entity_id: rd for rd in CsvReplay(path=FIX / "replay_air.csv", feed="air", speed=3600.0).poll(t0)}
    gcj = {rd.entity_id: rd for rd in CsvReplay(path=FIX / "replay_air.csv", feed="air", speed=3600.0,
                                                 datum="gcj02").poll(t0)}
    a, b = plain["1345A"].meta, gcj["1345A"].meta
    assert (a["lat"], a["lon"]) == (23.1422, 113.259)
    fwd = coords.wgs84_to_gcj02(b["lon"], b["lat"])
    assert abs(fwd[0] - 113.259) < 1e-6 and abs(fwd[1] - 23.1422) < 1e-6 and abs(b["lon"] - 113.259) > 0.003
