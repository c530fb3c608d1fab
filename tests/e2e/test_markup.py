"""Pushed text is hostile (issue #13 item 2): markup in every text field of every feed, and in the admin's names,
reaches every page as text. Debian Chromium under the real CSP, real Redis, the app in a subprocess.

On each page (wall, overview, one map with its popups and side panel, alert console, admin) no injected element
exists, the page did not navigate away, and the markup is shown literally where the name is shown."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from config.settings import load_city
from core.readings import Reading
from data_sources.pipeline import rules_for, store
from store import users
from store.writer import Writer
from tests.conftest import ARTIFACTS, KIOSK, AppProcess, login

pytestmark = pytest.mark.e2e
STATION = ("1345A", 23.1423, 113.2347)
ZOOM = 16
# Each payload would, as HTML, add an element with class "pwn", send the tab elsewhere, or cover the page.
PAYLOADS = ['<img src=x class=pwn onerror="document.title=1">',
            '<meta http-equiv="refresh" content="0;url=/pwned">',
            '<a class=pwn href="//evil.example">x</a>',
            '<div class=pwn style="position:fixed;inset:0;background:red">',
            '"><svg class=pwn onload=alert(1)>']
MARK = "".join(PAYLOADS)
CASE_ID = '<b class="pwn">C-1</b>'


def seed(r: redis.Redis) -> None:
    """A station whose name is markup (polluted, so it is in every worst-of list and fires an alert), and a citizen's
    case whose every text field is markup, next to it."""
    now = int(time.time() * 1000)
    rules = rules_for(load_city("guangzhou"))
    w = Writer(r, source="e2e")
    air = Reading("air", STATION[0], now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 80,
                                           "pm25_1h": 260},
                  {"name": "站" + MARK, "district_adcode": "440103", "lat": STATION[1], "lon": STATION[2]})
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 3600))
    due = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 600))  # overdue: in the worst lists
    case = Reading("service", CASE_ID, now, {
        "status": "open", "service_name": "井盖" + MARK, "service_code": "<i>c</i>", "description": MARK,
        "address": "路" + MARK, "agency_responsible": "局" + MARK, "status_notes": MARK,
        "requested_datetime": iso, "updated_datetime": iso, "expected_datetime": due, "lat": STATION[1],
        "long": STATION[2] + 0.002, "district_adcode": "440103"}, {"district_adcode": "440103"})
    store(w, [air, case], rules, now)


def no_injection(page: Any, where: str) -> None:
    """Nothing of the payloads became an element, and the tab is still on this app."""
    found = page.evaluate("() => document.querySelectorAll('.pwn, meta[http-equiv=refresh], svg.pwn').length")
    assert found == 0, f"{where}: {found} injected elements"
    assert "/pwned" not in page.url and "evil.example" not in page.url, where
    assert page.title() != "1", where


def test_markup_in_every_text_field_stays_text_on_every_page(browser: Any, app_proc: AppProcess,
                                                             r: redis.Redis) -> None:
    seed(r)
    users.create_user(r, "markup.admin", "markup-admin-password", "admin", display_name="名" + PAYLOADS[0])
    users.issue_kiosk(r, "墙" + PAYLOADS[3][:40])
    ARTIFACTS.mkdir(exist_ok=True)

    wall = browser.new_page(viewport={"width": 3840, "height": 2160})
    wall.goto(f"{app_proc.url}/wall?lang=en&theme=air&kiosk={KIOSK}")
    wall.wait_for_function("document.body.innerText.includes('<img src=x class=pwn')", timeout=15_000)
    no_injection(wall, "wall")
    wall.goto(f"{app_proc.url}/wall?lang=en&theme=service")
    wall.wait_for_selector(".wall-root", timeout=10_000)
    wall.wait_for_timeout(2500)
    no_injection(wall, "wall, cases")
    wall.screenshot(path=str(ARTIFACTS / "markup-wall-3840x2160.png"))
    wall.close()

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url, "markup.admin", "markup-admin-password")
    page.goto(f"{app_proc.url}/?lang=en")
    page.wait_for_function("document.body.innerText.includes('<img src=x class=pwn')", timeout=15_000)
    no_injection(page, "overview")

    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,air,cases&c={STATION[1]},{STATION[2]}&z={ZOOM}")
    page.wait_for_selector(".aqi-pin", timeout=15_000)
    page.locator(".aqi-icon").first.click()
    page.wait_for_function("document.querySelector('.entity-popup .ep-title')?.textContent.includes('<meta')",
                           timeout=10_000)
    no_injection(page, "air popup")
    page.wait_for_function("document.getElementById('am-panel-title')?.textContent.includes('<img')",
                           timeout=10_000)
    no_injection(page, "side panel")
    page.screenshot(path=str(ARTIFACTS / "markup-popup-1366x768.png"))
    # the case is 0.002° east of the station: at zoom 16 that many pixels right of the station's pin
    page.keyboard.press("Escape")
    page.wait_for_selector(".entity-popup", state="detached", timeout=5000)
    pin = page.locator(".aqi-icon").first.bounding_box()
    assert pin is not None
    dx = 256 * 2 ** ZOOM * 0.002 / 360
    page.mouse.click(pin["x"] + dx, pin["y"])  # the pin's element sits at its point; the badge is drawn centred
    page.wait_for_function("document.querySelector('.entity-popup .ep-title')?.textContent.includes('C-1</b>')",
                           timeout=10_000)
    popup = page.locator(".entity-popup").inner_text()
    assert "路<img src=x class=pwn" in popup and "局<img" in popup
    no_injection(page, "case popup")

    page.goto(f"{app_proc.url}/alerts?lang=en")
    page.wait_for_function("document.body.innerText.includes('<img src=x class=pwn')", timeout=15_000)
    page.locator(".console-table tbody tr", has_text="<img src=x").first.click()
    page.wait_for_selector(".detail-entity", timeout=5000)
    no_injection(page, "alert console")

    page.goto(f"{app_proc.url}/admin?lang=en")
    page.wait_for_selector("text=markup.admin", timeout=10_000)
    assert "<img src=x class=pwn" in page.locator("body").inner_text()
    no_injection(page, "admin")
    page.close()

