"""GET /api/v1/history and the analyst page's server side, against a real server through Flask's test client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

import app as app_module
from config.settings import Settings
from core.derive import derive
from core.readings import Reading
from store import context, keys
from store.writer import Writer
from tests.conftest import ADMIN_PW, API_TOKEN, client_login

pytestmark = pytest.mark.integration
MIN = 60_000


@pytest.fixture
def client(redis_server: Any, r: redis.Redis) -> Iterator[FlaskClient]:
    app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="x" * 32,
                                         admin_password=ADMIN_PW, api_token=API_TOKEN))
    client = app.server.test_client()
    client_login(client)  # the admin: the whole city
    yield client


def seed(r: redis.Redis, minutes: int = 30) -> int:
    now = int(time.time() * 1000)
    w = Writer(r)
    for ago in range(minutes, -1, -1):
        rd = Reading("air", "1345A", now - ago * MIN, {"pm25_1h": 75 if ago < 10 else 150, "pm10_1h": 40},
                     {"name": "广雅中学", "district_adcode": "440103"})
        w.write([(rd, derive(rd))], now - ago * MIN)
    return now


def test_history_as_json_and_csv(client: FlaskClient, r: redis.Redis) -> None:
    seed(r)
    body = client.get("/api/v1/history/air?ids=1345A,nope&range=1h").get_json()
    first, missing = body["entities"]
    assert first["name"] == "广雅中学" and len(first["samples"]) == 31 and first["samples"][-1]["aqi"] == 114
    assert missing == {"id": "nope", "name": "nope", "samples": []}
    resp = client.get("/api/v1/history/air?ids=1345A&range=1h&format=csv")
    assert resp.mimetype == "text/csv" and resp.data.startswith(b"\xef\xbb\xbf") and resp.data.count(b"\r\n") == 32


@pytest.mark.parametrize(("url", "status"), [("/api/v1/history/furniture?ids=F1", 404), ("/api/v1/history/air", 400),
                                             ("/api/v1/history/air?ids=1345A&range=1y", 400),
                                             ("/api/v1/history/air?ids=1345A&since=0", 400),
                                             ("/api/v1/history/air?ids=1345A&since=x", 400)])
def test_history_rejects_bad_requests_clearly(client: FlaskClient, url: str, status: int) -> None:
    resp = client.get(url)
    assert resp.status_code == status and resp.get_json()["error"]


def test_replayed_map_values_come_from_history(client: FlaskClient, r: redis.Redis) -> None:
    from callbacks import analyst

    now = seed(r)
    at = now - now % MIN - 20 * MIN
    ctx = context.of(client.application)
    live, _ = analyst.map_values(ctx, now, None, [23.1, 113.2], 12, ["air"], None, False, "none", {})
    past, _ = analyst.map_values(ctx, now, None, [23.1, 113.2], 12, ["air"], None, False, "none", {}, at=at)
    assert live["air"]["1345A"][0] == 114 and live["at"] is None
    assert past["air"]["1345A"] == [200, "#FF0000", 0, 4] and past["at"] == at  # [aqi, colour, stale, level]
    assert past["districts"]["440103"][0] == 200  # district figures are replayed too
    # live values are a delta from the version the page holds; a replayed moment is never a version to build on
    held = {"v": live["v"], "area": live["area"], "on": live["on"]}
    again, _ = analyst.map_values(ctx, now, None, [23.1, 113.2], 12, ["air"], None, False, "none", {}, held=held)
    assert live["base"] is None and again["base"] == live["v"] and again["air"] == {} and past["v"] is None
    assert again["n"] == live["n"] == [len(live["air"]), len(live["traffic"]), len(live["water"])]
    # a view or a held set that a hostile page made up gets whole values, never an error
    for view, bad in (({"bbox": [float("nan"), 23, float("inf"), 24], "zoom": 12}, None),
                      ({"bbox": [-1e305, -1e305, 1e305, 1e305], "zoom": 22}, None),
                      (None, {"v": live["v"], "area": ["x", 1, 2, 3], "on": [{}, None]}),
                      (None, {"v": "1", "area": [3, 2, 1, 0], "on": "air"})):
        odd, _ = analyst.map_values(ctx, now, view, [23.1, 113.2], 12, ["air"], None, False, "none", {}, held=bad)
        assert odd["air"] and "1345A" in odd["air"]


def test_panel_and_csv_callbacks(client: FlaskClient, r: redis.Redis) -> None:
    import base64

    from callbacks import analyst_panel

    now = seed(r)
    ctx = context.of(client.application)
    out = analyst_panel.panel_response(ctx, now, {"feed": "air", "id": "1345A"}, [], "1h", None, None, "en")
    cls, title, rows, notes, graph, item_hidden, chips, head = out
    assert cls == "am-panel open" and title == "Guangya Middle School" and item_hidden is True and chips == []
    # the selected station's map popup shows the panel's own headline rows (#17 item 8: one value, one refresh)
    assert head["key"] == "air:1345A" and head["title"] == title and head["rows"][0][0] == "AQI"
    assert head["rows"][-1][0] == "Data time" and head["more"] == "More in the side panel", head
    figure = graph.figure  # the chart is created with its figure (plotly.js loads only when there is a chart)
    assert len(figure["data"]) == 1 and len(figure["data"][0]["y"]) == 31
    # the history began 30 minutes ago, within the hour charted: the chart says so (#17 item 5)
    assert any(n["text"].startswith("history since") for n in figure["layout"]["annotations"])
    closed = analyst_panel.panel_response(ctx, now, None, [], "1h", None, None, "en")
    assert closed[4] is None and closed[-1] is None  # nothing selected: no chart at all, no popup rows
    csv_data = analyst_panel.analyst.csv_download({"feed": "air", "id": "1345A"}, [], *analyst_panel.history.read_panel(
        r, "air", ["1345A"], now - 3_600_000, now, ["air:1345A"]), "Asia/Shanghai", now, "1h")
    assert base64.b64decode(csv_data["content"]).startswith(b"\xef\xbb\xbfentity_id,name,time,")
    assert csv_data["filename"].startswith("onescreen-air-1345A-1h-")


def test_a_gap_is_not_a_start(client: FlaskClient, r: redis.Redis) -> None:
    from callbacks import analyst_panel

    now = seed(r, minutes=100)
    for ago in range(60, 39, -1):  # 20 minutes missing at the start of the hour charted, history before them
        r.zremrangebyscore(keys.history("air", "1345A", (now - ago * MIN) - (now - ago * MIN) % 3_600_000),
                           (now - ago * MIN) - (now - ago * MIN) % MIN, (now - ago * MIN) - (now - ago * MIN) % MIN)
    out = analyst_panel.panel_response(context.of(client.application), now, {"feed": "air", "id": "1345A"}, [], "1h",
                                       None, None, "en")
    figure = out[4].figure
    assert 0 < len(figure["data"][0]["y"]) < 61
    assert not any(n["text"].startswith("history since") for n in figure["layout"]["annotations"])


def test_popup_rows_as_of_a_replayed_minute(client: FlaskClient, r: redis.Redis) -> None:
    now = seed(r)
    at = now - now % MIN - 20 * MIN
    body = client.get(f"/api/v1/history/air/1345A/at/{at}?lang=en").get_json()
    rows = dict(body["rows"])
    assert body["title"] == "Guangya Middle School" and rows["AQI"].startswith("200") and "Replay" in rows
    early = client.get(f"/api/v1/history/air/1345A/at/{now - 3_600_000}?lang=zh").get_json()
    assert dict(early["rows"])["该时刻无数据"] == "—"
    assert client.get(f"/api/v1/history/service/S1/at/{at}").status_code == 404
