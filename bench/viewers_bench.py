"""Leader overview under load: 200 laptop viewers polling every 5 s against 2 gunicorn workers, beside 1 viewer.

Each simulated viewer is a thread with its own keep-alive connection that posts the overview's tick callback (the
exact body a browser sends, from /_dash-dependencies) every 5 s at a random phase and keeps the sparkline key the
server hands back, as the page does. Latency is measured per request; gunicorn's CPU from /proc (master + workers).
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import auth_env, print_figures, session_cookie, size, start_gunicorn, tear_down
from config.settings import load_city
from data_sources.runner import Runner
from data_sources.simulator.city import Simulator
from store import kpi
from store.client import connect
from store.embedded import EmbeddedServer, free_port

DURATION_S = float(os.environ.get("BENCH_SECONDS", size("30", "1")))
PERIOD_S = size(5.0, 0.5)
VIEWERS = size(200, 4)
NEEDLE = "ov-clock"  # an output of the overview's tick callback


def _split(spec: str) -> dict[str, Any]:
    ident, prop = spec.rsplit(".", 1)
    return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}


def tick_body(deps: list[dict[str, Any]], lang: str = "zh") -> dict[str, Any]:
    """The JSON the overview page posts each tick: interval, sort state; language and sparkline key as state."""
    dep = next(d for d in deps if NEEDLE in d["output"])
    values = {"n_intervals": 1, "data": {"col": "overdue", "desc": True}}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(i["property"])} for i in dep["inputs"]]
    state = [{"id": s["id"], "property": s["property"], "value": lang if "lang" in str(s["id"]) else None}
             for s in dep["state"]]
    return {"output": dep["output"], "outputs": [_split(o) for o in dep["output"].strip(".").split("...")],
            "inputs": inputs, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"], "state": state}


def fill(r: Any, now: int) -> None:
    """The simulated city plus a day of per-minute KPI history (what the overview reads for yesterday + sparklines)."""
    sim = Simulator(load_city("guangzhou"), seed=7)
    Runner(r, [sim]).run_once(sim, now)
    for m in range(size(int(24.5 * 60), 90)):
        ph = m / 1440 * 2 * math.pi
        kpi.record(r, now - m * kpi.MINUTE_MS, {"aqi": 60 + 25 * math.sin(ph), "tpi": 4 + 2 * math.sin(2 * ph),
                                                "open": 300 + 40 * math.sin(ph), "overdue": 20 + 6 * math.cos(ph),
                                                "on_time": 90 + 3 * math.sin(ph), "water_good": 60 + 8 * math.cos(ph)})


def cpu_s(master: int) -> float:
    """utime + stime of the gunicorn master and its workers, in seconds."""
    pids = [master] + [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


class Viewer(threading.Thread):
    """One laptop: a keep-alive connection, a tick every PERIOD_S from a random phase, the sparkline key kept."""

    def __init__(self, port: int, body: dict[str, Any], until: float, phase: float, cookie: str) -> None:
        super().__init__(daemon=True)
        self.port, self.body, self.until, self.phase = port, json.loads(json.dumps(body)), until, phase
        self.headers = {"Content-Type": "application/json", "Cookie": cookie}
        self.latencies: list[float] = []
        self.sizes: list[int] = []
        self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        next_at = time.monotonic() + self.phase
        while next_at < self.until:
            time.sleep(max(0.0, next_at - time.monotonic()))
            payload = json.dumps(self.body).encode()
            t0 = time.perf_counter()
            try:
                raw = self._post(conn, payload, self.headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                try:
                    raw = self._post(conn, payload, self.headers)  # the server closed an idle connection: retry once
                except (OSError, http.client.HTTPException):
                    self.errors += 1
                    next_at += PERIOD_S
                    continue
            self.latencies.append(time.perf_counter() - t0)
            self.sizes.append(len(raw))
            key = json.loads(raw).get("response", {}).get("ov-spark-key", {}).get("data")
            if key is not None:
                next(s for s in self.body["state"] if s["id"] == "ov-spark-key")["value"] = key
            next_at += PERIOD_S
        conn.close()

    @staticmethod
    def _post(conn: http.client.HTTPConnection, payload: bytes, headers: dict[str, str]) -> bytes:
        conn.request("POST", "/_dash-update-component", body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        if resp.status != 200:
            raise http.client.HTTPException(f"HTTP {resp.status}")
        return raw


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) in ms."""
    if not values:
        return float("nan")
    s = sorted(values)
    return 1000 * s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def load(port: int, master: int, body: dict[str, Any], viewers: int, cookie: str) -> dict[str, float]:
    """Run `viewers` for DURATION_S; latency percentiles, request rate, CPU and bytes."""
    start = time.monotonic() + 0.2
    until = start + DURATION_S
    rng = random.Random(viewers)
    threads = [Viewer(port, body, until, 0.2 + rng.uniform(0, PERIOD_S), cookie) for _ in range(viewers)]
    cpu0, t0 = cpu_s(master), time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(DURATION_S + 30)
    cpu, wall = cpu_s(master) - cpu0, time.monotonic() - t0
    lat = [x for th in threads for x in th.latencies]
    sizes = sorted(x for th in threads for x in th.sizes)
    return {"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "rps": len(lat) / wall, "cpu": 100 * cpu / wall,
            "cpu_per_req": 1000 * cpu / max(1, len(lat)), "n": len(lat), "errors": sum(th.errors for th in threads),
            "bytes": sizes[len(sizes) // 2] if sizes else 0, "bytes_max": sizes[-1] if sizes else 0}


def run() -> list[str]:
    """Start a server, fill it, serve with gunicorn, measure 1 and 200 viewers; returns the printed lines."""
    tmp = Path(tempfile.mkdtemp(prefix="onescreen-viewers-"))
    server = EmbeddedServer(tmp, port=free_port())
    url = server.start()
    gunicorn = None
    try:
        fill(connect(url), int(time.time() * 1000))
        env = {**os.environ, **auth_env(), "REDIS_URL": url, "ONESCREEN_SIMULATOR": "off"}
        gunicorn, base = start_gunicorn("app:server", env, ("--keep-alive", "10"))
        cookie = session_cookie(base, "admin")  # the overview needs a signed-in user (a kiosk may only see the wall)
        deps = urllib.request.Request(base + "/_dash-dependencies", headers={"Cookie": cookie})
        body = tick_body(json.loads(urllib.request.urlopen(deps).read()))
        for _ in range(4):  # warm both workers, and check they answer with data (never a refusal timed as fast)
            req = urllib.request.Request(base + "/_dash-update-component", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "Cookie": cookie})
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, out = resp.status, json.loads(resp.read()).get("response", {})
            if status != 200 or not out.get(NEEDLE):
                raise RuntimeError(f"overview tick: HTTP {status}, outputs {sorted(out)}")
        port = int(base.rsplit(":", 1)[1])
        one = load(port, gunicorn.pid, body, 1, cookie)
        many = load(port, gunicorn.pid, body, VIEWERS, cookie)
        if not one["n"] or not many["n"]:
            raise RuntimeError(f"no answered requests: 1 viewer {one['errors']} errors, {VIEWERS} {many['errors']}")
        cores = os.cpu_count() or 1
        ratio = one["cpu_per_req"] / max(many["cpu_per_req"], 0.01)
        return [
            f"overview, {VIEWERS} viewers polling every {PERIOD_S:.0f} s (2 gunicorn workers, {DURATION_S:.0f} s): "
            f"p50 {many['p50']:.0f} ms, p95 {many['p95']:.0f} ms, {many['rps']:.0f} req/s, "
            f"CPU {many['cpu']:.0f} % of one core ({many['cpu'] / cores:.0f} % of {cores} cores), "
            f"{many['errors']} errors   1 viewer: p50 {one['p50']:.0f} ms, p95 {one['p95']:.0f} ms, "
            f"CPU {one['cpu']:.1f} %",
            f"overview CPU per request: {many['cpu_per_req']:.1f} ms with {VIEWERS} viewers vs "
            f"{one['cpu_per_req']:.1f} ms for 1 viewer (ratio {ratio:.1f}x: one summary and view model per tick "
            f"per worker); response {many['bytes']:,} bytes "
            f"({many['bytes_max']:,} with the once-a-minute sparklines)",
        ]
    finally:
        tear_down(gunicorn, server, tmp)


if __name__ == "__main__":
    print_figures(run)
