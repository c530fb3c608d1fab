"""The wall when Redis itself dies (not the web server): "connection lost" while it is down, live again after."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from core.derive import derive
from core.readings import Reading
from store.client import connect
from store.embedded import EmbeddedServer
from store.writer import Writer
from tests.conftest import KIOSK, AppProcess

pytestmark = pytest.mark.e2e
AIR_VALUE = '[id=\'{"feed":"air","type":"kpi-value"}\']'
OVERLAY_SHOWN = ".conn-overlay:not([hidden])"
OVERLAY_HIDDEN = ".conn-overlay[hidden]"
WAIT_MS = 30_000


def write_air(url: str, pm25: float) -> None:
    """Two stations' readings straight into the store (the same Writer the feeds use)."""
    now = int(time.time() * 1000)
    readings = [Reading("air", code, now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                            "pm25_1h": pm25}, {}) for code in ("1345A", "1346A")]
    r = connect(url)
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in readings], now)
    r.close()


def air_value(page: Any) -> str:
    """The air tile's number as shown."""
    return page.evaluate(f"document.querySelector(`{AIR_VALUE}`)?.textContent || ''")


def wait_air_number_not(page: Any, old: str) -> str:
    """Wait until the air tile shows a number other than `old`; returns it."""
    page.wait_for_function(f"(() => {{ const t = document.querySelector(`{AIR_VALUE}`)?.textContent || '';"
                           f" return /^[0-9]+$/.test(t) && t !== {old!r}; }})()", timeout=WAIT_MS)
    return air_value(page)


def test_wall_shows_connection_lost_when_redis_dies_and_goes_live_when_it_returns(
        browser: Any, own_server: EmbeddedServer) -> None:
    proc = AppProcess(own_server.url)
    proc.start()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        write_air(own_server.url, 20)
        page.goto(f"{proc.url}/wall?kiosk={KIOSK}&lang=en&theme=air")
        before = wait_air_number_not(page, "")
        page.wait_for_selector(OVERLAY_HIDDEN, state="attached", timeout=WAIT_MS)

        os.kill(own_server.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        own_server.proc.wait()  # type: ignore[union-attr]
        page.wait_for_selector(OVERLAY_SHOWN, timeout=WAIT_MS)
        assert "Connection lost" in page.locator(".conn-overlay").inner_text()
        # the server says why (the store) in the tick's answer, which may land a moment after the overlay shows
        page.wait_for_selector(".wall-status:has-text('unreachable')", timeout=WAIT_MS)
        assert proc.proc.poll() is None  # type: ignore[union-attr]

        own_server.start()  # same port, same data
        page.wait_for_selector(OVERLAY_HIDDEN, state="attached", timeout=WAIT_MS)
        write_air(own_server.url, 180)  # a much dirtier hour: a different AQI
        after = wait_air_number_not(page, before)
        assert after != before and page.locator(".conn-overlay").is_hidden()
        assert errors == []
    finally:
        page.close()
        proc.stop()


def test_kiosk_wall_signs_itself_in_again_after_a_restart_with_a_new_session_key(
        browser: Any, redis_server: Any, r: Any) -> None:
    """`make run` without ONESCREEN_SECRET_KEY draws a new key per start: old sessions die, the kiosk cookie
    recovers."""
    first = AppProcess(redis_server.url, {"ONESCREEN_SECRET_KEY": "first-key-" + "a" * 24})
    first.start()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        write_air(redis_server.url, 20)
        page.goto(f"{first.url}/wall?kiosk={KIOSK}&lang=en&theme=air")
        before = wait_air_number_not(page, "")
        first.stop()
        page.wait_for_selector(OVERLAY_SHOWN, timeout=WAIT_MS)
        second = AppProcess(redis_server.url, {"ONESCREEN_SECRET_KEY": "second-key-" + "b" * 24,
                                               "ONESCREEN_PORT": str(first.port)})
        second.port, second.url = first.port, first.url
        second.start()
        try:
            page.wait_for_selector(OVERLAY_HIDDEN, state="attached", timeout=60_000)
            write_air(redis_server.url, 180)
            assert wait_air_number_not(page, before) != before
            # it signed in again by its link's HttpOnly cookie: no login form on a keyboardless wall, and the token
            # never stood in the address bar
            assert "/login" not in page.url and "kiosk=" not in page.url
            assert page.url.endswith("/wall?lang=en&theme=air")
        finally:
            second.stop()
    finally:
        page.close()
        first.stop()
