"""TomTom Flow Segment Data and AMap traffic status adapters against a local server, quirks and faults included."""

from __future__ import annotations

import pytest

from core import coords
from data_sources.providers.amap import AMapTraffic
from data_sources.providers.http import SourceHTTPError, SourcePayloadError, SourceTimeout
from data_sources.providers.tomtom import TomTom
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401

pytestmark = pytest.mark.integration
NOW = 1_795_285_200_000
FLOW = "/traffic/services/4/flowSegmentData/absolute/10/json"
RECT = "/v3/traffic/status/rectangle"
POINTS = [{"id": "tianhe-rd", "lat": 23.1253, "lon": 113.3241, "name": "天河路"},
          {"id": "ring-rd", "lat": 23.1425, "lon": 113.2925, "road_class": "expressway"}]


def tomtom(provider: FakeProvider, points: list | None = None) -> TomTom:  # noqa: F811
    return TomTom(points=points or POINTS[:1], api_key="tt-key", base_url=provider.url, timeout_s=0.3)


def test_tomtom_flow_segment(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(FLOW, payload("tomtom_flow.json"))
    [rd] = tomtom(provider).poll(NOW)
    assert rd.entity_id == "tianhe-rd" and rd.ts == NOW
    assert rd.values == {"speed_kmh": 23.0, "free_flow_kmh": 52.0, "closure": False, "travel_time_s": 243.0,
                         "free_flow_travel_time_s": 107.0, "confidence": 0.95}
    assert rd.meta["road_class"] == "arterial" and rd.meta["frc"] == "FRC2"  # FRC2 -> arterial
    assert 800 < rd.meta["length_m"] < 950 and rd.meta["line"][0] == [113.3204, 23.1251]
    _, query, _ = provider.requests[0]
    assert query == {"key": "tt-key", "point": "23.1253,113.3241", "unit": "KMPH"}


def test_tomtom_road_closure_is_speed_zero(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(FLOW, payload("tomtom_closed.json"))
    [rd] = tomtom(provider, POINTS[1:]).poll(NOW)
    assert rd.values["closure"] is True and rd.values["speed_kmh"] == 0.0 and rd.values["free_flow_kmh"] == 75.0
    assert rd.meta["road_class"] == "expressway"


def test_tomtom_one_point_failing_keeps_the_other(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(FLOW, lambda q: payload("tomtom_flow.json") if q["point"].startswith("23.1253") else b"{bad")
    assert [rd.entity_id for rd in tomtom(provider, POINTS).poll(NOW)] == ["tianhe-rd"]


def amap(provider: FakeProvider, **kw: object) -> AMapTraffic:  # noqa: F811
    return AMapTraffic(rectangles=[[113.315, 23.120, 113.335, 23.140]], key="am-key", base_url=provider.url,
                       timeout_s=0.3, **kw)


def test_amap_string_fields_status_and_gcj02_polylines(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(RECT, payload("amap_rectangle.json"))
    roads = {rd.meta["name"]: rd for rd in amap(provider).poll(NOW)}
    assert set(roads) == {"天河路", "黄埔大道", "体育东路"}  # status "9" is dropped
    tianhe = roads["天河路"]
    assert tianhe.values == {"status_amap": 2, "speed_kmh": 18.0} and tianhe.meta["road_class"] == "arterial"
    assert roads["体育东路"].values == {"status_amap": 0}  # speed sent as [] (AMap's empty value)
    lon, lat = tianhe.meta["line"][0]
    assert abs(lon - 113.330110) > 0.004  # moved off GCJ-02 …
    back = coords.wgs84_to_gcj02(lon, lat)
    assert abs(back[0] - 113.330110) < 1e-6 and abs(back[1] - 23.134060) < 1e-6  # … to the WGS-84 point
    assert 900 < tianhe.meta["length_m"] < 1000
    assert tianhe.entity_id.startswith("amap-") and tianhe.entity_id != roads["黄埔大道"].entity_id


def test_amap_query_rectangle_is_gcj02(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(RECT, payload("amap_rectangle.json"))
    amap(provider, level=4).poll(NOW)
    _, q, _ = provider.requests[0]
    sw, ne = coords.wgs84_to_gcj02(113.315, 23.120), coords.wgs84_to_gcj02(113.335, 23.140)
    assert q["rectangle"] == f"{sw[0]:.6f},{sw[1]:.6f};{ne[0]:.6f},{ne[1]:.6f}"
    assert q["key"] == "am-key" and q["level"] == "4" and q["extensions"] == "all"


def test_amap_error_status_is_typed(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(RECT, payload("amap_error.json"))  # HTTP 200, status "0"
    with pytest.raises(SourcePayloadError, match="10001: INVALID_USER_KEY"):
        amap(provider).poll(NOW)


def test_amap_rectangles_over_10_km_are_refused_at_config_time() -> None:
    with pytest.raises(ValueError, match="10 km"):
        AMapTraffic(rectangles=[[113.2, 23.0, 113.4, 23.2]], key="k")


FAULTS = [
    ("tomtom", FLOW, {"status": 400, "body": payload("tomtom_error.json")}, SourceHTTPError),
    ("tomtom", FLOW, {"status": 503, "body": b""}, SourceHTTPError),
    ("tomtom", FLOW, {"body": b'{"flowSegmentData": {"frc": "FRC2"'}, SourcePayloadError),
    ("tomtom", FLOW, {"body": b'{"flowSegmentData": {"frc": "FRC2"}}'}, SourcePayloadError),
    ("tomtom", FLOW, {"delay_s": 1.0, "body": b"{}"}, SourceTimeout),
    ("amap", RECT, {"status": 502, "body": b"bad gateway"}, SourceHTTPError),
    ("amap", RECT, {"body": b"{\"status\": \"1\", \"trafficinfo\": {\"roads\": ["}, SourcePayloadError),
    ("amap", RECT, {"delay_s": 1.0, "body": b"{}"}, SourceTimeout),
]


@pytest.mark.parametrize(("name", "path", "route", "error"), FAULTS)
def test_faults_are_typed(provider: FakeProvider, name: str, path: str, route: dict, error: type) -> None:  # noqa: F811
    """Each provider's HTTP errors, broken bodies and timeouts come out as the typed source errors."""
    provider.route(path, **route)
    with pytest.raises(error):
        {"tomtom": tomtom, "amap": amap}[name](provider).poll(NOW)
