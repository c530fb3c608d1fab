"""The pipeline against a real Redis, from every entry: the runner polling real sources, the ingest API, NGSI-LD
notify. One bad row costs only itself and lands in the dead letter with its reason; health counts it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from core.readings import Reading, Rejects
from data_sources.pipeline import Rules
from data_sources.providers.openaq import OpenAQ
from data_sources.registry import Monitored
from data_sources.runner import Runner
from store import keys
from store.writer import Writer
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401
from tests.integration.test_ingest_api import make_client

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer t"}
DAY = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def client(redis_server: Any, r: redis.Redis) -> Iterator[FlaskClient]:
    yield make_client(redis_server.url, ingest_max_batch=50, ingest_rate_per_min=10_000)


def dead_letters(r: redis.Redis) -> list[dict[str, str]]:
    return [fields for _, fields in r.xrange(keys.REJECTED)]


class Rows(Rejects):
    """A source that parses three rows, one of which it cannot use."""

    name, feeds, interval_s = "rows", ("air",), 60.0

    def poll(self, now_ms: int) -> list[Reading]:
        self.reject("air", "row 2: value is not a number", {"id": "S2", "pm25": "n/a"})
        return [Reading("air", f"S{i}", now_ms, {"pm25_1h": 30.0 + i}, {}) for i in (1, 3)]


def test_a_sources_bad_row_is_a_dead_letter_and_the_rest_is_stored(r: redis.Redis) -> None:
    t = now_ms()
    src = Rows()
    assert Runner(r, [src]).run_once(src, t) == 2
    assert set(r.hkeys(keys.latest("air"))) == {"S1", "S3"}
    (dl,) = dead_letters(r)
    assert dl["reason"] == "row 2: value is not a number" and dl["kind"] == "record" and dl["source"] == "rows"
    assert json.loads(dl["raw"]) == {"id": "S2", "pm25": "n/a"}
    h = r.hgetall(keys.health("air"))
    assert h["rejected"] == "1" and h["last_rejected"] == "row 2: value is not a number"
    runner = Runner(r, [src])
    runner.run_once(src, t + 1000)
    runner.run_once(src, t + 2000)  # the same row again: one more report from this runner, not one per poll
    assert r.hget(keys.health("air"), "rejected") == "2" and len(dead_letters(r)) == 2
    runner.run_once(src, t + 3_601_000)  # an hour later it is reported again
    assert r.hget(keys.health("air"), "rejected") == "3"


def test_openaq_row_with_infinity_costs_only_that_row(provider: FakeProvider, r: redis.Redis) -> None:  # noqa: F811
    # the case: one OpenAQ latest row with "utc": Infinity raised OverflowError and the whole poll was lost
    latest = json.loads(payload("openaq_latest_8118.json"))
    latest["results"][0]["datetime"]["utc"] = float("inf")
    provider.route("/v3/locations", lambda q: payload(f"openaq_locations_p{q['page']}.json"))
    provider.route("/v3/locations/8118/latest", json.dumps(latest).encode())  # (Python writes Infinity)
    for lid in (8119, 8120):
        provider.route(f"/v3/locations/{lid}/latest", payload(f"openaq_latest_{lid}.json"))
    src = OpenAQ(bbox=[113.1, 22.9, 113.7, 23.5], api_key="k", base_url=provider.url, page_limit=2, timeout_s=0.3)
    mon = Monitored(src, Writer(r, source=src.name))
    t = 1_795_285_200_000  # the fixtures' hour; the runner's clock is injected
    assert Runner(r, [mon]).run_once(mon, t) == 2
    stored = json.loads(r.hget(keys.latest("air"), "openaq-8118"))
    assert "pm25_1h" not in stored["v"] and stored["v"]["no2_1h"] == 37.6  # the other sensors of the station stay
    assert stored["m"]["monitors"] == ["no2", "co", "o3", "pm25"] and stored["d"]["missing"] == ["pm25"]
    reasons = [dl["reason"] for dl in dead_letters(r)]
    assert any("datetime.utc is not an ISO 8601 time" in x for x in reasons)
    assert any("invalid concentration -999" in x for x in reasons)  # 8120's sentinel, with its reason


def test_what_a_station_monitors_is_learnt_across_batches(client: FlaskClient, r: redis.Redis) -> None:
    # HJ 633-2026 §5.3.1 (this test's readings are from now: in force): CO reported yesterday, missing now -> the
    # AQI (29 from PM2.5 20) is <= 100 and is not published; a station never reporting CO is published
    t = now_ms()
    yesterday = [{"entity_id": "A", "ts": t - DAY, "values": {"pm25_1h": 20, "co_1h": 0.5}},
                 {"entity_id": "B", "ts": t - DAY, "values": {"pm25_1h": 20}}]
    assert client.post("/api/v1/ingest/air", json=yesterday, headers=AUTH).get_json()["accepted"] == 2
    assert json.loads(r.hget(keys.monitored(), "A")) == {"co": [t - DAY, t - DAY], "pm25": [t - DAY, t - DAY]}
    today = [{"entity_id": eid, "ts": t, "values": {"pm25_1h": 20}} for eid in ("A", "B")]
    assert client.post("/api/v1/ingest/air", json=today, headers=AUTH).get_json()["accepted"] == 2
    a, b = (json.loads(r.hget(keys.latest("air"), eid))["d"] for eid in ("A", "B"))
    assert a["aqi"] is None and a["missing"] == ["co"] and a["iaqi"] == {"co_1h": None, "pm25_1h": 29}
    assert b["aqi"] == 29 and b["missing"] == []
    popup = client.get("/api/v1/entities/air/A?lang=en", headers={"Authorization": "Bearer api-test-token-0123456789"})
    rows = dict(popup.get_json()["rows"])
    assert rows["Monitors"] == "CO, PM2.5" and rows["Missing this hour"] == "CO"


def test_ingest_drops_an_implausible_value_and_flags_a_far_point(client: FlaskClient, r: redis.Redis) -> None:
    t = now_ms()
    body = [{"entity_id": "X", "ts": t, "values": {"co_1h": 500, "no2_1h": 40, "pm25_1h": 20}},
            {"entity_id": "Y", "ts": t, "values": {"pm25_1h": 20}, "lat": 39.9, "lon": 116.4},
            {"entity_id": "Z", "ts": t, "values": {"pm25_1h": 20}, "lat": 23.1, "lon": 113.3}]
    out = client.post("/api/v1/ingest/air", json=body, headers=AUTH).get_json()
    assert out["accepted"] == 3 and out["rejected"] == []
    assert [w["index"] for w in out["warnings"]] == [0, 1]
    assert out["warnings"][0]["reason"].startswith("values.co_1h: 500 mg/m³ outside the plausible range")
    assert "far outside the city's bounds" in out["warnings"][1]["reason"]
    x = json.loads(r.hget(keys.latest("air"), "X"))
    # the dropped CO counts as missing this hour (HJ 633-2026 §5.3.1): AQI 29 (PM2.5 20) <= 100 is withheld
    assert "co_1h" not in x["v"] and x["d"]["aqi"] is None and x["d"]["missing"] == ["co"]
    kinds = sorted(dl["kind"] for dl in dead_letters(r))
    assert kinds == ["flag", "value"]
    h = r.hgetall(keys.health("air"))
    assert (h["rejected_values"], h["flagged"]) == ("1", "1") and "far outside" in h["last_flag"]


def test_ngsi_notify_rejects_coordinates_outside_wgs84_and_reads_geojson(client: FlaskClient, r: redis.Redis) -> None:
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    entity = {"id": "urn:ngsi-ld:AirQualityObserved:bad", "type": "AirQualityObserved",
              "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": t}},
              "pm25": {"type": "Property", "value": 20, "unitCode": "GQ"},
              "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [200, 95]}}}
    out = client.post("/api/v1/ngsi-ld/notify", json={"type": "Notification", "data": [entity]}, headers=AUTH)
    assert out.get_json()["rejected"][0]["reason"].startswith("location.coordinates[1] (latitude): 95 outside")
    feature = {"type": "Feature", "id": "urn:ngsi-ld:AirQualityObserved:gz-1",
               "geometry": {"type": "Point", "coordinates": [113.26, 23.14]},
               "properties": {"type": "AirQualityObserved", "dateObserved": t, "pm25": 20, "no2": 30}}
    out = client.post("/api/v1/ngsi-ld/notify", data=json.dumps({"type": "FeatureCollection", "features": [feature]}),
                      headers={**AUTH, "Content-Type": "application/geo+json"}).get_json()
    assert out["accepted"] == 1 and out["rejected"] == [], out
    doc = json.loads(r.hget(keys.latest("air"), "urn:ngsi-ld:AirQualityObserved:gz-1"))
    assert (doc["m"]["lat"], doc["m"]["lon"]) == (23.14, 113.26) and doc["d"]["aqi"] == 29


def test_runner_rules_come_from_the_profile(r: redis.Redis) -> None:
    # a city that follows the 2012 text's rule to the letter (by name): PM from 24-h means only
    src = Rows()
    Runner(r, [src], rules=Rules(aqi_standard="HJ633-2012", aqi_rule="text-2012")).run_once(src, now_ms())
    assert json.loads(r.hget(keys.latest("air"), "S1"))["d"]["aqi"] is None  # no 24-h PM, nothing else


def test_a_failed_polls_rejected_rows_still_reach_the_dead_letter(tmp_path: Any, r: redis.Redis) -> None:
    from data_sources.providers.csv_replay import CsvReplay

    path = tmp_path / "air.csv"
    path.write_text("entity_id,ts,pm25_1h\nA,yesterday,30\n", encoding="utf-8")
    src = CsvReplay(path=path, feed="air")
    assert Runner(r, [src]).run_once(src, now_ms()) == 0
    assert "no usable rows" in r.hget(keys.health("air"), "last_error")
    assert dead_letters(r)[0]["reason"].startswith("air.csv line 2: ts: bad time")


def test_a_bug_in_one_source_does_not_stop_the_runner(r: redis.Redis) -> None:
    class Broken:
        name, feeds, interval_s = "broken", ("water",), 60.0

        def poll(self, now_ms: int) -> list[Reading]:
            raise RuntimeError("a bug")

    runner = Runner(r, [Broken(), Rows()])
    runner.step()
    assert set(r.hkeys(keys.latest("air"))) == {"S1", "S3"}
    assert "unexpected RuntimeError: a bug" in r.hget(keys.health("water"), "last_error")


def test_lone_surrogates_cost_only_their_record(client: FlaskClient, r: redis.Redis) -> None:
    # a JSON "\\ud800" escape decodes to a string UTF-8 cannot hold: it used to fail the whole batch with a 503
    t = now_ms()
    body = ('[{"entity_id": "x\\ud800", "ts": T, "values": {"pm25_1h": 5}},'
            ' {"entity_id": "named", "ts": T, "values": {"pm25_1h": 5}, "meta": {"name": "<b>\\udfff"}},'
            ' {"entity_id": "\\ud800<i>", "ts": T, "values": {"pm25\\udc00": 5}},'
            ' {"entity_id": "good", "ts": T, "values": {"pm25_1h": 5}}]').replace("T", str(t))
    out = client.post("/api/v1/ingest/air", data=body, content_type="application/json", headers=AUTH)
    assert out.status_code == 200
    got = out.get_json()
    assert got["accepted"] == 1 and [rej["index"] for rej in got["rejected"]] == [0, 1, 2]
    assert got["rejected"][0]["reason"] == "entity_id: not valid Unicode (a lone surrogate)"
    assert got["rejected"][1]["reason"] == "meta.name: not valid Unicode (a lone surrogate)"
    assert r.hkeys(keys.latest("air")) == ["good"] and len(dead_letters(r)) == 3


def test_a_sources_lone_surrogate_is_rejected_by_the_pipeline(r: redis.Redis) -> None:
    class Odd:
        name, feeds, interval_s = "odd", ("service",), 60.0

        def poll(self, now_ms: int) -> list[Reading]:
            return [Reading("service", "c1", now_ms, {"status": "open", "description": "pothole \udc80"}, {}),
                    Reading("service", "c2", now_ms, {"status": "open", "description": "fine"}, {})]

    src = Odd()
    assert Runner(r, [src]).run_once(src, now_ms()) == 1
    (dl,) = dead_letters(r)
    assert dl["reason"] == "values.description: not valid Unicode (a lone surrogate)" and "\\udc80" in dl["raw"]


def test_ngsi_notify_with_a_lone_surrogate_costs_only_that_entity(client: FlaskClient, r: redis.Redis) -> None:
    # issue #13 item 3: the notify endpoint answered 503 "nothing accepted" on every retry of such a batch
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    body = ('{"type": "Notification", "data": ['
            '{"id": "urn:ngsi-ld:AirQualityObserved:bad\\ud800", "type": "AirQualityObserved", "dateObserved": "T",'
            ' "pm25": 20},'
            '{"id": "urn:ngsi-ld:AirQualityObserved:named", "type": "AirQualityObserved", "dateObserved": "T",'
            ' "pm25": 20, "name": "x\\udfff"},'
            '{"id": "urn:ngsi-ld:AirQualityObserved:good", "type": "AirQualityObserved", "dateObserved": "T",'
            ' "pm25": 20}]}').replace('"T"', f'"{t}"')
    out = client.post("/api/v1/ngsi-ld/notify", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert out.status_code == 200, out.get_data(as_text=True)
    got = out.get_json()
    assert got["accepted"] == 1 and len(got["rejected"]) == 2
    assert r.hkeys(keys.latest("air")) == ["urn:ngsi-ld:AirQualityObserved:good"]
