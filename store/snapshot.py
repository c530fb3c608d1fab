"""One pipeline per tick: everything a view needs, read at once and returned as plain dicts."""

from __future__ import annotations

import json
from typing import Any

import redis

from store import alerts as store_alerts
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
    store_alerts.queue_read_active(pipe)
    res = pipe.execute()
    out: dict[str, Any] = {}
    for i, feed in enumerate(POINT_FEEDS):
        out[feed] = {eid: json.loads(doc) for eid, doc in res[i].items()}
    base = len(POINT_FEEDS)
    out["health"] = {feed: res[base + i] for i, feed in enumerate(ALL_FEEDS)}
    n_open, n_overdue, n_closed, n_late = res[base + len(ALL_FEEDS):-1]
    out["alerts"] = store_alerts.parse_active(res[-1])
    out["service"] = {"open": n_open, "overdue": n_overdue, "closed_24h": n_closed, "late_24h": n_late}
    return out


def ping(r: redis.Redis) -> bool:
    """True when the server answers; used by the wall's connection indicator."""
    try:
        return bool(r.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


# Open cases with their documents in one round trip: the ids come from the due-time index.
_OPEN_CASES_LUA = """
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for i = 1, #ids, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #ids) do chunk[#chunk + 1] = ids[j] end
  for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(chunk))) do out[#out + 1] = v end
end
return out
"""


def read_open_cases(r: redis.Redis) -> list[dict[str, Any]]:
    """Documents of every open case (hundreds to a few thousand), for the case layer and district counts."""
    docs = r.eval(_OPEN_CASES_LUA, 2, keys.open_due(), keys.latest("service"))
    return [json.loads(d) for d in docs if d]


def read_entity(r: redis.Redis, feed: str, entity_id: str) -> dict[str, Any] | None:
    """The latest stored document of one entity (for a popup or side panel)."""
    doc = r.hget(keys.latest(feed), entity_id)
    return json.loads(doc) if doc else None


def read_furniture_status(r: redis.Redis) -> dict[str, str]:
    """Entity id -> reported status of the city components that reported one (damaged/missing/normal)."""
    out: dict[str, str] = {}
    for eid, doc in r.hgetall(keys.latest("furniture")).items():
        out[eid] = json.loads(doc)["v"].get("status", "normal")
    return out
