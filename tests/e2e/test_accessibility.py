"""Accessibility (issue #21: WCAG 2.1 AA, GB/T 37668-2019): axe-core 4 (vendored in tests/vendor/axe-core, from the
npm registry; MPL-2.0) runs in Debian Chromium on every page in both languages, with live data and an alert firing,
under the app's real CSP. No serious or critical violation; the moderate ones are counted and printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import KIOSK, AppProcess, login
from tests.e2e.test_alerts_ui import breach

pytestmark = pytest.mark.e2e
AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PAGES = ("/login", "/", "/analyst", "/alerts", "/admin", "/cases", "/wall")
RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 8), n: v.nodes.length}));
}"""


def audit(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    return page.evaluate(RUN)


def test_every_page_in_both_languages_has_no_serious_violation(browser: Any, app_proc: AppProcess,
                                                              r: redis.Redis) -> None:
    breach(r)
    found: dict[str, list[dict[str, Any]]] = {}
    for lang in ("zh", "en"):
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        for path in PAGES:
            if path == "/login":
                page.goto(app_proc.url + f"/login?lang={lang}")
            else:
                if path == "/":
                    login(page, app_proc.url)
                sep = "&" if "?" in path else "?"
                page.goto(app_proc.url + path + f"{sep}lang={lang}" + (f"&kiosk={KIOSK}" if path == "/wall" else ""))
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(2500)  # a tick or two: live values and the alert in place
            found[f"{path} {lang}"] = audit(page)
        page.close()
    for page_name, vs in found.items():  # the figures for the table (pytest -s shows them)
        by_impact = {i: sum(v["n"] for v in vs if v["impact"] == i)
                     for i in ("critical", "serious", "moderate", "minor")}
        print(f"axe {page_name}: " + ", ".join(f"{i} {n}" for i, n in by_impact.items())
              + "".join(f"\n    {v['impact']} {v['id']} ({v['n']}): {v['nodes'][:3]}" for v in vs))
    serious = {k: [v for v in vs if v["impact"] in ("serious", "critical")] for k, vs in found.items()}
    serious = {k: vs for k, vs in serious.items() if vs}
    assert not serious, json.dumps(serious, ensure_ascii=False, indent=1)


def test_the_fixed_controls_still_work_by_keyboard_and_the_page_says_its_language(browser: Any,
                                                                                  app_proc: AppProcess) -> None:
    """assets/a11y.js unhides a dropdown's keyboard entry point and regroups checklists: a keyboard user still opens a
    dropdown and picks an option, ticks a checkbox; <html lang> follows the page's language."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, app_proc.url)
    for lang, want in (("zh", "zh-CN"), ("en", "en")):
        page.goto(app_proc.url + f"/alerts?lang={lang}")
        page.wait_for_selector("#ac-levels")
        assert page.evaluate("document.documentElement.lang") == want
    page.wait_for_selector("#ac-levels[role=group]")
    assert page.locator("#ac-levels [role=option], #ac-levels [aria-selected]").count() == 0
    box = page.locator("#ac-levels input[type=checkbox]").first
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#ac-levels input[type=checkbox]').checked")
    entry = page.locator(".dash-dropdown-wrapper:has(#ac-sil-hours) .dash-dropdown-focus-target")
    assert entry.get_attribute("aria-hidden") is None and entry.get_attribute("role") == "combobox"
    assert entry.get_attribute("aria-label")
    page.focus("#ac-ack")
    page.keyboard.press("Tab")  # the dropdown's entry point hands focus to its button, as before the fix
    assert page.evaluate("document.activeElement.id") == "ac-sil-hours"
    page.keyboard.press("Enter")
    menu = page.locator(".dash-dropdown-options [role=option]")
    menu.first.wait_for(timeout=3000)  # the menu's options keep their role: only checklists were regrouped
    before = page.inner_text("#ac-sil-hours")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("b => document.querySelector('#ac-sil-hours').innerText !== b", arg=before)
