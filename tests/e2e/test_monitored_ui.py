"""What a station monitors and what is missing now, in the popup and the analyst panel; the feed table's rejected
and flagged counts (Debian Chromium, real CSP, real Redis)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from config.settings import load_city
from core.readings import Reading, Rejection
from data_sources.pipeline import rules_for, store
from store.writer import Writer
from tests.conftest import ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
DAY = 86_400_000
VIEW = "layers=districts,air&c=23.125,113.248&z=12"


def seed(r: redis.Redis) -> None:
    """1345A reported CO yesterday and not now (HJ 633-2026 §5.3.1: AQI 29 not published); 1346A never had CO."""
    now = int(time.time() * 1000)
    rules = rules_for(load_city("guangzhou"))
    w = Writer(r, source="e2e")
    meta = {"1345A": {"name": "广雅中学", "district_adcode": "440103", "lat": 23.1422, "lon": 113.259},
            "1346A": {"name": "市五中", "district_adcode": "440105", "lat": 23.1331, "lon": 113.261}}
    store(w, [Reading("air", "1345A", now - DAY, {"pm25_1h": 20.0, "co_1h": 0.6}, meta["1345A"])], rules, now - DAY)
    store(w, [Reading("air", eid, now, {"pm25_1h": 20.0, "no2_1h": 30.0}, meta[eid]) for eid in meta]
          + [Reading("air", "far", now, {"pm25_1h": 20.0}, {"lat": 39.9, "lon": 116.4})], rules, now,
          rejected=[Rejection("air", 3, "location 9: datetime.utc is not an ISO 8601 time with offset", "{}")])


def test_popup_and_panel_say_what_is_monitored_and_missing(browser: Any, app_proc: AppProcess,
                                                            r: redis.Redis) -> None:
    seed(r)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?lang=en&{VIEW}")
    page.wait_for_selector(".aqi-pin", timeout=10_000)
    page.wait_for_function("[...document.querySelectorAll('.aqi-pin')].length >= 2", timeout=10_000)
    page.locator(".aqi-pin", has_text="–").first.click()  # 1345A: no AQI published this hour
    # beside the side panel the popup is compact: the panel's own headline rows (#17 item 8), the rest in the panel
    page.wait_for_function("document.querySelector('.entity-popup')?.textContent.includes('not published')",
                           timeout=10_000)
    popup = page.locator(".entity-popup").inner_text()
    assert "AQI\t— not published: CO missing" in popup and "None" not in popup and "Monitors" not in popup
    page.wait_for_selector("#am-panel.open", timeout=5000)
    page.wait_for_function("document.getElementById('am-panel-rows')?.textContent.includes('Missing this hour')",
                           timeout=10_000)
    rows = page.locator("#am-panel-rows").inner_text()
    assert "Monitors\tNO₂, CO, PM2.5" in rows and "Missing this hour\tCO" in rows and "None" not in rows
    page.screenshot(path=str(ARTIFACTS / "monitored-popup-1366.png"))
    page.close()


def test_feed_table_counts_rejected_and_flagged(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    seed(r)
    for size, name in (((1366, 768), "1366"), ((3840, 2160), "3840")):
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        login(page, app_proc.url)
        page.goto(f"{app_proc.url}/?lang=en#ov-feeds-section")
        page.wait_for_selector(".ov-feed-table .feed-rejected", timeout=15_000)
        cell = page.locator(".ov-feed-table .feed-rejected").first
        assert cell.inner_text().startswith("1 · 0 · 1")  # rejected records · dropped values · flagged
        assert "far outside the city's bounds" in (cell.get_attribute("title") or "")
        cell.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"feed-table-rejected-{name}.png"))
        page.close()
