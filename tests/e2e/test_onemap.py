"""The one map in Debian Chromium: popups, layer toggles in the URL, shared views, no outside requests, MBTiles."""

from __future__ import annotations

import sqlite3
import struct
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store.writer import Writer
from tests.conftest import API_AUTH, ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
STATION = ("1345A", 23.1423, 113.2347)  # 广雅中学 (geo/guangzhou_aq_stations.geojson)


def write_station(r: redis.Redis, pm25: float) -> None:
    now = int(time.time() * 1000)
    rd = Reading("air", STATION[0], now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                          "pm25_1h": pm25}, {"name": "广雅中学", "district_adcode": "440103"})
    Writer(r, source="e2e").write([(rd, derive(rd))], now)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_popup_layer_toggle_shared_url_and_no_outside_requests(browser: Any, app_proc: AppProcess,
                                                               r: redis.Redis) -> None:
    write_station(r, 75)  # HJ 633-2026: PM2.5 75 -> AQI 114 (standards.md §1.5)
    seen: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    page.on("request", lambda req: seen.append(req.url))
    page.goto(f"{app_proc.url}/analyst?lang=en&layers=districts,air,roads&c={STATION[1]},{STATION[2]}&z=14")
    page.wait_for_function("[...document.querySelectorAll('.aqi-pin')].some(e => e.textContent === '114')",
                           timeout=10_000)
    page.locator(".aqi-icon").first.click()
    page.wait_for_selector(".entity-popup.ep-compact .ep-title", timeout=10_000)  # beside the panel: compact
    popup = page.locator(".entity-popup").inner_text()
    assert "Guangya Middle School" in popup and "114" in popup and "More in the side panel" in popup
    page.wait_for_function("(document.getElementById('am-panel-rows')?.textContent || '').includes('HJ633-2026')",
                           timeout=10_000)  # the details are the panel's
    assert "µg/m³" in page.locator("#am-panel-rows").inner_text()
    # issue #17 item 8: Escape closes it, wherever the focus is (Leaflet's own handler needs the map focused)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Escape")
    page.wait_for_selector(".entity-popup", state="detached", timeout=3000)

    # GCJ-02 display shift for Chinese base maps: standards.md §7 worked example, 1e-6°
    lat, lng = page.evaluate("(() => { const p = window.onescreen.onemap.toGcj([121.5272106, 31.1774276]);"
                             " return [p.lat, p.lng]; })()")
    assert abs(lat - 31.175304) < 1e-6 and abs(lng - 121.531542) < 1e-6

    page.get_by_label("Air stations").uncheck()
    page.wait_for_function("document.querySelectorAll('.aqi-pin').length === 0", timeout=5000)
    page.wait_for_function("!new URLSearchParams(location.search).get('layers').split(',').includes('air')",
                           timeout=5000)
    shared = page.url
    assert query(shared)["layers"].split(",") == ["districts", "roads"]

    other = browser.new_page(viewport={"width": 1366, "height": 768})
    login(other, shared)
    other.on("request", lambda req: seen.append(req.url))
    other.goto(shared)
    other.wait_for_selector(".district-label", timeout=10_000)
    assert not other.get_by_label("Air stations").is_checked() and other.get_by_label("Roads (schematic)").is_checked()
    other.wait_for_timeout(1500)
    q = query(other.url)
    assert (q["c"], q["z"]) == (query(shared)["c"], query(shared)["z"])
    ARTIFACTS.mkdir(exist_ok=True)
    other.screenshot(path=str(ARTIFACTS / "onemap-1366x768.png"))
    outside = {urlparse(u).hostname for u in seen if urlparse(u).scheme in ("http", "https")} - {"127.0.0.1"}
    assert outside == set(), f"requests left the machine: {outside}"
    page.close()
    other.close()


def test_furniture_layer_shows_clusters_at_wall_size(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    page = browser.new_page(viewport={"width": 3840, "height": 2160})
    login(page, app_proc.url)
    page.goto(f"{app_proc.url}/analyst?layers=districts,furniture,cases&c=23.13,113.305&z=13")
    page.wait_for_selector(".cl-furniture", timeout=10_000)
    total = page.evaluate("[...document.querySelectorAll('.cl-furniture span')].map(e => e.textContent).length")
    assert total > 10
    page.screenshot(path=str(ARTIFACTS / "onemap-furniture-3840x2160.png"))
    page.close()


def _png() -> bytes:
    """A valid 1x1 PNG, written by hand so the test needs no image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x20\x40\x80")) + chunk(b"IEND", b""))


def make_mbtiles(path: Path) -> None:
    """A tiny MBTiles file: zoom 0..2 tiles around Guangzhou, TMS row order."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "test"), ("format", "png")])
    for z in range(0, 12):
        for x in range(2**z):
            for y in range(2**z):
                if z <= 2 or (z >= 9 and abs(x - int(2**z * 0.8147)) <= 3 and abs(y - int(2**z * 0.4339)) <= 3):
                    db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, _png()))
    db.commit()
    db.close()


def test_mbtiles_base_map_is_served_by_the_app(browser: Any, redis_server: Any, tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    mb = tmp_path / "city.mbtiles"
    make_mbtiles(mb)
    proc = AppProcess(redis_server.url, {"ONESCREEN_BASEMAP_MBTILES": str(mb),
                                         "ONESCREEN_BASEMAP_ATTRIBUTION": "Test tiles © OneScreen"})
    proc.start()
    try:
        with urllib.request.urlopen(urllib.request.Request(proc.url + "/tiles/0/0/0", headers=API_AUTH)) as resp:
            assert resp.headers["Content-Type"] == "image/png" and resp.read() == _png()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(proc.url + "/tiles/5/0/0", headers=API_AUTH))
        assert err.value.code == 404
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        login(page, proc.url)
        page.goto(proc.url + "/analyst?layers=districts&c=23.13,113.3&z=10")
        page.wait_for_function("[...document.querySelectorAll('img.leaflet-tile')]"
                               ".some(i => i.src.includes('/tiles/') && i.complete && i.naturalWidth === 1)",
                               timeout=10_000)
        assert "Test tiles © OneScreen" in page.locator(".leaflet-control-attribution").inner_text()
        page.close()
    finally:
        proc.stop()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_layer_control_lists_the_layers_in_one_order_on_every_load(browser: Any, app_proc: AppProcess,
                                                                       lang: str) -> None:
    """Issue #17: the overlays were listed in the order their layers happened to mount, which changed between loads."""
    from core.i18n import t
    from views.map import LAYERS

    want = [t(f"layer_{x}", lang) for x in LAYERS]
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    for layers in ("districts,air", "loop,roads,grid,water", "cases,furniture,rivers,districts,air,roads"):
        page.goto(app_proc.url + f"/analyst?lang={lang}&layers={layers}")
        page.wait_for_function("n => document.querySelectorAll('.leaflet-control-layers-overlays label').length === n",
                               arg=len(LAYERS))
        order = ("() => [...document.querySelectorAll('.leaflet-control-layers-overlays label span span')]"
                 ".map(e => e.textContent.trim())")
        settled = f"want => JSON.stringify(({order})()) === JSON.stringify(want)"
        for _ in range(2):  # the list is rebuilt as each layer mounts: it must settle in the page's order, and be in
            try:  # it again once the late layers' data has arrived (Leaflet may rebuild it: seen empty for a moment)
                page.wait_for_function(settled, arg=want, timeout=5000)
            except Exception:  # noqa: BLE001 - say what it showed instead
                raise AssertionError((layers, page.evaluate(order))) from None
            page.wait_for_timeout(800)
        checked = page.eval_on_selector_all(".leaflet-control-layers-overlays label",
                                            "els => els.map(e => e.querySelector('input').checked)")
        assert [x for x, on in zip(LAYERS, checked, strict=True) if on] == [x for x in LAYERS if x in layers.split(",")]
