"""Forwarding to the hotline's Open311 endpoint (issue #15, data_sources/providers/open311_forward.py). The upstream
here is a real Open311 GeoReport v2 server: another OneScreen (api/open311.py) served over HTTP on loopback, with its
own records and its own Redis database. The cases OneScreen opens are filed there (an event under E and its code)
and keep the upstream's id; one the upstream refuses (no position) is a dead letter at once; while it cannot be
reached, tries wait 30 s, 1, 2 … minutes and end as dead letters after MAX_ATTEMPTS; the hotline's own cases are
never sent back; the API key never reaches a log line."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly.utils
import pytest
import redis
from werkzeug.serving import make_server

import app as app_module
from config.settings import Settings
from data_sources.providers import open311_forward as fwd
from layouts import overview
from store import casebook, keys
from store.client import connect
from tests.conftest import ADMIN_PW, API_TOKEN, free_port

pytestmark = pytest.mark.integration
IN_BAIYUN = (113.443, 23.3035)  # the air station 1355A


class Upstream:
    """Another OneScreen serving Open311 on a port, started and stopped at will (the same port each time)."""

    def __init__(self, redis_url: str, data_dir: Path) -> None:
        self.app = app_module.create_app(Settings(redis_url=redis_url, simulator=False, secret_key="u" * 32,
                                                  admin_password=ADMIN_PW, api_token=API_TOKEN, data_dir=data_dir))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/open311/v2"
        self.srv: Any = None

    def start(self) -> None:
        self.srv = make_server("127.0.0.1", self.port, self.app.server, threaded=True)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.srv is not None:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None

    def request(self, rid: str) -> dict[str, Any]:
        client = self.app.server.test_client()
        resp = client.get(f"/open311/v2/requests/{rid}.json", query_string={"api_key": API_TOKEN})
        assert resp.status_code == 200, resp.data[:300]
        return resp.get_json()[0]


@pytest.fixture
def upstream(redis_server: Any, tmp_path: Path) -> Iterator[Upstream]:
    url = redis_server.url.rsplit("/", 1)[0] + "/1"  # its own database: its sign-in, tokens and live layer
    connect(url).flushdb()
    up = Upstream(url, tmp_path / "upstream")
    yield up
    up.stop()


@pytest.fixture
def book(tmp_path: Path) -> Any:
    eng = casebook.engine_for(None, tmp_path / "here")
    casebook.migrate(eng)
    return casebook.Casebook(eng)


def report(book: Any, now: int, category: str, channel: str, kind: str = "component",
           where: tuple[float | None, float | None] = IN_BAIYUN) -> str:
    cid = casebook.new_id()
    book.report(cid, category, now, kind=kind, channel=channel, district="440111", lon=where[0], lat=where[1],
                description="井盖缺失", by="li", role="inspector")
    return cid


def test_cases_opened_here_are_filed_upstream_and_refusals_become_dead_letters(
        upstream: Upstream, book: Any, r: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    now = int(time.time() * 1000)
    cover = report(book, now, "0101", "inspector")
    parking = report(book, now, "0505", "video", kind="event")  # an event: service code E0505
    nowhere = report(book, now, "0101", "superior", where=(None, None))  # the hotline needs a position
    report(book, now, "0101", "public")  # came from the hotline: never sent back
    sender = fwd.Forwarder(book, r, upstream.base, API_TOKEN, timeout_s=5)

    assert sender.step(now) == {"sent": 0, "retry": 3, "dead": 0}  # the upstream is down
    rows = {x["case_id"]: x for x in book.forwards()}
    assert set(rows) == {cover, parking, nowhere}
    assert rows[cover]["state"] == "pending" and rows[cover]["attempts"] == 1
    assert rows[cover]["next_ms"] == now + 30_000 and "cannot reach" in rows[cover]["last_error"]
    health = r.hgetall(keys.health("forward"))
    assert health["consecutive_errors"] == "1" and health["pending"] == "3" and "last_ok_ms" not in health

    upstream.start()
    assert sender.step(now + 10_000) == {"sent": 0, "retry": 0, "dead": 0}  # not due yet
    assert sender.step(now + 30_000) == {"sent": 2, "retry": 0, "dead": 1}
    rows = {x["case_id"]: x for x in book.forwards()}
    assert rows[cover]["state"] == "sent" and rows[cover]["upstream_id"].startswith("OS-")
    filed = upstream.request(rows[cover]["upstream_id"])
    assert filed["service_code"] == "0101" and filed["description"].startswith(f"[{cover}]")
    assert abs(filed["lat"] - IN_BAIYUN[1]) < 1e-9 and abs(filed["long"] - IN_BAIYUN[0]) < 1e-9
    assert upstream.request(rows[parking]["upstream_id"])["service_code"] == "E0505"  # an event there too
    assert rows[nowhere]["state"] == "dead" and "lat and long are required" in rows[nowhere]["last_error"]
    health = r.hgetall(keys.health("forward"))
    assert (health["pending"], health["sent"], health["dead"], health["consecutive_errors"]) == ("0", "2", "1", "0")
    assert int(health["last_ok_ms"]) == now + 30_000 and health["source"] == f"127.0.0.1:{upstream.port}"
    shown = json.dumps(overview.status_table({"status": {}}, "en", {"forward": health}, now + 40_000),
                       cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)  # the overview's feeds table
    assert "Open311 forwarding" in shown and "pending 0 · dead 1 · sent 2" in shown and "10 s ago" in shown
    assert sender.step(now + 60_000) == {"sent": 0, "retry": 0, "dead": 0}  # nothing is sent twice
    assert API_TOKEN not in caplog.text


def test_an_upstream_that_stays_away_ends_in_a_dead_letter_after_the_last_try(upstream: Upstream, book: Any) -> None:
    now = int(time.time() * 1000)
    cid = report(book, now, "0101", "inspector")
    sender = fwd.Forwarder(book, None, upstream.base, API_TOKEN, timeout_s=2)
    at, waits = now, []
    for _ in range(fwd.MAX_ATTEMPTS):
        done = sender.step(at)
        row = book.forwards()[0]
        if row["state"] == "dead":
            break
        assert done == {"sent": 0, "retry": 1, "dead": 0}
        waits.append(row["next_ms"] - at)
        at = row["next_ms"]
    assert waits == [fwd.backoff_ms(n) for n in range(fwd.MAX_ATTEMPTS - 1)]  # 30 s, 1 min, 2, 4 … at most 1 h
    assert row["state"] == "dead" and row["attempts"] == fwd.MAX_ATTEMPTS and row["case_id"] == cid
    assert sender.step(at + 86_400_000) == {"sent": 0, "retry": 0, "dead": 0}  # a dead letter is not tried again


def test_an_answer_that_is_not_geo_report_v2_is_not_tried_again() -> None:
    with pytest.raises(fwd.SourcePayloadError):
        fwd.created_id(b"<html>ok</html>")
    with pytest.raises(fwd.SourcePayloadError):
        fwd.created_id(b'[{"service_notice": "thanks"}]')
    assert fwd.created_id(b'[{"token": "12345"}]') == "12345"
    assert fwd.created_id(b'[{"service_request_id": 638344}]') == "638344"
    assert [fwd.backoff_ms(n) for n in (0, 1, 2, 7, 30)] == [30_000, 60_000, 120_000, 3_600_000, 3_600_000]


def test_events_are_open311_services_under_e_and_their_code(upstream: Upstream) -> None:
    client, key = upstream.app.server.test_client(), {"api_key": API_TOKEN}
    services = {s["service_code"]: s for s in client.get("/open311/v2/services.json", query_string=key).get_json()}
    assert services["E0505"]["service_name"] == "机动车乱停放" and services["E0505"]["group"] == "街面秩序"
    assert services["0505"]["group"] == "房屋土地"  # the component with the same digits is another service
    for code in ("E0505", "0505"):
        filed = client.post("/open311/v2/requests.json", data={**key, "service_code": code, "lat": IN_BAIYUN[1],
                                                               "long": IN_BAIYUN[0]})
        assert filed.status_code == 201, filed.data
    events = client.get("/open311/v2/requests.json", query_string={**key, "service_code": "E0505"}).get_json()
    assert [e["service_code"] for e in events] == ["E0505"]
    parts = client.get("/open311/v2/requests.json", query_string={**key, "service_code": "0505"}).get_json()
    assert [e["service_code"] for e in parts] == ["0505"]
    mixed = client.get("/open311/v2/requests.json", query_string={**key, "service_code": "0505,E0505"})
    assert mixed.status_code == 400 and "separate" in mixed.get_json()[0]["description"]


def test_a_redirect_is_not_followed_into_a_get_and_credentials_stay_out_of_the_health(book: Any,
                                                                                        r: redis.Redis) -> None:
    def moved(environ: dict[str, Any], start: Any) -> list[bytes]:  # an http -> https move, as hotlines do
        start("302 Found", [("Location", "/open311/v2/requests.json?page=1"), ("Content-Type", "text/plain")])
        return [b"moved"]

    srv = make_server("127.0.0.1", free_port(), moved, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        now = int(time.time() * 1000)
        cid = report(book, now, "0101", "inspector")
        sender = fwd.Forwarder(book, r, f"http://ops:hunter2@127.0.0.1:{srv.server_port}/open311/v2", API_TOKEN,
                               timeout_s=5)
        assert sender.step(now) == {"sent": 0, "retry": 0, "dead": 1}
        row = book.forwards()[0]
        assert row["case_id"] == cid and row["upstream_id"] is None and "HTTP 302" in row["last_error"]
        health = r.hgetall(keys.health("forward"))
        assert health["source"] == f"127.0.0.1:{srv.server_port}" and "hunter2" not in str(health)
        assert cid not in health["last_error"]  # every overview shows it: no case ids
    finally:
        srv.shutdown()
        srv.server_close()
