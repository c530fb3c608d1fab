"""District scoping end to end: real Redis, the real app behind its gate, a Baiyun user and a city user.

Whatever a district-bound caller asks for, through the API or by crafting Dash callback requests, another district's
entities, cases and alerts never come back (and look exactly like ids that do not exist)."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask.testing import FlaskClient

import app as app_module
from alerts.rules import parse_rules
from alerts.service import Evaluator
from config.settings import Settings, load_city
from core import case_points
from core.derive import derive
from core.readings import Reading
from store import casebook, keys, snapshot, users
from store.writer import Writer
from tests.conftest import ADMIN_PW, API_AUTH, API_TOKEN, AppProcess, client_login

pytestmark = pytest.mark.integration
BAIYUN, TIANHE = "440111", "440106"
H = 3_600_000
RULES = parse_rules({"rules": [
    {"id": "station_aqi", "name_zh": "站点AQI超标", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
     "comparator": ">", "levels": [{"level": "blue", "threshold": 100}], "for_s": 0},
    {"id": "city_aqi", "name_zh": "全市AQI超标", "name_en": "City AQI", "scope": "city", "metric": "aqi",
     "comparator": ">", "levels": [{"level": "blue", "threshold": 100}], "for_s": 0},
    {"id": "feed_stale", "name_zh": "数据源中断", "name_en": "Feed stale", "kind": "stale", "scope": "feed",
     "for_s": 0},
]})
FEEDS_CFG = {"air": {"stale_after_s": 600}, "water": {"stale_after_s": 60}}
BY_PW, CITY_PW = "baiyun-password-1", "city-password-123"


def iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def case(cid: str, district: str, now: int, *, due_in_h: float, closed_ago_h: float | None = None) -> Reading:
    """An Open311-shaped case (open, or closed some hours ago) with its district in values and metadata."""
    req = now - 30 * H
    values = {"status": "open" if closed_ago_h is None else "closed", "requested_datetime": iso(req),
              "expected_datetime": iso(int(now + due_in_h * H)), "lat": 23.2, "long": 113.3,
              "updated_datetime": iso(req if closed_ago_h is None else int(now - closed_ago_h * H)),
              "district_adcode": district}
    ts = req if closed_ago_h is None else int(now - closed_ago_h * H)
    return Reading("service", cid, ts, values, {"district_adcode": district})


def seed(r: redis.Redis) -> int:
    """Two districts: a polluted station, a road, a river section and cases in each; alerts evaluated once."""
    now = int(time.time() * 1000)
    rows = []
    for eid, ad, name in (("BY-AIR", BAIYUN, "白云站"), ("TH-AIR", TIANHE, "天河站")):
        for ago in (10, 5, 0):
            rows.append(Reading("air", eid, now - ago * 60_000, {"pm25_1h": 180, "pm10_1h": 40},
                                {"name": name, "district_adcode": ad}))
    for eid, ad in (("BY-ROAD", BAIYUN), ("TH-ROAD", TIANHE)):
        rows.append(Reading("traffic", eid, now, {"speed_kmh": 12.0, "free_flow_kmh": 50.0},
                            {"name": eid, "district_adcode": ad, "road_class": "arterial", "length_m": 900}))
    for eid, ad in (("BY-RIVER", BAIYUN), ("TH-RIVER", TIANHE)):  # ten minutes old: the water feed is stale
        rows.append(Reading("water", eid, now - 600_000, {"do": 1.5, "nh3n": 2.5},
                            {"name": eid, "district_adcode": ad}))
    rows += [case("BY-C1", BAIYUN, now, due_in_h=-2), case("BY-C2", BAIYUN, now, due_in_h=5),
             case("BY-C3", BAIYUN, now, due_in_h=-10, closed_ago_h=3),  # closed late
             case("TH-C1", TIANHE, now, due_in_h=4), case("TH-C2", TIANHE, now, due_in_h=6),
             case("TH-C3", TIANHE, now, due_in_h=-1), case("TH-C4", TIANHE, now, due_in_h=10, closed_ago_h=2)]
    w = Writer(r, source="test")
    for rd in sorted(rows, key=lambda x: x.ts):
        w.write([(rd, derive(rd))], now)
    Evaluator(r, RULES, city={}, feeds_cfg=FEEDS_CFG).evaluate(now)
    return now


@pytest.fixture
def dash_app(redis_server: Any, r: redis.Redis) -> Any:
    a = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="x" * 32,
                                       admin_password=ADMIN_PW, api_token=API_TOKEN))
    users.create_user(r, "baiyun.op", BY_PW, "operator", district=BAIYUN)
    users.create_user(r, "city.op", CITY_PW, "operator")
    return a


def _login(dash_app: Any, name: str, pw: str) -> FlaskClient:
    client = dash_app.server.test_client()
    assert client_login(client, name, pw).status_code in (302, 303)
    return client


@pytest.fixture
def baiyun(dash_app: Any) -> Iterator[FlaskClient]:
    yield _login(dash_app, "baiyun.op", BY_PW)


@pytest.fixture
def city(dash_app: Any) -> Iterator[FlaskClient]:
    yield _login(dash_app, "city.op", CITY_PW)


# -- store: per-district case indexes --------------------------------------------------------------------------------


def test_per_district_case_counts_follow_moves_and_backfill(r: redis.Redis) -> None:
    NO = {"by_district": {}}  # noqa: N806 - no districts asked of the read: none counted
    now = seed(r)
    assert snapshot.read(r, now)["service"] == {"open": 5, "overdue": 2, "closed_24h": 2, "late_24h": 1, **NO}
    assert snapshot.read(r, now, BAIYUN)["service"] == {"open": 2, "overdue": 1, "closed_24h": 1, "late_24h": 1, **NO}
    assert snapshot.read(r, now, TIANHE)["service"] == {"open": 3, "overdue": 1, "closed_24h": 1, "late_24h": 0, **NO}
    assert set(snapshot.read_case_points(r, BAIYUN).ids) == {"BY-C1", "BY-C2"}
    # open and overdue per district, counted from the indexes (a district with no case is left out), and a scoped
    # read counts only its own district
    both = (BAIYUN, TIANHE, "440118")
    assert snapshot.read(r, now, districts=both)["service"]["by_district"] == {BAIYUN: [2, 1], TIANHE: [3, 1]}
    assert snapshot.read(r, now, BAIYUN, both)["service"]["by_district"] == {BAIYUN: [2, 1]}
    moved = dataclasses.replace(case("TH-C1", BAIYUN, now, due_in_h=4), ts=now + 1000)  # re-filed elsewhere
    Writer(r).write([(moved, derive(moved))], now + 1000)
    assert snapshot.read(r, now, BAIYUN)["service"]["open"] == 3
    assert snapshot.read(r, now, TIANHE)["service"]["open"] == 2
    assert snapshot.read(r, now, districts=both)["service"]["by_district"] == {BAIYUN: [3, 1], TIANHE: [2, 1]}
    points = snapshot.read_case_points(r)  # the case layer's entries follow the move, and match the documents
    assert set(snapshot.read_case_points(r, BAIYUN).ids) == {"BY-C1", "BY-C2", "TH-C1"}
    open_ids = set(r.zrange(keys.open_due(), 0, -1))
    docs = [json.loads(r.hget(keys.latest("service"), cid)) for cid in sorted(open_ids)]
    assert sorted(points.ids) == sorted(open_ids) and _points(points) == _points(case_points.from_docs(docs))
    # A database written before the open cases' entries: they are filled from the documents on the first read.
    r.delete(keys.open_points(), keys.open_points_ready())
    assert _points(snapshot.read_case_points(r)) == _points(points)
    # A database written before the per-district indexes: they are built on the first scoped read.
    for k in r.scan_iter(f"{keys.open_due()}:*"):
        r.delete(k)
    for k in r.scan_iter(f"{keys.closed()}:*"):
        r.delete(k)
    for k in r.scan_iter(f"{keys.closed_late()}:*"):
        r.delete(k)
    r.delete(keys.case_districts(), keys.district_index_ready())
    assert snapshot.read(r, now, BAIYUN)["service"] == {"open": 3, "overdue": 1, "closed_24h": 1, "late_24h": 1, **NO}
    assert r.hget(keys.case_districts(), "TH-C1") == BAIYUN


def test_filling_the_case_layer_reads_the_district_as_the_writer_does(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    blank = dataclasses.replace(case("BLANK-M", BAIYUN, now, due_in_h=2), meta={"district_adcode": ""})
    Writer(r).write([(blank, derive(blank))], now)
    written = snapshot.read_case_points(r)
    r.delete(keys.open_points(), keys.open_points_ready())  # as a database from before the entries
    assert written.district == snapshot.read_case_points(r).district == [BAIYUN]  # metadata blank: values' district


def _points(p: case_points.CasePoints) -> list[tuple[str, float, float, float, str]]:
    return sorted(zip(p.ids, p.lon.tolist(), p.lat.tolist(), p.due.tolist(), p.district, strict=True))


def test_closed_cases_age_out_of_their_district_too(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    old = case("OLD", BAIYUN, now, due_in_h=-40, closed_ago_h=30)
    Writer(r).write([(old, derive(old))], now - 20 * H)
    assert r.zcard(keys.district_key(keys.closed(), BAIYUN)) == 1
    fresh = case("NEW", BAIYUN, now, due_in_h=1)
    Writer(r).write([(fresh, derive(fresh))], now)  # the writer drops closed cases past the keep window
    assert r.zcard(keys.district_key(keys.closed(), BAIYUN)) == 0
    assert r.zcard(keys.district_key(keys.closed_late(), BAIYUN)) == 0
    assert r.hget(keys.case_districts(), "OLD") is None


# -- HTTP API --------------------------------------------------------------------------------------------------------


def test_entities_and_history_api_answer_only_the_own_district(baiyun: FlaskClient, city: FlaskClient,
                                                               r: redis.Redis) -> None:
    now = seed(r)
    assert baiyun.get("/api/v1/entities/air/BY-AIR").status_code == 200
    other, unknown = baiyun.get("/api/v1/entities/air/TH-AIR"), baiyun.get("/api/v1/entities/air/NOPE")
    assert other.status_code == unknown.status_code == 404
    assert other.get_json()["error"].replace("TH-AIR", "X") == unknown.get_json()["error"].replace("NOPE", "X")
    assert city.get("/api/v1/entities/air/TH-AIR").status_code == 200
    assert baiyun.get("/api/v1/entities/service/TH-C1").status_code == 404
    body = baiyun.get("/api/v1/history/air?ids=BY-AIR,TH-AIR&range=1h").get_json()
    assert [e["id"] for e in body["entities"]] == ["BY-AIR"]
    assert baiyun.get("/api/v1/history/air?ids=TH-AIR&range=1h").status_code == 404
    csv = baiyun.get("/api/v1/history/air?ids=TH-AIR&range=1h&format=csv")
    assert csv.status_code == 404 and "天河站".encode() not in csv.data
    assert len(city.get("/api/v1/history/air?ids=BY-AIR,TH-AIR&range=1h").get_json()["entities"]) == 2
    at = now - now % 60_000 - 60_000
    assert baiyun.get(f"/api/v1/history/air/TH-AIR/at/{at}").status_code == 404
    assert baiyun.get(f"/api/v1/history/air/BY-AIR/at/{at}").status_code == 200


def test_furniture_entity_in_another_district_is_unknown(baiyun: FlaskClient, city: FlaskClient, dash_app: Any
                                                         ) -> None:
    import numpy as np

    from data_sources.simulator.furniture import FurnitureSet
    from views.map import furniture_in_district

    seed_ = (548, (113.245, 23.080, 113.365, 23.180))  # the Guangzhou profile's components (seed, box)
    inside = FurnitureSet.entity_id(int(np.flatnonzero(furniture_in_district(seed_, "guangzhou_districts.geojson",
                                                                             BAIYUN))[0]))
    outside = FurnitureSet.entity_id(int(np.flatnonzero(furniture_in_district(seed_, "guangzhou_districts.geojson",
                                                                              TIANHE))[0]))
    assert baiyun.get(f"/api/v1/entities/furniture/{inside}").status_code == 200
    assert baiyun.get(f"/api/v1/entities/furniture/{outside}").status_code == 404
    assert city.get(f"/api/v1/entities/furniture/{outside}").status_code == 200


def test_geojson_layers_carry_only_the_own_districts_features(baiyun: FlaskClient, city: FlaskClient) -> None:
    for layer in ("roads", "water_sections", "air_stations"):
        mine = baiyun.get(f"/api/v1/geo/{layer}.geojson")
        everything = city.get(f"/api/v1/geo/{layer}.geojson").get_json()["features"]
        districts = {f["properties"]["district_adcode"] for f in mine.get_json()["features"]}
        assert districts == {BAIYUN} and len(everything) > len(mine.get_json()["features"])
        assert "private" in mine.headers["Cache-Control"] and mine.headers.get("ETag")
        again = baiyun.get(f"/api/v1/geo/{layer}.geojson", headers={"If-None-Match": mine.headers["ETag"]})
        assert again.status_code == 304


def test_alerts_api_is_scoped_and_acts_as_the_session_user(baiyun: FlaskClient, city: FlaskClient,
                                                           r: redis.Redis) -> None:
    seed(r)
    mine = {a["id"] for a in baiyun.get("/api/v1/alerts?state=all").get_json()}
    assert mine == {"station_aqi:BY-AIR", "feed_stale:water"}  # no Tianhe station, no city-wide aggregate
    assert {"station_aqi:TH-AIR", "city_aqi:city"} <= {a["id"] for a in city.get("/api/v1/alerts").get_json()}
    other = baiyun.post("/api/v1/alerts/station_aqi:TH-AIR/ack", json={"comment": "x"})
    assert other.status_code == 404 and r.hget(keys.ALERTS_ACTIVE, "station_aqi:TH-AIR")
    assert baiyun.post("/api/v1/alerts/city_aqi:city/ack", json={}).status_code == 404
    ok = baiyun.post("/api/v1/alerts/station_aqi:BY-AIR/ack", json={"by": "someone else", "comment": "已派人"})
    assert ok.status_code == 200 and ok.get_json()["ack_by"] == "baiyun.op"  # "by" in the body is ignored
    log = baiyun.get("/api/v1/alerts/log").get_json()
    assert {e["alert"] for e in log} == {"station_aqi:BY-AIR", "feed_stale:water"}
    assert "station_aqi:TH-AIR" in {e["alert"] for e in city.get("/api/v1/alerts/log").get_json()}


def test_silences_are_limited_to_the_district(baiyun: FlaskClient, city: FlaskClient, r: redis.Redis) -> None:
    refused = baiyun.post("/api/v1/silences", json={"scope": {"rule": "station_aqi", "district": TIANHE},
                                                    "reason": "检修", "duration_s": 600})
    assert refused.status_code == 403
    made = baiyun.post("/api/v1/silences", json={"scope": {"rule": "station_aqi"}, "reason": "检修",
                                                 "duration_s": 600, "by": "forged"})
    assert made.status_code == 201
    [sil] = baiyun.get("/api/v1/silences").get_json()
    assert sil["scope"] == {"rule": "station_aqi", "district": BAIYUN} and sil["created_by"] == "baiyun.op"
    theirs = city.post("/api/v1/silences", json={"scope": {"rule": "station_aqi", "district": TIANHE},
                                                 "reason": "检修", "duration_s": 600}).get_json()["id"]
    assert len(city.get("/api/v1/silences").get_json()) == 2 and len(baiyun.get("/api/v1/silences").get_json()) == 1
    assert baiyun.delete(f"/api/v1/silences/{theirs}").status_code == 404
    assert baiyun.delete(f"/api/v1/silences/{sil['id']}").get_json() == {"deleted": sil["id"]}
    entries = [e for e in baiyun.get("/api/v1/alerts/log").get_json() if e.get("silence")]
    assert [(e["event"], e["silence"]) for e in entries] == [("silence_created", sil["id"]),
                                                             ("silence_deleted", sil["id"])]
    assert city.delete(f"/api/v1/silences/{theirs}", headers=API_AUTH).status_code == 200


# -- crafted Dash callback requests ---------------------------------------------------------------------------------
# Against `python app.py` in its own process: Dash moves module-level callbacks into the first app a process creates,
# so an in-process app made after another test's would have none (tests/integration/test_app_setup.py says more).


@pytest.fixture
def served(app_proc: AppProcess, r: redis.Redis) -> str:
    users.create_user(r, "baiyun.op", BY_PW, "operator", district=BAIYUN)
    users.create_user(r, "city.op", CITY_PW, "operator")
    return app_proc.url


def _session(base: str, name: str, pw: str) -> requests.Session:
    """A browser-like session signed in through the login form (requests comes with Dash)."""
    import re

    s = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login", timeout=10).text)
    assert csrf
    resp = s.post(f"{base}/login", data={"username": name, "password": pw, "csrf_token": csrf.group(1)},
                  allow_redirects=False, timeout=10)
    assert resp.status_code == 303
    s.headers["X-Base"] = base
    return s


def _body(client: requests.Session, needle: str, values: dict[str, Any]) -> dict[str, Any]:
    """The request the browser would post for the server callback whose output names `needle`, with our values."""
    deps = client.get(f"{client.headers['X-Base']}/_dash-dependencies", timeout=10).json()
    dep = next(d for d in deps if needle in d["output"] and not d.get("clientside_function"))

    def split(spec: str) -> dict[str, Any]:
        ident, prop = spec.rsplit(".", 1)
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    multi = dep["output"].startswith("..")
    outputs = [split(o) for o in dep["output"].strip(".").split("...")] if multi else split(dep["output"])
    inputs = [{**i, "value": values.get(i["id"], values.get(f"{i['id']}.{i['property']}"))} for i in dep["inputs"]
              if isinstance(i["id"], str)]
    state = [{**s, "value": values.get(s["id"], values.get(f"{s['id']}.{s['property']}"))} for s in dep["state"]
             if isinstance(s["id"], str)]
    trigger = values.get("_trigger", f"{inputs[0]['id']}.{inputs[0]['property']}")
    return {"output": dep["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [trigger]}


def _call(client: requests.Session, needle: str, values: dict[str, Any]) -> str:
    resp = client.post(f"{client.headers['X-Base']}/_dash-update-component", json=_body(client, needle, values),
                       timeout=30)
    assert resp.status_code in (200, 204), resp.text[:500]
    return json.dumps(resp.json(), ensure_ascii=False)  # readable: the checks below look for names in it


MAP = {"am-tick": 1, "am-view": {"bbox": [112.9, 22.5, 114.1, 23.95], "zoom": 9, "w": 1200, "h": 900},
       "am-layers": ["air", "roads", "water", "cases", "furniture"], "am-cats": [], "am-only-bad": [],
       "am-choro": "overdue", "am-district": TIANHE, "am-map.zoom": 9, "am-map.center": [23.2, 113.3],
       "am-meta": {"lang": "en"}, "am-furn-sent": {}}


def test_map_values_callback_never_carries_another_district(served: str, r: redis.Redis) -> None:
    now = seed(r)
    # the map is sent values only for what it draws (views.geometry): two stations of the profile's file, one each
    drawn = [Reading("air", eid, now, {"pm25_1h": 60, "pm10_1h": 40}, {"name": eid, "district_adcode": ad})
             for eid, ad in (("1355A", BAIYUN), ("1347A", TIANHE))]
    Writer(r, source="test").write([(rd, derive(rd)) for rd in drawn], now)
    baiyun = _session(served, "baiyun.op", BY_PW)
    mine = _call(baiyun, "am-values", MAP)
    data = json.loads(mine)["response"]["am-values"]["data"]
    assert set(data["air"]) == {"1355A"} and data["n"][0] == 1
    assert set(data["districts"]) == {BAIYUN}
    for secret in ("TH-", TIANHE, "1347A"):
        assert secret not in mine
    city = _session(served, "city.op", CITY_PW)
    everything = json.loads(_call(city, "am-values", MAP))["response"]["am-values"]["data"]
    assert set(everything["air"]) == {"1355A", "1347A"} and TIANHE in everything["districts"]


def test_the_loop_layer_never_carries_another_districts_cases(served: str, app_proc: AppProcess,
                                                             r: redis.Redis) -> None:
    seed(r)
    book = casebook.Casebook(casebook.engine_for(None, Path(app_proc._data.name)))  # noqa: SLF001 - the app's records
    casebook.migrate(book.eng)  # the app may not have opened them yet (it migrates them too: either order is fine)
    now = int(time.time() * 1000)
    ids = {}
    for ad, (lon, lat) in ((BAIYUN, (113.443, 23.3035)), (TIANHE, (113.3848, 23.1233))):
        ids[ad] = casebook.new_id()
        book.report(ids[ad], "0101", now, kind="component", district=ad, lon=lon, lat=lat, description="井盖")
    view = {**MAP, "am-layers": ["loop"], "am-district": None}
    mine = _call(_session(served, "baiyun.op", BY_PW), "am-values", view)
    loop = json.loads(mine)["response"]["am-values"]["data"]["loop"]
    assert [p[0] for p in loop["p"]] == [ids[BAIYUN]] and loop["c"] == [] and ids[TIANHE] not in mine
    everything = json.loads(_call(_session(served, "city.op", CITY_PW), "am-values", view))
    assert sorted(p[0] for p in everything["response"]["am-values"]["data"]["loop"]["p"]) == sorted(ids.values())


def _untimed(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?", "<time>", text)


def test_side_panel_and_csv_of_another_districts_entity_look_unknown(served: str, r: redis.Redis) -> None:
    seed(r)
    baiyun = _session(served, "baiyun.op", BY_PW)
    values = {"am-selected": {"feed": "air", "id": "TH-AIR"}, "am-cmp": [], "am-range": "1h", "am-item": None,
              "am-at": None, "am-panel-tick": 1, "am-meta": {"lang": "en"}}
    other = _call(baiyun, "am-panel-title", values)
    unknown = _call(baiyun, "am-panel-title", {**values, "am-selected": {"feed": "air", "id": "ZZ-AIR"}})
    # The chart's range ends at "now": the two calls may straddle a second, so times are compared as a placeholder.
    assert "天河站" not in other and "Tianhezhan" not in other  # in neither language (English pages romanize names)
    assert _untimed(other.replace("TH-AIR", "ZZ-AIR")) == _untimed(unknown)
    own = _call(baiyun, "am-panel-title", {**values, "am-selected": {"feed": "air", "id": "BY-AIR"}})
    assert "Baiyunzhan" in own  # its own station, named in English (core/romanize.py)
    csv = _call(baiyun, "am-download", {"am-csv": 1, "am-selected": {"feed": "air", "id": "TH-AIR"}, "am-cmp": [],
                                        "am-range": "1h", "am-at": None})
    content = base64.b64decode(json.loads(csv)["response"]["am-download"]["data"]["content"]).decode("utf-8-sig")
    assert content.count("\n") == 1 and "天河站" not in content and "Tianhezhan" not in content  # the header only


def test_alert_console_callbacks_show_and_act_on_the_own_district_only(served: str, r: redis.Redis) -> None:
    seed(r)
    baiyun = _session(served, "baiyun.op", BY_PW)
    table = _call(baiyun, "ac-table", {"ac-tick": 1, "ac-state": "all", "ac-levels": [], "ac-search": None,
                                       "ac-refresh": 0, "ac-selected": None, "ac-lang": "en"})
    assert "Baiyunzhan" in table and "天河站" not in table and "Tianhezhan" not in table and "City AQI" not in table
    detail = _call(baiyun, "ac-detail", {"ac-selected": "station_aqi:TH-AIR", "ac-tick": 1, "ac-refresh": 0,
                                         "ac-lang": "en"})
    assert "天河站" not in detail and "Tianhezhan" not in detail and "TH-AIR" not in detail
    msg = _call(baiyun, "ac-msg", {"ac-ack": 1, "ac-silence": 0, "ac-selected": "station_aqi:TH-AIR",
                                   "ac-comment": "x", "ac-sil-hours": 2, "ac-sil-reason": "", "ac-refresh": 0,
                                   "ac-lang": "en", "_trigger": "ac-ack.n_clicks"})
    assert "station_aqi:TH-AIR" not in msg and json.loads(r.hget(keys.ALERTS_ACTIVE, "station_aqi:TH-AIR"))[
        "state"] == "firing"
    _call(baiyun, "ac-msg", {"ac-ack": 1, "ac-silence": 0, "ac-selected": "station_aqi:BY-AIR", "ac-comment": "ok",
                             "ac-sil-hours": 2, "ac-sil-reason": "", "ac-refresh": 0, "ac-lang": "en",
                             "_trigger": "ac-ack.n_clicks"})
    acked = json.loads(r.hget(keys.ALERTS_ACTIVE, "station_aqi:BY-AIR"))
    assert (acked["state"], acked["ack_by"]) == ("acknowledged", "baiyun.op")


def test_wall_and_overview_ticks_show_the_districts_figures(served: str, r: redis.Redis) -> None:
    seed(r)
    baiyun = _session(served, "baiyun.op", BY_PW)
    wall = {"wall-tick": 1, "wall-lang": "en", "wall-pin": "service",
            "wall-view": {"bbox": [112.9, 22.5, 114.1, 23.95], "zoom": 9, "w": 2000, "h": 1800}}
    mine = _call(baiyun, "wall-clock", wall)
    assert "TH-" not in mine and "天河" not in mine and "BY-AIR" in mine
    city = _session(served, "city.op", CITY_PW)
    assert "TH-AIR" in _call(city, "wall-clock", wall)
    ov = {"ov-tick": 1, "ov-sort-state": {"col": "overdue", "desc": True}, "ov-lang": "en", "ov-spark-key": None}
    body = json.loads(_call(baiyun, "ov-clock", ov))["response"]
    assert [row["adcode"] for row in body["ov-rank-data"]["data"]] == [BAIYUN]
    card = {json.loads(k)["kpi"]: v["children"] for k, v in body.items()
            if k.startswith("{") and json.loads(k)["type"] == "ov-value"}
    assert (card["open"], card["overdue"], card["on_time"]) == ("2", "1", "0.0%")  # Baiyun's own cases
    everything = json.loads(_call(city, "ov-clock", ov))["response"]["ov-rank-data"]["data"]
    assert len(everything) == 11


def test_the_unit_grid_never_counts_another_districts_components_or_cases(served: str, app_proc: AppProcess,
                                                                         r: redis.Redis) -> None:
    """A cell on the Baiyun border holds components of Baiyun and of its neighbour, damaged both, and a case of
    each: a Baiyun user's grid counts only Baiyun's; a city user's counts them all."""
    from core.geo import assign_districts, components_box
    from core.grid import of_city
    from data_sources.simulator.furniture import FurnitureSet, generate

    city = load_city("guangzhou")
    grid = of_city(city)
    data = generate(548, components_box(city))
    rows, cols = grid.shape
    n = 60_000
    cell = ((data.lat[:n] - grid.south) / grid.dlat).astype(int) * cols + ((data.lon[:n] - grid.west) / grid.dlon
                                                                         ).astype(int)
    where = assign_districts(data.lon[:n], data.lat[:n], city["geo"]["districts"])
    by_cell: dict[int, dict[str, list[int]]] = {}
    for i, (k, ad) in enumerate(zip(cell.tolist(), where, strict=True)):
        if ad:
            by_cell.setdefault(k, {}).setdefault(ad, []).append(i)
    k, parts = next((k, v) for k, v in sorted(by_cell.items()) if BAIYUN in v and len(v) > 1)
    other = next(ad for ad in parts if ad != BAIYUN)
    mine, theirs = parts[BAIYUN][0], parts[other][0]
    now = int(time.time() * 1000)
    broken = [Reading("furniture", FurnitureSet.entity_id(i), now, {"status": "damaged"},
                      {"lat": float(data.lat[i]), "lon": float(data.lon[i])}) for i in (mine, theirs)]
    Writer(r, source="test").write([(rd, derive(rd)) for rd in broken], now)
    book = casebook.Casebook(casebook.engine_for(None, Path(app_proc._data.name)))  # noqa: SLF001 - the app's records
    casebook.migrate(book.eng)
    for ad, i in ((BAIYUN, mine), (other, theirs)):
        book.report(casebook.new_id(), "0101", now, kind="component", district=ad, lon=float(data.lon[i]),
                    lat=float(data.lat[i]), description="井盖")
    row, col = divmod(k, cols)
    w, s, e, nn = grid.bounds(row, col)
    view = {**MAP, "am-layers": ["grid"], "am-district": None, "am-map.zoom": 17,
            "am-view": {"bbox": [w - 0.001, s - 0.001, e + 0.001, nn + 0.001], "zoom": 17, "w": 800, "h": 600}}

    def cell_of(session: requests.Session) -> list[int]:
        cells = json.loads(_call(session, "am-values", view))["response"]["am-values"]["data"]["grid"]["c"]
        return next(c[2:5] for c in cells if (c[0], c[1]) == (row, col))
    # the loop layer is read once a tick: ask until the cases are there
    deadline = time.monotonic() + 20
    city_op = _session(served, "city.op", CITY_PW)
    while cell_of(city_op) != [2, 0, 2] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cell_of(city_op) == [2, 0, 2]  # both cases, both damaged components
    assert cell_of(_session(served, "baiyun.op", BY_PW)) == [1, 0, 1]  # Baiyun's only
