"""The closed loop's live layer in Redis: the counts the screens read each tick (cases per state, open cases by due
time, closings of the last days), for the city and per district, so a tick costs a few counts whatever the number
of cases.

The case records (store.casebook, SQL) are the truth. Every recorded change is applied here after its commit
(`apply`, given the row as committed): the layer keeps what it counted of each live case (`LOOP_CASES`: state,
district, due time, version), takes that away and counts the new row, in one WATCHed transaction, and ignores a
change older than what it holds, so two processes acting on one case, in either order, leave the right counts.
While the layer is not built (a new or flushed Redis) changes are not applied at all. `reconcile` compares the
layer with the records (per state and district, open cases with a due time) and makes it again when they differ
(`rebuild`, WATCHed too: a change applied while it reads the records makes it read them again); the app runs it
when it opens the records and every minute after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis

from core import case_flow as cf
from store import keys

KEEP_CLOSED_MS = 8 * 86_400_000  # closings kept for the 24 h and 7-day figures
NEW_URGENT_MS = 30 * 60_000  # an urgent case flashes on the wall this long after it was dispatched
LOCK_MS = 60_000
RETRIES = 20


def _districts(*adcodes: str | None) -> list[str | None]:
    """The city (None) and the district of a case, if it has one."""
    return [None, *(a for a in adcodes if a)]


def _k(base: str, adcode: str | None) -> str:
    return base if adcode is None else keys.district_key(base, adcode)


def entry(rec: dict[str, Any]) -> str:
    """What the layer counted of a case."""
    return json.dumps([rec["state"], rec.get("district"), rec.get("due_ms"), rec.get("closed_ms"),
                       int(rec.get("version") or 0)])


def _unentry(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    state, district, due, closed, version = json.loads(text)
    return {"state": state, "district": district, "due_ms": due, "closed_ms": closed, "version": version}


def _queue(pipe: Any, cid: str, old: dict[str, Any] | None, new: dict[str, Any], count: bool = True) -> None:
    """Queue the layer's changes for case `cid` going from what it counted (`old`, None: nothing) to `new`;
    `count`: the per-state counts too."""
    if old is not None:
        for ad in _districts(old.get("district")):
            if count:
                pipe.hincrby(_k(keys.LOOP_STATES, ad), old["state"], -1)
            pipe.zrem(_k(keys.LOOP_DUE, ad), cid)
            pipe.zrem(_k(keys.LOOP_URGENT, ad), cid)
    for ad in _districts(new.get("district")):
        if count:
            pipe.hincrby(_k(keys.LOOP_STATES, ad), new["state"], 1)
        if new["state"] in cf.OPEN_STATES and new.get("due_ms") is not None:
            pipe.zadd(_k(keys.LOOP_DUE, ad), {cid: int(new["due_ms"])})
        if new.get("urgent") and new["state"] in cf.OPEN_STATES and new.get("dispatched_ms") is not None:
            pipe.zadd(_k(keys.LOOP_URGENT, ad), {cid: int(new["dispatched_ms"])})
        if new["state"] == cf.CLOSED and new.get("closed_ms") is not None:
            pipe.zadd(_k(keys.LOOP_CLOSED, ad), {cid: int(new["closed_ms"])})
            if new.get("due_ms") is not None and new["closed_ms"] > new["due_ms"]:
                pipe.zadd(_k(keys.LOOP_LATE, ad), {cid: int(new["closed_ms"])})
    pipe.hset(keys.LOOP_CASES, cid, entry(new))
    if new["state"] in cf.FINAL_STATES:  # its entry is kept while a late change could still arrive
        pipe.zadd(keys.LOOP_FINAL, {cid: int(new.get("updated_ms") or new.get("closed_ms") or 0)})


def apply(r: redis.Redis, new: dict[str, Any], now_ms: int) -> bool:
    """One committed change of a case (its row as committed), applied to the layer; False when it changed nothing
    (the layer holds the same or a newer version of the case, or it is not built)."""
    cid = new["id"]
    with r.pipeline(transaction=True) as pipe:
        for _ in range(RETRIES):
            try:
                pipe.watch(keys.LOOP_CASES, keys.LOOP_BUILT, keys.LOOP_FINAL)
                if not pipe.exists(keys.LOOP_BUILT):
                    return False  # a new or flushed Redis: the next reconcile makes the layer from the records
                old = _unentry(pipe.hget(keys.LOOP_CASES, cid))
                if old is not None and old["version"] >= int(new.get("version") or 0):
                    return False
                gone = pipe.zrangebyscore(keys.LOOP_FINAL, "-inf", now_ms - KEEP_CLOSED_MS, start=0, num=100)
                pipe.multi()
                if gone:  # entries of cases final for longer than the kept days
                    pipe.hdel(keys.LOOP_CASES, *gone)
                    pipe.zrem(keys.LOOP_FINAL, *gone)
                _queue(pipe, cid, old, new)
                for ad in _districts(new.get("district")):
                    for base in (keys.LOOP_CLOSED, keys.LOOP_LATE):
                        pipe.zremrangebyscore(_k(base, ad), "-inf", now_ms - KEEP_CLOSED_MS)
                pipe.execute()
                return True
            except redis.WatchError:
                continue
    raise redis.WatchError(f"case {cid}: the live layer kept changing")


def rebuild(r: redis.Redis, book: Any, districts: Iterable[str], now_ms: int) -> bool:
    """Make the layer again from the records (`book`: store.casebook.Casebook); False when another process is doing
    it now. The old layer is replaced in one transaction; a change applied meanwhile makes it read again."""
    token = str(now_ms)
    lock = keys.LOOP_BUILT + ":lock"
    if not r.set(lock, token, nx=True, px=LOCK_MS):
        return False
    try:
        with r.pipeline(transaction=True) as pipe:
            for _ in range(RETRIES):
                try:
                    pipe.watch(keys.LOOP_CASES)
                    counts = book.state_counts()
                    live = book.live(now_ms - KEEP_CLOSED_MS)
                    pipe.multi()
                    for ad in {None, *districts, *(d for d, _, _ in counts if d), *(x["district"] for x in live)}:
                        pipe.delete(*(_k(base, ad) for base in (keys.LOOP_STATES, keys.LOOP_DUE, keys.LOOP_CLOSED,
                                                                keys.LOOP_LATE, keys.LOOP_URGENT)))
                    pipe.delete(keys.LOOP_CASES, keys.LOOP_FINAL)
                    for district, state, n in counts:
                        for ad in _districts(district):
                            pipe.hincrby(_k(keys.LOOP_STATES, ad), state, int(n))
                    for rec in live:
                        _queue(pipe, rec["id"], None, rec, count=False)
                    pipe.set(keys.LOOP_BUILT, token)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        return False
    finally:
        if r.get(lock) == token:
            r.delete(lock)


def in_step(r: redis.Redis, book: Any) -> bool:
    """Whether the layer is built and holds the records' counts: per state, city and each district, the open cases
    with a due time and the open urgent ones."""
    if not r.exists(keys.LOOP_BUILT):
        return False
    want: dict[str | None, dict[str, int]] = {}
    for district, state, n in book.state_counts():
        for ad in _districts(district):
            want.setdefault(ad, {})[state] = want.setdefault(ad, {}).get(state, 0) + int(n)
    due, urgent = dict(book.due_counts()), dict(book.due_counts(urgent=True))
    pipe = r.pipeline(transaction=False)
    places = sorted({None, *want, *due, *urgent}, key=lambda x: x or "")
    for ad in places:
        pipe.hgetall(_k(keys.LOOP_STATES, ad))
        pipe.zcard(_k(keys.LOOP_DUE, ad))
        pipe.zcard(_k(keys.LOOP_URGENT, ad))
    got = pipe.execute()
    for i, ad in enumerate(places):
        have = {k: int(v) for k, v in got[3 * i].items() if int(v)}
        if have != {k: v for k, v in want.get(ad, {}).items() if v} or got[3 * i + 1] != due.get(ad, 0) \
                or got[3 * i + 2] != urgent.get(ad, 0):
            return False
    return True


def reconcile(r: redis.Redis, book: Any, districts: Iterable[str], now_ms: int) -> bool:
    """Make the layer again when it is not the records'; True when it did."""
    return not in_step(r, book) and rebuild(r, book, districts, now_ms)


def queue_read(pipe: Any, now_ms: int, scope: str | None = None) -> None:
    """Queue the tick's reads of the layer (the city's, or one district's): ANSWERS answers for `parse`."""
    pipe.hgetall(_k(keys.LOOP_STATES, scope))
    pipe.zcount(_k(keys.LOOP_DUE, scope), "-inf", f"({now_ms}")
    pipe.zcount(_k(keys.LOOP_CLOSED, scope), now_ms - 86_400_000, "+inf")
    pipe.zcount(_k(keys.LOOP_LATE, scope), now_ms - 86_400_000, "+inf")
    pipe.zcard(_k(keys.LOOP_URGENT, scope))
    pipe.zcount(_k(keys.LOOP_URGENT, scope), now_ms - NEW_URGENT_MS, "+inf")
    pipe.exists(keys.LOOP_BUILT)


ANSWERS = 7


def parse(answers: list[Any]) -> dict[str, Any]:
    """The loop today: open cases by step, overdue ones, closings in the last 24 h and the on-time share, open
    urgent cases and those that became urgent in the last NEW_URGENT_MS (what the wall flashes); `counted` is False
    while the layer has not been made from the records (a new or flushed store): its zeros then mean nothing."""
    states, overdue, closed, late, urgent, urgent_new, built = answers
    n = {s: max(0, int(states.get(s, 0))) for s in cf.STATES}
    return {"reported": n[cf.REPORTED], "registered": n[cf.REGISTERED],
            "dispatched": n[cf.DISPATCHED] + n[cf.ACCEPTED], "handled": n[cf.HANDLED],
            "open": sum(n[s] for s in cf.OPEN_STATES), "overdue": int(overdue), "closed_24h": int(closed),
            "on_time_rate": None if not closed else round(100.0 * (int(closed) - int(late)) / int(closed), 1),
            "urgent": int(urgent), "urgent_new": int(urgent_new), "counted": bool(built)}
