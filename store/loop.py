"""The closed loop's live layer in Redis: the counts the screens read each tick (cases per state, open cases by due
time, closings of the last days), for the city and per district, so a tick costs a few counts whatever the number
of cases. The case records (store.casebook, SQL) are the truth: every recorded change is applied here as it is
committed (`apply`), and `rebuild` makes the layer again from the records when a process opens them (a Redis that
lost data, or changes recorded while Redis was away, are put right then)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis

from core import case_flow as cf
from store import keys

KEEP_CLOSED_MS = 8 * 86_400_000  # closings kept for the 24 h and 7-day figures
LOCK_MS = 60_000


def _districts(*adcodes: str | None) -> list[str | None]:
    """The city (None) and the district of a case, if it has one."""
    return [None, *(a for a in adcodes if a)]


def _k(base: str, adcode: str | None) -> str:
    return base if adcode is None else keys.district_key(base, adcode)


def _queue(pipe: Any, old: dict[str, Any] | None, new: dict[str, Any], count: bool = True) -> None:
    """Queue the layer's changes for one case going from `old` (None: new) to `new` (records as the casebook keeps
    them: id, state, district, due_ms, closed_ms); `count`: the per-state counts too."""
    cid = new["id"]
    if old is not None:
        for ad in _districts(old.get("district")):
            pipe.hincrby(_k(keys.LOOP_STATES, ad), old["state"], -1)
            pipe.zrem(_k(keys.LOOP_DUE, ad), cid)
    for ad in _districts(new.get("district")):
        if count:
            pipe.hincrby(_k(keys.LOOP_STATES, ad), new["state"], 1)
        if new["state"] in cf.OPEN_STATES and new.get("due_ms") is not None:
            pipe.zadd(_k(keys.LOOP_DUE, ad), {cid: int(new["due_ms"])})
        if new["state"] == cf.CLOSED and new.get("closed_ms") is not None:
            pipe.zadd(_k(keys.LOOP_CLOSED, ad), {cid: int(new["closed_ms"])})
            if new.get("due_ms") is not None and new["closed_ms"] > new["due_ms"]:
                pipe.zadd(_k(keys.LOOP_LATE, ad), {cid: int(new["closed_ms"])})


def apply(r: redis.Redis, old: dict[str, Any] | None, new: dict[str, Any], now_ms: int) -> None:
    """One committed change of a case, applied to the layer in one transaction (old closings trimmed)."""
    pipe = r.pipeline(transaction=True)
    _queue(pipe, old, new)
    for ad in _districts(new.get("district")):
        for base in (keys.LOOP_CLOSED, keys.LOOP_LATE):
            pipe.zremrangebyscore(_k(base, ad), "-inf", now_ms - KEEP_CLOSED_MS)
    pipe.execute()


def rebuild(r: redis.Redis, counts: Iterable[tuple[str | None, str, int]], live: Iterable[dict[str, Any]],
            districts: Iterable[str], now_ms: int) -> bool:
    """Make the layer again from the records: `counts` (district, state, cases) of every case, `live` the records
    of the open cases and of those closed in the kept days. False when another process is doing it now. The old
    layer is replaced in one transaction."""
    token = str(now_ms)
    lock = keys.LOOP_BUILT + ":lock"
    if not r.set(lock, token, nx=True, px=LOCK_MS):
        return False
    try:
        pipe = r.pipeline(transaction=True)
        for ad in {None, *districts, *(d for d, _, _ in counts if d)}:
            pipe.delete(*(_k(base, ad) for base in (keys.LOOP_STATES, keys.LOOP_DUE, keys.LOOP_CLOSED,
                                                    keys.LOOP_LATE)))
        for district, state, n in counts:
            for ad in _districts(district):
                pipe.hincrby(_k(keys.LOOP_STATES, ad), state, int(n))
        for rec in live:
            _queue(pipe, None, rec, count=False)
        pipe.set(keys.LOOP_BUILT, token)
        pipe.execute()
        return True
    finally:
        if r.get(lock) == token:
            r.delete(lock)


def in_step(r: redis.Redis, counts: Iterable[tuple[str | None, str, int]]) -> bool:
    """Whether the city's per-state counts in Redis are the records' (else the layer is made again)."""
    want: dict[str, int] = {}
    for _, state, n in counts:
        want[state] = want.get(state, 0) + int(n)
    have = {k: int(v) for k, v in r.hgetall(keys.LOOP_STATES).items() if int(v)}
    return bool(r.exists(keys.LOOP_BUILT)) and have == {k: v for k, v in want.items() if v}


def queue_read(pipe: Any, now_ms: int, scope: str | None = None) -> None:
    """Queue the tick's reads of the layer (the city's, or one district's): 4 answers for `parse`."""
    pipe.hgetall(_k(keys.LOOP_STATES, scope))
    pipe.zcount(_k(keys.LOOP_DUE, scope), "-inf", f"({now_ms}")
    pipe.zcount(_k(keys.LOOP_CLOSED, scope), now_ms - 86_400_000, "+inf")
    pipe.zcount(_k(keys.LOOP_LATE, scope), now_ms - 86_400_000, "+inf")


def parse(answers: list[Any]) -> dict[str, Any]:
    """The loop today: open cases by step, overdue ones, closings in the last 24 h and the on-time share."""
    states, overdue, closed, late = answers
    n = {s: max(0, int(states.get(s, 0))) for s in cf.STATES}
    return {"reported": n[cf.REPORTED], "registered": n[cf.REGISTERED],
            "dispatched": n[cf.DISPATCHED] + n[cf.ACCEPTED], "handled": n[cf.HANDLED],
            "open": sum(n[s] for s in cf.OPEN_STATES), "overdue": int(overdue), "closed_24h": int(closed),
            "on_time_rate": None if not closed else round(100.0 * (int(closed) - int(late)) / int(closed), 1)}
