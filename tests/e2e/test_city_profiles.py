"""Every city of the source documents runs (issue #16): `ONESCREEN_CITY=tianjin|tangshan|langfang` with the
simulator starts a complete wall over that city's own districts, stations and rivers, in Debian Chromium. The
screenshots (artifacts/wall-<city>-1920x1080.png) are for a person to look at; the test checks what they show."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from config.settings import load_city
from core.geo import GEO_DIR
from tests.conftest import ARTIFACTS, KIOSK, AppProcess
from tests.e2e.test_map_labels import BOXES, overlaps

pytestmark = pytest.mark.e2e
AIR_VALUE = '[id=\'{"feed":"air","type":"kpi-value"}\']'
WATER_TOP = '[id=\'{"feed":"water","type":"kpi-top"}\'] li'


@pytest.mark.parametrize("slug", ["tianjin", "tangshan", "langfang"])
def test_each_profile_boots_a_wall_of_its_own_city(browser: Any, redis_server: Any, r: redis.Redis,
                                                   slug: str) -> None:
    city = load_city(slug)
    districts = json.loads((GEO_DIR / city["geo"]["districts"]).read_text(encoding="utf-8"))["features"]
    stations = json.loads((GEO_DIR / city["geo"]["air_stations"]).read_text(encoding="utf-8"))["features"]
    river_names = {f["properties"]["name"] for f in json.loads(
        (GEO_DIR / city["geo"]["rivers"]).read_text(encoding="utf-8"))["features"]}
    with AppProcess(redis_server.url, {"ONESCREEN_CITY": slug, "ONESCREEN_SIMULATOR": "on"}) as app:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{app.url}/wall?lang=zh&theme=water&kiosk={KIOSK}")
        page.wait_for_selector(".city-name")
        assert page.inner_text(".city-name") == city["name_zh"]
        # the city's own districts are drawn and labelled, every one
        page.wait_for_function(f"document.querySelectorAll('.district-label').length === {len(districts)}",
                               timeout=20_000)
        labels = sorted(page.locator(".district-label").all_text_contents())  # some may be outside the frame
        assert labels == sorted(f["properties"]["name"] for f in districts)
        page.wait_for_function(  # the names are placed apart (onescreen.js declutter) after Leaflet places them
            f"document.querySelector('[data-labels-placed=\"{len(districts)}\"]') !== null", timeout=10_000)
        boxes = page.evaluate(BOXES)
        assert not overlaps(boxes), overlaps(boxes)
        framed = {f["properties"]["name"] for f in districts
                  if str(f["properties"]["adcode"]) in (city.get("wall_frame") or [f["properties"]["adcode"]])}
        assert not {b["name"] for b in boxes if not b["shown"]} & framed
        # its stations report: the city AQI is a number, and the worst stations are its own
        page.wait_for_function(f"/^[0-9]+$/.test(document.querySelector(`{AIR_VALUE}`)?.textContent || '')",
                               timeout=20_000)
        names = {f["properties"]["name"] for f in stations}
        worst = page.locator('[id=\'{"feed":"air","type":"kpi-top"}\'] .top-name').all_inner_texts()
        assert worst and set(worst) <= names, worst
        # its river sections are on its own rivers (named after them)
        page.wait_for_selector(WATER_TOP, timeout=20_000)
        sections = page.locator(f"{WATER_TOP} .top-name").all_inner_texts()
        assert sections and all(s.split("·")[0] in river_names for s in sections), (sections, river_names)
        # and the source line says where this city's geometry comes from
        assert "1:400万" in page.inner_text(".leaflet-control-attribution")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"wall-{slug}-1920x1080.png"))
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
        assert errors == []
        page.close()
