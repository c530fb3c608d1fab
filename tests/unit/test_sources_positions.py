"""Every path rejects a position outside WGS-84 with the field named (ingest and NGSI are in the pipeline and
integration tests); CSV replay keeps the observation time for judging; Open311 statuses go through the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import case_status
from data_sources.pipeline import Rules, process
from data_sources.providers.amap import AMapTraffic
from data_sources.providers.csv_replay import CsvReplay
from data_sources.providers.http import SourcePayloadError
from data_sources.providers.open311 import Open311
from data_sources.providers.tomtom import TomTom

FIX = Path(__file__).resolve().parent.parent / "fixtures"
NOW = 1_800_000_000_000  # injected clock


def test_tomtom_line_outside_wgs84_names_the_field() -> None:
    data = json.loads((FIX / "tomtom_flow.json").read_text())
    data["flowSegmentData"]["coordinates"]["coordinate"][1]["latitude"] = 123.1
    src = TomTom(points=[{"id": "p", "lat": 23.1, "lon": 113.3}], api_key=None)
    with pytest.raises(SourcePayloadError, match=r"coordinates\.coordinate\[1\]\.latitude: 123\.1 outside"):
        src.to_reading({"id": "p", "lat": 23.1, "lon": 113.3}, data, NOW)


def test_amap_polyline_outside_wgs84_names_the_point() -> None:
    from data_sources.providers.amap import polyline_error

    assert polyline_error("113.330110,23.134060;313.325200,23.134200") == (
        "polyline[1] longitude: 313.325 outside [-180, 180] (WGS-84 degrees)")
    assert polyline_error("113.330110,23.134060;113.325200,23.134200") is None


def test_amap_polyline_outside_wgs84_is_rejected_by_the_pipeline() -> None:
    road = json.loads((FIX / "amap_rectangle.json").read_text())["trafficinfo"]["roads"][0]
    road = {**road, "polyline": "113.330110,23.134060;313.325200,23.134200"}  # GCJ-02 outside China passes unchanged
    rd = AMapTraffic(rectangles=[[113.315, 23.12, 113.335, 23.14]], key=None).to_reading(road, {"bbox": []}, NOW)
    assert rd is not None
    batch = process([rd], Rules())
    assert not batch.items and batch.refused[0].reason.startswith("meta.")


def test_csv_replay_rejects_bad_rows_with_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "air.csv"
    path.write_text("entity_id,ts,pm25_1h,lat,lon\n"
                    "A,2017-01-01T08:00:00+08:00,417,39.9,116.4\n"
                    "B,2017-01-01T08:00:00+08:00,30,95.0,116.4\n"
                    "C,yesterday,30,39.9,116.4\n"
                    "D,2017-01-01T08:00:00+08:00,lots,39.9,116.4\n", encoding="utf-8")
    src = CsvReplay(path=path, feed="air", speed=1e9)
    readings = src.poll(NOW)
    assert [rd.entity_id for rd in readings] == ["A"]
    reasons = [r.reason for r in src.take_rejected()]
    assert reasons[0] == "air.csv line 3: lat: 95 outside [-90, 90] (WGS-84 degrees)"
    assert reasons[1].startswith("air.csv line 4: ts: bad time")
    assert reasons[2].startswith("air.csv line 5: column pm25_1h") and reasons[3] == "air.csv line 5: no usable value"


def test_csv_replay_is_judged_by_the_observation_time_and_shows_it(tmp_path: Path) -> None:
    # standards.md §1: a 2017 row is HJ 633-2012 whatever time the replay puts on it: PM2.5 70 -> 94 (2012), not 110
    path = tmp_path / "air.csv"
    path.write_text("entity_id,ts,pm25_1h\n1003A,2017-01-01T00:00:00+08:00,70\n", encoding="utf-8")
    rd = CsvReplay(path=path, feed="air", speed=60).poll(NOW)[0]
    assert rd.ts == NOW and rd.meta["hist_ts"] == 1_483_200_000_000
    d = process([rd], Rules()).items[0][1]
    assert (d["aqi"], d["standard"]) == (94, "HJ633-2012")


@pytest.mark.parametrize(("status", "mapped", "known"), [
    ("open", "open", True), ("CLOSED", "closed", True), ("In Progress", "open", True), ("in-progress", "open", True),
    ("acknowledged", "open", True), ("action_scheduled", "open", True), ("investigating", "open", True),
    ("fixed - council", "closed", True), ("unable_to_fix", "closed", True), ("duplicate", "closed", True),
    ("受理", "open", True), ("办理中", "open", True), ("已办结", "closed", True), ("triaged", "open", False),
    ("", "open", False), (None, "open", False),
])  # fmt: skip
def test_case_status_table(status: object, mapped: str, known: bool) -> None:
    assert case_status.classify(status) == (mapped, known)


def test_open311_status_map_overrides_and_unknown_is_flagged() -> None:
    src = Open311(base_url="http://x", status_map={"triaged": "open", "Archived Forever": "closed"})
    row = {"service_request_id": "1", "requested_datetime": "2026-11-21T09:15:00+08:00"}
    assert src.to_reading({**row, "status": "archived forever"}).values["status"] == "closed"
    assert "status_unknown" not in src.to_reading({**row, "status": "triaged"}).meta
    odd = src.to_reading({**row, "status": "with the mayor"})
    assert (odd.values["status"], odd.values["status_raw"], odd.meta["status_unknown"]) == ("open", "with the mayor",
                                                                                              True)
    with pytest.raises(ValueError, match="status_map.x: must map to open or closed"):
        Open311(base_url="http://x", status_map={"x": "maybe"})


def test_a_replayed_readings_popup_shows_when_it_was_observed(tmp_path: Path) -> None:
    from views.entity import details

    path = tmp_path / "air.csv"
    path.write_text("entity_id,ts,pm25_1h\n1003A,2017-01-01T00:00:00+08:00,70\n", encoding="utf-8")
    rd = CsvReplay(path=path, feed="air", speed=60).poll(NOW)[0]
    d = process([rd], Rules()).items[0][1]
    doc = {"id": rd.entity_id, "ts": rd.ts, "v": rd.values, "m": rd.meta, "d": d}
    rows = dict(details("air", doc, "en", NOW, "Asia/Shanghai", {})["rows"])
    assert rows["Observed"] == "2017-01-01 00:00 (replay)" and rows["Standard"] == "HJ633-2012"
    assert rows["AQI"] == "94 Good"
    zh = dict(details("air", doc, "zh", NOW, "Asia/Shanghai", {})["rows"])
    assert zh["观测时间"] == "2017-01-01 00:00（回放）"
