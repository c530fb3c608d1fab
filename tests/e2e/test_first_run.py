"""The first run in Debian Chromium (#17 item 5): a new installation with the simulator shows history at once (the
back-fill), and a chart whose history starts within its span says where it starts, on the wall and in replay."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import redis

from store import keys, kpi
from tests.conftest import ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")  # the Guangzhou profile's timezone
H = 3_600_000


def sparks(page: Any) -> list[tuple[str, str]]:
    """(sparkline SVG, the words beside it) of the wall's four panels, once all four are drawn."""
    page.wait_for_function("[...document.querySelectorAll('.kpi-spark')].length === 4 && "
                           "[...document.querySelectorAll('.kpi-spark')].every(i => i.src.startsWith('data:'))",
                           timeout=20_000)
    return page.evaluate("[...document.querySelectorAll('.spark-row')].map(r => "
                         "[r.querySelector('.kpi-spark').src, r.querySelector('.spark-label').textContent])")


def test_a_new_installation_shows_its_back_filled_history(redis_server: Any, r: redis.Redis, browser: Any) -> None:
    with AppProcess(redis_server.url, {"ONESCREEN_SIMULATOR": "on", "ONESCREEN_SIM_BACKFILL_DAYS": "1.2"}) as app:
        deadline = time.monotonic() + 90
        while '"done"' not in (r.get(keys.sim_backfilled()) or "") and time.monotonic() < deadline:
            time.sleep(0.5)  # the store is marked when the back-fill starts, "done" when it has written all
        assert '"done"' in (r.get(keys.sim_backfilled()) or ""), app.stderr()[-2000:]
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        login(page, app.url)
        page.goto(app.url + "/wall?lang=en")
        for src, label in sparks(page):
            svg = unquote(src)
            assert "<polyline" in svg and "<rect" not in svg  # a whole day of line, nothing shaded as missing
            assert label == "24 h trend"
        # the one map's replay reaches back to the back-fill's start, and says so
        station = sorted(r.hkeys(keys.latest("air")))[0]
        page.goto(app.url + f"/analyst?sel=air:{station}&range=24h&lang=en")
        note = page.locator("#am-history-from")
        note.wait_for(timeout=15_000)
        page.wait_for_function("document.querySelector('#am-history-from').textContent.startsWith('history since')",
                               timeout=15_000)
        start = datetime.fromtimestamp((time.time() * 1000 - 1.2 * 24 * H) / 1000, TZ)
        assert start.strftime("%d %b") in note.text_content()
        page.close()


def test_a_history_that_starts_today_says_where_beside_the_sparkline(app_proc: AppProcess, r: redis.Redis,
                                                                      browser: Any) -> None:
    now = int(time.time() * 1000)
    first = now - 2 * H
    for m in range(0, 2 * H, 60_000):  # two hours of KPI history, nothing before
        kpi.record(r, first + m, {"aqi": 60 + m % 7, "tpi": 3.0, "open": 10, "overdue": 2, "on_time": 90.0,
                                   "water_good": 50.0})
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(app_proc.url + "/wall?lang=en")
    got = sparks(page)
    since = datetime.fromtimestamp((first - first % 60_000) / 1000, TZ).strftime("%H:%M")
    assert [label for _, label in got] == [f"24 h trend\nsince {since}"] * 4
    assert all("<rect" in unquote(src) for src, _ in got)  # the day before the history is shaded, not a flat line
    page.screenshot(path=str(ARTIFACTS / "wall-history-since-1366-en.png"))
    page.close()
