"""Security and robustness, round two (issue #13): each item's test, through the real app and a real Redis server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient

import app as app_module
from auth import gate, login
from config.settings import ROOT, Settings
from core.derive import derive
from core.readings import Reading
from data_sources.runner import reset_simulated_cases
from store import keys, snapshot, users
from store.writer import Writer
from tests.clock import now_ms
from tests.conftest import ADMIN_PW, API_AUTH, API_TOKEN, KIOSK, AppProcess, client_login
from tests.integration.test_scope_api import BAIYUN, TIANHE, case

pytestmark = pytest.mark.integration
PW = "security-two-password"


@pytest.fixture
def server(redis_server: Any, r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setattr(gate, "CACHE_S", 0.0)  # every request asks Redis (the 2 s worker cache is tested elsewhere)
    yield app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="s" * 32,
                                         admin_password=ADMIN_PW, api_token=API_TOKEN, kiosk_tokens=KIOSK,
                                         login_rate_per_5min=10)).server


def signed_in(server: Flask, name: str = "admin", pw: str = ADMIN_PW) -> FlaskClient:
    client = server.test_client()
    assert client_login(client, name, pw).status_code == 303
    return client


# -- item 4: a simulator restart drops only its own cases, from every index -------------------------------------------
def test_restart_drops_simulated_cases_everywhere_and_keeps_ingested_ones(r: redis.Redis) -> None:
    now = now_ms()
    simulated = [Reading("service", f"SIM-{i}", now - 1000, {**case(f"SIM-{i}", ad, now, due_in_h=h).values},
                         {"district_adcode": ad, "simulated": True})
                 for i, (ad, h) in enumerate([(BAIYUN, -1), (BAIYUN, 3), (TIANHE, 2), (TIANHE, -4)])]
    pushed = [case("PUSH-1", BAIYUN, now, due_in_h=5), case("PUSH-2", TIANHE, now, due_in_h=-2),
              case("PUSH-3", BAIYUN, now, due_in_h=-9, closed_ago_h=1)]
    w = Writer(r, source="test")
    for rd in [*simulated, *pushed]:
        w.write([(rd, derive(rd))], now)
    assert snapshot.read(r, now, BAIYUN)["service"]["open"] == 3
    reset_simulated_cases(r)
    assert set(r.hkeys(keys.latest("service"))) == {"PUSH-1", "PUSH-2", "PUSH-3"}
    for adcode in (BAIYUN, TIANHE):  # a district's tile counts exactly the cases its map shows
        shown = snapshot.read_case_points(r, adcode).ids
        tile = snapshot.read(r, now, adcode)["service"]
        assert tile["open"] == len(shown) == 1
    assert snapshot.read(r, now)["service"]["open"] == 2
    assert r.zcard(keys.district_key(keys.closed(), BAIYUN)) == 1
    assert not any(m.endswith(":SIM-0") for m in r.zrange(keys.seen("service"), 0, -1))
    assert r.hget(keys.case_districts(), "SIM-0") is None and r.hget(keys.case_districts(), "PUSH-1")


# -- item 5: an error answer means nothing changed; /admin keeps working ----------------------------------------------
def test_admin_api_refuses_lone_surrogates_and_changes_nothing(server: Flask, r: redis.Redis) -> None:
    admin = signed_in(server)
    for path, body in (("/api/v1/admin/kiosks", '{"name": "w\\udc80"}'),
                       ("/api/v1/admin/users", '{"username": "zz", "role": "viewer", "display_name": "x\\ud800"}'),
                       ("/api/v1/admin/tokens", '{"username": "admin", "name": "t\\udfff"}')):
        resp = admin.post(path, data=body, content_type="application/json")
        assert resp.status_code == 400 and "surrogate" in resp.get_json()["error"]
    assert users.list_kiosks(r) == [] and users.get_user(r, "zz") is None and users.list_api_tokens(r) == []
    with pytest.raises(ValueError, match="surrogate"):  # the store refuses it too, whoever calls it
        users.issue_kiosk(r, "w\udc80")
    assert admin.get("/admin").status_code == 200
    silence = admin.post("/api/v1/silences", data='{"scope": {"rule": "x"}, "reason": "m\\ud800", "hours": 1}',
                         content_type="application/json")
    assert silence.status_code == 400


# -- item 6: concurrent guesses cannot get past the limit -------------------------------------------------------------
def test_concurrent_wrong_passwords_are_counted_before_they_are_checked(server: Flask, r: redis.Redis,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    users.create_user(r, "target", PW, "viewer")
    checked: list[int] = []
    real_verify = users.verify

    def slow_verify(*args: Any) -> Any:  # a password hash takes time: the window the old code left open
        checked.append(1)
        time.sleep(0.05)
        return real_verify(*args)

    monkeypatch.setattr(login.users, "verify", slow_verify)
    clients = [server.test_client() for _ in range(40)]
    forms = []
    for c in clients:
        html_ = c.get("/login").get_data(as_text=True)
        forms.append(html_.split('name="csrf_token" value="')[1].split('"')[0])
    start, codes = threading.Barrier(40), []

    def guess(i: int) -> None:
        start.wait()
        codes.append(clients[i].post("/login", data={"username": "target", "password": f"wrong-{i}",
                                                     "csrf_token": forms[i]}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) <= 10 and sorted(set(codes)) == [401, 429] and codes.count(401) == len(checked)
    # the right password is throttled too until the window ends; a success does not count as a guess
    assert signed_in(server, "admin").get("/api/v1/me").status_code == 200


# -- item 7: logout ends the session on the server --------------------------------------------------------------------
def test_a_cookie_saved_before_logout_no_longer_works(server: Flask, r: redis.Redis) -> None:
    users.create_user(r, "leaver", PW, "analyst")
    client = signed_in(server, "leaver", PW)
    saved = client.get_cookie("onescreen_session")
    assert saved is not None and client.get("/api/v1/me").get_json()["name"] == "leaver"
    with client.session_transaction() as session:  # the token the page's sign-out form carries
        csrf = session["csrf"]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    replay = server.test_client()
    replay.set_cookie("onescreen_session", saved.value)
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/analyst").status_code == 302
    # another sign-in of the same user is untouched by this logout, and ends with its own
    other = signed_in(server, "leaver", PW)
    assert other.get("/api/v1/me").status_code == 200


# -- item 8: static files hold nothing a district user may not see ---------------------------------------------------
def test_station_geometry_is_only_served_scoped(server: Flask, r: redis.Redis) -> None:
    users.create_user(r, "by.viewer", PW, "leader", district=BAIYUN)
    client = signed_in(server, "by.viewer", PW)
    for name in ("guangzhou_aq_stations.geojson", "baiyun_river_points.geojson", "guangzhou_districts.geojson"):
        assert client.get(f"/assets/geo/{name}").status_code == 404
    assets = ROOT / "assets"
    stations = json.loads((ROOT / "geo" / "guangzhou_aq_stations.geojson").read_text(encoding="utf-8"))
    codes = [f["properties"].get("code") or f.get("id") or f["properties"].get("id") for f in stations["features"]]
    assert codes and all(codes)
    for path in assets.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [c for c in codes if str(c) in text], path
    mine = client.get("/api/v1/geo/air_stations.geojson").get_json()["features"]
    assert mine and {f["properties"]["district_adcode"] for f in mine} == {BAIYUN}
    assert len(mine) < len(stations["features"])
    assert client.get("/api/v1/geo/districts.geojson").status_code == 200  # the city's outline is for everybody


# -- item 9: a kiosk link becomes a cookie and a clean URL; a signed-in person is asked, not switched -----------------
def test_a_person_opening_a_kiosk_link_is_asked_and_stays_signed_in(server: Flask) -> None:
    admin = signed_in(server)
    asked = admin.get(f"/wall?kiosk={KIOSK}")
    assert asked.status_code == 409 and "signed in as" in asked.get_data(as_text=True)
    assert admin.get("/api/v1/me").get_json()["kind"] != "kiosk"
    body = asked.get_data(as_text=True)
    csrf = body.split('name="csrf_token" value="')[1].split('"')[0]
    switched = admin.post("/wall/kiosk", data={"csrf_token": csrf, "kiosk": KIOSK})
    assert switched.status_code == 303 and switched.headers["Location"] == "/wall"
    assert admin.get("/api/v1/me").get_json()["kind"] == "kiosk"


def test_a_wall_that_lost_its_session_signs_in_again_by_its_cookie(server: Flask) -> None:
    wall = server.test_client()
    assert wall.get(f"/wall?kiosk={KIOSK}").status_code == 303
    wall.delete_cookie("onescreen_session")  # e.g. the server restarted with a new session key
    assert wall.get("/api/v1/me").get_json()["kind"] == "kiosk"
    assert wall.get("/wall").status_code == 200


def test_no_secret_reaches_the_logs(redis_server: Any, r: redis.Redis) -> None:
    """Kiosk tokens, passwords, API and ingest tokens appear in no log line of a real run (request lines too)."""
    ingest = "ingest-secret-token-0123456789"
    with AppProcess(redis_server.url, {"ONESCREEN_INGEST_TOKEN": ingest}) as proc:
        s = requests.Session()
        assert s.get(f"{proc.url}/wall?kiosk={KIOSK}&lang=en", timeout=10).url.endswith("/wall?lang=en")
        assert s.get(f"{proc.url}/wall?kiosk=not-a-token-{KIOSK[::-1]}", timeout=10).status_code in (200, 401)
        person = requests.Session()
        page = person.get(f"{proc.url}/login", timeout=10).text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        person.post(f"{proc.url}/login", data={"username": "admin", "password": ADMIN_PW, "csrf_token": csrf},
                    timeout=10)
        person.post(f"{proc.url}/login?password={ADMIN_PW}", data={"username": "admin", "password": "x",
                                                                    "csrf_token": csrf}, timeout=10)
        requests.get(f"{proc.url}/api/v1/me", headers=API_AUTH, timeout=10)
        requests.get(f"{proc.url}/api/v1/me?token={API_TOKEN}", timeout=10)
        requests.post(f"{proc.url}/api/v1/ingest/air", headers={"Authorization": f"Bearer {ingest}"},
                      json=[{"entity_id": "x", "ts": now_ms(), "values": {"pm25_1h": 5}}], timeout=10)
        time.sleep(0.5)
    log = proc.stderr()
    assert "GET /wall?kiosk=" in log  # the request lines are logged: only their secrets are masked
    for secret in (KIOSK, KIOSK[::-1], ADMIN_PW, API_TOKEN, ingest):
        assert secret not in log, secret


def test_redaction_masks_every_secret_field() -> None:
    from auth.redact import redact

    line = ('"GET /wall?kiosk=abc&lang=en HTTP/1.1" Authorization: Bearer tok.en /cb?code=xyz&state=s '
            'password=hunter2 api_key=k1 ingest_token=it1 /login?next=%2Fwall%3Fkiosk%3Dpk1%26lang%3Den')
    out = redact(line)
    assert all(x not in out for x in ("abc", "tok.en", "xyz", "hunter2", "k1", "it1", "pk1")) and "lang=en" in out
    assert "%26lang%3Den" in out and redact("postcode=510000") == "postcode=510000"


def test_geo_dir_is_outside_the_served_assets() -> None:
    from core.geo import GEO_DIR

    assert not Path(GEO_DIR).resolve().is_relative_to((ROOT / "assets").resolve())


# -- review round: what a crafted request could still do ----------------------------------------------------------
def _callback_body(server: Flask, client: FlaskClient, needle: str) -> dict[str, Any]:
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if needle in d["output"] and not d.get("clientside_function"))
    parts = dep["output"][2:-2].split("...") if dep["output"].startswith("..") else [dep["output"]]
    outs = [{"id": p.rpartition(".")[0], "property": p.rpartition(".")[2].split("@")[0]} for p in parts]
    outs_ = [{**o, "id": json.loads(o["id"])} if o["id"].startswith("{") else o for o in outs]

    def item(spec: dict[str, Any]) -> Any:
        return [] if spec["id"].startswith("{") else {"id": spec["id"], "property": spec["property"], "value": None}

    return {"output": dep["output"], "outputs": outs_ if dep["output"].startswith("..") else outs_[0],
            "inputs": [item(i) for i in dep["inputs"]], "state": [item(x) for x in dep["state"]],
            "changedPropIds": []}


def test_crafted_outputs_changed_ids_and_pattern_ids_are_400(server: Flask) -> None:
    admin = signed_in(server)
    # a server callback with a pattern-id input (the consoles' row picks run in the browser now)
    base = _callback_body(server, admin, "cs-ov-msg")
    assert admin.post("/_dash-update-component", json=base).status_code in (200, 204)
    bad_outputs = {**base, "outputs": []}
    foreign = {**base, "changedPropIds": ["{x.n_clicks"]}
    keyless = {**base, "inputs": [[{"id": {"type": "cs-ov-press"}, "property": "n_clicks", "value": 1}]],
               "changedPropIds": ['{"type":"cs-ov-press"}.n_clicks']}
    for body in (bad_outputs, foreign, keyless):
        resp = admin.post("/_dash-update-component", json=body)
        assert resp.status_code == 400, (body, resp.get_data(as_text=True))
    multi = _callback_body(server, admin, "ac-msg")
    multi["outputs"] = multi["outputs"][:1]
    assert admin.post("/_dash-update-component", json=multi).status_code == 400


def test_pages_callback_paths_are_read_as_dash_reads_them(server: Flask, r: redis.Redis) -> None:
    users.create_user(r, "pv", PW, "viewer")
    viewer = signed_in(server, "pv", PW)
    body = _callback_body(server, viewer, "_pages_content")
    for path, expected in (("x", 403), ("//analyst", 403), ("/analyst/", 403), ("/", 200)):
        body["inputs"][0]["value"] = path
        assert viewer.post("/_dash-update-component", json=body).status_code == expected, path


@pytest.mark.parametrize("raw", [b'{"comment": "\xed\xa0\x80"}', '{"comment": "x"}'.encode("utf-16"),
                                 b'{"hours": 1e400}', b'{"hours": -Infinity}'])
def test_json_bodies_that_are_not_utf8_or_overflow_are_400(server: Flask, raw: bytes) -> None:
    resp = signed_in(server).post("/api/v1/alerts/x/ack", data=raw, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"].startswith("bad JSON body")


def test_a_user_deleted_and_created_again_does_not_inherit_old_sessions(server: Flask, r: redis.Redis) -> None:
    users.create_user(r, "again", PW, "admin")
    old = signed_in(server, "again", PW)
    saved = old.get_cookie("onescreen_session")
    users.delete_user(r, "again")
    time.sleep(0.002)  # a later creation time
    users.create_user(r, "again", PW, "viewer")
    replay = server.test_client()
    replay.set_cookie("onescreen_session", saved.value)
    assert replay.get("/api/v1/me").status_code == 401


def test_the_kiosk_cookie_goes_when_a_person_signs_in_or_out_or_the_link_is_revoked(server: Flask,
                                                                                   r: redis.Redis) -> None:
    token, kid = users.issue_kiosk(r, "Wall B")
    browser = server.test_client()
    assert browser.get(f"/wall?kiosk={token}").status_code == 303 and browser.get_cookie("onescreen_kiosk")
    assert client_login(browser).status_code == 303  # a person signs in here: the browser is no wall any more
    assert browser.get_cookie("onescreen_kiosk") is None
    wall = server.test_client()
    wall.get(f"/wall?kiosk={token}")
    users.revoke_kiosk(r, kid)
    wall.delete_cookie("onescreen_session")
    assert wall.get("/api/v1/me").status_code == 401 and wall.get_cookie("onescreen_kiosk") is None


def test_switching_a_browser_to_a_wall_needs_the_form_token(server: Flask) -> None:
    admin = signed_in(server)
    resp = admin.post("/wall/kiosk", data={"kiosk": KIOSK}, headers={"Authorization": "Basic x"})
    assert resp.status_code == 400 and admin.get("/api/v1/me").get_json()["name"] == "admin"


def test_a_database_from_before_the_flag_drops_the_simulators_cases(r: redis.Redis) -> None:
    now = now_ms()
    old = [Reading("service", f"GZ20261201-00000{i}", now, case(f"x{i}", BAIYUN, now, due_in_h=2).values,
                   {"district_adcode": BAIYUN}) for i in range(3)]
    Writer(r, source="simulator").write([(rd, derive(rd)) for rd in old], now)
    pushed = case("PUSH-9", BAIYUN, now, due_in_h=5)
    Writer(r, source="simulator").write([(pushed, derive(pushed))], now)
    reset_simulated_cases(r)
    assert r.hkeys(keys.latest("service")) == ["PUSH-9"]
    assert snapshot.read(r, now, BAIYUN)["service"]["open"] == 1
