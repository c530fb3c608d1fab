"""The one map's layer of the loop's cases (issue #15, core/loop_points.py, Casebook.positions, views.map): what a
Table holds after any series of reports and actions equals a fresh read of every open case with a position, read
only what changed since; pins carry step and overdue; a district user sees their district's, a handler their
department's. SQLite case records (real), an injected clock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import case_flow as cf
from core import loop_points
from store import casebook
from views import map as map_view

pytestmark = pytest.mark.integration
BAIYUN, TIANHE = "440111", "440106"
DISPATCHER = cf.Actor("wang", cf.DISPATCHER)


@pytest.fixture
def book(tmp_path: Path) -> Any:
    eng = casebook.engine_for(None, tmp_path)
    casebook.migrate(eng)
    return casebook.Casebook(eng)


def fresh(book: Any) -> dict[str, tuple[Any, ...]]:
    pts = loop_points.Table().refresh(book, int(time.time() * 1000))
    return held(pts)


def held(pts: loop_points.LoopPoints) -> dict[str, tuple[Any, ...]]:
    return {i: (float(pts.lon[k]), float(pts.lat[k]), int(pts.step[k]), float(pts.due[k]), pts.district[k],
                pts.department[k]) for k, i in enumerate(pts.ids)}


def test_the_table_follows_the_records_reading_only_what_changed(book: Any) -> None:
    now = int(time.time() * 1000)
    table = loop_points.Table()
    rng = np.random.default_rng(7)
    made: list[str] = []
    for step in range(60):
        t = now + step * 1000
        roll = rng.random()
        if roll < 0.4 or not made:
            cid = casebook.new_id()
            where = (113.2 + rng.random() / 10, 23.1 + rng.random() / 10) if rng.random() < 0.8 else (None, None)
            book.report(cid, "0101", t, kind="component", district=BAIYUN if rng.random() < 0.5 else TIANHE,
                        lon=where[0], lat=where[1], by="li", role=cf.INSPECTOR)
            made.append(cid)
        else:
            cid = made[int(rng.integers(len(made)))]
            state = book.get(cid).state
            action = {cf.REPORTED: "reject" if roll > 0.9 else "register", cf.REGISTERED: "dispatch"}.get(state)
            if action == "dispatch":
                book.act(cid, action, DISPATCHER, t, args={"department": "市政"}, limit_ms=3_600_000)
            elif action:
                book.act(cid, action, DISPATCHER, t, comment="重复上报")
            elif state == cf.DISPATCHED:
                book.act(cid, "accept", cf.Actor("zhao", cf.HANDLER, "市政"), t)
        got = held(table.refresh(book, t))
        assert got == fresh(book), step
    assert table.full_ms == now  # one whole read; the rest were changes
    assert set(table.points.step.tolist()) <= {0, 1, 2}


def test_a_closed_case_leaves_the_map_and_pins_carry_step_and_lateness(book: Any) -> None:
    now = int(time.time() * 1000)
    table = loop_points.Table()
    for cid, district in (("OS-A", BAIYUN), ("OS-B", TIANHE)):
        book.report(cid, "0101", now - 7_200_000, kind="component", district=district, lon=113.3, lat=23.2)
    book.act("OS-A", "register", DISPATCHER, now - 7_000_000)
    book.act("OS-A", "dispatch", DISPATCHER, now - 6_000_000, args={"department": "市政"}, limit_ms=3_600_000)
    pts = table.refresh(book, now)
    res = map_view.loop_clusters(pts, (113.0, 23.0, 113.6, 23.4), 12, now)
    assert sorted(res["p"]) == [["OS-A", 113.3, 23.2, 1, 2], ["OS-B", 113.3, 23.2, 0, 0]]  # A overdue, dispatched
    assert pts.seen_by(BAIYUN, None).ids == ["OS-A"] and pts.seen_by(None, "市政").ids == ["OS-A"]
    assert pts.seen_by(TIANHE, "市政").ids == []
    book.act("OS-B", "reject", DISPATCHER, now + 1000, comment="重复")
    assert table.refresh(book, now + 2000).ids == ["OS-A"]  # rejected: off the map
