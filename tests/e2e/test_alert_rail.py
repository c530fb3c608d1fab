"""The wall's alert rail (issue #17 item 3) in Debian Chromium: every alert shown whole, never cut mid-text; pages of
whole alerts take turns when they do not all fit, saying which page shows; value and limit labelled; a new alert
flashes in its own level's shade."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.e2e.test_deltas import STATIONS, write_air
from tests.e2e.test_wall import open_wall

pytestmark = pytest.mark.e2e
SHOWN = """() => {
  const rail = document.querySelector('#wall-alert-items').getBoundingClientRect();
  return [...document.querySelectorAll('#wall-alert-items .tk-item')].filter(e => e.offsetParent !== null).map(e => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent, whole: r.left >= rail.left - 1 && r.right <= rail.right + 1
                                        && e.scrollWidth <= e.clientWidth + 1};
  });
}"""


def test_the_rail_shows_every_alert_whole_taking_turns(browser: Any, app_proc: Any, r: redis.Redis) -> None:
    write_air(r, {code: 260 for code in STATIONS})  # HJ 633-2026: PM2.5 260 -> AQI 310, red at every station
    page = open_wall(browser, app_proc.url + "/wall?lang=en&theme=air", 1366, 768)
    page.wait_for_function("document.querySelectorAll('#wall-alert-items .tk-item').length >= 13", timeout=15_000)
    page.wait_for_function("/^1\\/[0-9]+$/.test(document.querySelector('#wall-rail-page').dataset.page || '')")
    pages = int(page.get_attribute("#wall-rail-page", "data-page").split("/")[1])
    assert pages > 1
    seen: list[set[str]] = []
    for i in range(2):  # each page: whole alerts only, labelled; then the next page comes round (every 6 s)
        page.wait_for_function(f"document.querySelector('#wall-rail-page').dataset.page === '{i + 1}/{pages}'",
                               timeout=10_000)
        shown = page.evaluate(SHOWN)
        assert shown and all(s["whole"] for s in shown), shown
        assert all("(limit 300)" in s["text"] for s in shown), shown
        seen.append({s["text"].split(" · ")[0] for s in shown})
    assert not seen[0] & seen[1], seen  # the second page shows other alerts
    # the pages hold every alert: as many pages as the alerts need at the first page's size, give or take one
    per = len(seen[0])
    assert pages * per >= 13 and (pages - 1) * per < 13 + per, (pages, per)
    red, yellow = page.evaluate("""() => {
      const probe = c => { const e = document.createElement('span'); e.className = 'tk-item ' + c;
        document.body.appendChild(e); const v = getComputedStyle(e).getPropertyValue('--flash').trim(); e.remove();
        return v; };
      return [probe('tk-red'), probe('tk-yellow')];
    }""")
    assert red and yellow and red != yellow  # a yellow alert no longer flashes on dark red
    assert page.errors == []
    page.close()
