"""HTTP API for alerts with Flask's test client on the real app (behind its gate), against the real server.

Who acts is the signed-in user: a "by" in the body is ignored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask, g
from flask.testing import FlaskClient

import api as api_pkg
import app as app_module
from alerts.rules import parse_rules
from alerts.service import Evaluator
from api.alerts import bp
from auth.principal import Principal
from config.settings import Settings
from core.derive import derive
from core.readings import Reading
from store import context, users
from store.client import connect
from store.embedded import EmbeddedServer
from store.writer import Writer
from tests.clock import H, iso, now_ms
from tests.conftest import ADMIN_PW, API_AUTH, API_TOKEN, client_login, free_port

pytestmark = pytest.mark.integration
RULES = parse_rules({"rules": [
    {"id": "station_aqi", "name_zh": "站点AQI超标", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
     "comparator": ">", "levels": [{"level": "blue", "threshold": 100}], "for_s": 0},
]})


OPERATOR, OPERATOR_PW = "zhang.gong", "operator-password-1"


def make_client(url: str, client: redis.Redis) -> Iterator[FlaskClient]:
    """A tiny app around the blueprint, with the gate's outcome (an operator) set by hand: for an unreachable store."""
    app = Flask(__name__)
    context.init(app, context.Context(settings=Settings(redis_url=url, simulator=False), city={}, feeds={},
                                      redis=client, cache=None))
    app.before_request(lambda: setattr(g, "principal", Principal(name=OPERATOR, role="operator")))
    app.register_blueprint(bp)
    yield app.test_client()


@pytest.fixture
def http(redis_server: EmbeddedServer, r: redis.Redis) -> Iterator[FlaskClient]:
    """The whole app, signed in as an operator of the whole city."""
    dash_app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="x" * 32,
                                              admin_password=ADMIN_PW, api_token=API_TOKEN))
    users.create_user(r, OPERATOR, OPERATOR_PW, "operator")
    client = dash_app.server.test_client()
    assert client_login(client, OPERATOR, OPERATOR_PW).status_code == 303
    yield client


def fire(r: redis.Redis, entity: str = "A", pm25: float = 200.0) -> int:
    now = int(time.time() * 1000)
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    rd = Reading("air", entity, now, values, {"name": "天河职幼", "district_adcode": "440106"})
    Writer(r, source="test").write([(rd, derive(rd))], now)
    Evaluator(r, RULES, city={}, feeds_cfg={"air": {"stale_after_s": 30}}).evaluate(now)
    return now


def test_list_alerts(http: FlaskClient, r: redis.Redis) -> None:
    assert http.get("/api/v1/alerts").get_json() == []
    fire(r)
    [alert] = http.get("/api/v1/alerts?state=active").get_json()
    assert {"id", "rule", "scope", "level", "state", "since", "value"} <= set(alert)
    assert (alert["id"], alert["level"], alert["state"]) == ("station_aqi:A", "blue", "firing")
    assert alert["since"].endswith("+00:00") and alert["entity_name"] == "天河职幼"
    assert len(http.get("/api/v1/alerts?state=all").get_json()) == 1
    resp = http.get("/api/v1/alerts?state=open")
    assert resp.status_code == 400 and "state" in resp.get_json()["error"]


def test_acknowledge(http: FlaskClient, r: redis.Redis) -> None:
    fire(r)
    resp = http.post("/api/v1/alerts/station_aqi:A/ack", json={"by": "张工", "comment": "已派人"})
    assert resp.status_code == 200
    assert {k: resp.get_json()[k] for k in ("state", "ack_by", "ack_comment")} == {
        "state": "acknowledged", "ack_by": OPERATOR, "ack_comment": "已派人"}  # the session user, not "by"
    again = http.post("/api/v1/alerts/station_aqi:A/ack", json={})
    assert again.status_code == 409 and "acknowledged" in again.get_json()["error"]
    assert http.post("/api/v1/alerts/nope:X/ack", json={}).status_code == 404


def test_acknowledge_with_the_api_token_records_its_name(http: FlaskClient, r: redis.Redis) -> None:
    fire(r)
    anonymous = http.application.test_client()  # no session cookie, only the bearer token
    resp = anonymous.post("/api/v1/alerts/station_aqi:A/ack", json={"comment": "自动化"}, headers=API_AUTH)
    assert resp.status_code == 200 and resp.get_json()["ack_by"] == "api-token"
    assert anonymous.post("/api/v1/alerts/station_aqi:A/ack", json={}).status_code == 401


@pytest.mark.parametrize("body", [{"comment": "c" * 501}, {"comment": 7}, [1], "not json"])
def test_acknowledge_rejects_bad_input(http: FlaskClient, r: redis.Redis, body: Any) -> None:
    fire(r)
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
    resp = http.post("/api/v1/alerts/station_aqi:A/ack", **kwargs)
    assert resp.status_code == 400 and resp.get_json()["error"]


def test_log_since(http: FlaskClient, r: redis.Redis) -> None:
    now = fire(r)
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 60))
    entries = http.get("/api/v1/alerts/log", query_string={"since": since}).get_json()
    assert [(e["alert"], e["event"]) for e in entries] == [("station_aqi:A", "firing")] and entries[0]["at"]
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now / 1000 + 60))
    assert http.get("/api/v1/alerts/log", query_string={"since": later}).get_json() == []
    assert len(http.get("/api/v1/alerts/log").get_json()) == 1  # default: the last 24 h
    for bad in ("2026-05-01T08:00:00", "yesterday", ""):
        resp = http.get("/api/v1/alerts/log", query_string={"since": bad})
        assert resp.status_code == 400 and "offset" in resp.get_json()["error"]
    assert http.get("/api/v1/alerts/log?limit=0").status_code == 400


def test_silences(http: FlaskClient, r: redis.Redis) -> None:
    resp = http.post("/api/v1/silences", json={"scope": {"rule": "station_aqi", "district": "440106"},
                                               "reason": "设备检修", "by": "王工", "duration_s": 3600})
    assert resp.status_code == 201
    sid = resp.get_json()["id"]
    [sil] = http.get("/api/v1/silences").get_json()
    assert (sil["id"], sil["created_by"], sil["reason"]) == (sid, OPERATOR, "设备检修")
    fire(r)
    assert http.get("/api/v1/alerts").get_json()[0]["silenced"] is True
    assert http.delete(f"/api/v1/silences/{sid}").get_json() == {"deleted": sid}
    assert http.delete(f"/api/v1/silences/{sid}").status_code == 404
    deleted = [e for e in http.get("/api/v1/alerts/log").get_json() if e["event"] == "silence_deleted"]
    assert [(e["by"], e["district"]) for e in deleted] == [(OPERATOR, "440106")]
    assert http.get("/api/v1/silences").get_json() == []


@pytest.mark.parametrize("body", [
    {"scope": {"rule": "no_such_rule"}, "reason": "x", "duration_s": 60},
    {"scope": {}, "reason": "x", "duration_s": 60},
    {"scope": {"rule": "station_aqi"}, "reason": "", "duration_s": 60},
    {"scope": {"rule": "station_aqi"}, "reason": "x"},
    {"scope": {"rule": "station_aqi"}, "reason": "x", "until": iso(now_ms() + 24 * H, naive=True)},  # no offset
    {"scope": {"rule": "station_aqi"}, "reason": "x", "duration_s": -5},
])
def test_silence_rejects_bad_input(http: FlaskClient, body: dict[str, Any]) -> None:
    resp = http.post("/api/v1/silences", json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]


def test_store_unreachable_is_a_503_not_a_stack_trace() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    for client in make_client(url, connect(url, retries=0)):
        for resp in (client.get("/api/v1/alerts"), client.post("/api/v1/alerts/a:b/ack", json={}),
                     client.get("/api/v1/alerts/log"), client.get("/api/v1/silences")):
            assert resp.status_code == 503 and resp.get_json() == {"error": "store unavailable"}


def test_blueprint_is_registered_on_the_app() -> None:
    assert "api.alerts" in api_pkg.MODULES
