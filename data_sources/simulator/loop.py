"""A living closed loop for `make run` (issue #15): simulated inspectors report problems in the street and the
city's departments work them through every step, on the real case records (store.casebook) and by the same rules
as people (core.case_flow): registration or rejection, dispatch by the dispatch table, acceptance, handling,
verification, rework now and then, and cases that stall past their time limit.

Its clock runs `time_factor` times faster than the wall's (60 by default: a simulated hour passes in a real
minute), time limits included, so cases go overdue within a demo; every step is recorded at the real time it
is taken. How long each step takes is drawn per case from the durations below, so a department's slowness shows.
Simulated people are named sim.*; nothing here is presented as real."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from core import case_flow as cf
from core.case_rules import CaseRules
from core.furniture_catalog import CATEGORIES
from data_sources.simulator.geo import load_districts, random_point

H_MS = 3_600_000
MIN_MS = 60_000
# step -> (median simulated minutes until the next action, spread factor)
DELAYS = {cf.REPORTED: (10, 2.0), cf.REGISTERED: (8, 2.0), cf.DISPATCHED: (30, 2.5), cf.ACCEPTED: (240, 3.0),
          cf.HANDLED: (60, 2.0)}
# departments that are slower than the others (their handling takes this many times as long)
SLOW = {"住房和城乡建设局": 3.0, "林业和园林局": 2.0}
REPORTS_PER_SIM_HOUR = 6.0
COMMON = [c["code"] for c in CATEGORIES if c["group"] in ("01", "02", "03")]  # covers, lamps, signs, bins …


def _unit(case_id: str, salt: str) -> float:
    """A number in [0, 1) fixed for the case and the step (so a restart draws the same durations)."""
    digest = hashlib.sha256(f"{case_id}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class LoopSimulator:
    """Reports and advances cases each `step`; the casebook does the recording (and updates the live layer)."""

    def __init__(self, book: Any, districts_file: Path, rules: CaseRules, *, seed: int = 42,
                 time_factor: float = 60.0) -> None:
        if time_factor <= 0:
            raise ValueError("time_factor must be > 0")
        self.book, self.rules, self.speed = book, rules, float(time_factor)
        self.districts = load_districts(json.loads(Path(districts_file).read_text(encoding="utf-8")))
        self.rng = random.Random(seed)
        self.last_ms: int | None = None
        self.n = 0

    def _delay_ms(self, rec: dict[str, Any]) -> float:
        """Real ms from the case's last change to its next step."""
        median, spread = DELAYS[rec["state"]]
        u = _unit(rec["id"], f"{rec['state']}:{rec['version']}")
        minutes = median * spread ** (2 * u - 1)  # log-uniform around the median
        if rec["state"] == cf.ACCEPTED:
            minutes *= SLOW.get(rec.get("department") or "", 1.0)
            if u > 0.9:
                minutes *= 8  # a case that stalls: it goes overdue
        return minutes * MIN_MS / self.speed

    def _report(self, now_ms: int) -> None:
        d = self.rng.choice(self.districts)
        lon, lat = random_point(d, self.rng)
        self.n += 1
        case_id = f"SIM-{now_ms // 1000:x}-{self.n:04d}".upper()
        self.book.report(case_id, self.rng.choice(COMMON), now_ms, kind="component", channel="inspector",
                         district=d.adcode, lon=round(lon, 6), lat=round(lat, 6),
                         description="巡查发现（模拟）", by=f"sim.inspector.{self.rng.randint(1, 20)}",
                         role=cf.INSPECTOR)

    def _advance(self, rec: dict[str, Any], now_ms: int) -> None:
        state, cid, v = rec["state"], rec["id"], rec["version"]
        u = _unit(cid, f"choice:{rec['version']}")
        kind = rec.get("kind") or "component"
        limit = int(self.rules.limit_ms(rec["category"], urgent=u > 0.95, kind=kind) / self.speed)
        dispatcher = cf.Actor("sim.dispatcher", cf.DISPATCHER)
        handler = cf.Actor(f"sim.handler.{rec.get('department')}", cf.HANDLER, rec.get("department"))
        inspector = cf.Actor("sim.inspector.verify", cf.INSPECTOR)
        if state == cf.REPORTED:
            if u < 0.07:
                self.book.act(cid, "reject", dispatcher, now_ms, comment="不属于城市管理范围（模拟）",
                              expected_version=v)
            else:
                self.book.act(cid, "register", dispatcher, now_ms, expected_version=v)
        elif state == cf.REGISTERED:
            dept = self.rules.department(rec["category"], rec.get("district"), rec.get("kind") or "component")
            self.book.act(cid, "dispatch", dispatcher, now_ms, args={"department": dept, "urgent": u > 0.95},
                          limit_ms=limit, expected_version=v)
        elif state == cf.DISPATCHED:
            self.book.act(cid, "accept", handler, now_ms, expected_version=v)
        elif state == cf.ACCEPTED:
            self.book.act(cid, "handle", handler, now_ms, comment="已处置（模拟）", expected_version=v)
        elif state == cf.HANDLED:
            if u < 0.12 and rec.get("reworks", 0) < 2:
                self.book.act(cid, "rework", inspector, now_ms, comment="现场核查未修复（模拟）", expected_version=v)
            else:
                self.book.act(cid, "close", inspector, now_ms, comment="现场核查已修复（模拟）", expected_version=v)

    def step(self, now_ms: int) -> int:
        """One round: new reports for the time that passed, then every simulated case whose next step is due;
        returns how many actions were taken. A step another actor took first (a person at the console) is
        skipped."""
        first = self.last_ms is None
        elapsed = 0 if self.last_ms is None else max(0, now_ms - self.last_ms)
        self.last_ms = now_ms
        expected = REPORTS_PER_SIM_HOUR * elapsed * self.speed / H_MS
        n = 3 if first else int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
        for _ in range(n):
            self._report(now_ms)
        done = n
        for rec in self.book.find(states=tuple(cf.OPEN_STATES), limit=5000):
            if not rec["id"].startswith("SIM-") or rec["updated_ms"] + self._delay_ms(rec) > now_ms:
                continue
            try:
                self._advance(rec, now_ms)
                done += 1
            except cf.Refused:
                continue  # someone acted on it since it was read (409): its next step is drawn from the new state
        return done
