"""The analyst workbench in Debian Chromium: side panel with history, compare, CSV, district and level filters,
replay, and every choice in a shared URL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store.writer import Writer
from tests.conftest import ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
MIN = 60_000
# HJ 633-2026 hourly AQI (standards.md §1.1): PM2.5 150 -> 200, 75 -> 114, 40 -> 60; else PM10 40 -> 40
STATIONS = {"1345A": ("广雅中学", "440103"), "1346A": ("市五中", "440105"), "1355A": ("帽峰山森林公园", "440111")}
VIEW = "layers=districts,air&c=23.125,113.248&z=12"


def pm25(eid: str, minutes_ago: int) -> float:
    """1345A was at 150 (AQI 200) until 20 minutes ago and is at 75 (AQI 114) now; the others are steady."""
    if eid == "1345A":
        return 150 if minutes_ago >= 20 else 75
    return 40 if eid == "1346A" else 20


def write_history(r: redis.Redis, minutes: int = 45) -> int:
    """One reading a minute for the last `minutes` minutes, through the real writer; returns now (ms)."""
    now = int(time.time() * 1000)
    w = Writer(r, source="e2e")
    for ago in range(minutes, -1, -1):
        ts = now - ago * MIN
        batch = []
        for eid, (name, adcode) in STATIONS.items():
            rd = Reading("air", eid, ts, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                          "pm25_1h": pm25(eid, ago)}, {"name": name, "district_adcode": adcode})
            batch.append((rd, derive(rd)))
        w.write(batch, ts)
    return now


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def pins(page: Any) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('.aqi-pin')].map(e => e.textContent)")


def traces(page: Any) -> int:
    return page.locator("#am-chart .scatterlayer .trace").count()


def wait_pin(page: Any, text: str) -> None:
    page.wait_for_function(f"[...document.querySelectorAll('.aqi-pin')].some(e => e.textContent === '{text}')",
                           timeout=10_000)


def test_side_panel_history_compare_csv_and_shared_url(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    write_history(r)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?lang=en&{VIEW}")
    wait_pin(page, "114")
    page.locator(".aqi-pin", has_text="114").click()
    page.wait_for_selector(".entity-popup .ep-title", timeout=5000)  # the popup still opens
    page.wait_for_selector("#am-panel.open", timeout=5000)
    page.wait_for_function("document.getElementById('am-panel-title')?.textContent === 'Guangya Middle School'",
                           timeout=10_000)
    assert "114 Lightly polluted" in page.locator("#am-panel-rows").inner_text()
    page.wait_for_selector("#am-chart .scatterlayer path.js-line", timeout=10_000)  # the history line, an svg path
    assert page.locator("#am-chart .shapelayer path").count() >= 4  # the AQI bands behind it
    page.wait_for_function("new URLSearchParams(location.search).get('sel') === 'air:1345A'", timeout=5000)

    page.locator("#am-range label", has_text="1 h").click()
    page.wait_for_function("new URLSearchParams(location.search).get('range') === '1h'", timeout=5000)
    page.get_by_role("button", name="Add to compare").click()
    page.wait_for_function("new URLSearchParams(location.search).get('cmp') === 'air:1345A'", timeout=5000)
    page.keyboard.press("Escape")
    page.locator(".aqi-pin", has_text="60").click()
    page.wait_for_function("document.getElementById('am-panel-title')?.textContent === 'Shiwuzhong'", timeout=10_000)
    page.get_by_role("button", name="Add to compare").click()
    page.wait_for_function("new URLSearchParams(location.search).get('cmp') === 'air:1345A,air:1346A'",
                           timeout=5000)
    page.wait_for_function("document.querySelectorAll('#am-chart .scatterlayer .trace').length === 2",
                           timeout=10_000)
    legend = page.locator("#am-chart .legend").text_content() or ""
    assert "Guangya Middle School" in legend and "Shiwuzhong" in legend

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("entity_id,name,time,aqi,level,")
    assert {ln.split(",")[0] for ln in lines[1:]} == {"1345A", "1346A"} and len(lines) > 60
    assert all(ln.split(",")[2].endswith("+08:00") for ln in lines[1:])
    assert any(ln.startswith("1345A,广雅中学,") and ",200,4," in ln for ln in lines)  # 20+ min ago: AQI 200, level 4

    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("document.querySelectorAll('.leaflet-popup-close-button').forEach(b => b.click())")
    page.mouse.move(5, 400)
    page.wait_for_timeout(500)  # the popup's fade-out
    page.screenshot(path=str(ARTIFACTS / "analyst-1366x768.png"))
    shared = page.url
    other = browser.new_page(viewport={"width": 1920, "height": 1080})
    login(other, shared)
    other.goto(shared)
    other.wait_for_function("document.getElementById('am-panel-title')?.textContent === 'Shiwuzhong'", timeout=10_000)
    other.wait_for_function("document.querySelectorAll('#am-chart .scatterlayer .trace').length === 2",
                            timeout=10_000)
    assert other.locator(".am-chip").count() == 2 and other.locator("#am-range input[value='1h']").is_checked()
    other.wait_for_timeout(1500)
    assert {k: query(other.url)[k] for k in ("sel", "cmp", "range", "z")} == \
        {k: query(shared)[k] for k in ("sel", "cmp", "range", "z")}
    # the same centre, to within a pixel at this zoom (Leaflet re-centres by whole pixels when the header reflows)
    got, want = ([float(x) for x in query(u)["c"].split(",")] for u in (other.url, shared))
    assert abs(got[0] - want[0]) < 4e-4 and abs(got[1] - want[1]) < 4e-4
    other.screenshot(path=str(ARTIFACTS / "analyst-1920x1080.png"))
    other.close()
    page.close()


def test_district_and_level_filters(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    write_history(r, minutes=2)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,air&district=440111")
    wait_pin(page, "40")
    page.wait_for_timeout(1500)
    assert pins(page) == ["40"]  # only Baiyun's station is shown
    page.wait_for_function("new URLSearchParams(location.search).get('c') !== null", timeout=5000)
    lat, lon = (float(x) for x in query(page.url)["c"].split(","))
    assert 23.14 < lat < 23.44 and 113.14 < lon < 113.51 and float(query(page.url)["z"]) >= 10  # fitted to Baiyun
    assert page.locator("path[stroke='#ffd76a']").count() == 1  # its outline is highlighted
    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,air&minlevel=3&c=23.2,113.3&z=10")
    wait_pin(page, "114")
    page.wait_for_timeout(1500)
    assert pins(page) == ["114"]  # AQI level 3 and above only
    page.close()


def test_replay_shows_the_past_and_live_ticks_do_not_overwrite_it(browser: Any, app_proc: AppProcess,
                                                                  r: redis.Redis) -> None:
    now = write_history(r)
    at = now - now % MIN - 30 * MIN
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?lang=en&{VIEW}&at={at}")
    page.wait_for_function("document.getElementById('am-mode')?.textContent.startsWith('REPLAY')", timeout=10_000)
    wait_pin(page, "200")
    page.wait_for_timeout(2500)  # a few live ticks later the past is still shown
    assert "200" in pins(page) and "114" not in pins(page)
    assert not page.locator("#am-replay-note").is_hidden()
    page.locator(".aqi-pin", has_text="200").click()  # the popup and the side panel show the past too
    page.wait_for_function("(document.querySelector('.entity-popup')?.textContent || '').includes('Replay')",
                           timeout=5000)
    assert "200 Moderately polluted" in page.locator(".entity-popup").inner_text()
    page.wait_for_function("(document.getElementById('am-panel-rows')?.textContent || '').includes('200')",
                           timeout=10_000)
    q = query(page.url)
    assert q["at"] == time.strftime("%Y-%m-%dT%H:%M", time.gmtime(at / 1000 + 8 * 3600))  # city time, readable
    page.get_by_role("button", name="Back to live").click()
    wait_pin(page, "114")
    page.wait_for_function("document.getElementById('am-mode')?.textContent === 'LIVE'", timeout=5000)
    page.wait_for_function("!new URLSearchParams(location.search).has('at')", timeout=5000)
    page.close()


def test_the_popup_and_the_panel_show_one_value_and_change_together(browser: Any, app_proc: AppProcess,
                                                                     r: redis.Redis) -> None:
    """#17 item 8: beside the open side panel a station's popup is compact and shows the panel's own headline rows;
    a new reading changes the pin, the popup and the panel in the same tick, not at the panel's 30 s refresh."""
    from tests.e2e.test_deltas import write_air

    write_air(r, {"1345A": 75})  # HJ 633-2026: PM2.5 75 -> IAQI 114 (standards.md §1.5)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?lang=en&{VIEW}")
    wait_pin(page, "114")
    page.locator(".aqi-pin", has_text="114").click()
    page.wait_for_selector(".entity-popup.ep-compact", timeout=10_000)
    page.wait_for_function("(document.querySelector('.entity-popup')?.textContent || '').includes('114')",
                           timeout=10_000)
    popup = page.locator(".entity-popup").inner_text()
    assert "AQI\t114 Lightly polluted" in popup and "More in the side panel" in popup and "PM2.5" not in popup
    page.wait_for_function("(document.getElementById('am-panel-rows')?.textContent || '').includes('114')",
                           timeout=10_000)
    write_air(r, {"1345A": 150})  # -> IAQI 200 (HJ 633-2026 Table 1)
    page.wait_for_function("""() => {
      const pin = [...document.querySelectorAll('.aqi-pin')].some(e => e.textContent === '200');
      const pop = (document.querySelector('.entity-popup')?.textContent || '').includes('AQI200 Moderately');
      const panel = (document.getElementById('am-panel-rows')?.textContent || '').includes('200 Moderately');
      return pin && pop && panel;
    }""", timeout=8_000)  # the panel's own refresh is every 30 s: only the tick's poke gets it here in time
    page.close()
