"""Two evaluator processes (`python -m alerts.service`) on one Redis: every transition is applied and logged once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import yaml

from core.derive import derive
from core.readings import Reading
from store import alerts as store
from store import keys
from store.embedded import EmbeddedServer, popen_bound
from store.writer import Writer
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
N = 30
RULES = {"settings": {"timer_s": 0.5}, "rules": [
    {"id": "aqi", "name_zh": "站点AQI超标", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
     "comparator": ">", "levels": [{"level": "blue", "threshold": 100}], "for_s": 0, "clear": {"for_s": 0}},
]}


@pytest.fixture
def evaluators(redis_server: EmbeddedServer, r: redis.Redis, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two standalone evaluators against the test server, stopped by their own PIDs."""
    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(RULES, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "REDIS_URL": redis_server.url}
    procs = [popen_bound([sys.executable, "-m", "alerts.service", "--rules", str(rules)], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"ev{i}.log", "wb"))  # noqa: SIM115
             for i in range(2)]
    try:
        wait_for(lambda: r.pubsub_numsub(keys.EVENTS)[0][1] >= 2, "both evaluators subscribed")
        yield procs
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def wait_for(cond: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def write(r: redis.Redis, pm25: float) -> None:
    now = int(time.time() * 1000)
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    readings = [Reading("air", f"S{i:02d}", now, values, {"name": f"站{i}"}) for i in range(N)]
    Writer(r, source="test").write([(rd, derive(rd)) for rd in readings], now)


def events(r: redis.Redis, kind: str) -> Counter[str]:
    return Counter(e["alert"] for e in store.read_log(r, 0, 100_000) if e["event"] == kind)


def test_two_processes_fire_and_resolve_each_alert_exactly_once(
        r: redis.Redis, evaluators: list[subprocess.Popen[bytes]]) -> None:
    for cycle in range(1, 4):
        write(r, 300.0)  # both processes wake on the same ingest event and race to commit
        wait_for(lambda: r.hlen(keys.ALERTS_ACTIVE) == N, "every alert firing")
        write(r, 10.0)
        wait_for(lambda c=cycle: sum(events(r, "resolved").values()) == c * N, "every alert resolved")
        time.sleep(1.2)  # two more timer passes in each process: nothing may fire or resolve twice
        fired, resolved = events(r, "firing"), events(r, "resolved")
        assert set(fired.values()) == {cycle} and len(fired) == N
        assert set(resolved.values()) == {cycle} and len(resolved) == N
    assert all(p.poll() is None for p in evaluators)
