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


VALUES = "window.onescreen.onemap.heldValues('am', 'air')"
HELD = f"Object.keys({VALUES}).sort()"
IN_VIEW = "window.onescreen.onemap.inView('am', 'air')"


def drag(page: Any, dx: float, dy: float) -> None:
    """Pan the map as a hand does: press, move, hold still (no fling), release."""
    box = page.locator(".onemap-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - dx / 2, y - dy / 2)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=12)
    page.wait_for_timeout(150)
    page.mouse.up()


def test_panning_the_map_fetches_what_came_into_view(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    """Zoomed in on 天河职幼 (1347A), the page is sent that station only; dragged until 市八十六中 (1349A, 5 km
    east-south-east) is in view, the station arrives whole in a delta, and every station in view shows its AQI as a
    fresh page of that view does (issue #20: values bounded by what is on screen)."""
    write_air(r, {code: 20 + 5 * i for i, code in enumerate(STATIONS)})
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    login(page, app_proc.url)
    page.goto(app_proc.url + "/analyst?lang=en&layers=districts,air&c=23.1233,113.3848&z=16&panel=0")
    # before the browser reports its view the server guesses a generous one (a 3,200-px screen); then the page's own
    page.wait_for_function(f"{HELD}.includes('1347A') && !{HELD}.includes('1349A')", timeout=10_000)
    first = page.evaluate(HELD)
    assert "1349A" not in first and len(first) < len(STATIONS), first  # not the whole city: what is near the view
    page.evaluate(RECORD["analyst"])
    write_air(r, {"1349A": 150})  # changes while out of view: nothing of it travels yet
    page.wait_for_timeout(2200)
    assert "1349A" not in page.evaluate(HELD)
    # 1349A is 0.0484° east and 0.0186° south: about 2,260 px and 940 px at zoom 16, dragged in four strokes
    for _ in range(4):
        drag(page, -565, -235)
    assert "1349A" in page.evaluate(IN_VIEW), page.evaluate(IN_VIEW)
    page.wait_for_function(f"{HELD}.includes('1349A')", timeout=10_000)
    page.wait_for_timeout(1200)
    in_view, held = page.evaluate(IN_VIEW), page.evaluate(HELD)
    assert set(in_view) <= set(held), (in_view, held)
    msgs = [m for m in page.evaluate("window.__msgs") if m]
    came = [m for m in msgs if "1349A" in m["air"]]
    # it came whole in a delta from what the page held (PM2.5 1-h 150 -> IAQI 200, HJ 633-2026 Table 1)
    assert came and came[0]["base"] is not None and came[0]["air"]["1349A"][0] == 200
    assert all(len(m["air"]) < len(STATIONS) for m in msgs), [len(m["air"]) for m in msgs]
    left = [m for m in msgs if "1347A" in (m.get("gone") or {}).get("air", [])]
    assert ("1347A" in held) != bool(left)  # left behind and listed gone, or still near the view
    pins = "[...document.querySelectorAll('.aqi-pin')].map(e => e.textContent).filter(t => t !== '–').sort()"
    shown = page.evaluate(pins)
    assert "200" in shown and len(shown) == len(held)  # a pin shows a number exactly where a value is held
    page.wait_for_function("new URLSearchParams(location.search).get('c') !== '23.1233,113.3848'", timeout=5000)
    fresh = browser.new_page(viewport={"width": 1366, "height": 768})
    fresh.errors = []
    fresh.on("pageerror", lambda exc: fresh.errors.append(str(exc)))
    login(fresh, app_proc.url)
    fresh.goto(page.url)  # the view the page now shows, loaded afresh
    fresh.wait_for_function(f"{HELD}.includes('1349A') && {IN_VIEW}.includes('1349A')", timeout=10_000)
    both = set(page.evaluate(IN_VIEW)) & set(fresh.evaluate(IN_VIEW))
    assert "1349A" in both, (page.evaluate(IN_VIEW), fresh.evaluate(IN_VIEW), page.url, fresh.url)
    mine, theirs = page.evaluate(VALUES), fresh.evaluate(VALUES)
    assert {k: mine[k] for k in both} == {k: theirs[k] for k in both}
    assert page.errors == [] and fresh.errors == []
    page.close()
    fresh.close()
