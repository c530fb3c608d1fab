"""Property tests: one provider row broken any way at all costs only that row.

Each test polls a source over a canned HTTP exchange (the transport is swapped for one that answers from memory) with
one row of a real fixture replaced, anywhere in its tree, by arbitrary JSON (Infinity, NaN, huge integers,
nesting, the wrong types). Asserted every time: the poll returns instead of crashing, every row that was not touched
is still in it, every rejection carries a reason and its raw text, and the pipeline then stores or rejects each
reading without raising. Hypothesis runs derandomized (tests/conftest.py), so a failure here fails every run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import load_city
from core.readings import Reading, SourceError
from data_sources.pipeline import process, rules_for
from data_sources.providers import ngsi_ld
from data_sources.providers.amap import AMapTraffic
from data_sources.providers.ngsi_ld import NgsiLdBroker
from data_sources.providers.open311 import Open311, lenient_json
from data_sources.providers.openaq import OpenAQ
from data_sources.providers.tomtom import TomTom

FIX = Path(__file__).resolve().parent.parent / "fixtures"
NOW = 1_795_285_200_000  # the fixtures' hour (an injected clock: no source reads one)
SPECIAL = [float("inf"), float("-inf"), float("nan"), 1e308, -999, 2**63, 10**400, "", "-999", "1e400", "NaN",
           "Infinity", "2026-11-21T18:00:00", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", {}, []]
leaf = st.one_of(st.sampled_from(SPECIAL), st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
                 st.text(max_size=8))
anything = st.recursive(leaf, lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=6), ch,
                                                                                     max_size=3), max_leaves=12)
RULES = rules_for(load_city("guangzhou"))  # the shipped plausibility table and the city's bounds


def fixture(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def paths_of(doc: Any) -> list[tuple[Any, ...]]:
    """Every path into a JSON document (the root included)."""
    out: list[tuple[Any, ...]] = [()]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += [(k, *p) for p in paths_of(v)]
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += [(i, *p) for p in paths_of(v)]
    return out


def put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of doc with the value at path replaced."""
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    node = copy
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return copy


def broken(rows: list[Any]) -> st.SearchStrategy[tuple[int, Any]]:
    """(index of the row broken, the broken row)."""
    def one(i: int) -> st.SearchStrategy[tuple[int, Any]]:
        return st.tuples(st.just(i), st.builds(lambda p, v: put(rows[i], p, v), st.sampled_from(paths_of(rows[i])),
                                               anything))
    return st.integers(0, len(rows) - 1).flatmap(one)


class Canned:
    """An urllib opener answering each path from a function of the path (no network, no thread)."""

    def __init__(self, answer: Callable[[str], Any]) -> None:
        self.answer = answer

    def __call__(self, req: Any, timeout: float = 0) -> Any:
        from urllib.parse import urlsplit

        body = self.answer(urlsplit(req.full_url).path)
        raw = body if isinstance(body, bytes) else json.dumps(body, allow_nan=True).encode()
        resp = io.BytesIO(raw)
        resp.status, resp.headers = 200, {}  # type: ignore[attr-defined]
        return resp


def check_pipeline(readings: list[Reading]) -> None:
    """The pipeline stores or rejects every reading of the poll, never raising."""
    batch = process(readings, RULES)
    assert len(batch.items) + len(batch.refused) == len(readings)
    assert all(rej.reason and rej.raw for rej in batch.rejected)


def check_rejections(source: Any) -> None:
    for rej in source.take_rejected():
        assert rej.reason and rej.raw and rej.feed in ("air", "traffic", "service", "water")


LOCATIONS = fixture("openaq_locations_p1.json")["results"] + fixture("openaq_locations_p2.json")["results"]
LATEST = {lid: fixture(f"openaq_latest_{lid}.json")["results"] for lid in (8118, 8119, 8120)}


@settings(max_examples=250, deadline=None)
@given(broken(LATEST[8119]))
def test_openaq_one_broken_row(case: tuple[int, Any]) -> None:
    i, row = case
    latest = {**LATEST, 8119: [*LATEST[8119][:i], row, *LATEST[8119][i + 1:]]}

    def answer(path: str) -> Any:
        if path == "/v3/locations":
            return {"meta": {"found": ">1000"}, "results": LOCATIONS}
        return {"results": latest[int(path.split("/")[3])]}

    src = OpenAQ(bbox=[113.1, 22.9, 113.7, 23.5], api_key=None)
    src.http._open = Canned(answer)
    readings = src.poll(NOW)
    others = {rd.entity_id: rd for rd in readings}
    assert "openaq-8118" in others  # the untouched station is complete
    assert others["openaq-8118"].values == {"pm25_1h": 35.0, "no2_1h": 37.6, "co_1h": 0.916, "o3_1h": 98.1}
    check_rejections(src)
    check_pipeline(readings)


OPEN311 = lenient_json((FIX / "open311_requests.json").read_text(encoding="utf-8"))  # the spec's "006" is not JSON


@settings(max_examples=250, deadline=None)
@given(broken(OPEN311))
def test_open311_one_broken_request(case: tuple[int, Any]) -> None:
    i, row = case
    rows = [*OPEN311[:i], row, *OPEN311[i + 1:]]
    src = Open311(base_url="http://x", lookback_days=1, window_hours=24)
    src.http._open = Canned(lambda _path: rows)
    baseline = Open311(base_url="http://x", lookback_days=1, window_hours=24)
    baseline.http._open = Canned(lambda _path: OPEN311)
    keep = {rd.entity_id for rd in baseline.poll(NOW)}
    touched = str(OPEN311[i].get("service_request_id"))
    readings = src.poll(NOW)
    got = {rd.entity_id for rd in readings}
    assert keep - {touched} <= got  # every request not touched is still there
    if touched not in got and touched in keep:
        assert src.take_rejected() or isinstance(row, dict) and str(row.get("service_request_id")) in got
    check_rejections(src)
    check_pipeline(readings)


ROADS = fixture("amap_rectangle.json")


@settings(max_examples=200, deadline=None)
@given(broken(ROADS["trafficinfo"]["roads"]))
def test_amap_one_broken_road(case: tuple[int, Any]) -> None:
    i, road = case
    doc = put(ROADS, ("trafficinfo", "roads", i), road)
    src = AMapTraffic(rectangles=[[113.315, 23.12, 113.335, 23.14]], key=None)
    src.http._open = Canned(lambda _path: doc)
    base = AMapTraffic(rectangles=[[113.315, 23.12, 113.335, 23.14]], key=None)
    base.http._open = Canned(lambda _path: ROADS)
    before = [rd.entity_id for rd in base.poll(NOW)]
    readings = src.poll(NOW)
    assert len(readings) >= len(before) - 1 and len(readings) + len(src.rejected) >= len(before)
    check_rejections(src)
    check_pipeline(readings)


@settings(max_examples=200, deadline=None)
@given(st.builds(lambda p, v: put(fixture("tomtom_flow.json"), p, v),
                 st.sampled_from(paths_of(fixture("tomtom_flow.json"))), anything))
def test_tomtom_broken_answer(data: Any) -> None:
    points = [{"id": "a", "lat": 23.1, "lon": 113.3}, {"id": "b", "lat": 23.2, "lon": 113.4}]
    src = TomTom(points=points, api_key=None)
    good = fixture("tomtom_flow.json")
    answers = iter([data, good])
    src.http._open = Canned(lambda _path: next(answers))
    try:
        readings = src.poll(NOW)
    except SourceError as exc:  # only when no point gave a reading
        raise AssertionError(f"point b was fine, the poll must not fail: {exc}") from exc
    assert "b" in {rd.entity_id for rd in readings}
    check_rejections(src)
    check_pipeline(readings)


NGSI = [e for name in ("ngsi_air_normalized.json", "ngsi_air_keyvalues.json", "ngsi_water_normalized.json",
                       "ngsi_traffic_normalized.json") for e in fixture(name)]


@settings(max_examples=300, deadline=None)
@given(broken(NGSI))
def test_ngsi_broker_one_broken_entity(case: tuple[int, Any]) -> None:
    i, entity = case
    entities = [*NGSI[:i], entity, *NGSI[i + 1:]]
    src = NgsiLdBroker(base_url="http://x", types=["AirQualityObserved"], limit=1000)
    src.http._open = Canned(lambda _path: entities)
    readings = src.poll(NOW)
    want = {e["id"] for j, e in enumerate(NGSI) if j != i and ngsi_ld.TYPES.get(ngsi_ld.short(e["type"]))}
    assert want <= {rd.entity_id for rd in readings}
    for rej in src.take_rejected():
        assert rej.reason and rej.raw
    check_pipeline(readings)
    try:
        ngsi_ld.to_reading(entity)
    except ngsi_ld.NgsiError as exc:  # (an Invalid: the notify endpoint and the poller both catch it)
        assert str(exc)
