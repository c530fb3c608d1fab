"""Video analytics opens cases (issue #15, POST /api/v1/cases/video): a camera's event becomes an event case on the
video channel with its frame as the case's photo, routed by the event's own entries of the dispatch table
(config/case_rules.yaml video_events and route event:). The same event sent again is the same case; anything else
wrong is a 400 saying why, and no case is made."""

from __future__ import annotations

import base64
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from PIL import Image

import app as app_module
from config.settings import Settings, load_case_rules
from store import users
from tests.conftest import ADMIN_PW, API_TOKEN, client_login

pytestmark = pytest.mark.integration
PW = "case-video-password-1"
IN_BAIYUN = (113.443, 23.3035)  # the air station 1355A
RULES = load_case_rules()


def frame(colour: tuple[int, int, int] = (120, 120, 120)) -> str:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), colour).save(out, format="JPEG")
    return base64.b64encode(out.getvalue()).decode()


def event(**change: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=30)
    return {"camera_id": "BY-0042", "event_type": "illegal_parking", "time": at.isoformat(), "lon": IN_BAIYUN[0],
            "lat": IN_BAIYUN[1], "snapshot": frame(), "confidence": 0.91, **change}


@pytest.fixture
def app(redis_server: Any, r: redis.Redis, tmp_path: Path) -> Any:
    dash_app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="v" * 32,
                                              admin_password=ADMIN_PW, api_token=API_TOKEN, data_dir=tmp_path))
    for name, role in (("dispatcher", "dispatcher"), ("viewer", "viewer"), ("operator", "operator")):
        users.create_user(r, name, PW, role)
    return dash_app.server


def signed_in(app: Any, name: str) -> FlaskClient:
    client = app.test_client()
    assert client_login(client, name, PW).status_code == 303
    return client


def push(client: FlaskClient, body: dict[str, Any], token: bool = True) -> Any:
    headers = {"Authorization": f"Bearer {API_TOKEN}"} if token else {}
    return client.post("/api/v1/cases/video", json=body, headers=headers)


def test_a_camera_event_opens_a_case_with_its_frame_and_goes_to_its_department(app: Any) -> None:
    camera = app.test_client()
    body = event()
    resp = push(camera, body)
    assert resp.status_code == 201, resp.get_json()
    case, shot = resp.get_json()["case"], resp.get_json()["photo"]
    assert (case["channel"], case["kind"], case["category"], case["district"]) == ("video", "event", "0505", "440111")
    assert case["description"].startswith("[BY-0042 · illegal_parking · 0.91]")
    assert abs(case["reported_ms"] - int(datetime.fromisoformat(body["time"]).timestamp() * 1000)) < 1  # seen then
    assert (shot["content_type"], shot["width"], shot["height"]) == ("image/jpeg", 320, 180)
    again = push(camera, body)  # the platform retries: the same case, the same one photo
    assert again.status_code == 200 and again.get_json()["case"]["id"] == case["id"]
    dispatcher = signed_in(app, "dispatcher")
    got = dispatcher.get(f"/api/v1/cases/{case['id']}").get_json()
    assert [p["sha256"] for p in got["photos"]] == [shot["sha256"]] and got["trail"][0]["by"] == "camera:BY-0042"
    assert dispatcher.get(shot["url"]).data == base64.b64decode(body["snapshot"])
    dispatcher.post(f"/api/v1/cases/{case['id']}/register", json={})
    before = int(time.time() * 1000)
    sent = dispatcher.post(f"/api/v1/cases/{case['id']}/dispatch", json={}).get_json()["case"]
    assert sent["department"] == RULES.department("0505", "440111", "event") == "公安交警支队"  # not a lamp's crew
    assert sent["due_ms"] - before >= RULES.limit_ms("0505", kind="event") - 1000
    assert push(signed_in(app, "operator"), event(event_type="road_flooding"), token=False).status_code == 201
    assert push(signed_in(app, "viewer"), event(event_type="exposed_garbage"), token=False).status_code == 403


def _now_iso(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@pytest.mark.parametrize(("change", "words"), [
    ({"event_type": "ufo_landing"}, "event_type must be one of"),
    ({"time": lambda: _now_iso(minutes=30)}, "within the last 7 days"),
    ({"time": lambda: _now_iso(days=-8)}, "within the last 7 days"),
    ({"time": "2026-01-01T08:00:00"}, "UTC offset"),
    ({"snapshot": "not base64!"}, "base64"),
    ({"snapshot": base64.b64encode(b"<html><script>alert(1)</script></html>").decode()}, "JPEG, PNG or WebP"),
    ({"snapshot": None}, "snapshot must be"),
    ({"camera_id": "cam 1; drop"}, "camera_id"),
    ({"confidence": 2}, "confidence"),
    ({"lon": "113.4"}, "lon and lat"),
    ({"colour": "red"}, "unknown fields: colour"),
], ids=["type", "future", "old", "naive-time", "not-base64", "html", "no-frame", "camera", "confidence", "lon",
        "field"])
def test_a_bad_event_is_refused_and_opens_nothing(app: Any, change: dict[str, Any], words: str) -> None:
    client = app.test_client()
    change = {k: v() if callable(v) else v for k, v in change.items()}  # times from now, when the test runs
    body = {k: v for k, v in event(**change).items() if v is not None}
    resp = push(client, body)
    assert resp.status_code == 400 and words in resp.get_json()["error"], resp.get_json()
    listed = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {API_TOKEN}"}).get_json()["cases"]
    assert listed == []
