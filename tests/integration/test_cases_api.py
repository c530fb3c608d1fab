"""The closed loop over HTTP (issue #15, api/cases.py): real Redis for sign-in, the case records in SQLite, the app
behind its gate. An inspector reports, a dispatcher registers and dispatches (the dispatch table picks the
department), that department's handler accepts and handles, the inspector closes; every step is in the trail with
who took it. Handlers see their department's cases only, district-bound callers their district's; a stale version
is a 409 naming the state now; a request sent again is not applied twice; bad input is a 400 saying why."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import plotly.utils
import pytest
import redis
from flask.testing import FlaskClient

import app as app_module
from config.settings import Settings, load_case_rules, load_city
from core.furniture_catalog import CATEGORIES
from core.geo import components_box, district_at
from core.grid import of_city
from layouts import cases as cases_layout
from store import users
from tests.conftest import ADMIN_PW, API_TOKEN, client_login

pytestmark = pytest.mark.integration
PW = "case-loop-password-1"
BAIYUN, TIANHE = "440111", "440106"
IN_BAIYUN, IN_TIANHE = (113.443, 23.3035), (113.384803, 23.123303)  # the air stations 1355A and 1347A
RULES = load_case_rules()
UTILITIES_BY = RULES.department("0101", BAIYUN)  # Baiyun keeps its own utilities crew (config/case_rules.yaml)


@pytest.fixture
def clients(redis_server: Any, r: redis.Redis, tmp_path: Path) -> dict[str, FlaskClient]:
    dash_app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="c" * 32,
                                              admin_password=ADMIN_PW, api_token=API_TOKEN, data_dir=tmp_path))
    people = {"inspector": ("inspector", None, None), "dispatcher": ("dispatcher", None, None),
              "handler": ("handler", None, UTILITIES_BY), "other-handler": ("handler", None, "交通运输局"),
              "by-dispatcher": ("dispatcher", BAIYUN, None), "leader": ("leader", None, None),
              "viewer": ("viewer", None, None), "analyst": ("analyst", None, None)}
    out = {}
    for name, (role, district, department) in people.items():
        users.create_user(r, name, PW, role, district=district, department=department)
        client = dash_app.server.test_client()
        assert client_login(client, name, PW).status_code == 303
        out[name] = client
    return out


def report(client: FlaskClient, where: tuple[float, float] = IN_BAIYUN, **extra: Any) -> Any:
    return client.post("/api/v1/cases", json={"category": "0101", "kind": "component", "lon": where[0],
                                              "lat": where[1], "description": "井盖缺失", **extra})


def act(client: FlaskClient, case_id: str, action: str, **body: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body)


def test_a_case_goes_round_the_loop_and_every_step_is_recorded(clients: dict[str, FlaskClient]) -> None:
    resp = report(clients["inspector"])
    assert resp.status_code == 201, resp.get_json()
    case = resp.get_json()["case"]
    cid = case["id"]
    assert case["state"] == "reported" and case["district"] == BAIYUN and case["channel"] == "inspector"
    assert act(clients["dispatcher"], cid, "register").get_json()["case"]["state"] == "registered"
    before = int(time.time() * 1000)
    dispatched = act(clients["dispatcher"], cid, "dispatch").get_json()["case"]
    assert dispatched["state"] == "dispatched" and dispatched["department"] == UTILITIES_BY
    limit = RULES.limit_ms("0101")
    assert before + limit <= dispatched["due_ms"] <= int(time.time() * 1000) + limit  # the category's time limit
    assert [c["id"] for c in clients["handler"].get("/api/v1/cases").get_json()["cases"]] == [cid]
    assert clients["other-handler"].get("/api/v1/cases").get_json()["cases"] == []
    assert clients["other-handler"].get(f"/api/v1/cases/{cid}").status_code == 404
    assert act(clients["other-handler"], cid, "accept").status_code == 404
    assert act(clients["handler"], cid, "accept").get_json()["case"]["state"] == "accepted"
    pressed = act(clients["leader"], cid, "escalate", comment="尽快").get_json()["case"]  # 督办: the state stays
    assert pressed["state"] == "accepted" and pressed["escalations"] == 1
    assert act(clients["handler"], cid, "handle", comment="已补装").get_json()["case"]["state"] == "handled"
    closed = act(clients["inspector"], cid, "close", comment="现场核查已修复").get_json()["case"]
    assert closed["state"] == "closed" and closed["closed_ms"] is not None and closed["overdue"] is False
    assert act(clients["leader"], cid, "escalate").status_code == 409  # closed: nothing left to press
    other = report(clients["inspector"]).get_json()["case"]["id"]  # a second case, left with the department
    act(clients["dispatcher"], other, "register")
    act(clients["dispatcher"], other, "dispatch", department="交通运输局")
    ranking = clients["leader"].get("/api/v1/cases/departments?days=7").get_json()["departments"]
    assert [(d["department"], d["closed"], d["on_time_rate"], d["open"]) for d in ranking] == [
        (UTILITIES_BY, 1, 100.0, 0), ("交通运输局", 0, None, 1)]  # 综合评价: who closed on time first
    assert [d["department"] for d in clients["handler"].get("/api/v1/cases/departments").get_json()[
        "departments"]] == [UTILITIES_BY]  # a handler sees its own department's figures
    assert clients["leader"].get("/api/v1/cases/departments?days=0").status_code == 400
    trail = clients["dispatcher"].get(f"/api/v1/cases/{cid}").get_json()["trail"]
    assert [(s["action"], s["by"], s["to_state"]) for s in trail] == [
        ("report", "inspector", "reported"), ("register", "dispatcher", "registered"),
        ("dispatch", "dispatcher", "dispatched"), ("accept", "handler", "accepted"),
        ("escalate", "leader", "accepted"), ("handle", "handler", "handled"), ("close", "inspector", "closed")]


def test_roles_and_districts_limit_who_sees_and_does_what(clients: dict[str, FlaskClient]) -> None:
    th = report(clients["inspector"], IN_TIANHE).get_json()["case"]
    by = report(clients["inspector"]).get_json()["case"]
    assert th["district"] == TIANHE
    listed = clients["by-dispatcher"].get("/api/v1/cases").get_json()["cases"]
    assert [c["id"] for c in listed] == [by["id"]]
    assert clients["by-dispatcher"].get(f"/api/v1/cases/{th['id']}").status_code == 404
    assert act(clients["by-dispatcher"], th["id"], "register").status_code == 404
    assert report(clients["by-dispatcher"], IN_TIANHE).status_code == 403  # reports in its own district only
    assert act(clients["by-dispatcher"], by["id"], "merge", into=th["id"]).status_code == 404
    assert act(clients["inspector"], by["id"], "register").status_code == 403  # the dispatcher registers
    assert clients["viewer"].get("/api/v1/cases").status_code == 403
    assert report(clients["analyst"]).status_code == 403
    assert act(clients["analyst"], by["id"], "register").status_code == 403
    assert clients["analyst"].get(f"/api/v1/cases/{by['id']}").status_code == 200


def test_two_dispatchers_at_once_one_wins_and_a_resent_request_is_not_applied_twice(
        clients: dict[str, FlaskClient]) -> None:
    cid = report(clients["inspector"], request_id="phone-1").get_json()["case"]["id"]
    again = report(clients["inspector"], request_id="phone-1")  # the phone sent it twice
    assert again.status_code == 200 and again.get_json()["case"]["id"] == cid
    first = act(clients["dispatcher"], cid, "register", expected_version=0, request_id="r-1")
    assert first.status_code == 200 and first.get_json()["applied"] is True
    resent = act(clients["dispatcher"], cid, "register", expected_version=0, request_id="r-1")
    assert resent.status_code == 200 and resent.get_json()["applied"] is False
    late = act(clients["by-dispatcher"], cid, "reject", expected_version=0, comment="重复")
    assert late.status_code == 409 and "registered" in late.get_json()["error"]
    trail = clients["dispatcher"].get(f"/api/v1/cases/{cid}").get_json()["trail"]
    assert [s["action"] for s in trail] == ["report", "register"]


@pytest.mark.parametrize(("body", "says"), [
    ({"category": "9999", "kind": "component"}, "unknown component category"),
    ({"category": "0101x"}, "category"),
    ({"category": "0101", "lon": "113"}, "lon and lat"),
    ({"category": "0101", "lon": 500}, "lon and lat"), ({"category": "0101", "lon": 10**400}, "lon and lat"),
    ({"category": "0101", "description": "x" * 5000}, "description"),
    ({"category": "0101", "photo": "x"}, "unknown fields: photo"),
    ({"category": "0101", "channel": "video"}, "inspector channel"),
    ({"category": "0101", "kind": "rumour"}, "kind must be"),
    ({"category": "0101", "district": "110101"}, "not one of this city's"),
])
def test_bad_reports_are_refused_with_the_reason(clients: dict[str, FlaskClient], body: dict[str, Any],
                                                 says: str) -> None:
    resp = clients["inspector"].post("/api/v1/cases", json={"lon": IN_BAIYUN[0], "lat": IN_BAIYUN[1], **body})
    assert resp.status_code == 400 and says in resp.get_json()["error"], resp.get_json()
    assert clients["dispatcher"].get("/api/v1/cases").get_json()["cases"] == []  # nothing was stored


def test_bad_actions_are_refused_with_the_reason(clients: dict[str, FlaskClient]) -> None:
    cid = report(clients["inspector"]).get_json()["case"]["id"]
    for action, body, status, says in (
            ("fly", {}, 400, "unknown action"), ("reject", {}, 400, "needs a reason"),
            ("register", {"expected_version": "0"}, 400, "expected_version"),
            ("register", {"urgent": "yes"}, 400, "urgent"), ("register", {"by": "someone"}, 400, "unknown fields"),
            ("dispatch", {}, 409, "cannot dispatch a case that is reported")):
        resp = act(clients["dispatcher"], cid, action, **body)
        assert resp.status_code == status and says in resp.get_json()["error"], (action, resp.get_json())
    assert clients["dispatcher"].get("/api/v1/cases/NOPE").status_code == 404


def test_a_case_about_a_component_takes_its_category_and_place_from_the_layer(clients: dict[str, FlaskClient]) -> None:
    from views import map as map_view

    part = map_view.component((Settings().furniture_seed, components_box(load_city("guangzhou"))), "F000042")
    assert part is not None
    made = clients["dispatcher"].post("/api/v1/cases", json={"component_id": "F000042", "description": "破损"})
    assert made.status_code == 201, made.get_json()
    case = made.get_json()["case"]
    assert (case["kind"], case["category"], case["component_id"], case["lon"], case["lat"]) == (
        "component", part["code"], "F000042", part["lon"], part["lat"])
    named = {c["code"]: c["zh"] for c in CATEGORIES}[part["code"]]  # GB/T 30428.2's name, as the map's popup shows
    shown = clients["dispatcher"].get(f"/api/v1/cases/{case['id']}").get_json()["case"]
    assert shown["category_name"] == named
    # the unit grid it falls in (core/grid.py): its district's adcode, then the cell's row and column
    grid = of_city(load_city("guangzhou"))
    cell = grid.cell(part["lon"], part["lat"])
    assert cell is not None
    w, s, e, n = grid.bounds(*cell)  # the district is the one the cell's centre lies in, as the grid layer codes it
    centre = district_at("guangzhou_districts.geojson", (w + e) / 2, (s + n) / 2) or case["district"]
    assert shown["grid"] == f"{centre}{cell[0]:04d}{cell[1]:04d}"
    wrong = "0101" if part["code"] != "0101" else "0102"
    other = clients["dispatcher"].post("/api/v1/cases", json={"component_id": "F000042", "category": wrong})
    assert other.status_code == 400 and f"of category {part['code']}" in other.get_json()["error"]
    for bad in ("F999999", "F0000421", "../x", "F²²²²²²"):
        resp = clients["dispatcher"].post("/api/v1/cases", json={"component_id": bad})
        assert resp.status_code == 400 and "no component" in resp.get_json()["error"]
    event = clients["dispatcher"].post("/api/v1/cases", json={"component_id": "F000042", "kind": "event"})
    assert event.status_code == 400 and "kind component" in event.get_json()["error"]
    link = clients["dispatcher"].get("/api/v1/entities/furniture/F000042?lang=en").get_json()["action"]
    assert link["href"] == "/cases?lang=en&component=F000042"
    seen = clients["analyst"].get("/api/v1/entities/furniture/F000042")
    assert seen.status_code == 200 and "action" not in seen.get_json()  # an analyst reads it but does not report
    form = json.dumps(cases_layout.layout("Guangzhou", "en", True, component=part), cls=plotly.utils.PlotlyJSONEncoder)
    assert f'"value": "{part["code"]}"' in form and "Component F000042" in form  # the console's form, prefilled
