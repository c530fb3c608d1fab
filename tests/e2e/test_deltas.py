"""Entity values travel as deltas (views/delta.py, assets/wall_map.js, assets/onemap.js): in Debian Chromium, a wall
and a one map that merged every tick's delta, missed ticks and reconnected show the same pins as pages loaded
afresh."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store.writer import Writer
from tests.conftest import login
from tests.e2e.test_wall import open_wall

pytestmark = pytest.mark.e2e
STATIONS = ("1345A", "1346A", "1347A", "1348A", "1349A", "1350A", "1351A", "1352A", "1353A", "1354A", "1355A", "2846A")
PINS = "[...document.querySelectorAll('.aqi-pin')].map(e => [e.textContent, e.style.background, e.className].join(' '))"
ALL_PINS = ("document.querySelectorAll('.aqi-pin').length === 12 && "
            "[...document.querySelectorAll('.aqi-pin')].every(e => e.textContent !== '–')")
# Each page's clientside apply, wrapped to keep every message it is handed.
RECORD = {"wall": "(() => { const w = window.onescreen.wallmap, apply = w.apply; window.__msgs = [];"
                  " w.apply = function (d) { window.__msgs.push(d); return apply(d); }; })()",
          "analyst": "(() => { const w = window.onescreen.onemap, apply = w.apply; window.__msgs = [];"
                     " w.apply = function (m, d, at) { window.__msgs.push(d); return apply(m, d, at); }; })()"}


def write_air(r: redis.Redis, pm25: dict[str, float]) -> None:
    now = int(time.time() * 1000)
    readings = [Reading("air", code, now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                            "pm25_1h": value}, {}) for code, value in pm25.items()]
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in readings], now)


def cut(page: Any, seconds: float) -> None:
    """The page's network is cut for a while: it misses ticks, then comes back."""
    page.context.set_offline(True)
    page.wait_for_timeout(seconds * 1000)
    page.context.set_offline(False)


def open_page(browser: Any, url: str, kind: str) -> Any:
    if kind == "wall":
        page = open_wall(browser, url + "/wall?lang=en&theme=air", 1920, 1080)
    else:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        login(page, url)
        page.goto(url + "/analyst?lang=en&layers=districts,air&z=10")
    page.wait_for_function(ALL_PINS, timeout=10_000)
    return page


@pytest.mark.parametrize("kind", ["wall", "analyst"])
def test_a_page_fed_deltas_shows_what_a_fresh_page_shows(browser: Any, app_proc: Any, r: redis.Redis,
                                                        kind: str) -> None:
    write_air(r, {code: 20 + 5 * i for i, code in enumerate(STATIONS)})
    page = open_page(browser, app_proc.url, kind)
    page.evaluate(RECORD[kind])
    for step in range(4):  # a few stations change each tick
        write_air(r, {STATIONS[(step * 3 + k) % 12]: 40 + 30 * step + k for k in range(3)})
        page.wait_for_timeout(1100)
    cut(page, 1.5)  # one or two ticks missed: a delta from the version the page still holds
    write_air(r, {STATIONS[0]: 150, STATIONS[5]: 9})
    page.wait_for_timeout(2500)
    cut(page, 6.5)  # longer than the server keeps old versions: everything again
    write_air(r, {STATIONS[1]: 260, STATIONS[7]: 33})
    page.wait_for_timeout(2500)
    msgs = [m for m in page.evaluate("window.__msgs") if m]
    deltas = [m for m in msgs if m.get("base") is not None]
    assert deltas, "the page never received a delta"
    # only what changed travels: at most the stations written since the page's version, never the whole city
    assert max(len(m["air"]) for m in deltas) < len(STATIONS), [len(m["air"]) for m in deltas]
    assert any(not m["air"] for m in deltas)  # a tick with no change sends no station at all
    assert any(m.get("base") is None for m in msgs[1:]), [m.get("base") for m in msgs]  # the resync
    fresh = open_page(browser, app_proc.url, kind)  # a reconnect: a new load
    fresh.wait_for_timeout(1500)
    shown = sorted(page.evaluate(PINS))
    assert shown == sorted(fresh.evaluate(PINS))
    # the last write is on screen: PM2.5 1-h 260 µg/m³ -> IAQI 310, 150 -> 200 (HJ 633-2026 Table 1, standards.md §1.1)
    assert [p.split(" ")[0] for p in shown].count("310") == 1 and "200" in [p.split(" ")[0] for p in shown]
    assert page.errors == [] and fresh.errors == []
    page.close()
    fresh.close()
