"""A wall left open for 10 minutes (SOAK_SECONDS) in headless Chromium with live simulated data and the carousel:
JS heap after a forced GC at the start and the end, sampled every minute, so memory creep shows as a trend."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import auth_env, print_figures, size, wait_http
from config.settings import ROOT
from store.embedded import free_port, popen_bound
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, KIOSK

SOAK_S = int(os.environ.get("SOAK_SECONDS", size("600", "2")))
SAMPLE_S = size(60, 1)
SETTLE_MS = size(15_000, 1_000)


def _heap_mb(cdp: Any) -> tuple[float, int]:
    """Used JS heap (MB) after a full GC, and the DOM node count."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6, int(metrics["Nodes"])


def run() -> list[str]:
    """Start the all-in-one (embedded server, simulator at 60x), open /wall, sample the heap for SOAK_SECONDS."""
    if not os.path.exists(CHROMIUM):
        return ["wall soak skipped: chromium is not installed"]
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="onescreen-soak-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({**auth_env(), "ONESCREEN_DATA_DIR": str(tmp), "ONESCREEN_PORT": str(port),
                "ONESCREEN_WALL_CAROUSEL_S": "10"})
    with open(tmp / "app.log", "ab") as logf:  # a file, never a pipe nobody reads
        app = popen_bound([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=logf,
                               stderr=subprocess.STDOUT)
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", 60, proc=app)
        except RuntimeError as exc:
            tail = (tmp / "app.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}; app.log ends:\n{tail}") from None
        samples: list[tuple[float, float, int]] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 3840, "height": 2160})
            refused: list[str] = []
            page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status in (401, 403) else None)
            resp = page.goto(f"http://127.0.0.1:{port}/wall?kiosk={KIOSK}")  # the wall's kiosk link signs it in
            if resp is None or resp.status != 200:
                raise RuntimeError(f"the kiosk link was refused: HTTP {resp and resp.status}")
            page.wait_for_selector(".aqi-pin")
            page.wait_for_timeout(SETTLE_MS)  # settle: first ticks, geometry, fonts
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            t0 = time.monotonic()
            while True:
                heap, nodes = _heap_mb(cdp)
                samples.append((time.monotonic() - t0, heap, nodes))
                if time.monotonic() - t0 >= SOAK_S:
                    break
                page.wait_for_timeout(min(SAMPLE_S, SOAK_S - (time.monotonic() - t0)) * 1000)
            browser.close()
        if refused:
            raise RuntimeError(f"the wall was refused {len(refused)} requests during the soak: {refused[:5]}")
        (_, h0, n0), (t_end, h1, n1) = samples[0], samples[-1]
        trend = ", ".join(f"{h:.1f}" for _, h, _ in samples)
        return [f"wall soak {t_end / 60:.1f} min at 3840x2160 (live simulator, carousel 10 s): JS heap after GC "
                f"{h0:.1f} MB -> {h1:.1f} MB ({h1 - h0:+.1f} MB), DOM nodes {n0} -> {n1}   per-minute heap: {trend}"]
    finally:
        app.terminate()
        app.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print_figures(run)
