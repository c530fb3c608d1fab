"""OpenAQ v3 adapter against a local server shaped like docs.openaq.org: the sensor join, units, paging, faults."""

from __future__ import annotations

import json

import pytest

from data_sources.providers.http import SourceHTTPError, SourcePayloadError, SourceTimeout
from data_sources.providers.openaq import OpenAQ
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401

pytestmark = pytest.mark.integration
BBOX = [113.1, 22.9, 113.7, 23.5]
NOW = 1_795_285_200_000  # 2026-11-21T18:20Z


def pages(query: dict[str, str]) -> bytes:
    return payload(f"openaq_locations_p{query['page']}.json")


def serve_all(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/v3/locations", pages)
    for lid in (8118, 8119, 8120):
        provider.route(f"/v3/locations/{lid}/latest", payload(f"openaq_latest_{lid}.json"))


def source(provider: FakeProvider, **kw: object) -> OpenAQ:  # noqa: F811
    return OpenAQ(bbox=BBOX, api_key="k-123", base_url=provider.url, page_limit=2, timeout_s=0.3, **kw)


def test_latest_rows_are_joined_to_sensors_and_converted(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    src = source(provider)
    readings = {rd.entity_id: rd for rd in src.poll(NOW)}
    assert set(readings) == {"openaq-8118", "openaq-8119"}  # 8120 only has a -999 sentinel
    a = readings["openaq-8118"]
    assert a.values == {"pm25_1h": 35.0, "no2_1h": 37.6, "co_1h": 0.916, "o3_1h": 98.1}  # ppb/ppm -> µg/m³, mg/m³
    assert a.ts == 1_795_284_000_000 and a.meta["lat"] == 23.1422 and a.meta["lon"] == 113.259
    b = readings["openaq-8119"]
    assert b.values == {"pm25_1h": 41.0, "pm10_1h": 66.0}  # Greek-mu units accepted; a 36 h old SO2 row dropped
    assert src.last_latency_ms > 0


def test_paging_bbox_and_api_key(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    source(provider).poll(NOW)
    listing = [(q, h) for p, q, h in provider.requests if p == "/v3/locations"]
    assert [q["page"] for q, _ in listing] == ["1", "2"]  # page 1 was full (limit 2), page 2 was short
    assert listing[0][0]["bbox"] == "113.1,22.9,113.7,23.5"
    assert all({k.lower(): v for k, v in h.items()}.get("x-api-key") == "k-123" for _, _, h in provider.requests)


def test_unknown_sensor_makes_the_next_poll_reload_stations(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    src = source(provider)
    src.poll(NOW)
    src.poll(NOW + 60_000)
    assert provider.paths().count("/v3/locations") == 4  # sensor 99999 was unknown: the list is re-read


def test_station_list_is_cached_between_polls(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    known = json.loads(payload("openaq_latest_8118.json"))
    known["results"] = [row for row in known["results"] if row["sensorsId"] != 99999]
    provider.route("/v3/locations/8118/latest", json.dumps(known).encode())
    src = source(provider)
    src.poll(NOW)
    src.poll(NOW + 60_000)
    assert provider.paths().count("/v3/locations") == 2


@pytest.mark.parametrize(("route", "error"), [
    ({"status": 500, "body": b'{"detail": "upstream"}'}, SourceHTTPError),
    ({"body": b'{"meta": {}, "results": [{"id": 81'}, SourcePayloadError),  # malformed JSON
    ({"body": b'{"meta": {"found": 3}}'}, SourcePayloadError),  # no results
    ({"delay_s": 1.0}, SourceTimeout),  # past the 0.3 s client timeout
])
def test_station_list_faults_are_typed(provider: FakeProvider, route: dict, error: type) -> None:  # noqa: F811
    provider.route("/v3/locations", **{"body": payload("openaq_locations_p1.json"), **route})
    with pytest.raises(error):
        source(provider).poll(NOW)


def test_partial_pages_fail_the_whole_list(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    provider.route("/v3/locations", lambda q: payload("openaq_locations_p1.json") if q["page"] == "1" else b"{\"res")
    with pytest.raises(SourcePayloadError):
        source(provider).poll(NOW)


def test_one_failing_station_keeps_the_others_all_failing_raises(provider: FakeProvider) -> None:  # noqa: F811
    serve_all(provider)
    provider.route("/v3/locations/8119/latest", status=503)
    assert {rd.entity_id for rd in source(provider).poll(NOW)} == {"openaq-8118"}
    for lid in (8118, 8119, 8120):
        provider.route(f"/v3/locations/{lid}/latest", status=500)
    with pytest.raises(SourceHTTPError, match="3/3 stations failed"):
        source(provider).poll(NOW)
