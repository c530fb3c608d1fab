"""The closed loop in Debian Chromium (issue #15): an inspector reports from a phone-sized page, a dispatcher registers
and dispatches it on a laptop (the dispatch table picks the department), that department's handler handles it from
a phone, and the inspector verifies and closes it. Each page offers only the actions its role may take at the
case's step, and the trail names who did each. The wall shows each step of the loop within two ticks."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from PIL import Image

from config.settings import load_case_rules
from core import case_flow as cf
from store import casebook, users
from tests.conftest import ARTIFACTS, KIOSK, AppProcess, login

pytestmark = pytest.mark.e2e
PW = "case-ui-password-1"
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
TWO_TICKS = 2 * 1000 + 1500  # AppProcess ticks every second
BAIYUN = "440111"
DAY = 86_400_000
IN_BAIYUN = (113.443, 23.3035)  # the air station 1355A


def choose(page: Any, dropdown: str, option: str) -> None:
    """Pick an option of a dcc.Dropdown by its label."""
    page.click(f"#{dropdown}")
    page.locator(".dash-dropdown-options").get_by_role("option", name=option, exact=True).click()


def open_case(page: Any, case_id: str) -> None:
    page.locator(".cs-table tbody tr", has_text=case_id).click()
    page.wait_for_selector(f".cs-card:has-text('{case_id}')")


def photo(colour: tuple[int, int, int], fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(out, format=fmt)
    return out.getvalue()


def shown(page: Any, n: int) -> None:
    """The case card shows n photos, each loaded and decoded by the browser."""
    page.wait_for_function(
        "n => { const im = document.querySelectorAll('.cs-card img.cs-photo');"
        " return im.length === n && [...im].every(i => i.complete && i.naturalWidth === 160); }", arg=n)


def act(page: Any, action: str, state: str, comment: str = "") -> None:
    choose(page, "cs-action", action)
    if comment:
        page.fill("#cs-comment", comment)
    page.click("#cs-do")
    page.wait_for_selector(f"#cs-msg:has-text('the case is now {state}')", timeout=5000)


def test_a_case_reported_from_a_phone_goes_round_the_loop(browser: Any, app_proc: AppProcess,
                                                          r: redis.Redis) -> None:
    department = load_case_rules().department("0101", BAIYUN)
    for name, role, dept in (("li.inspector", "inspector", None), ("wang.dispatch", "dispatcher", None),
                             ("zhao.handler", "handler", department), ("qian.roads", "handler", "交通运输局"),
                             ("sun.leader", "leader", None)):
        users.create_user(r, name, PW, role, department=dept)
    ARTIFACTS.mkdir(exist_ok=True)
    wall = browser.new_page(viewport={"width": 3840, "height": 2160})
    wall.goto(app_proc.url + f"/wall?lang=en&theme=service&kiosk={KIOSK}")
    wall.wait_for_selector(".tk-count")
    wall.wait_for_selector("#wall-loop-reported:text-is('0')")  # no case yet: the loop panel counts nothing
    assert wall.inner_text("#wall-loop-urgent") == wall.inner_text("#wall-loop-rate") == ""

    def on_wall(step: str, n: int) -> None:
        """The loop panel under the wall's map counts `n` cases at this step."""
        wall.wait_for_selector(f"#wall-loop-{step}:text-is('{n}')", timeout=TWO_TICKS)

    inspector = browser.new_page(viewport=PHONE)
    login(inspector, app_proc.url, "li.inspector", PW)
    inspector.goto(app_proc.url + "/cases?lang=en")
    inspector.click(".cs-report summary")
    choose(inspector, "cs-r-cat", "0101 Public utilities · 上水井盖")
    inspector.fill("#cs-r-lon", str(IN_BAIYUN[0]))
    inspector.fill("#cs-r-lat", str(IN_BAIYUN[1]))
    inspector.fill("#cs-r-desc", "Cover missing outside the school <b>gate</b>")
    inspector.locator("#cs-r-photo input[type=file]").set_input_files(
        files=[{"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": photo((90, 90, 90))}])
    inspector.wait_for_selector("#cs-r-photo-name:has-text('cover.jpg')")
    inspector.click("#cs-r-send")
    inspector.wait_for_selector("#cs-r-msg:has-text('Reported: OS-')", timeout=5000)
    case_id = re.search(r"OS-[0-9A-F]{20}", inspector.inner_text("#cs-r-msg")).group(0)
    inspector.wait_for_selector(f".cs-table:has-text('{case_id}')", timeout=7000)
    on_wall("reported", 1)
    on_wall("registered", 0)
    assert inspector.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    inspector.screenshot(path=str(ARTIFACTS / "cases-inspector-390x844.png"), full_page=True)

    dispatcher = browser.new_page(viewport=LAPTOP)
    login(dispatcher, app_proc.url, "wang.dispatch", PW)
    dispatcher.goto(app_proc.url + "/cases?lang=en")
    open_case(dispatcher, case_id)
    assert "Cover missing outside the school <b>gate</b>" in dispatcher.inner_text(".cs-card")  # text, not markup
    shown(dispatcher, 1)  # the inspector's photo, decoded by the browser
    act(dispatcher, "Register", "registered")
    dispatcher.locator("#cs-urgent label", has_text="Urgent").click()  # a missing cover outside a school: urgent
    act(dispatcher, "Dispatch", "dispatched")
    on_wall("dispatched", 1)
    on_wall("reported", 0)
    # ... and the loop panel leads with it and flashes, as a new alert does
    wall.wait_for_selector("#wall-loop-urgent:has-text('new urgent 1')", timeout=TWO_TICKS)
    assert "tk-flash" in (wall.get_attribute("#wall-loop", "class") or "")
    wall.screenshot(path=str(ARTIFACTS / "wall-urgent-3840x2160.png"))
    dispatcher.wait_for_selector(f".cs-card:has-text('{department}')")
    dispatcher.screenshot(path=str(ARTIFACTS / "cases-dispatcher-1366x768.png"))

    # the one map's loop layer: the case is a square where it was reported, in the colour of its step; a click
    # opens a compact popup and the side panel with the case's fields and its timeline, each step with its photos
    dispatcher.goto(app_proc.url + f"/analyst?lang=en&layers=districts,loop&c={IN_BAIYUN[1]},{IN_BAIYUN[0]}&z=15")
    pin = dispatcher.locator(".lp-icon[title='dispatched']")
    pin.wait_for(timeout=TWO_TICKS * 2)
    pin.click()
    dispatcher.wait_for_selector(f".case-popup:has-text('{case_id}')")
    popup = dispatcher.inner_text(".case-popup")
    assert department in popup and "0101 上水井盖" in popup  # the category by its GB/T 30428.2 name too
    assert "Unit grid\t—" in popup  # 1355A's place lies outside Guangzhou's managed core: no cell
    assert dispatcher.locator(".case-popup img").count() == 0 and "side panel" in popup  # compact: no photo, no trail
    panel = dispatcher.locator("#am-panel.open.case-open")
    panel.wait_for(timeout=5000)
    dispatcher.wait_for_selector(f"#am-panel-title:has-text('{case_id} · 0101 上水井盖')")
    fields = dispatcher.inner_text("#am-panel-rows")
    assert department in fields and "Cover missing outside the school <b>gate</b>" in fields  # text, not markup
    due = [re.search(r"Due\t(\d\d-\d\d \d\d:\d\d)", text) for text in (popup, fields)]
    assert due[0] and due[1] and due[0].group(1) == due[1].group(1)  # one value, written one way in both
    steps = dispatcher.locator(".ct-step")
    assert [steps.nth(i).locator("strong").inner_text() for i in range(steps.count())] == [
        "Report", "Register", "Dispatch"]
    dispatcher.wait_for_function(  # the inspector's photo, at the report it came with, decoded by the browser
        "() => { const im = document.querySelectorAll('.ct-step:first-child img.ct-photo');"
        " return im.length === 1 && im[0].complete && im[0].naturalWidth === 160; }")
    assert dispatcher.locator(".ct-step:not(:first-child) img").count() == 0
    assert f"sel=case%3A{case_id}" in dispatcher.url or f"sel=case:{case_id}" in dispatcher.url
    assert dispatcher.locator("#am-csv").is_hidden() and dispatcher.locator("#am-range").is_hidden()
    dispatcher.screenshot(path=str(ARTIFACTS / "onemap-loop-1366x768.png"))
    again = browser.new_page(viewport=LAPTOP)  # the selection is in the URL: a shared link opens the same panel
    login(again, app_proc.url, "wang.dispatch", PW)
    again.goto(dispatcher.url)
    again.wait_for_selector(f"#am-panel-title:has-text('{case_id}')", timeout=5000)
    again.wait_for_selector(".ct-step:first-child img.ct-photo")
    again.close()
    dispatcher.click(".case-popup .cp-open")
    dispatcher.wait_for_selector(f".cs-card:has-text('{case_id}')")

    other = browser.new_page(viewport=PHONE)  # another department's handler does not see it
    login(other, app_proc.url, "qian.roads", PW)
    other.goto(app_proc.url + "/cases?lang=en")
    other.wait_for_selector("#cs-table:has-text('No cases.')")

    handler = browser.new_page(viewport=PHONE)
    login(handler, app_proc.url, "zhao.handler", PW)
    handler.goto(app_proc.url + "/cases?lang=en")
    open_case(handler, case_id)
    handler.click("#cs-action")
    offered = handler.locator(".dash-dropdown-options [role=option]").all_inner_texts()
    assert sorted(offered) == ["Accept", "Handled", "Return"], offered  # a handler's actions at this step, no more
    handler.keyboard.press("Escape")
    handler.locator("#cs-photo input[type=file]").set_input_files(
        files=[{"name": "fixed.png", "mimeType": "image/png", "buffer": photo((30, 160, 60), "PNG")}])
    act(handler, "Handled", "handled", "New cover fitted")
    shown(handler, 2)  # the report's and the handler's
    on_wall("handled", 1)
    assert handler.locator(".cs-report").is_hidden()  # handlers do not report

    inspector.reload()
    inspector.locator("#cs-view label", has_text="All").click()
    open_case(inspector, case_id)
    act(inspector, "Close (verified)", "closed", "Checked on site")
    on_wall("closed-24h", 1)
    wall.wait_for_selector("#wall-loop-rate:text-is('100% on time')", timeout=TWO_TICKS)
    on_wall("handled", 0)
    assert "tk-flash" not in (wall.get_attribute("#wall-loop", "class") or "")  # closed: nothing urgent is open
    wall.screenshot(path=str(ARTIFACTS / "wall-loop-3840x2160.png"))
    trail = inspector.locator("#cs-trail tr").all_inner_texts()
    assert [line.split("\t")[1:3] for line in trail] == [
        ["Report", "li.inspector"], ["Register", "wang.dispatch"], ["Dispatch", "wang.dispatch"],
        ["Handled", "zhao.handler"], ["Close (verified)", "li.inspector"]], trail
    inspector.screenshot(path=str(ARTIFACTS / "cases-closed-390x844.png"), full_page=True)

    # a roads case dispatched three days ago with a day to do it: overdue, so the leader's overview lists it to press
    book = casebook.Casebook(casebook.engine_for(None, Path(app_proc._data.name)))  # noqa: SLF001 - the app's records
    late = casebook.new_id()
    now = int(time.time() * 1000)
    book.report(late, "0210", now - 3 * DAY, kind="component", district=BAIYUN, lon=IN_BAIYUN[0], lat=IN_BAIYUN[1],
                description="人行道板破损", by="li.inspector", role="inspector")
    book.act(late, "register", cf.Actor("wang.dispatch", cf.DISPATCHER), now - 3 * DAY)
    book.act(late, "dispatch", cf.Actor("wang.dispatch", cf.DISPATCHER), now - 3 * DAY,
             args={"department": "交通运输局"}, limit_ms=DAY)

    leader = browser.new_page(viewport=LAPTOP)  # 综合评价: the department closed it on time; one click to its cases
    login(leader, app_proc.url, "sun.leader", PW)
    leader.goto(app_proc.url + "/?lang=en")
    pressed = leader.locator(".cs-late-table tr", has_text=late)
    pressed.wait_for(timeout=5000)
    assert "48.0 h overdue" in pressed.inner_text() or "47.9 h overdue" in pressed.inner_text()
    pressed.get_by_role("button", name="Press").click()  # 督办
    leader.wait_for_selector(f"#cs-ov-msg:has-text('Pressed {late}')")
    leader.wait_for_selector(f".cs-late-table tr:has-text('{late}'):has-text('pressed 1×')")
    leader.locator(".cs-late-table").scroll_into_view_if_needed()
    leader.screenshot(path=str(ARTIFACTS / "overview-pressed-1366x768.png"))
    assert [e["action"] for e in book.trail(late)][-1] == "escalate" and book.record(late)["escalations"] == 1
    row = leader.locator(".cs-depts tbody tr", has_text=department)
    row.wait_for(timeout=5000)
    assert row.locator("td").all_inner_texts()[1:4] == ["100%", "1", "0%"]
    leader.locator(".cs-depts").scroll_into_view_if_needed()
    leader.screenshot(path=str(ARTIFACTS / "overview-departments-1366x768.png"))
    row.locator("a").click()
    leader.wait_for_selector(f".cs-filter:has-text('{department}')")
    leader.locator("#cs-view label", has_text="All").click()
    leader.wait_for_selector(f".cs-table:has-text('{case_id}')")
