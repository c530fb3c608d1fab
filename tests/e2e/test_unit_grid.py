"""The unit grid on the one map (issues #15 and #16), in Debian Chromium: a case reported through the API lights
its ~100 m cell once the analyst is in close enough, the cell says its code (the one the API gives the case), how
many open and overdue cases and damaged components it holds; from further out there are no cells to squint at."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import redis

from auth import accounts
from store import users
from tests.conftest import ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
PW = "grid-test-password-1"
WHERE = (113.26254, 23.13941)  # 越秀, inside the Guangzhou profile's managed core (its unit grid)


def test_a_reported_case_lights_its_cell_with_the_code_the_api_gives(browser: Any, app_proc: AppProcess,
                                                                     r: redis.Redis) -> None:
    users.create_user(r, "wu.dispatch", PW, "dispatcher")
    token, _ = accounts.issue_token(r, "admin", "wu.dispatch", "grid test")
    body = json.dumps({"category": "0101", "lon": WHERE[0], "lat": WHERE[1], "description": "井盖缺失"}).encode()
    req = urllib.request.Request(app_proc.url + "/api/v1/cases", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        case = json.loads(resp.read())["case"]
    with urllib.request.urlopen(urllib.request.Request(
            f"{app_proc.url}/api/v1/cases/{case['id']}", headers={"Authorization": f"Bearer {token}"}),
            timeout=10) as resp:
        code = json.loads(resp.read())["case"]["grid"]
    assert code and code.startswith(case["district"]) and len(code) == 14
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url, "wu.dispatch", PW)
    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,grid&c={WHERE[1]},{WHERE[0]}&z=13")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(3000)  # a few ticks: from this far out the grid draws nothing
    assert page.locator(".leaflet-osGrid-pane path[stroke='#ff9f0a']").count() == 0
    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,grid&c={WHERE[1]},{WHERE[0]}&z=16")
    cell = page.locator(".leaflet-osGrid-pane path[stroke='#ff9f0a']")
    cell.first.wait_for(timeout=15_000)
    assert cell.count() == 1  # one open case, one cell
    cell.first.hover()
    tip = page.locator(".leaflet-tooltip:not(.district-label)")
    tip.wait_for(timeout=5000)
    assert tip.inner_text() == f"Unit grid {code} · open 1 · overdue 0 · damaged 0"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "onemap-grid-1366x768.png"))
    page.close()
