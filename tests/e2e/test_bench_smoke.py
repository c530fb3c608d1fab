"""`make bench` keeps running to the end under the app's real CSP: every bench in its smoke mode (tiny sizes and
durations), end to end, printing each figure. Timings are never asserted, only that each figure is there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
# The start of every figure line `make bench` prints, bench by bench.
FIGURES = (
    *(f"aqi_cn.compute (6 pollutants, {std}, {mix} mix): " for std in ("HJ633-2026", "HJ633-2012")
      for mix in ("hourly", "daily")),
    "CNEMC published real-time AQI through the pipeline ", "FIWARE Smart Data Models examples accepted: ",
    "Open311 real requests kept: ",
    "wall snapshot callback, gunicorn 2 workers", "wall tick response body: ",
    "map, 548,000 components, first clusters after navigation: ", "map, one zoom step: ",
    "map, longest main-thread task: ", "map tick payload, all layers on: ",
    "alerts: ", "alerts engine (extract + evaluate): ", "alerts baseline naive per-rule scans: ",
    "ingest API, ", "  stricter baseline, XADD of the records' pre-encoded JSON text: ",
    "  re-send of one batch (all duplicates): ",
    "overview, ", "overview CPU per request: ",
    "scale sizes: ", "scale wall tick: ", "scale map tick: ", "scale overview: ", "scale CPU per wall tick: ",
    "scale CPU per map tick: ", "scale alert pass: ", "scale Redis memory: ", "scale ingest: ", "scale load: ",
    "scale background refresh: ", "history memory per 1,000 entities and day, air: ", "history memory, 8 days of ",
    "scale workers' full garbage collections ",
    "resilience (a) wall live again after Redis (kill -9, restart) returned: ",
    "  'connection lost' shown after the kill: ",
    "resilience (b) AOF everysec, kill -9 mid-ingest ", "  answers over the run ",
    "resilience (c) kill -9 of 1 of 2 gunicorn workers ",
    "wall soak ",
)


def test_every_bench_runs_to_the_end_and_prints_its_figures() -> None:
    if not shutil.which("wrk"):
        pytest.fail("wrk is not installed: run `make system-deps` (it installs wrk on Debian as root)")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BENCH_SECONDS", "SOAK_SECONDS")}
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, f"exit {done.returncode}\n{out[-3000:]}\n{done.stderr[-5000:]}"
    lines = out.splitlines()
    missing = [f for f in FIGURES if not any(line.startswith(f) for line in lines)]
    assert not missing, f"figures not printed: {missing}\n{out}"
    unwanted = [line for line in lines if any(w in line for w in ("skipped", "not available", "WARNING"))]
    assert not unwanted, unwanted
