"""The wall in Debian Chromium: a reading written to Redis shows on screen within two ticks; screenshots kept."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store.writer import Writer
from tests.conftest import ARTIFACTS, KIOSK, login

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
    page.goto(url + ("&" if "?" in url else "?") + f"kiosk={KIOSK}")  # a wall signs in by its kiosk link
    page.wait_for_selector(".wall-root")
    page.errors = errors
    return page


def test_reading_written_to_redis_appears_on_wall(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    page = open_wall(browser, app_proc.url + "/wall?lang=en&theme=air", 1920, 1080)
    write_air(r, 60)  # HJ 633-2026: PM2.5 60 µg/m³ -> IAQI 100 (standards.md §1.1)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '100'", timeout=2500 * 2)
    write_air(r, 75)  # -> 114 (standards.md §1.5 worked example)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'", timeout=2500 * 2)
    page.wait_for_selector(".aqi-pin", timeout=5000)
    assert page.locator(".aqi-pin").first.text_content() in {"100", "114"}
    # AQI 114 is level 3 (HJ 633-2026 Table 3, orange #FF7E00, dark text): colours from /levels.js, core/levels.py
    page.wait_for_function("[...document.querySelectorAll('.aqi-pin')].some(e => e.textContent === '114')",
                           timeout=5000)
    style = page.evaluate("(() => { const e = [...document.querySelectorAll('.aqi-pin')]"
                          ".find(e => e.textContent === '114'); const s = getComputedStyle(e);"
                          " return [s.backgroundColor, s.color]; })()")
    assert style == ["rgb(255, 126, 0)", "rgb(16, 16, 16)"]
    assert page.evaluate("window.onescreen.levels.traffic['5']") == "#D7191C"
    no_scroll = page.evaluate("document.documentElement.scrollHeight <= innerHeight && "
                              "document.documentElement.scrollWidth <= innerWidth")
    assert no_scroll, "the wall scrolls at 1920x1080"
    assert page.errors == []
    page.close()


@pytest.mark.parametrize(("width", "height"), [(3840, 2160), (5760, 3240), (1920, 1080), (1366, 768)])
def test_wall_screenshots_without_scrollbars(browser: Any, app_proc: Any, r: redis.Redis, width: int,
                                             height: int) -> None:
    write_air(r, 75)
    page = open_wall(browser, app_proc.url + "/wall?theme=air", width, height)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'", timeout=5000)
    page.wait_for_selector(".district-label", timeout=5000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-{width}x{height}.png"))
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight && "
                         "document.documentElement.scrollWidth <= innerWidth")
    # every panel's content stays inside its panel (nothing cut at this size)
    clipped = page.evaluate("""[...document.querySelectorAll('.kpi-tile, .loop-panel')].filter(t => {
        const box = t.getBoundingClientRect();
        return [...t.querySelectorAll('.kpi-value, .kpi-level, .kpi-sub, .kpi-top li, .loop-n, .loop-label, '
                                      + '.loop-title, .loop-sub')]
          .some(e => e.getBoundingClientRect().bottom > box.bottom + 1
                     || e.getBoundingClientRect().right > box.right + 1);
      }).map(t => t.id)""")
    assert clipped == [], f"content overflows panels at {width}x{height}: {clipped}"
    assert page.errors == []
    page.close()


def test_reading_pushed_through_ingest_api_shows_on_wall(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    import json
    import urllib.request

    from tests.conftest import AppProcess

    with AppProcess(redis_server.url, {"ONESCREEN_INGEST_TOKEN": "wall-token"}) as proc:
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


def test_carousel_cycles_the_map_themes(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    from tests.conftest import AppProcess

    with AppProcess(redis_server.url, {"ONESCREEN_WALL_CAROUSEL_S": "2"}) as proc:
        page = open_wall(browser, proc.url + "/wall?lang=en", 1920, 1080)
        seen = set()
        for _ in range(40):
            label = page.locator(".theme-label").inner_text()
            if label:  # empty until the first tick
                seen.add(label)
            if len(seen) == 4:
                break
            page.wait_for_timeout(500)
        assert seen == {"Map: air quality", "Map: road traffic", "Map: 12345 cases", "Map: river water"}
        pinned = open_wall(browser, proc.url + "/wall?lang=en&theme=water", 1920, 1080)
        pinned.wait_for_timeout(4500)  # two carousel periods: a pinned theme never moves
        assert pinned.locator(".theme-label").inner_text() == "Map: river water"
        assert "kpi-active" in (pinned.locator("[id*='water'][id*='kpi-tile']").get_attribute("class") or "")


def test_connection_lost_overlay_appears_and_recovers(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    from tests.conftest import AppProcess

    proc = AppProcess(redis_server.url)
    proc.start()
    page = open_wall(browser, proc.url + "/wall?lang=en", 1920, 1080)
    page.wait_for_function("document.querySelector('.wall-clock').textContent !== '--:--'")
    assert page.locator(".conn-overlay").is_hidden()
    proc.stop()  # the server goes away: no tick for 3.5 ticks -> overlay
    page.wait_for_selector(".conn-overlay:not([hidden])", timeout=8000)
    assert "Connection lost" in page.locator(".conn-overlay").inner_text()
    proc.start()  # same port: the wall recovers by itself
    page.wait_for_selector(".conn-overlay[hidden]", state="attached", timeout=15_000)
    page.close()
    proc.stop()


def test_language_switch_changes_every_visible_string(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    from core.i18n import TEXT

    write_air(r, 75)
    page = open_wall(browser, app_proc.url + "/wall?theme=air", 1920, 1080)
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'")
    zh_text = page.inner_text("body")
    assert "城市运行指挥大屏" in zh_text
    page.click("a.lang-link[data-lang=en]")
    page.wait_for_url("**lang=en**")
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '114'")
    page.wait_for_timeout(1500)
    en_text = page.inner_text("body")
    assert "theme=air" in page.url  # the switch keeps the other parameters
    leftover = sorted(v["zh"] for v in TEXT.values()
                      if len(v["zh"]) > 1 and v["zh"] != v["en"] and v["zh"] in en_text)
    assert leftover == [], f"Chinese UI strings still shown in English: {leftover}"
    page.close()


def test_wall_reloads_itself_when_the_config_digest_changes(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    page = open_wall(browser, app_proc.url + "/wall?lang=en", 1920, 1080)
    page.wait_for_function("window.onescreen.conn._cfg !== null")
    page.evaluate("window.__before_reload = true; window.onescreen.conn._cfg = 'an-older-deploy'")
    page.wait_for_function("window.__before_reload === undefined", timeout=5000)  # a new document: reloaded
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_signed_in_persons_wall_fits_a_laptop(browser: Any, app_proc: Any, lang: str) -> None:
    """A person (not a kiosk) opening the wall at 1366x768 in English: their name and log-out button made the header
    1404 px wide, the page with it, and the right-hand tiles were cut at the screen's edge."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(app_proc.url + f"/wall?lang={lang}")
    page.wait_for_selector(".user-logout")
    # the header as full as it gets: the simulated-data badge shown, a long status (a tick may rewrite it: measured
    # at once)
    wide = page.evaluate("""() => {
        document.querySelector('#wall-sim-badge').style.display = '';
        document.querySelector('#wall-status').textContent = '2 feeds stale · 1 feed not reporting yet';
        return [...document.querySelectorAll('.wall-root, .wall-header, .kpi-tile, .user-logout')]
          .filter(e => e.getBoundingClientRect().right > innerWidth + 1 || e.scrollWidth > innerWidth + 1)
          .map(e => e.className); }""")
    assert wide == [], wide
    page.close()
