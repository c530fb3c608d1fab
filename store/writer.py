"""Batched writes: one pipeline per batch: stream append, newer-wins latest, health, a published event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import redis

from data_sources.base import Reading
from store import keys

# Newer wins per entity; service cases also maintain the open/closed indexes the screens count with ZCOUNT.
_UPSERT_LUA = """
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local applied = 0
for i = 3, #ARGV, 5 do
  local id, ts, doc, kind, arg = ARGV[i], tonumber(ARGV[i+1]), ARGV[i+2], ARGV[i+3], ARGV[i+4]
  local cur = redis.call('HGET', KEYS[2], id)
  if (not cur) or tonumber(cur) <= ts then
    applied = applied + 1
    redis.call('HSET', KEYS[1], id, doc)
    redis.call('HSET', KEYS[2], id, ts)
    if kind == 'open' then
      redis.call('ZADD', KEYS[3], arg == '' and '+inf' or arg, id)
      redis.call('ZREM', KEYS[4], id)
      redis.call('ZREM', KEYS[5], id)
    elseif kind == 'closed' then
      local sep = string.find(arg, ':', 1, true)
      local closed_ms, late = string.sub(arg, 1, sep - 1), string.sub(arg, sep + 1)
      redis.call('ZREM', KEYS[3], id)
      redis.call('ZADD', KEYS[4], closed_ms, id)
      if late == '1' then redis.call('ZADD', KEYS[5], closed_ms, id) else redis.call('ZREM', KEYS[5], id) end
    end
  end
end
if keep > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - keep, 'LIMIT', 0, 1000)
  for _, id in ipairs(old) do
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  end
end
return applied
"""

CLOSED_KEEP_MS = 7 * 24 * 3600 * 1000


def record(reading: Reading, derived: dict[str, Any]) -> dict[str, Any]:
    """The JSON document stored for a reading: raw values, metadata and derived indicators side by side."""
    return {"id": reading.entity_id, "ts": reading.ts, "v": reading.values, "m": reading.meta, "d": derived}


def _index_args(feed: str, derived: dict[str, Any]) -> tuple[str, str]:
    """Which case index a service reading updates; other feeds keep no index."""
    if feed != "service":
        return "", ""
    if derived.get("status") == "closed":
        closed_ms = int(derived.get("closed_ms") or 0)
        return "closed", f"{closed_ms}:{1 if derived.get('late') else 0}"
    due = derived.get("due_ms")
    return "open", "" if due is None else str(int(due))


class Writer:
    """Writes batches of derived readings for any feed; one round trip per batch."""

    def __init__(self, r: redis.Redis, *, retention: int = 100_000, source: str = "unknown") -> None:
        self.r = r
        self.retention = retention
        self.source = source
        self._upsert = r.register_script(_UPSERT_LUA)

    def write(self, items: Sequence[tuple[Reading, dict[str, Any]]], now_ms: int, polled: Iterable[str] = ()) -> int:
        """Store a batch (possibly of several feeds); `polled` feeds with nothing new still count as polled OK."""
        by_feed: dict[str, list[tuple[Reading, dict[str, Any]]]] = {}
        for reading, derived in items:
            by_feed.setdefault(reading.feed, []).append((reading, derived))
        quiet = [f for f in polled if f not in by_feed]
        if not by_feed and not quiet:
            return 0
        pipe = self.r.pipeline(transaction=False)
        for feed, rows in by_feed.items():
            self._queue_feed(pipe, feed, rows, now_ms)
        for feed in quiet:
            pipe.hset(keys.health(feed), mapping={"last_ok_ms": now_ms, "source": self.source, "last_error": ""})
        pipe.execute()
        return len(items)

    def _queue_feed(self, pipe: Any, feed: str, rows: Iterable[tuple[Reading, dict[str, Any]]], now_ms: int) -> None:
        args: list[Any] = [now_ms, CLOSED_KEEP_MS if feed == "service" else 0]
        newest = 0
        count = 0
        for reading, derived in rows:
            doc = json.dumps(record(reading, derived), ensure_ascii=False, separators=(",", ":"))
            pipe.xadd(keys.readings(feed), {"e": reading.entity_id, "ts": reading.ts, "j": doc},
                      maxlen=self.retention, approximate=True)
            kind, arg = _index_args(feed, derived)
            args += [reading.entity_id, reading.ts, doc, kind, arg]
            newest = max(newest, reading.ts)
            count += 1
        self._upsert(
            keys=[keys.latest(feed), keys.latest_ts(feed), keys.open_due(feed), keys.closed(feed),
                  keys.closed_late(feed)],
            args=args, client=pipe,
        )
        pipe.hset(keys.health(feed), mapping={"last_ok_ms": now_ms, "source": self.source, "last_error": ""})
        pipe.hset(keys.health(feed), "last_data_ms", newest)
        pipe.hincrby(keys.health(feed), "readings", count)
        pipe.publish(keys.EVENTS, json.dumps({"type": "feed", "feed": feed, "n": count, "ts": now_ms}))

    def mark_error(self, feed: str, error: str, now_ms: int) -> None:
        """Record a failed poll in the feed's health without touching its last good data."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hset(keys.health(feed), mapping={"last_error": error[:500], "last_error_ms": now_ms,
                                               "source": self.source})
        pipe.hincrby(keys.health(feed), "error_count", 1)
        pipe.execute()
