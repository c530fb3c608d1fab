"""The wall in Debian Chromium: a reading written to Redis shows on screen within two ticks; screenshots kept."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from data_sources.base import Reading
from data_sources.derive import derive
from store.writer import Writer
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e
AIR_VALUE_ID = '[id=\'{"feed":"air","type":"kpi-value"}\']'


def write_air(r: redis.Redis, pm25: float) -> None:
    now = int(time.time() * 1000)
    readings = [Reading("air", code, now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                            "pm25_1h": pm25}, {}) for code in ("1345A", "1346A")]
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in readings], now)


def open_wall(browser: Any, url: str, width: int, height: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector(".wall-root")
    page.errors = errors
    return page


def test_reading_written_to_redis_appears_on_wall(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    page = open_wall(browser, app_proc.url + "/wall?lang=en", 1920, 1080)
    write_air(r, 60)  # HJ 633-2026: PM2.5 60 µg/m³ -> IAQI 100 (standards.md §1.1)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '100'", timeout=2500 * 2)
    write_air(r, 75)  # -> 114 (standards.md §1.5 worked example)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'", timeout=2500 * 2)
    page.wait_for_selector(".aqi-pin", timeout=5000)
    assert page.locator(".aqi-pin").first.text_content() in {"100", "114"}
    no_scroll = page.evaluate("document.documentElement.scrollHeight <= innerHeight && "
                              "document.documentElement.scrollWidth <= innerWidth")
    assert no_scroll, "the wall scrolls at 1920x1080"
    assert page.errors == []
    page.close()


@pytest.mark.parametrize(("width", "height"), [(3840, 2160), (1366, 768)])
def test_wall_screenshots_without_scrollbars(browser: Any, app_proc: Any, r: redis.Redis, width: int,
                                             height: int) -> None:
    write_air(r, 75)
    page = open_wall(browser, app_proc.url + "/wall", width, height)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'", timeout=5000)
    page.wait_for_selector(".district-label", timeout=5000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    page.close()


def test_reading_pushed_through_ingest_api_shows_on_wall(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    import json
    import urllib.request

    from tests.conftest import AppProcess

    proc = AppProcess(redis_server.url, {"ONESCREEN_INGEST_TOKEN": "wall-token"})
    proc.start()
    try:
        page = open_wall(browser, proc.url + "/wall?lang=en", 1920, 1080)
        now = int(time.time() * 1000)
        body = [{"entity_id": code, "ts": now, "values": {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60,
                                                          "pm10_1h": 40, "pm25_1h": 66}} for code in ("1345A", "1346A")]
        req = urllib.request.Request(proc.url + "/api/v1/ingest/air", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer wall-token"})
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["accepted"] == 2
        # derived at ingest: HJ 633-2026 PM2.5 66 µg/m³ -> IAQI 106 (standards.md §1.1), within two ticks
        page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '106'",
                               timeout=2 * 1000 + 1500)
        page.close()
    finally:
        proc.stop()
