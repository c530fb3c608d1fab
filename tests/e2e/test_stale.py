"""One rule for stale data on every screen (issue #17 item 4), in Debian Chromium: a feed older than its
stale_after_s (config/feeds.yaml, 30 s for air and traffic) keeps its last figures and worst list, greyed, "as of"
the moment of its newest data, never a zero; the maps mark its layer (grey pins, dimmed and dashed roads); the one
map's LIVE badge turns STALE; the wall's "Stale" alert count says what its header says."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis

from config.settings import load_city
from core.derive import derive
from core.readings import Reading
from store.writer import Writer
from tests.conftest import login
from tests.e2e.test_deltas import STATIONS
from tests.e2e.test_wall import AIR_VALUE_ID, open_wall
from views import geometry

pytestmark = pytest.mark.e2e
AGO_MS = 45_000  # older than the feeds' 30 s limit


def write_stale(r: redis.Redis) -> int:
    """Every station at PM2.5 150 and some roads congested, all 45 s old; returns the readings' time."""
    now = int(time.time() * 1000)
    ts = now - AGO_MS
    air = [Reading("air", code, ts, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                      "pm25_1h": 150}, {}) for code in STATIONS]
    roads = geometry.boxes_of(geometry.layer_text(load_city("guangzhou"), 42, "roads") or "").ids[:40]
    traffic = [Reading("traffic", str(eid), ts, {"speed_kmh": 12.0, "free_flow_kmh": 60.0}, {"length_m": 900})
               for eid in roads]
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in air + traffic], now)
    return ts


def test_a_stale_feed_keeps_its_last_values_greyed_as_of_their_moment(browser: Any, app_proc: Any,
                                                                      r: redis.Redis) -> None:
    ts = write_stale(r)
    at = datetime.fromtimestamp(ts / 1000, ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    page = open_wall(browser, app_proc.url + "/wall?lang=en&theme=air", 1920, 1080)
    # HJ 633-2026 Table 1 (standards.md §1.1, §1.3): 1-h PM2.5 150 on the 24-h column -> IAQI 200 at every station
    page.wait_for_function(f"document.querySelector(`{AIR_VALUE_ID}`)?.textContent === '200'", timeout=10_000)
    tile = page.evaluate("""() => {
      const t = document.querySelector('[id=\\'{"feed":"air","type":"kpi-tile"}\\']');
      return {cls: t.className, age: t.querySelector('.kpi-age').textContent,
              top: [...t.querySelectorAll('.kpi-top li')].filter(e => e.offsetParent !== null).length,
              sub: t.querySelector('.kpi-sub').textContent};
    }""")
    assert "kpi-stale" in tile["cls"] and tile["age"] == f"as of {at}", tile
    assert tile["top"] == 3 and "0 stations" not in tile["sub"], tile  # the worst list stays, greyed
    page.wait_for_function("document.querySelectorAll('.aqi-pin').length === 12 && "
                           "[...document.querySelectorAll('.aqi-pin')].every(e => e.textContent === '200' && "
                           "e.classList.contains('aqi-stale'))", timeout=10_000)
    # the header and the alert rail's "Stale" count agree: the feed-stale alert fires when the screens grey the feed
    page.wait_for_function("""() => {
      const chip = [...document.querySelectorAll('.tk-count')].find(e => e.textContent.endsWith('Stale'));
      return chip && chip.querySelector('b').textContent === '2'
        && document.querySelector('#wall-status').textContent.startsWith('2 feeds stale');
    }""", timeout=15_000)
    assert page.errors == []
    page.close()

    one = browser.new_page(viewport={"width": 1366, "height": 768})
    one.errors = []
    one.on("pageerror", lambda exc: one.errors.append(str(exc)))
    login(one, app_proc.url)
    one.goto(app_proc.url + "/analyst?lang=en&layers=districts,air,roads&z=11")
    one.wait_for_function("document.querySelector('#am-mode')?.textContent === 'STALE' && "
                          "document.querySelector('#am-mode').classList.contains('am-stale')", timeout=15_000)
    # the stale roads keep their level's colour, dimmed and dashed
    one.wait_for_function("[...document.querySelectorAll('.leaflet-overlay-pane path')].filter(p => "
                          "p.getAttribute('stroke-dasharray') && p.getAttribute('stroke-opacity') === '0.45')"
                          ".length >= 10", timeout=10_000)
    assert one.evaluate("[...document.querySelectorAll('.aqi-pin')].every(e => e.classList.contains('aqi-stale'))")
    assert one.errors == []
    one.close()
