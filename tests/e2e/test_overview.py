"""The leader overview in Debian Chromium: laptop sizes without scrolling, both languages, drill-down to the one map."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import redis

from core.derive import derive
from core.i18n import TEXT
from core.readings import Reading
from store import kpi
from store.writer import Writer
from tests.conftest import ARTIFACTS, AppProcess, login

pytestmark = pytest.mark.e2e
CJK = re.compile(r"[\u3400-\u9fff]")
CST = timezone(timedelta(hours=8))


def fill(r: redis.Redis) -> None:
    """Two stations (Liwan AQI 114, Haizhu 62), three open cases (two overdue in Haizhu), KPI history."""
    now = int(time.time() * 1000)
    air = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40}
    readings = [Reading("air", "1345A", now, {**air, "pm25_1h": 75}, {"name": "广雅中学", "district_adcode": "440103"}),
                Reading("air", "1346A", now, {**air, "pm25_1h": 44}, {"name": "市五中", "district_adcode": "440105"})]
    for i, (adcode, due_h) in enumerate((("440105", -2), ("440105", -1), ("440103", 30))):
        req = datetime.now(CST) - timedelta(hours=5)
        values = {"status": "open", "service_code": "001", "service_name": "噪音", "lat": 23.1, "long": 113.3,
                  "requested_datetime": req.isoformat(timespec="seconds"),
                  "expected_datetime": (datetime.now(CST) + timedelta(hours=due_h)).isoformat(timespec="seconds"),
                  "district_adcode": adcode}
        readings.append(Reading("service", f"e2e-{i}", now - 1000, values, {"district_adcode": adcode}))
    for seg, adcode, speed in (("e2e-road-1", "440105", 18.0), ("e2e-road-2", "440106", 42.0)):
        readings.append(Reading("traffic", seg, now, {"speed_kmh": speed, "free_flow_kmh": 50.0},
                                {"name": seg, "district_adcode": adcode, "road_class": "arterial", "length_m": 2000}))
    readings.append(Reading("water", "e2e-river", now, {"do": 4.0, "codmn": 7.0, "nh3n": 1.2, "tp": 0.25, "ph": 7.2},
                            {"name": "e2e-river", "district_adcode": "440103"}))
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in readings], now)
    day = 24 * 3600 * 1000
    kpi.record(r, now - day, {"aqi": 80, "open": 1, "overdue": 0, "tpi": 3.0})  # city AQI now: ~100
    for i in range(1, 288):  # a day of history every 5 minutes, for the sparklines
        ph = i / 288 * 2 * math.pi
        kpi.record(r, now - day + i * 300_000, {"aqi": round(80 + 20 * math.sin(ph)), "open": 3, "overdue": 2,
                                                "tpi": round(3 + 2 * math.sin(2 * ph), 1)})


def open_page(browser: Any, url: str, width: int, height: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    login(page, url)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    page.wait_for_selector(".ov-row", timeout=10_000)
    page.wait_for_function("document.querySelector('.ov-card-value').textContent !== '—'", timeout=10_000)
    page.wait_for_function("[...document.querySelectorAll('.ov-spark')].some(i => i.src.startsWith('data:'))",
                           timeout=10_000)
    page.errors = errors
    return page


def bottom(page: Any, selector: str) -> float:
    return page.evaluate(f"Math.max(...[...document.querySelectorAll(`{selector}`)]"
                         ".map(e => e.getBoundingClientRect().bottom))")


def static_texts(lang: str) -> set[str]:
    """The overview's own labels without placeholders (the ones that do not depend on the data)."""
    return {v[lang] for k, v in TEXT.items() if k.startswith("ov_") and "{" not in v[lang] and v["zh"] != v["en"]}


def test_overview_at_laptop_size_switches_language_and_drills_down(browser: Any, app_proc: AppProcess,
                                                                   r: redis.Redis) -> None:
    fill(r)
    page = open_page(browser, app_proc.url + "/", 1366, 768)
    assert page.locator(".ov-table").is_visible()
    page.wait_for_selector(".ov-item", timeout=10_000)  # AQI 114 > 100: the station alert fires and waits
    # everything important is on the first screen: cards, the alerts panel, the top of the ranking
    assert bottom(page, ".ov-card") <= 768 and bottom(page, ".ov-alert-counts") <= 768
    assert bottom(page, ".ov-row:nth-child(-n+8)") <= 768
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    rows = page.locator(".ov-row .col-name").all_inner_texts()
    assert len(rows) == 11 and rows[0] == "海珠区"  # default order: overdue cases, most first
    assert page.locator(".ov-row").first.locator(".col-overdue").inner_text() == "2"
    assert page.locator(".ov-row", has_text="增城区").locator(".col-aqi").inner_text() == "—"  # no station: a dash
    aqi_change = page.locator('[id=\'{"kpi":"aqi","type":"ov-change"}\']').inner_text()
    assert re.fullmatch(r"较昨日同时 ▲ \d+", aqi_change), aqi_change
    assert page.locator('[id=\'{"kpi":"on_time","type":"ov-change"}\']').inner_text() == "昨日同时无数据"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-1366x768.png"))
    zh_text = page.locator("body").inner_text()
    assert all(s in zh_text for s in static_texts("zh") & {TEXT["ov_title"]["zh"], TEXT["ov_col_overdue"]["zh"]})

    page.get_by_text("EN", exact=True).click()
    page.wait_for_url(re.compile(r"lang=en"))
    page.wait_for_selector(".ov-row", timeout=10_000)
    page.wait_for_function("document.querySelector('.ov-item-rule')?.textContent.includes('above')", timeout=10_000)
    en_text = page.locator("body").inner_text()
    left = [s for s in static_texts("zh") if s in en_text]
    assert left == [], f"Chinese labels left on the English page: {left}"
    for key in ("ov_title", "ov_rank_title", "ov_alerts_title", "ov_col_name", "ov_col_overdue", "ov_card_tpi",
                "ov_rank_hint", "ov_h_feed"):
        assert TEXT[key]["en"] in en_text, key
    stripped = en_text.replace("中文", "")  # the language switch names Chinese in Chinese; station names are in Pinyin
    assert CJK.findall(stripped) == [], f"CJK left on the English page: {set(CJK.findall(stripped))}"
    assert re.fullmatch(r"▲ \d+ vs yesterday",
                        page.locator('[id=\'{"kpi":"aqi","type":"ov-change"}\']').inner_text())

    page.locator(".ov-sort", has_text="AQI").click()  # sort by AQI, highest first
    page.wait_for_function("document.querySelector('.ov-row .col-name').textContent === 'Liwan'", timeout=5000)
    assert page.locator("#ov-sort-note").inner_text() == "sorted by AQI, highest first"
    page.locator(".ov-row", has_text="Liwan").locator(".col-overdue").click()
    page.wait_for_url(re.compile(r"/analyst\?"), timeout=10_000)
    q = parse_qs(urlparse(page.url).query)
    assert q["district"] == ["440103"] and q["lang"] == ["en"]
    assert page.errors == []
    page.close()


def test_overview_roomy_at_1920_and_stacked_on_a_tablet(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    fill(r)
    page = open_page(browser, app_proc.url + "/?lang=en", 1920, 1080)
    assert page.evaluate("document.querySelector('.ov-screen').getBoundingClientRect().bottom") <= 1080
    assert bottom(page, ".ov-row") <= 1080  # every district row on the first screen
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "overview-1920x1080.png"))
    assert page.errors == []
    page.close()

    tablet = open_page(browser, app_proc.url + "/?lang=en", 768, 1024)
    tops = tablet.evaluate("[...document.querySelectorAll('.ov-card')]"
                           ".map(e => Math.round(e.getBoundingClientRect().top))")
    assert tops[0] == tops[1] and tops[2] > tops[1] and tops[2] == tops[3]  # two cards a row
    assert tablet.evaluate("document.documentElement.scrollWidth <= innerWidth")  # the table scrolls in its box
    assert tablet.evaluate("getComputedStyle(document.querySelector('.ov-table-wrap')).overflowX") == "auto"
    assert tablet.locator("#ov-feeds-section").inner_text().startswith("Feeds")
    assert tablet.errors == []
    tablet.close()


def test_store_reachable_feed_table_lists_every_feed(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    with AppProcess(redis_server.url, {"ONESCREEN_LANG": "en"}) as proc:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        login(page, proc.url)
        page.goto(proc.url + "/")
        page.wait_for_selector(".ov-feed-table tbody tr", timeout=10_000)
        assert page.locator(".ov-feed-table tbody tr").count() == 4
        assert page.locator(".ov-row .col-open").first.inner_text() == "—"  # no case feed yet: a dash, not 0
        assert page.locator('[id=\'{"kpi":"aqi","type":"ov-card"}\']').get_attribute("class") == "ov-card ov-none"
        page.close()
