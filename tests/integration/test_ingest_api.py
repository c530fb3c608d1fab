"""Push ingest API through Flask's test client against a real Redis: per-record rejection with dead letters,
idempotent re-sends, every whole-request error, Redis down, NGSI-LD notifications, and the wall seeing the data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

import app as app_module
from config.settings import Settings
from store import context, keys
from tests.clock import H, iso, now_ms
from tests.conftest import AUTH_SETTINGS, free_port

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer t"}


def make_client(url: str, **kw: Any) -> FlaskClient:
    settings = Settings(redis_url=url, simulator=False, ingest_token=kw.pop("token", "t"), **{**AUTH_SETTINGS, **kw})
    return app_module.create_app(settings).server.test_client()


@pytest.fixture
def client(redis_server: Any, r: redis.Redis) -> Iterator[FlaskClient]:
    yield make_client(redis_server.url, ingest_max_batch=50, ingest_rate_per_min=1_000)


def air(eid: str, ts: Any, **values: float) -> dict[str, Any]:
    return {"entity_id": eid, "ts": ts, "values": values or {"pm25_1h": 80, "pm10_1h": 90, "no2_1h": 30}}


def post(client: FlaskClient, feed: str, body: Any, **kw: Any) -> Any:
    return client.post(f"/api/v1/ingest/{feed}", json=body, headers={**AUTH, **kw.pop("headers", {})}, **kw)


def test_a_bad_record_rejects_only_itself_and_is_dead_lettered(client: FlaskClient, r: redis.Redis) -> None:
    t = now_ms()
    body = [air("1345A", t), {"entity_id": "1346A", "ts": iso(t - 2 * H, naive=True), "values": {"pm25_1h": 5}},
            air("1347A", iso(t - 2 * H), pm25_1h=12.5), air("1348A", t, pm25=3),
            {"entity_id": "x" * 200, "ts": t, "values": {"pm25_1h": 1}, "note": "y" * 5000}]
    resp = post(client, "air", body)
    assert resp.status_code == 200
    out = resp.get_json()
    assert out["accepted"] == 2 and [x["index"] for x in out["rejected"]] == [1, 3, 4]
    reasons = [x["reason"] for x in out["rejected"]]
    assert "no UTC offset" in reasons[0] and "values.pm25: unknown key" in reasons[1] and "note" in reasons[2]
    assert set(r.hkeys(keys.latest("air"))) == {"1345A", "1347A"}
    doc = json.loads(r.hget(keys.latest("air"), "1345A"))
    assert doc["d"]["aqi"] is not None and doc["d"]["standard"].startswith("HJ633")  # derived at ingest
    dead = r.xrange(keys.REJECTED)
    assert [(e["feed"], e["index"]) for _, e in dead] == [("air", "1"), ("air", "3"), ("air", "4")]
    assert dead[1][1]["reason"] == reasons[1] and json.loads(dead[1][1]["raw"])["values"] == {"pm25": 3}
    assert len(dead[2][1]["raw"]) == 2000  # the raw record is kept, truncated
    assert r.hget(keys.health("air"), "source") == "ingest"


def test_resending_the_same_batch_is_idempotent(client: FlaskClient, r: redis.Redis) -> None:
    t = now_ms()
    body = [air(f"S{i}", t - i * 1000) for i in range(20)]
    assert post(client, "air", body).get_json()["duplicates"] == 0
    before = (r.xlen(keys.readings("air")), r.hgetall(keys.latest("air")))
    changed = [{**rec, "values": {"pm25_1h": 999}} for rec in body]  # same (entity, ts), other values
    out = post(client, "air", changed).get_json()
    assert out == {"accepted": 20, "duplicates": 20, "rejected": [], "warnings": []}
    assert (r.xlen(keys.readings("air")), r.hgetall(keys.latest("air"))) == before
    assert post(client, "air", [air("S0", t + 1000)]).get_json()["duplicates"] == 0  # a new ts is new
    assert r.xlen(keys.readings("air")) == 21


def test_each_feed_with_its_derived_indicators(client: FlaskClient, r: redis.Redis) -> None:
    t = now_ms()
    asked = t - 17 * H  # both cases asked 17 h ago: the closed one stays inside the 25 h closed-case window
    water = {"entity_id": "BY-01", "ts": t, "meta": {"waterbody": "river"},
             "values": {"do": 4.2, "codmn": 7.5, "nh3n": 1.3, "tp": 0.18, "ph": 7.2, "transparency_cm": 30,
                        "orp_mv": 80}}
    traffic = {"entity_id": "seg-1", "ts": t, "values": {"speed_kmh": 12, "free_flow_kmh": 50},
               "meta": {"road_class": "arterial", "length_m": 850}, "lat": 23.13, "lon": 113.32}
    case_open = {"entity_id": "GZ-1", "ts": t, "values": {
        "service_request_id": "GZ-1", "status": "open", "service_code": "0101", "service_name": "井盖破损",
        "requested_datetime": iso(asked), "expected_datetime": iso(asked + H), "lat": 23.13, "long": 113.32}}
    case_closed = {"entity_id": "GZ-2", "ts": t, "values": {  # closed after 30 min, due within a day: on time
        "status": "closed", "requested_datetime": iso(asked), "updated_datetime": iso(asked + H // 2),
        "expected_datetime": iso(asked + 24 * H)}}
    furniture = {"entity_id": "F000001", "ts": t, "values": {"status": "damaged"}, "meta": {"category": "0101"}}
    for feed, rec in (("water", water), ("traffic", traffic), ("service", case_open), ("service", case_closed),
                      ("furniture", furniture)):
        assert post(client, feed, [rec]).get_json()["accepted"] == 1, feed
    assert json.loads(r.hget(keys.latest("water"), "BY-01"))["d"]["klass"] == "IV"
    seg = json.loads(r.hget(keys.latest("traffic"), "seg-1"))
    assert seg["d"]["level"] == 5 and seg["m"]["lat"] == 23.13
    due = (asked + H) // 1000 * 1000  # the due time, to the second as written
    assert r.zscore(keys.open_due(), "GZ-1") == due and r.zscore(keys.closed(), "GZ-2") is not None
    assert json.loads(r.hget(keys.latest("furniture"), "F000001"))["v"]["status"] == "damaged"


@pytest.mark.parametrize(("kwargs", "status", "message"), [
    ({"data": "[{", "content_type": "application/json"}, 400, "not JSON"),
    ({"data": b"\xff\xfe", "content_type": "application/json"}, 400, "not JSON"),
    ({"json": {"entity_id": "a"}}, 400, "JSON array"),
    ({"json": [], "headers": {"Authorization": "Bearer nope"}}, 401, "token"),
    ({"json": [], "headers": {"Authorization": "t"}}, 401, "token"),
    ({"data": "[]", "content_type": "text/plain"}, 415, "Content-Type"),
    ({"json": [air("a", now_ms())] * 51}, 413, "exceeds the limit of 50"),
])
def test_whole_request_errors(client: FlaskClient, kwargs: dict, status: int, message: str) -> None:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    resp = client.post("/api/v1/ingest/air", headers=headers, **kwargs)
    assert resp.status_code == status and message in resp.get_json()["error"]
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_feed_and_missing_auth(client: FlaskClient) -> None:
    assert client.post("/api/v1/ingest/weather", json=[], headers=AUTH).status_code == 404
    assert client.post("/api/v1/ingest/air", json=[]).status_code == 401


def test_rate_limit_counts_readings_per_minute(client: FlaskClient) -> None:
    if time.time() % 60 > 50:  # the limiter counts per clock minute: do not let the window roll over mid-test
        time.sleep(60 - time.time() % 60 + 0.1)
    t = now_ms()
    for i in range(20):
        assert post(client, "air", [air(f"R{i}-{j}", t) for j in range(50)]).status_code == 200
    resp = post(client, "air", [air("over", t)])
    assert resp.status_code == 429 and 1 <= int(resp.headers["Retry-After"]) <= 60


def test_ingest_disabled_without_a_token(redis_server: Any, r: redis.Redis) -> None:
    resp = make_client(redis_server.url, token=None).post("/api/v1/ingest/air", json=[], headers=AUTH)
    assert resp.status_code == 503 and resp.get_json() == {"error": "ingest disabled: set ONESCREEN_INGEST_TOKEN"}


def test_redis_down_is_503_and_nothing_accepted() -> None:
    client = make_client(f"redis://127.0.0.1:{free_port()}/0")
    resp = post(client, "air", [air("1345A", now_ms())])
    assert resp.status_code == 503 and "accepted" not in resp.get_json()
    assert int(resp.headers["Retry-After"]) > 0
    notify = client.post("/api/v1/ngsi-ld/notify", json={"type": "Notification", "data": []}, headers=AUTH)
    assert notify.status_code == 503


def test_accepted_readings_reach_the_wall_within_two_ticks(client: FlaskClient) -> None:
    ctx = context.of(client.application)
    t = now_ms()
    before = ctx.summary(t)
    assert "1345A" not in before["air"]["stations"]
    post(client, "air", [air("1345A", t, pm25_1h=80, pm10_1h=90, no2_1h=30)])
    after = ctx.summary(t + 2 * ctx.settings.tick_ms)
    assert after["air"]["stations"]["1345A"]["aqi"] is not None and after["status"]["air"]["source"] == "ingest"


def ngsi_notification() -> dict[str, Any]:
    from tests.fixtures.http_server import payload

    return json.loads(payload("ngsi_notification.json"))


def test_ngsi_notifications_same_guarantees(client: FlaskClient, r: redis.Redis, monkeypatch: Any) -> None:
    monkeypatch.setattr(context, "now_ms", lambda: 1_795_285_205_000)  # just after the fixture's notifiedAt
    body = json.dumps(ngsi_notification())
    resp = client.post("/api/v1/ngsi-ld/notify", data=body, content_type="application/ld+json", headers=AUTH)
    out = resp.get_json()
    assert resp.status_code == 200 and out["accepted"] == 1
    assert out["rejected"][0]["index"] == 1 and "Building" in out["rejected"][0]["reason"]
    eid = "urn:ngsi-ld:AirQualityObserved:Guangzhou-1345A-2026-11-21T18:00:00"
    assert json.loads(r.hget(keys.latest("air"), eid))["d"]["aqi"] is not None
    assert r.xrange(keys.REJECTED)[0][1]["feed"] == "ngsi-ld"
    again = client.post("/api/v1/ngsi-ld/notify", data=body, content_type="application/json", headers=AUTH)
    assert again.get_json()["duplicates"] == 1 and r.xlen(keys.readings("air")) == 1
    assert client.post("/api/v1/ngsi-ld/notify", data=body, content_type="text/plain",
                       headers=AUTH).status_code == 415
    assert client.post("/api/v1/ngsi-ld/notify", data=body, content_type="application/json").status_code == 401
    wrong = client.post("/api/v1/ngsi-ld/notify", json={"type": "Subscription"}, headers=AUTH)
    assert wrong.status_code == 400
