"""Property tests: whatever a provider sends, the parsers answer with a Reading or their typed error, never a crash
(the runner thread and the notify endpoint must survive any payload)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from data_sources import ngsi_ld
from data_sources.amap import AMapTraffic
from data_sources.base import SourceError
from data_sources.open311 import Open311
from data_sources.openaq import OpenAQ, _station
from data_sources.tomtom import TomTom

FIX = Path(__file__).resolve().parent.parent / "fixtures"
leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=8))
anything = st.recursive(leaf, lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=6), ch,
                                                                                     max_size=3), max_leaves=12)


def mutations(doc: Any) -> st.SearchStrategy[Any]:
    """The document with any one of its nested values replaced by arbitrary JSON."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(doc, ())

    def put(path: tuple[Any, ...], value: Any) -> Any:
        copy = json.loads(json.dumps(doc))
        if not path:
            return value
        node = copy
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
        return copy

    return st.builds(put, st.sampled_from(paths), anything)


def fixture(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


NGSI = [e for name in ("ngsi_air_normalized.json", "ngsi_air_keyvalues.json", "ngsi_water_normalized.json",
                       "ngsi_traffic_normalized.json") for e in fixture(name)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NGSI).flatmap(mutations))
def test_ngsi_entities(entity: Any) -> None:
    try:
        ngsi_ld.to_reading(entity)
    except ngsi_ld.NgsiError as exc:  # (an Invalid: the notify endpoint and the poller both catch it)
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(fixture("openaq_locations_p1.json")["results"]).flatmap(mutations),
       st.just(fixture("openaq_latest_8118.json")["results"]).flatmap(mutations))
def test_openaq_station_and_latest(loc: Any, rows: Any) -> None:
    src = OpenAQ(bbox=[0, 0, 1, 1], api_key=None)
    station = _station(loc)
    if station is not None and isinstance(rows, list):
        src.to_reading(station, [r for r in rows if isinstance(r, dict)])


@settings(max_examples=200, deadline=None)
@given(st.just(fixture("tomtom_flow.json")).flatmap(mutations))
def test_tomtom_flow(data: Any) -> None:
    with contextlib.suppress(SourceError):
        TomTom(points=[{"id": "p", "lat": 23.1, "lon": 113.3}], api_key=None).to_reading(
            {"id": "p", "lat": 23.1, "lon": 113.3}, data, 0)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(fixture("amap_rectangle.json")["trafficinfo"]["roads"]).flatmap(mutations))
def test_amap_roads(road: Any) -> None:
    AMapTraffic(rectangles=[[113.315, 23.12, 113.335, 23.14]], key=None).to_reading(road, {"bbox": [0, 0, 0, 0]}, 0)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: st.one_of(anything, st.just("2026-11-21T09:15:00+08:00"))
                                           for k in ("service_request_id", "status", "requested_datetime",
                                                     "updated_datetime", "expected_datetime", "lat", "long",
                                                     "service_code", "description")}))
def test_open311_rows(row: dict[str, Any]) -> None:
    try:
        Open311(base_url="http://x").to_reading(row)
    except ValueError as exc:
        assert str(exc)
