"""The simulated closed loop (data_sources/simulator/loop.py) on real case records (SQLite): over a few simulated
days its cases reach every step, some are rejected, reworked, closed late or left overdue, every step is one the
loop allows (the records refuse any other), and a case a person acts on meanwhile is not taken back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from config.settings import load_case_rules, load_city
from core import case_flow as cf
from core.geo import GEO_DIR
from data_sources.simulator.loop import LoopSimulator
from store import casebook

pytestmark = pytest.mark.integration
MIN = 60_000


def test_the_simulated_loop_lives_and_follows_the_rules(tmp_path: Path) -> None:
    book = casebook.Casebook(casebook.engine_for(None, tmp_path))
    casebook.migrate(book.eng)
    city = load_city("guangzhou")
    sim = LoopSimulator(book, GEO_DIR / city["geo"]["districts"], load_case_rules(), seed=7, time_factor=60)
    now = int(time.time() * 1000) - 4 * 60 * MIN
    sim.step(now)
    first = book.find(limit=10)
    assert len(first) == 3 and {c["state"] for c in first} == {cf.REPORTED}
    person = cf.Actor("wang.dispatch", cf.DISPATCHER)
    stale = book.find(limit=10)  # what the simulator read, before a person at the console acted
    book.act(first[0]["id"], "escalate", person, now + 1000, comment="尽快")  # the case is still new, one step on
    real_find = book.find
    book.find = lambda **_: stale  # type: ignore[method-assign]
    sim.step(now + 60 * 60_000)  # every case due: the simulator acts on what it read, a step behind on that one
    book.find = real_find  # type: ignore[method-assign]
    assert [s["action"] for s in book.trail(first[0]["id"])] == ["report", "escalate"]  # refused (409), not taken
    assert [s["action"] for s in book.trail(first[1]["id"])][:2] in (["report", "register"], ["report", "reject"])
    for _ in range(4 * 30):  # four real hours, one round every two minutes: ten simulated days
        now += 2 * MIN
        sim.step(now)
    cases = book.find(limit=100_000)
    states = {c["state"] for c in cases}
    assert {cf.CLOSED, cf.REJECTED} <= states and states & {cf.DISPATCHED, cf.ACCEPTED, cf.HANDLED}
    assert any(c["reworks"] for c in cases)
    closed = [c for c in cases if c["state"] == cf.CLOSED]
    assert any(c["closed_ms"] > c["due_ms"] for c in closed) and any(c["closed_ms"] <= c["due_ms"] for c in closed)
    assert len({c["department"] for c in closed}) > 1  # the dispatch table sends them to several departments
    for c in cases[:50]:  # every step recorded with its version, in order
        trail = book.trail(c["id"])
        assert [s["version"] for s in trail] == list(range(len(trail))) and trail[-1]["to_state"] == c["state"]
