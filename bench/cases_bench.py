"""The closed loop's records at a city's size (issue #15): the queues people open, and how fast actions are recorded.

A case database (SQLite, as `make run` keeps it: WAL, full fsync) holding a city's open cases and its closed ones is
made at two sizes in one run: a baseline (1,000 open, 10,000 closed) and a city (100,000 open, 1,000,000 closed);
each figure is printed for both with the ratio. The queues are the ones the console and the API read
(cases.service.queue through store.casebook.find, the first 200, longest waiting first): the dispatcher's (every
open case), the registration queue (new reports only), one district's, one department's (a handler's). Target: the
dispatcher's queue p95 <= 200 ms at the city size on this machine. Actions: register then dispatch on new reports,
one transaction each with its audit event, as the console sends them.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import SMOKE, print_figures, size
from cases import service
from config.settings import load_case_rules
from core import case_flow as cf
from core.furniture_catalog import CATEGORIES
from store import casebook

SIZES = size(((1_000, 10_000), (100_000, 1_000_000)), ((100, 1_000), (1_000, 10_000)))
RUNS = size(40, 5)
ACTIONS = size(300, 20)
DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117",
             "440118")
H = 3_600_000


class Who:
    def __init__(self, role: str, district: str | None = None, department: str | None = None) -> None:
        self.name, self.role, self.district, self.department = f"bench.{role}", role, district, department


def load(book: casebook.Casebook, n_open: int, n_closed: int, now: int) -> None:
    """Open cases spread over the open steps, closed ones over the last year; positions and districts random."""
    rnd = random.Random(3)
    rules = load_case_rules()
    codes = [c["code"] for c in CATEGORIES]
    open_states = (cf.REPORTED, cf.REGISTERED, cf.DISPATCHED, cf.ACCEPTED, cf.HANDLED)
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        if rows:
            with book.eng.begin() as conn:
                conn.execute(casebook.cases.insert(), rows)
            rows.clear()

    for i in range(n_open + n_closed):
        is_open = i < n_open
        state = open_states[i % len(open_states)] if is_open else cf.CLOSED
        cat, district = rnd.choice(codes), rnd.choice(DISTRICTS)
        reported = now - rnd.randint(1, 30 * 24 if is_open else 365 * 24) * H
        dept = rules.department(cat, district) if state not in (cf.REPORTED, cf.REGISTERED) else None
        due = reported + rules.limit_ms(cat) if dept else None
        rows.append({"id": f"B{i:08d}", "state": state, "category": cat, "kind": "component", "channel": "inspector",
                     "district": district, "department": dept, "lon": 113.3, "lat": 23.1, "component_id": None,
                     "description": "", "reported_ms": reported, "due_ms": due,
                     "closed_ms": None if is_open else reported + rnd.randint(1, 72) * H, "merged_into": None,
                     "reworks": 0, "escalations": 0, "version": 0, "updated_ms": reported})
        if len(rows) >= 20_000:
            flush()
    flush()


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def measure(n_open: int, n_closed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        book = casebook.Casebook(casebook.engine_for(None, Path(tmp)))
        casebook.migrate(book.eng)
        now = int(time.time() * 1000)
        t0 = time.perf_counter()
        load(book, n_open, n_closed, now)
        out: dict[str, Any] = {"load_s": time.perf_counter() - t0}
        department = load_case_rules().department("0101", DISTRICTS[4])
        queues = {"dispatcher": (Who(cf.DISPATCHER), tuple(cf.OPEN_STATES)),
                  "registration": (Who(cf.DISPATCHER), (cf.REPORTED,)),
                  "district": (Who(cf.DISPATCHER, district=DISTRICTS[4]), tuple(cf.OPEN_STATES)),
                  "handler": (Who(cf.HANDLER, department=department), tuple(cf.OPEN_STATES))}
        for name, (who, states) in queues.items():
            service.queue(book, who, states)  # warm
            times = []
            for _ in range(RUNS):
                t = time.perf_counter()
                rows = service.queue(book, who, states)
                times.append(time.perf_counter() - t)
            out[name] = (1000 * statistics.median(times), 1000 * p(times, 0.95), len(rows))
        new = [r["id"] for r in book.find(states=(cf.REPORTED,), limit=ACTIONS)]
        dispatcher = Who(cf.DISPATCHER)
        t = time.perf_counter()
        for cid in new:
            service.take(book, dispatcher, cid, "register", now)
            service.take(book, dispatcher, cid, "dispatch", now)
        out["actions_per_s"] = 2 * len(new) / (time.perf_counter() - t)
        book.eng.dispose()
        return out


def run() -> Iterator[str]:
    base, city = (measure(*s) for s in SIZES)
    label = " | ".join(f"{o:,} open + {c:,} closed" for o, c in SIZES)
    yield f"cases: sizes {label}   (SQLite WAL, synchronous=FULL; first 200 of each queue, {RUNS} reads)"
    for name in ("dispatcher", "registration", "district", "handler"):
        b, c = base[name], city[name]
        yield (f"cases queue {name}: p50 {b[0]:.1f} ms | {c[0]:.1f} ms ({c[0] / max(b[0], 1e-9):.1f}x), "
               f"p95 {b[1]:.1f} ms | {c[1]:.1f} ms ({c[1] / max(b[1], 1e-9):.1f}x)"
               + ("   target p95 <= 200 ms" if name == "dispatcher" and not SMOKE else ""))
    yield (f"cases actions recorded per second (register + dispatch, one transaction each): "
           f"{base['actions_per_s']:.0f}/s | {city['actions_per_s']:.0f}/s "
           f"({city['actions_per_s'] / base['actions_per_s']:.2f}x)")
    yield f"cases load (bench set-up): {base['load_s']:.1f} s | {city['load_s']:.1f} s"


if __name__ == "__main__":
    print_figures(run)
