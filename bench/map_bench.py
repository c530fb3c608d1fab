"""The one map in headless Chromium: 548,000 components, first clusters, one zoom step, main-thread blocking,
and the per-tick map payload — beside the naive layout-embedded GeoJSON baseline measured in the same run."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import SMOKE, add_session_cookie, auth_env, print_figures, size
from config.settings import ROOT, load_city
from core.geo import components_box
from data_sources.runner import Runner
from data_sources.simulator.city import Simulator
from data_sources.simulator.furniture import FurnitureSimulator
from store.client import connect
from store.embedded import EmbeddedServer, free_port, popen_bound
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

NAIVE_TIMEOUT_S = size(120, 20)
TICKS_S = size(14, 3)  # how long the tick payloads are recorded
VIEW = "c=23.13,113.305&z=13"
LONGTASKS = """window.__long = [];
new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration)))
  .observe({type: 'longtask', buffered: true});"""


def _serve(args: list[str], env: dict[str, str], url: str, timeout_s: float = 180) -> subprocess.Popen[bytes]:
    proc = popen_bound(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    code = proc.poll()
    proc.kill()
    raise RuntimeError(f"{args} did not serve {url}" + ("" if code is None else f" (exited with {code})"))


def _signed_in_page(browser: Any, base: str | None) -> tuple[Any, list[str]]:
    """A fresh page (own context, cold cache) holding the admin's session cookie for base (None: the ungated
    baseline), and the list its refused (401/403) requests to base go to. No page is loaded to sign in, so the
    first navigation starts from the same cold cache as before access control."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    refused: list[str] = []
    if base:
        add_session_cookie(page.context, base, "admin")
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}")
                if r.status in (401, 403) and r.url.startswith(base) else None)
    return page, refused


def _first_clusters(browser: Any, url: str, selector: str, timeout_s: float,
                    base: str | None = None) -> tuple[float | None, Any]:
    page, refused = _signed_in_page(browser, base)
    page.add_init_script(LONGTASKS)
    t0 = time.perf_counter()
    resp = page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    if base and (resp is None or resp.status != 200 or "/login" in page.url):
        raise RuntimeError(f"{url}: HTTP {resp and resp.status} at {page.url} (the session was refused)")
    try:
        page.wait_for_selector(selector, timeout=timeout_s * 1000)
    except Exception:  # noqa: BLE001 - a baseline that never renders is a result, not a crash
        return None, page
    elapsed = time.perf_counter() - t0
    if refused:
        raise RuntimeError(f"{url}: the gate refused {len(refused)} requests: {refused[:5]}")
    return elapsed, page


def _zoom_step(page: Any, ours: bool) -> float:
    """Seconds from a zoom-in click on a settled map until the new clusters are drawn (next frame after it)."""
    page.wait_for_timeout(1500)
    script = """async (ours) => {
      const t0 = performance.now();
      const pane = document.querySelector('.leaflet-marker-pane');
      const done = new Promise(res => new MutationObserver((m, obs) => {
        if (!ours || (window.onescreen.onemap.updatedAt.furniture || 0) > t0) { obs.disconnect(); res(); }
      }).observe(pane, {childList: true}));
      document.querySelector('.leaflet-control-zoom-in').click();
      await done;
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return (performance.now() - t0) / 1000;
    }"""
    return page.evaluate(script, ours)


def _tick_payloads(browser: Any, url: str, base: str, seconds: float = TICKS_S) -> list[int]:
    sizes: list[int] = []
    page, refused = _signed_in_page(browser, base)

    def on_response(resp: Any) -> None:
        if "_dash-update-component" in resp.url and resp.status == 200:
            body = resp.body()
            if b'"am-values"' in body:
                sizes.append(len(body))

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_timeout(seconds * 1000)
    page.close()
    if refused or not sizes:
        raise RuntimeError(f"map ticks: {len(sizes)} with data, refused: {refused[:5]}")
    return sizes[1:]  # the first response follows page load, not a tick


def run() -> list[str]:
    """Start a server with simulated data, our app and the naive app; measure both in one Chromium."""
    if not os.path.exists(CHROMIUM):
        return ["map bench skipped: chromium is not installed"]
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="onescreen-mapbench-"))
    server = EmbeddedServer(tmp, port=free_port())
    url = server.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        r = connect(url)
        city = load_city("guangzhou")
        sim, furniture = Simulator(city, seed=7), FurnitureSimulator(components_box(city))
        Runner(r, [sim, furniture]).run_once(sim, int(time.time() * 1000))
        Runner(r, [furniture]).run_once(furniture, int(time.time() * 1000))
        ours_port, naive_port = free_port(), free_port()
        env = {**os.environ, **auth_env(), "REDIS_URL": url, "ONESCREEN_PORT": str(ours_port),
               "ONESCREEN_SIMULATOR": "off"}
        procs.append(_serve([sys.executable, "app.py"], env, f"http://127.0.0.1:{ours_port}/healthz"))
        naive_env = {**os.environ, "PORT": str(naive_port), **({"BENCH_NAIVE_COUNT": "5000"} if SMOKE else {})}
        procs.append(_serve([sys.executable, "-m", "bench.naive_map_app"], naive_env, f"http://127.0.0.1:{naive_port}/"))
        ours = f"http://127.0.0.1:{ours_port}"
        ours_url = f"{ours}/analyst?layers=districts,furniture&{VIEW}"
        all_url = f"{ours}/analyst?layers=districts,rivers,air,roads,water,cases,furniture&{VIEW}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first, page = _first_clusters(browser, ours_url, ".cl-furniture", 30, ours)
            zoom = _zoom_step(page, True) if first else None
            long_ours = max(page.evaluate("window.__long") or [0])
            page.close()
            n_first, npage = _first_clusters(browser, f"http://127.0.0.1:{naive_port}/", ".marker-cluster",
                                             NAIVE_TIMEOUT_S)
            n_zoom = _zoom_step(npage, False) if n_first else None
            long_naive = max(npage.evaluate("window.__long") or [0]) if n_first else None
            npage.close()
            sizes = _tick_payloads(browser, all_url, ours)
            browser.close()
        return _lines(first, zoom, long_ours, n_first, n_zoom, long_naive, sizes)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _fmt(v: float | None, unit: str = "s") -> str:
    return f">{NAIVE_TIMEOUT_S} s (never drew)" if v is None else f"{v:.2f} {unit}"


def _ratio(ours: float | None, naive: float | None) -> str:
    return "n/a" if not ours else ("naive never drew" if naive is None else f"{naive / ours:.1f}x faster")


def _lines(first: float | None, zoom: float | None, long_ours: float, n_first: float | None, n_zoom: float | None,
           long_naive: float | None, sizes: list[int]) -> list[str]:
    med = statistics.median(sizes) if sizes else 0
    return [
        f"map, 548,000 components, first clusters after navigation: {_fmt(first)}   naive embedded GeoJSON: "
        f"{_fmt(n_first)}   {_ratio(first, n_first)}   (target <= 2.5 s)",
        f"map, one zoom step: {_fmt(zoom)}   naive: {_fmt(n_zoom)}   {_ratio(zoom, n_zoom)}   (target <= 0.5 s)",
        f"map, longest main-thread task: {long_ours:.0f} ms   naive: "
        f"{'n/a' if long_naive is None else f'{long_naive:.0f} ms'}   (responsive: no task near a second)",
        f"map tick payload, all layers on: median {med:,.0f} bytes, max {max(sizes or [0]):,} bytes over "
        f"{len(sizes)} ticks (a furniture refresh every 10 s included)   (target <= 10,000 bytes)",
        "(" + json.dumps({"ticks": sizes}) + ")",
    ]


if __name__ == "__main__":
    print_figures(run)
