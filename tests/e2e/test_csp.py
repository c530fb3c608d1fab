"""The pages in Debian Chromium under the real security headers: no CSP violation, live data, no secrets stored,
no kiosk token in any Referer, and framing only from the configured wall hosts."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.derive import derive
from core.readings import Reading
from store.embedded import free_port
from store.writer import Writer
from tests.conftest import ADMIN_PW, ADMIN_USER, API_TOKEN, KIOSK, SECRET, AppProcess, login

pytestmark = pytest.mark.e2e
AIR_VALUE = '[id=\'{"feed":"air","type":"kpi-value"}\']'
RECORDER = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI} from ${e.sourceFile}:${e.lineNumber}`));"""
# What must never reach browser storage: credentials, tokens, the session, the signed-in name.
SECRETS = (ADMIN_PW, KIOSK, API_TOKEN, SECRET, "onescreen_session", "csrf")


HeadersApp = AppProcess  # create_app installs the security headers itself


def write_air(r: redis.Redis, pm25: float = 75) -> None:
    """Two stations at PM2.5 75 µg/m³ -> AQI 114 (standards.md §1.5): above 100, so a station alert fires too."""
    now = int(time.time() * 1000)
    readings = [Reading("air", code, now, {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40,
                                            "pm25_1h": pm25}, {}) for code in ("1345A", "1346A")]
    Writer(r, source="e2e").write([(rd, derive(rd)) for rd in readings], now)


def watched(browser: Any) -> tuple[Any, Any, list[str]]:
    """A fresh context + page that record CSP violations, CSP console errors, page errors and Referer headers."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    ctx.add_init_script(RECORDER)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.referers = []
    page.on("request", lambda req: page.referers.append(req.headers.get("referer", "")))
    return ctx, page, problems


def violations(page: Any) -> list[str]:
    return page.evaluate("window.__csp || []")


def storage(page: Any) -> dict[str, str]:
    """Everything in localStorage and sessionStorage, plus what scripts can read of the cookies."""
    return page.evaluate("""() => {
        const out = {'document.cookie': document.cookie};
        for (const [name, s] of [['local', localStorage], ['session', sessionStorage]])
            for (let i = 0; i < s.length; i++) out[`${name}:${s.key(i)}`] = s.getItem(s.key(i));
        return out;
    }""")


# page -> a selector or JS condition that only holds once live data from Redis is on screen
LIVE = {
    "/?lang=en": "document.querySelector('.ov-card-value') && document.querySelector('.ov-card-value').textContent"
                 " !== '—'",
    "/wall?lang=en&theme=air": f"document.querySelector(`{AIR_VALUE}`)?.textContent === '114'"
                               " && document.querySelectorAll('.leaflet-pane').length > 0",
    "/analyst?lang=en": "[...document.querySelectorAll('.aqi-pin')].some(e => e.textContent === '114')"
                        " && document.querySelectorAll('.leaflet-map-pane').length === 1",
    "/alerts?lang=en": "document.querySelectorAll('.console-table tbody tr').length > 0",
    "/cases?lang=en": "(document.querySelector('#cs-table')?.textContent || '').includes('No cases')",
}


def test_pages_render_live_data_under_the_csp(browser: Any, app_proc: HeadersApp, r: redis.Redis) -> None:
    write_air(r)
    ctx, page, problems = watched(browser)
    page.goto(app_proc.url + "/login")
    page.wait_for_selector("input[name=username]")
    assert violations(page) == [], f"/login: {violations(page)}"
    login(page, app_proc.url)
    for path, live in LIVE.items():
        resp = page.goto(app_proc.url + path)
        assert resp is not None and "script-src 'self' 'sha256-" in resp.headers["content-security-policy"]
        try:
            page.wait_for_function(f"() => {live}", timeout=15_000)  # a function: a string predicate needs eval
        except PlaywrightTimeout:
            pytest.fail(f"{path} showed no live data; CSP violations: {violations(page)}; {problems}")
        page.wait_for_timeout(500)  # late callbacks (plotly, map layers) get their chance to violate
        assert violations(page) == [], f"{path}: {violations(page)}"
    assert problems == []
    stored = storage(page)
    leaked = {k: v for k, v in stored.items() if any(s in f"{k}={v}" for s in (*SECRETS, ADMIN_USER))}
    assert leaked == {}, f"sensitive values in browser storage: {leaked}"
    assert any(c["name"] == "onescreen_session" and c["httpOnly"] for c in ctx.cookies())
    ctx.close()


def test_kiosk_wall_keeps_its_token_out_of_storage_and_referers(browser: Any, app_proc: HeadersApp,
                                                                 r: redis.Redis) -> None:
    write_air(r)
    ctx, page, problems = watched(browser)
    page.goto(app_proc.url + f"/wall?lang=en&theme=air&kiosk={KIOSK}")
    page.wait_for_function(f"() => {LIVE['/wall?lang=en&theme=air']}", timeout=15_000)
    page.wait_for_timeout(2500)  # a couple of ticks: every request a running wall makes
    assert violations(page) == [] and problems == []
    assert not any(KIOSK in ref for ref in page.referers), "the kiosk token left in a Referer header"
    assert not any(KIOSK in f"{k}={v}" for k, v in storage(page).items())
    ctx.close()


def host_page(bind: str, frame_url: str) -> ThreadingHTTPServer:
    """A wall host: one page that frames frame_url."""
    body = f'<!doctype html><title>wall host</title><iframe src="{frame_url}" width="1600" height="900"></iframe>'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer((bind, free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def test_only_configured_wall_hosts_may_frame_the_wall(browser: Any, redis_server: Any, r: redis.Redis) -> None:
    """localhost:<port> is configured (same site as the app, so the wall's Lax session cookie works in its frame);
    127.0.0.2 is not, and its frame is refused."""
    write_air(r)
    proc = HeadersApp(redis_server.url)
    wall = f"http://localhost:{proc.port}/wall?lang=en&theme=air&kiosk={KIOSK}"
    allowed, refused = host_page("127.0.0.1", wall), host_page("127.0.0.2", wall)
    allowed_origin = f"http://localhost:{allowed.server_address[1]}"
    proc.env["ONESCREEN_FRAME_ANCESTORS"] = allowed_origin
    try:
        proc.start()
        ctx, page, problems = watched(browser)
        page.goto(allowed_origin + "/")
        page.frame_locator("iframe").locator(AIR_VALUE).filter(has_text="114").wait_for(timeout=15_000)
        assert problems == []
        messages: list[str] = []
        other = ctx.new_page()
        other.on("console", lambda m: messages.append(m.text))
        other.goto(f"http://127.0.0.2:{refused.server_address[1]}/")
        other.wait_for_timeout(3000)
        assert other.frame_locator("iframe").locator(".wall-root").count() == 0
        assert any("frame-ancestors" in m for m in messages), messages
        ctx.close()
    finally:
        proc.stop()
        for server in (allowed, refused):
            server.shutdown()
            server.server_close()
