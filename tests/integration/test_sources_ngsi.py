"""NGSI-LD context-broker poller against a local broker: types, keyValues/normalized, paging, headers, faults."""

from __future__ import annotations

import json

import pytest

from data_sources.providers.http import SourceHTTPError, SourcePayloadError, SourceTimeout
from data_sources.providers.ngsi_ld import NgsiLdBroker
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401

pytestmark = pytest.mark.integration
ENTITIES = "/ngsi-ld/v1/entities"
NOW = 1_795_285_200_000
BY_TYPE = {"AirQualityObserved": "ngsi_air_normalized.json", "WaterQualityObserved": "ngsi_water_normalized.json",
           "TrafficFlowObserved": "ngsi_traffic_normalized.json"}


def by_type(query: dict[str, str]) -> bytes:
    if query.get("options") == "keyValues":
        return payload("ngsi_air_keyvalues.json")
    return payload(BY_TYPE[query["type"]])


def test_polls_each_type_normalized(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(ENTITIES, by_type)
    broker = NgsiLdBroker(base_url=provider.url, tenant="guangzhou", context="https://example.org/ctx.jsonld",
                          timeout_s=0.3)
    assert broker.feeds == ("air", "water", "traffic")
    readings = {rd.feed: rd for rd in broker.poll(NOW)}
    assert set(readings) == {"air", "water", "traffic"}
    assert readings["water"].values["do"] == 4.2 and readings["traffic"].values["speed_kmh"] == 17.5
    headers = {k.lower(): v for k, v in provider.requests[0][2].items()}
    assert headers["ngsild-tenant"] == "guangzhou" and 'rel="http://www.w3.org/ns/json-ld#context"' in headers["link"]
    assert [q["type"] for _, q, _ in provider.requests] == list(BY_TYPE)


def test_keyvalues_option(provider: FakeProvider) -> None:  # noqa: F811
    provider.route(ENTITIES, by_type)
    [rd] = NgsiLdBroker(base_url=provider.url, types=["AirQualityObserved"], options="keyValues").poll(NOW)
    assert provider.requests[0][1]["options"] == "keyValues"
    assert rd.values == {"no2_1h": 8.0, "o3_1h": 115.0, "co_1h": 1.2}


def test_offset_paging(provider: FakeProvider) -> None:  # noqa: F811
    one = json.loads(payload("ngsi_water_normalized.json"))[0]

    def page(q: dict[str, str]) -> bytes:
        offset = int(q["offset"])
        n = 2 if offset < 4 else 1
        return json.dumps([{**one, "id": f"urn:ngsi-ld:WaterQualityObserved:S{offset + i}"} for i in range(n)]).encode()

    provider.route(ENTITIES, page)
    out = NgsiLdBroker(base_url=provider.url, types=["WaterQualityObserved"], limit=2).poll(NOW)
    assert len(out) == 5 and [q["offset"] for _, q, _ in provider.requests] == ["0", "2", "4"]


def test_unmappable_entities_are_skipped(provider: FakeProvider) -> None:  # noqa: F811
    good = json.loads(payload("ngsi_water_normalized.json"))[0]
    provider.route(ENTITIES, json.dumps([good, {"id": "x", "type": "WaterQualityObserved"}, 7]).encode())
    assert len(NgsiLdBroker(base_url=provider.url, types=["WaterQualityObserved"]).poll(NOW)) == 1


@pytest.mark.parametrize(("route", "error"), [
    ({"status": 500, "body": b'{"type": "https://uri.etsi.org/ngsi-ld/errors/InternalError"}'}, SourceHTTPError),
    ({"body": b'[{"id": "urn:x", "type": '}, SourcePayloadError),
    ({"body": b'{"id": "not an array"}'}, SourcePayloadError),
    ({"delay_s": 1.0, "body": b"[]"}, SourceTimeout),
])
def test_faults(provider: FakeProvider, route: dict, error: type) -> None:  # noqa: F811
    provider.route(ENTITIES, **route)
    with pytest.raises(error):
        NgsiLdBroker(base_url=provider.url, types=["AirQualityObserved"], timeout_s=0.3).poll(NOW)
