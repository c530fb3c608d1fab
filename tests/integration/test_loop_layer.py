"""The closed loop's live layer (store/loop.py) against a real Redis and the case records in SQLite: after every
recorded change its counts are what counting the records gives (per state, overdue, closings of the last 24 h and
the on-time share), for the city and each district; changes applied twice or out of order change nothing more; a
layer that lost keys (any district's) is found out of step and made again from the records; a layer not built takes
no changes; two processes do not rebuild at once."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from core import case_flow as cf
from store import casebook, keys, loop

pytestmark = pytest.mark.integration
H = 3_600_000
DISTRICTS = ("440111", "440106")
ACTORS = {role: cf.Actor(role, role, "市政" if role == cf.HANDLER else None)
          for role in (cf.DISPATCHER, cf.HANDLER, cf.INSPECTOR)}


def counted(book: casebook.Casebook, now: int, district: str | None) -> dict[str, Any]:
    """The loop today, counted from the records (what the layer must say)."""
    recs = [x for x in book.find(limit=100_000) if district is None or x["district"] == district]
    n = {s: sum(1 for x in recs if x["state"] == s) for s in cf.STATES}
    closed = [x for x in recs if x["state"] == cf.CLOSED and x["closed_ms"] >= now - 24 * H]
    late = [x for x in closed if x["due_ms"] is not None and x["closed_ms"] > x["due_ms"]]
    return {"reported": n[cf.REPORTED], "registered": n[cf.REGISTERED],
            "dispatched": n[cf.DISPATCHED] + n[cf.ACCEPTED], "handled": n[cf.HANDLED],
            "open": sum(n[s] for s in cf.OPEN_STATES),
            "overdue": sum(1 for x in recs if x["state"] in cf.OPEN_STATES and x["due_ms"] is not None
                           and x["due_ms"] < now),
            "closed_24h": len(closed),
            "on_time_rate": None if not closed else round(100.0 * (len(closed) - len(late)) / len(closed), 1),
            "urgent": sum(1 for x in recs if x["state"] in cf.OPEN_STATES and x["urgent"]),
            "urgent_new": sum(1 for x in recs if x["state"] in cf.OPEN_STATES and x["urgent"]
                              and x["dispatched_ms"] >= now - loop.NEW_URGENT_MS), "counted": True}


def layer(r: redis.Redis, now: int, district: str | None) -> dict[str, Any]:
    pipe = r.pipeline(transaction=False)
    loop.queue_read(pipe, now, district)
    return loop.parse(pipe.execute())


def same(r: redis.Redis, book: casebook.Casebook, now: int) -> None:
    for district in (None, *DISTRICTS):
        assert layer(r, now, district) == counted(book, now, district), district


def test_the_layer_follows_every_change_and_is_made_again_when_it_lost_its_keys(r: redis.Redis,
                                                                                   tmp_path: Path) -> None:
    clock = {"now": int(time.time() * 1000) - 40 * H}
    applied: list[dict[str, Any]] = []  # every row as committed, to send again later, in any order

    def on_change(row: dict[str, Any]) -> None:
        applied.append(row)
        loop.apply(r, row, clock["now"])

    book = casebook.Casebook(casebook.engine_for(None, tmp_path), on_change=on_change)
    casebook.migrate(book.eng)
    assert layer(r, clock["now"], None)["counted"] is False  # nothing made yet: the screens must not show its zeros
    assert loop.rebuild(r, book, DISTRICTS, clock["now"])  # an empty layer, built: changes are applied from now
    rnd = random.Random(11)
    flow = ((cf.DISPATCHER, "register"), (cf.DISPATCHER, "dispatch"), (cf.HANDLER, "accept"),
            (cf.HANDLER, "handle"), (cf.INSPECTOR, "close"))
    steps: dict[str, int] = {}
    for i in range(150):
        clock["now"] += rnd.randint(1, 90) * 60_000
        if i < 25 or rnd.random() < 0.2:
            cid = f"C{i:03d}"
            book.report(cid, "0101", clock["now"], district=rnd.choice((*DISTRICTS, None)), lon=113.3, lat=23.2)
            steps[cid] = 0
        else:
            cid = rnd.choice([c for c, k in steps.items() if k < len(flow)])
            role, action = flow[steps[cid]]
            if action == "register" and rnd.random() < 0.15:
                book.act(cid, "reject", ACTORS[role], clock["now"], comment="重复")
                steps[cid] = len(flow)
            else:
                book.act(cid, action, ACTORS[role], clock["now"],
                         args={"department": "市政", "urgent": rnd.random() < 0.3},
                         limit_ms=rnd.choice((H, 4 * H, 48 * H)))
                steps[cid] += 1
        same(r, book, clock["now"])
    same(r, book, clock["now"] + 30 * H)  # later: closings leave the 24 h, due times pass
    assert layer(r, clock["now"], None)["closed_24h"] > 0 and layer(r, clock["now"], None)["overdue"] > 0
    assert layer(r, clock["now"], None)["urgent"] > 0  # the stream made some urgent cases that are still open

    for row in rnd.sample(applied, len(applied)):  # every change again, in any order: nothing moves
        assert not loop.apply(r, row, clock["now"])
    same(r, book, clock["now"])

    assert loop.in_step(r, book)
    r.delete(keys.district_key(keys.LOOP_DUE, DISTRICTS[0]))  # a Redis that lost one district's due times
    assert not loop.in_step(r, book)
    r.set(keys.LOOP_BUILT + ":lock", "another process", px=5000)
    assert not loop.reconcile(r, book, DISTRICTS, clock["now"])  # one rebuild at a time
    r.delete(keys.LOOP_BUILT + ":lock")
    assert loop.reconcile(r, book, DISTRICTS, clock["now"]) and loop.in_step(r, book)
    same(r, book, clock["now"])
    r.delete(keys.LOOP_URGENT)  # ... or the city's urgent cases
    assert not loop.in_step(r, book)
    assert loop.reconcile(r, book, DISTRICTS, clock["now"]) and loop.in_step(r, book)
    same(r, book, clock["now"])
    assert not loop.reconcile(r, book, DISTRICTS, clock["now"])  # in step: nothing to do

    r.flushdb()  # a flushed Redis takes no changes until the layer is made again from the records
    book.report("AFTER", "0101", clock["now"], district=DISTRICTS[1])
    assert not r.exists(keys.LOOP_STATES) and not loop.in_step(r, book)
    assert loop.reconcile(r, book, DISTRICTS, clock["now"])
    same(r, book, clock["now"])


def test_a_change_the_layer_could_not_take_is_not_the_actions_failure(r: redis.Redis, tmp_path: Path) -> None:
    def broken(_old: Any, _new: Any) -> None:
        raise redis.ConnectionError("Redis is away")

    book = casebook.Casebook(casebook.engine_for(None, tmp_path), on_change=broken)
    casebook.migrate(book.eng)
    book.report("C1", "0101", int(time.time() * 1000), district=DISTRICTS[0])
    case, applied = book.act("C1", "register", ACTORS[cf.DISPATCHER], int(time.time() * 1000))
    assert applied and case.state == cf.REGISTERED  # recorded; the layer is put right when it is next opened


def test_the_feed_runner_makes_the_layer_from_the_records_though_no_page_opened_them(r: redis.Redis,
                                                                                     tmp_path: Path) -> None:
    """`make run`'s wall counts the loop before anyone opens the console: the runner's keeper makes the layer from
    the records at start (a new or flushed store) and again whenever it finds it out of step."""
    from config.settings import Settings, load_city
    from data_sources import runner

    now = int(time.time() * 1000)
    book = casebook.Casebook(casebook.engine_for(None, tmp_path))
    casebook.migrate(book.eng)
    for i, district in enumerate((*DISTRICTS, DISTRICTS[0])):
        book.report(f"C{i}", "0101", now - H, district=district)
    book.act("C0", "register", ACTORS[cf.DISPATCHER], now)
    assert layer(r, now, None)["counted"] is False  # records written with no layer to keep
    settings = Settings(data_dir=tmp_path, database_url=None)
    stop = threading.Event()
    keeper = threading.Thread(target=runner.keep_loop, args=(settings, r, stop, load_city("guangzhou")),
                              kwargs={"period_s": 0.05}, daemon=True)
    keeper.start()
    try:
        deadline = time.monotonic() + 30
        while not layer(r, now, None)["counted"] and time.monotonic() < deadline:
            time.sleep(0.05)
        same(r, book, now)
        r.delete(keys.district_key(keys.LOOP_STATES, DISTRICTS[1]))  # a district's counts lost: made again
        while layer(r, now, DISTRICTS[1]) != counted(book, now, DISTRICTS[1]) and time.monotonic() < deadline:
            time.sleep(0.05)
        same(r, book, now)
    finally:
        stop.set()
        keeper.join(10)
