"""The admin page in Debian Chromium at 1366x768: create a user, issue a wall link, open it in a fresh browser."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from store import users
from tests.conftest import ARTIFACTS, KIOSK, AppProcess, login

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_admin_creates_a_user_and_a_working_kiosk_link(browser: Any, app_proc: AppProcess, r: redis.Redis) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, app_proc.url)
    page.goto(app_proc.url + "/admin?lang=en")
    page.fill("#users input[name=username]", "zhang.san")
    page.fill("#users input[name=display_name]", "Zhang San")
    page.select_option("#users form.adm-row select[name=role]", "operator")
    page.select_option("#users form.adm-row select[name=district]", label="Tianhe")
    page.click("#users button:has-text('Create user')")
    password = page.input_value("input.adm-secret")
    assert len(password) >= 16 and "shown only this once" in page.inner_text(".adm-note")
    page.click("a:has-text('Back to administration')")
    row = page.locator("#users tbody tr", has_text="zhang.san")
    assert "Zhang San" in row.inner_text() and row.locator("select[name=role]").input_value() == "operator"

    page.fill("#kiosks input[name=name]", "Command hall")
    page.click("#kiosks button:has-text('Issue link')")
    link = page.input_value("input.adm-secret")
    assert link.startswith(app_proc.url + "/wall?kiosk=")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-kiosk-link-1366.png"))

    wall_ctx = browser.new_context(viewport={"width": 1366, "height": 768})  # a wall PC: no cookies, just the link
    wall = wall_ctx.new_page()
    wall.goto(link)
    wall.wait_for_selector(".wall-root")
    wall.wait_for_selector(".wall-clock:not(:empty)")

    user_ctx = browser.new_context()
    user_page = user_ctx.new_page()
    login(user_page, app_proc.url, "zhang.san", password)  # the shown password works
    user_ctx.close()

    page.goto(app_proc.url + "/admin?lang=en")
    assert page.locator("#kiosks tbody tr", has_text="Command hall").count() == 1
    assert page.locator("#audit tbody tr", has_text="kiosk.issue").count() == 1
    # issue #17 item 11: the wall links set in ONESCREEN_KIOSK_TOKENS are listed too, by fingerprint only
    fingerprint = "env:" + users.token_id(KIOSK)[:16]
    assert page.locator("#kiosks .env-kiosks tbody tr", has_text=fingerprint).count() == 1
    assert "ONESCREEN_KIOSK_TOKENS" in page.inner_text("#kiosks") and KIOSK not in page.content()
    assert no_horizontal_scroll(page), "the admin page scrolls sideways at 1366x768"
    page.screenshot(path=str(ARTIFACTS / "admin-1366.png"))

    page.locator("#kiosks tbody tr", has_text="Command hall").locator("a:has-text('Revoke')").click()
    page.click("button:has-text('Confirm')")
    assert page.locator("#kiosks .adm-ok").inner_text().startswith("Revoked")
    for _ in range(20):  # each worker trusts a looked-up kiosk for CACHE_S (2 s) before asking Redis again
        wall.goto(app_proc.url + "/wall")
        if "/login" in wall.url:
            break
        wall.wait_for_timeout(500)
    assert "/login" in wall.url, "the revoked wall's session did not end"
    gone = wall_ctx.request.get(link + "&lang=en")  # and its link opens nothing any more, and says so in words
    assert gone.status == 401 and "This wall link is not valid" in gone.text() and "<html lang=\"en\">" in gone.text()
    assert "此大屏链接无效" in wall_ctx.request.get(link).text()  # in the app's language when the page names none
    assert errors == []
    wall_ctx.close()
    ctx.close()
