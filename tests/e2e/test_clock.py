"""Chromium reads the app's clock: the wall's staleness and the one map's replay labels compare the page's
Date.now() with times the server sent. Under `make test-shifted` both run on the shifted clock."""

from __future__ import annotations

import email.utils
import time
import urllib.request
from typing import Any

import pytest

from tests.conftest import AppProcess

pytestmark = pytest.mark.e2e


def test_the_browser_and_the_app_agree_on_the_time(browser: Any, app_proc: AppProcess) -> None:
    page = browser.new_page()
    try:
        page.goto(app_proc.url + "/login")
        in_page = page.evaluate("Date.now()") / 1000
    finally:
        page.close()
    with urllib.request.urlopen(app_proc.url + "/healthz", timeout=5) as resp:
        served = email.utils.parsedate_to_datetime(resp.headers["Date"]).timestamp()
    assert abs(in_page - time.time()) < 5 and abs(in_page - served) < 5
