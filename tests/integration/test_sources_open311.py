"""Open311 GeoReport v2 adapter: the spec's invalid-JSON example, XML, date windows, timezones, faults."""

from __future__ import annotations

import json

import pytest

from data_sources.providers.http import SourceHTTPError, SourcePayloadError, SourceTimeout
from data_sources.providers.open311 import Open311, lenient_json
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401

pytestmark = pytest.mark.integration
NOW = 1_795_285_200_000  # 2026-11-21T18:20Z
DAY = 86_400_000


def src(provider: FakeProvider, **kw: object) -> Open311:  # noqa: F811
    return Open311(base_url=provider.url + "/open311/v2", timeout_s=0.3, **kw)


def test_the_specs_own_json_example_parses_with_codes_as_strings() -> None:
    rows = lenient_json(payload("open311_requests.json").decode())
    assert rows[0]["service_code"] == "006" and rows[0]["service_request_id"] == "638344"
    assert rows[0]["zipcode"] == "94122" and rows[0]["lat"] == 37.762221815


def test_json_requests_become_cases(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.json", payload("open311_requests.json"))
    source = src(provider)
    cases = {rd.entity_id: rd for rd in source.poll(NOW)}
    # no-timezone-1 (naive datetime) is rejected with its reason; "in progress" is a known status, kept as open
    assert set(cases) == {"638344", "638349", "GZ20261121-000017", "bad-status-1"}
    assert [r.reason for r in source.take_rejected()] == ["requested_datetime: no timezone (set naive_tz to accept)"]
    progress = cases["bad-status-1"]
    assert (progress.values["status"], progress.values["status_raw"]) == ("open", "in progress")
    closed = cases["638344"]
    assert closed.values["status"] == "closed" and closed.values["service_code"] == "006"
    assert closed.values["expected_datetime"] == "2010-04-22T06:37:38-08:00"
    assert closed.ts == 1_271_255_858_000 and closed.meta["lat"] == 37.762221815 and closed.meta["lon"] == -122.4651145
    assert "description" not in closed.values  # null stays absent, never the string "None"
    assert closed.values["media_url"].endswith(".jpg")  # the example's trailing space is trimmed
    gz = cases["GZ20261121-000017"]
    assert gz.values["service_name"] == "井盖破损" and gz.values["service_code"] == "0101"


def test_date_windows_cover_the_lookback_with_open_and_closed(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.json", b"[]")
    src(provider, lookback_days=3, window_hours=24, jurisdiction_id="gz.gov.cn").poll(NOW)
    queries = [q for _, q, _ in provider.requests]
    assert len(queries) == 3
    assert queries[0]["start_date"] == "2026-11-18T18:20:00Z" and queries[-1]["end_date"] == "2026-11-21T18:20:00Z"
    assert all(q["status"] == "open,closed" and q["jurisdiction_id"] == "gz.gov.cn" for q in queries)


def test_a_full_window_is_split(provider: FakeProvider) -> None:  # noqa: F811
    full = json.dumps([{"service_request_id": str(i), "status": "open",
                        "requested_datetime": "2026-11-21T09:15:00+08:00"} for i in range(5)]).encode()
    whole_day = {"start_date": "2026-11-20T18:20:00Z", "end_date": "2026-11-21T18:20:00Z"}
    provider.route("/open311/v2/requests.json",
                   lambda q: full if whole_day.items() <= q.items() else b"[]")
    src(provider, lookback_days=1, window_hours=24, max_per_request=5).poll(NOW)
    assert len(provider.requests) == 3  # 24 h window was at the cap: asked again as two 12 h halves


def test_xml_format(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.xml", payload("open311_requests.xml"), ctype="text/xml")
    cases = {rd.entity_id: rd for rd in src(provider, fmt="xml", lookback_days=1).poll(NOW)}
    assert set(cases) == {"638344", "GZ20261121-000017"}
    assert cases["638344"].values["service_code"] == "006" and cases["638344"].values["status"] == "closed"
    assert "description" not in cases["638344"].values  # empty element = absent
    assert cases["GZ20261121-000017"].meta["lat"] == 23.1325


def test_naive_datetimes_accepted_only_with_a_configured_zone(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.json", payload("open311_requests.json"))
    cases = {rd.entity_id: rd for rd in src(provider, naive_tz="Asia/Shanghai", lookback_days=1).poll(NOW)}
    assert cases["no-timezone-1"].values["requested_datetime"] == "2026-11-21T09:15:00+08:00"


def test_open_cases_older_than_the_lookback_are_followed_by_id(provider: FakeProvider) -> None:  # noqa: F811
    old = {"service_request_id": "old-1", "status": "open", "requested_datetime": "2026-10-01T09:00:00+08:00"}
    provider.route("/open311/v2/requests.json", json.dumps([old]).encode())
    s = src(provider, lookback_days=1)
    s.poll(NOW)
    closed = {**old, "status": "closed", "updated_datetime": "2026-11-21T10:00:00+08:00"}
    provider.route("/open311/v2/requests.json",
                   lambda q: json.dumps([closed] if "service_request_id" in q else []).encode())
    later = s.poll(NOW + DAY)
    assert [(rd.entity_id, rd.values["status"]) for rd in later] == [("old-1", "closed")]
    assert provider.requests[-1][1]["service_request_id"] == "old-1"


@pytest.mark.parametrize(("route", "error", "match"), [
    ({"status": 403, "body": payload("open311_error.json")}, SourceHTTPError, "Invalid api_key"),
    ({"status": 500, "body": b"oops"}, SourceHTTPError, "HTTP 500"),
    ({"body": b'[{"service_request_id": 1, "status": "open"'}, SourcePayloadError, "malformed JSON"),
    ({"body": b'{"error": "not an array"}'}, SourcePayloadError, "not an array"),
    ({"delay_s": 1.0, "body": b"[]"}, SourceTimeout, "timeout"),
])
def test_faults_are_typed(provider: FakeProvider, route: dict, error: type, match: str) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.json", **route)
    with pytest.raises(error, match=match):
        src(provider, lookback_days=1).poll(NOW)


def test_malformed_xml_is_a_payload_error(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/open311/v2/requests.xml", b"<service_requests><request>", ctype="text/xml")
    with pytest.raises(SourcePayloadError, match="malformed XML"):
        src(provider, fmt="xml", lookback_days=1).poll(NOW)


def test_a_server_in_baidu_coordinates_is_stored_in_wgs84(provider: FakeProvider) -> None:  # noqa: F811
    # standards.md §7: OneScreen stores WGS-84; a 12345 system drawing on Baidu's map gives BD-09 (datum: bd09)
    from core import coords

    provider.route("/open311/v2/requests.json", payload("open311_requests.json"))
    cases = {rd.entity_id: rd for rd in src(provider, datum="bd09").poll(NOW)}
    gz = cases["GZ20261121-000017"]
    lon, lat = gz.meta["lon"], gz.meta["lat"]
    assert abs(lon - 113.3245) > 0.005 and abs(lat - 23.1325) > 0.003  # moved by Baidu's offset, hundreds of metres
    back = coords.wgs84_to_bd09(lon, lat)
    assert abs(back[0] - 113.3245) < 1e-6 and abs(back[1] - 23.1325) < 1e-6
    assert (gz.values["lat"], gz.values["long"]) == (lat, lon)
    sf = cases["638344"]  # outside China there is no offset to take off
    assert (sf.meta["lat"], sf.meta["lon"]) == (37.762221815, -122.4651145)
    with pytest.raises(ValueError, match="bd09"):
        src(provider, datum="baidu")
