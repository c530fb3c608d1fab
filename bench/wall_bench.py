"""Wall tick throughput through gunicorn (2 workers, loopback, bounded) beside a naive go.Figure callback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import auth_env, print_figures, ratio, session_cookie, size, start_gunicorn, tear_down
from config.settings import load_city
from data_sources.runner import Runner
from data_sources.simulator.city import Simulator
from store.client import connect
from store.embedded import EmbeddedServer, free_port

DURATION_S = int(os.environ.get("BENCH_SECONDS", size("8", "1")))
CONNECTIONS = size(16, 2)


def naive_server() -> Any:
    """bench.naive_app's Flask server for gunicorn ('bench.wall_bench:naive_server()'), with the naive baseline's
    callback (outputs naive-*) authorised like the wall tick it stands in for: the gate's policy denies unknown
    callbacks, and both sides must pay the same gate cost for the ratio to mean what it did before access control."""
    from auth import policy

    if ("naive-", "wall") not in policy.CALLBACK_PREFIX:
        policy.CALLBACK_PREFIX = (*policy.CALLBACK_PREFIX, ("naive-", "wall"))
    from bench.naive_app import server

    return server


def _request_body(deps: list[dict[str, Any]], needle: str, lang: str = "zh") -> dict[str, Any]:
    """The exact JSON the browser posts for the callback whose output string contains needle."""
    dep = next(d for d in deps if needle in d["output"])

    def split(spec: str) -> dict[str, Any]:
        ident, prop = spec.rsplit(".", 1)
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    outputs = [split(o) for o in dep["output"].strip(".").split("...")]
    inputs = [{"id": i["id"], "property": i["property"], "value": 1} for i in dep["inputs"]]
    values = {"wall-lang": lang, "wall-view": {"bbox": [112.9, 22.5, 114.1, 23.95], "zoom": 9.3, "w": 2000, "h": 1800}}
    state = [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])} for s in dep["state"]]
    return {"output": dep["output"], "outputs": outputs, "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"], "state": state}


def _post(url: str, body: dict[str, Any], needle: str, cookie: str) -> bytes:
    """One callback request as the signed-in wall sends it; refuses anything but a 200 with needle's output in it."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Cookie": cookie})
    with urllib.request.urlopen(req, timeout=10) as resp:
        status, raw = resp.status, resp.read()
    out = json.loads(raw).get("response", {})
    if status != 200 or not out.get(needle):
        raise RuntimeError(f"{needle} callback: HTTP {status}, outputs {sorted(out)} ({len(raw):,} bytes)")
    return raw


def _wrk(url: str, body: dict[str, Any], cookie: str, workdir: Path) -> float:
    """Requests/s from wrk (1 thread, CONNECTIONS connections, DURATION_S seconds); non-2xx responses fail the run."""
    script = workdir / "post.lua"
    script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f"wrk.headers[\"Cookie\"] = {json.dumps(cookie)}\n"
                      f"wrk.body = {json.dumps(json.dumps(body))}\n")
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run() -> list[str]:
    """Start a server, fill it from the simulator, serve with gunicorn, measure; returns the printed lines."""
    if not shutil.which("wrk"):
        return ["wall bench skipped: wrk is not installed (make bench installs it on Debian as root)"]
    tmp = Path(tempfile.mkdtemp(prefix="onescreen-bench-"))
    server = EmbeddedServer(tmp, port=free_port())
    url = server.start()
    gunicorn = None
    try:
        r = connect(url)
        sim = Simulator(load_city("guangzhou"), seed=7)
        Runner(r, [sim]).run_once(sim, int(time.time() * 1000))
        env = {**os.environ, **auth_env(), "REDIS_URL": url, "ONESCREEN_SIMULATOR": "off",
               "ONESCREEN_TICK_MS": "2000"}
        gunicorn, base = start_gunicorn("bench.wall_bench:naive_server()", env)
        cookie = session_cookie(base, "kiosk")  # the wall's own sign-in: its kiosk link
        req = urllib.request.Request(base + "/_dash-dependencies", headers={"Cookie": cookie})
        deps = json.loads(urllib.request.urlopen(req).read())
        wall_body = _request_body(deps, "wall-clock")
        naive_body = _request_body(deps, "naive-map")
        for _ in range(4):  # both workers answer both callbacks with data (never a refusal timed as fast)
            tick_bytes = len(_post(base + "/_dash-update-component", wall_body, "wall-clock", cookie))
            naive_bytes = len(_post(base + "/_dash-update-component", naive_body, "naive-map", cookie))
        fast = _wrk(base + "/_dash-update-component", wall_body, cookie, tmp)
        naive = _wrk(base + "/_dash-update-component", naive_body, cookie, tmp)
        # a smoke run's window is one second: a slow machine may finish no naive request in it (no ratio then)
        ratio_s = ratio(fast, naive, none="— (the naive variant finished no request in the window)")
        return [
            f"wall snapshot callback, gunicorn 2 workers (gthread), wrk {CONNECTIONS} conns {DURATION_S} s: "
            f"{fast:,.0f} req/s   naive go.Figure variant: {naive:,.0f} req/s   ratio {ratio_s}   "
            f"(target >= 1,000 req/s)",
            f"wall tick response body: {tick_bytes:,} bytes   naive variant: {naive_bytes:,} bytes   "
            f"ratio {naive_bytes / tick_bytes:.1f}x   (target <= 20,000 bytes)",
        ]
    finally:
        tear_down(gunicorn, server, tmp)


if __name__ == "__main__":
    print_figures(run)
