"""One pipeline per tick: everything a view needs, read at once and returned as plain dicts."""

from __future__ import annotations

import json
from typing import Any

import redis

from store import keys

POINT_FEEDS = ("air", "traffic", "water")
ALL_FEEDS = ("air", "traffic", "service", "water")
DAY_MS = 24 * 3600 * 1000


def read(r: redis.Redis, now_ms: int) -> dict[str, Any]:
    """Latest values of the point feeds, every feed's health and the case counts, in one round trip."""
    pipe = r.pipeline(transaction=False)
    for feed in POINT_FEEDS:
        pipe.hgetall(keys.latest(feed))
    for feed in ALL_FEEDS:
        pipe.hgetall(keys.health(feed))
    pipe.zcard(keys.open_due())
    pipe.zcount(keys.open_due(), "-inf", now_ms)
    pipe.zcount(keys.closed(), now_ms - DAY_MS, "+inf")
    pipe.zcount(keys.closed_late(), now_ms - DAY_MS, "+inf")
    res = pipe.execute()
    out: dict[str, Any] = {}
    for i, feed in enumerate(POINT_FEEDS):
        out[feed] = {eid: json.loads(doc) for eid, doc in res[i].items()}
    base = len(POINT_FEEDS)
    out["health"] = {feed: res[base + i] for i, feed in enumerate(ALL_FEEDS)}
    n_open, n_overdue, n_closed, n_late = res[base + len(ALL_FEEDS):]
    out["service"] = {"open": n_open, "overdue": n_overdue, "closed_24h": n_closed, "late_24h": n_late}
    return out


def ping(r: redis.Redis) -> bool:
    """True when the server answers; used by the wall's connection indicator."""
    try:
        return bool(r.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
