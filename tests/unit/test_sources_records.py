"""Pushed-record validation (data_sources/pipeline/records.py): what is accepted; every refusal names its field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.metrics import META, METRICS
from data_sources.pipeline.records import Invalid, to_reading

NOW = 1_795_285_200_000  # 2026-11-21T18:20:00Z
README = Path(__file__).resolve().parents[2] / "README.md"


def rec(**kw: Any) -> dict[str, Any]:
    return {"entity_id": "1345A", "ts": NOW, "values": {"pm25_1h": 35}, **kw}


@pytest.mark.parametrize(("ts", "ms"), [
    (NOW, NOW), (float(NOW), NOW), ("2026-11-21T18:20:00Z", NOW), ("2026-11-22T02:20:00+08:00", NOW),
    ("2026-11-21T18:20:00.000+00:00", NOW), ("2026-11-21T18:20:00z", NOW),
])  # fmt: skip
def test_timestamps_accepted(ts: Any, ms: int) -> None:
    assert to_reading("air", rec(ts=ts), NOW).ts == ms


@pytest.mark.parametrize(("patch", "reason"), [
    ({"ts": "2026-11-21T18:20:00"}, "ts: datetime has no UTC offset"),
    ({"ts": "2026-11-21"}, "ts: datetime has no UTC offset"),
    ({"ts": 1_795_285_200}, "ts: before 2000-01-01 (epoch milliseconds expected, not seconds)"),
    ({"ts": NOW + 3 * 3_600_000}, "ts: more than 1 h in the future"),
    ({"ts": NOW + 0.5}, "ts: epoch milliseconds must be an integer"),
    ({"ts": True}, "ts: expected a number"),
    ({"ts": "yesterday"}, "ts: not ISO 8601"),
    ({"ts": None}, "ts: expected a number"),
    ({"entity_id": ""}, "entity_id: required"),
    ({"entity_id": 7}, "entity_id: required"),
    ({"entity_id": "x" * 129}, "entity_id: at most 128"),
    ({"entity_id": "a\nb"}, "entity_id: at most 128 printable"),
    ({"values": {}}, "values: no values"),
    ({"values": [1]}, "values: expected an object"),
    ({"values": {"pm25": 3}}, "values.pm25: unknown key for feed air"),
    ({"values": {"pm25_1h": "35"}}, "values.pm25_1h: expected a number"),
    ({"values": {"pm25_1h": float("nan")}}, "values.pm25_1h: number must be finite"),
    ({"values": {"pm25_1h": float("inf")}}, "values.pm25_1h: number must be finite"),
    ({"values": {"pm25_1h": -1}}, "values.pm25_1h: -1 outside [0, 50000] µg/m³"),
    ({"values": {"pm25_1h": True}}, "values.pm25_1h: expected a number"),
    ({"values": {"pm25_1h": 10**400}}, "values.pm25_1h: number out of range"),
    ({"lat": 23.1}, "lat and lon must be given together"),
    ({"lat": 123.0, "lon": 113.0}, "lat: 123 outside [-90, 90]"),
    ({"lat": 23.0, "lon": 200.0}, "lon: 200 outside [-180, 180]"),
    ({"lat": "23", "lon": 113.0}, "lat: expected a number"),
    ({"meta": {"colour": "red"}}, "meta.colour: unknown key"),
    ({"meta": {"road_class": "motorway"}}, "meta.road_class: must be one of expressway"),
    ({"note": 1}, "unknown field 'note'"),
])  # fmt: skip
def test_refusals_name_the_field(patch: dict[str, Any], reason: str) -> None:
    with pytest.raises(Invalid) as exc:
        to_reading("air", rec(**patch), NOW)
    assert str(exc.value).startswith(reason)


def test_record_that_is_not_an_object() -> None:
    for junk in (None, 3, "x", [rec()]):
        with pytest.raises(Invalid, match="not a JSON object"):
            to_reading("air", junk, NOW)


def test_position_and_meta_land_in_meta() -> None:
    rd = to_reading("traffic", {"entity_id": "s", "ts": NOW, "values": {"speed_kmh": 12, "closure": False},
                                "lat": 23.1, "lon": 113.3, "meta": {"road_class": "local", "length_m": 120}}, NOW)
    assert rd.meta == {"road_class": "local", "length_m": 120, "lat": 23.1, "lon": 113.3}
    assert rd.values == {"speed_kmh": 12, "closure": False}


def test_service_cases() -> None:
    values = {"service_request_id": 638344, "status": "closed", "service_code": "006", "description": None,
              "requested_datetime": "2010-04-14T06:37:38-08:00", "lat": "37.76", "long": -122.46}
    rd = to_reading("service", {"entity_id": "638344", "ts": NOW, "values": values}, NOW)
    assert rd.values["service_request_id"] == "638344" and "description" not in rd.values
    assert rd.meta == {"lat": 37.76, "lon": -122.46}
    bad = [({**values, "service_request_id": "1"}, "values.service_request_id: must equal entity_id"),
           ({k: v for k, v in values.items() if k != "status"}, "values.status: required"),
           ({**values, "status": ["open"]}, "values.status: expected a string"),
           ({**values, "expected_datetime": "2010-04-22 06:37"}, "values.expected_datetime: datetime has no UTC"),
           ({**values, "service_code": {"a": 1}}, "values.service_code: expected a string")]
    for v, reason in bad:
        with pytest.raises(Invalid, match=re.escape(reason)):
            to_reading("service", {"entity_id": "638344", "ts": NOW, "values": v}, NOW)


def test_furniture_status() -> None:
    assert to_reading("furniture", {"entity_id": "F000001", "ts": NOW, "values": {"status": "missing"}},
                      NOW).values == {"status": "missing"}
    with pytest.raises(Invalid, match="normal, damaged, missing"):
        to_reading("furniture", {"entity_id": "F000001", "ts": NOW, "values": {"status": "broken"}}, NOW)


def test_readme_lists_every_value_and_meta_key() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Ingest API"):]
    section = section[:section.index("\n## ", 5)]
    missing = [k for table in (*METRICS.values(), META) for k in table if f"`{k}`" not in section]
    assert not missing, f"README Ingest API section lacks {missing}"
