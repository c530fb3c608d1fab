"""Batched writes: one pipeline per batch: stream append, newer-wins latest, health, a published event."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from core.readings import FEEDS, RAW_MAX_CHARS, Reading, Rejection, safe_text
from store import history, keys, scope
from store import monitored as monitored_store

# Idempotent append + newer wins per entity: a (ts, entity) already in the feed's `seen` set changes nothing (no
# second stream entry, no latest/index update), so a client or a retried pipeline may re-send a batch safely.
# Reads (ZMSCORE, HMGET) and latest-hash writes are batched; only XADD (and the service case indexes) run per
# reading. ARGV: now, closed-case keep ms, stream maxlen, seen keep, stride (3: id ts doc; 4: + history sample;
# 6: + kind arg district), history keep ms, rows. With stride 4, KEYS[7 + j] is row j's history key (entity and hour);
# with stride 6, KEYS[8] is the case -> district hash (store.scope.case_districts).
# History (store/history.py says why an hourly sorted set): only the newest reading of each entity and minute in a
# batch carries a sample (store.history.batch sends '' for the others; if that newest one was seen before, the minute
# already has a sample at least as new). Newer than the entity's latest before the batch, a sample replaces the
# minute's blindly (no stored sample is newer than that latest; if the latest is from an earlier minute there is
# nothing to replace, and a new hour's key gets its expiry: `keep` after the hour ends, counted from the writer's
# `now`); older (a late reading), only if the stored 't' (the member's first number: ms into the hour) is older.
# Samples outside [now - keep, now + 1 h] are not kept.
# Service cases also maintain the open/closed indexes the screens count with ZCOUNT. A 'gone' row (a city component
# back to normal) removes the entity from latest but keeps its ts, so latest holds only what needs attention and an
# older re-sent fault cannot come back. Each case index also has a per-district copy (KEYS[3..5] .. ':' .. adcode, the
# same {service} slot) so a district-scoped screen counts its cases with ZCOUNT too; KEYS[8] remembers which district
# a case is filed under, so a case that changes district or ages out leaves the old district's sets.
# Needs Redis >= 6.2 (ZMSCORE).
_UPSERT_LUA = """
local now, keep, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local seen_keep, stride, hkeep, first = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), 7
local n = math.floor((#ARGV - first + 1) / stride)
local function each_chunk(list, step, fn)
  for s = 1, #list, step do fn(unpack(list, s, math.min(s + step - 1, #list))) end
end
local members, ids = {}, {}
for j = 1, n do
  local i = first + (j - 1) * stride
  members[j], ids[j] = ARGV[i + 1] .. ':' .. ARGV[i], ARGV[i]
end
local seen, stored = {}, {}
each_chunk(members, 500, function(...)
  for _, v in ipairs(redis.call('ZMSCORE', KEYS[7], ...)) do seen[#seen + 1] = v end
end)
each_chunk(ids, 500, function(...)
  for _, v in ipairs(redis.call('HMGET', KEYS[2], ...)) do stored[#stored + 1] = v end
end)
local function index_case(o, c, l, id, kind, arg)
  if kind == 'open' then
    redis.call('ZADD', o, arg == '' and '+inf' or arg, id)
    redis.call('ZREM', c, id)
    redis.call('ZREM', l, id)
  else
    local sep = string.find(arg, ':', 1, true)
    local closed_ms, late = string.sub(arg, 1, sep - 1), string.sub(arg, sep + 1)
    redis.call('ZREM', o, id)
    redis.call('ZADD', c, closed_ms, id)
    if late == '1' then redis.call('ZADD', l, closed_ms, id) else redis.call('ZREM', l, id) end
  end
end
local function unfile(id, ad)
  redis.call('ZREM', KEYS[3] .. ':' .. ad, id)
  redis.call('ZREM', KEYS[4] .. ':' .. ad, id)
  redis.call('ZREM', KEYS[5] .. ':' .. ad, id)
end
local applied, added, fresh, cur, docs, tss, order = 0, 0, {}, {}, {}, {}, {}
local hfloor, hceil = now - hkeep, now + 3600000
local function sample(hk, minute, ts, prev, member)
  local hour = minute - minute % 3600000
  if prev and ts <= prev then
    local have = redis.call('ZRANGEBYSCORE', hk, minute, minute)
    local t = have[1] and tonumber(string.match(have[1], '^%[(%d+)'))
    if t and hour + t >= ts then return end
  end
  if not (prev and prev < minute) then redis.call('ZREMRANGEBYSCORE', hk, minute, minute) end
  redis.call('ZADD', hk, minute, member)
  if (not prev) or prev < hour or ts <= prev then redis.call('PEXPIRE', hk, hour + 3600000 + hkeep - now) end
end
for j = 1, n do
  local m = members[j]
  if (not seen[j]) and (not fresh[m]) then
    fresh[m] = true
    local i = first + (j - 1) * stride
    local id, tsr, doc = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    local ts = tonumber(tsr)
    added = added + 1
    order[#order + 1] = tsr
    order[#order + 1] = m
    redis.call('XADD', KEYS[6], 'MAXLEN', '~', maxlen, '*', 'e', id, 'ts', tsr, 'j', doc)
    if stride == 4 and ARGV[i + 3] ~= '' then
      local minute = ts - ts % 60000
      if minute >= hfloor and minute <= hceil then sample(KEYS[7 + j], minute, ts, tonumber(stored[j]), ARGV[i + 3]) end
    end
    local c = cur[id]
    if c == nil then c = stored[j] and tonumber(stored[j]) or false end
    if (not c) or c < ts then
      applied = applied + 1
      cur[id], docs[id], tss[id] = ts, doc, tsr
      if stride == 6 then
        local kind, arg, ad = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
        if kind == 'gone' then docs[id] = false end
        if kind == 'open' or kind == 'closed' then
          index_case(KEYS[3], KEYS[4], KEYS[5], id, kind, arg)
          local was = redis.call('HGET', KEYS[8], id)
          if was and was ~= ad then unfile(id, was) end
          if ad ~= '' then
            index_case(KEYS[3] .. ':' .. ad, KEYS[4] .. ':' .. ad, KEYS[5] .. ':' .. ad, id, kind, arg)
            if was ~= ad then redis.call('HSET', KEYS[8], id, ad) end
          elseif was then
            redis.call('HDEL', KEYS[8], id)
          end
        end
      end
    else
      cur[id] = c
    end
  end
end
local pairs_doc, pairs_ts = {}, {}
local gone = {}
for id, doc in pairs(docs) do
  if doc then
    pairs_doc[#pairs_doc + 1], pairs_doc[#pairs_doc + 2] = id, doc
  else
    gone[#gone + 1] = id
  end
  pairs_ts[#pairs_ts + 1], pairs_ts[#pairs_ts + 2] = id, tss[id]
end
each_chunk(pairs_doc, 1000, function(...) redis.call('HSET', KEYS[1], ...) end)
each_chunk(gone, 1000, function(...) redis.call('HDEL', KEYS[1], ...) end)
each_chunk(pairs_ts, 1000, function(...) redis.call('HSET', KEYS[2], ...) end)
each_chunk(order, 1000, function(...) redis.call('ZADD', KEYS[7], ...) end)
if seen_keep > 0 then
  local total = redis.call('ZCARD', KEYS[7])
  if total > seen_keep then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, total - seen_keep - 1) end
end
if keep > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - keep, 'LIMIT', 0, 1000)
  for _, id in ipairs(old) do
    local ad = redis.call('HGET', KEYS[8], id)
    if ad then
      unfile(id, ad)
      redis.call('HDEL', KEYS[8], id)
    end
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  end
end
return {applied, added}
"""

# One fixed-window counter step: add n, refuse (and take it back) when the window's total would pass the limit.
_WINDOW_LUA = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if v > tonumber(ARGV[3]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return {0, v - tonumber(ARGV[1])}
end
return {1, v}
"""

CLOSED_KEEP_MS = 25 * 3600 * 1000  # closed cases leave latest after the 24 h on-time window (history: the stream)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps(**kw) builds one per call
DEAD_LETTER_MAXLEN = 10_000
REPEAT_MS = 3_600_000  # the same rejection from the same writer is reported at most once an hour
_ADCODE = re.compile(r"[0-9]{6}")
# health counters and last reasons per kind of Rejection (the health panel shows them)
_HEALTH_OF_KIND = {"record": ("rejected", "last_rejected"), "value": ("rejected_values", "last_rejected"),
                   "flag": ("flagged", "last_flag")}


def record(reading: Reading, derived: dict[str, Any]) -> dict[str, Any]:
    """The JSON document stored for a reading: raw values, metadata and derived indicators side by side."""
    return {"id": reading.entity_id, "ts": reading.ts, "v": reading.values, "m": reading.meta, "d": derived}


def _index_args(feed: str, derived: dict[str, Any], values: dict[str, Any] | None = None,
                meta: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """Which index a reading updates (and the case's district for the per-district copies): service cases
    open/closed; a city component back to normal leaves latest."""
    if feed == "furniture":
        return ("gone", "", "") if str((values or {}).get("status", "")).lower() == "normal" else ("", "", "")
    if feed != "service":
        return "", "", ""
    district = scope.district_of({"v": values or {}, "m": meta or {}}) or ""
    district = district if _ADCODE.fullmatch(district) else ""  # only a real adcode names per-district keys
    if derived.get("status") == "closed":
        closed_ms = int(derived.get("closed_ms") or 0)
        return "closed", f"{closed_ms}:{1 if derived.get('late') else 0}", district
    due = derived.get("due_ms")
    return "open", "" if due is None else str(int(due)), district


class Writer:
    """Writes batches of derived readings for any feed; one round trip per batch, idempotent per (entity, ts)."""

    def __init__(self, r: redis.Redis, *, retention: int = 100_000, source: str = "unknown",
                 dedupe_keep: int | None = None) -> None:
        self.r = r
        self.retention = retention
        self.source = source
        self.dedupe_keep = max(1_000, retention) if dedupe_keep is None else dedupe_keep
        self._upsert = r.register_script(_UPSERT_LUA)
        self.last_added = 0  # new stream entries of the last write (re-sent readings do not count)
        self._reported: dict[tuple[str, str, str, str], int] = {}  # rejection -> when this writer last reported it

    def write(self, items: Sequence[tuple[Reading, dict[str, Any]]], now_ms: int, polled: Iterable[str] = (), *,
              latency_ms: float | None = None, rejected: Sequence[Rejection] = (),
              monitored: Mapping[str, Mapping[str, list[int]]] | None = None) -> int:
        """Store a batch (any feeds), its dead letters and flags, and what the air stations were seen to monitor;
        quiet `polled` feeds count as polled OK."""
        by_feed: dict[str, list[tuple[Reading, dict[str, Any]]]] = {}
        for reading, derived in items:
            by_feed.setdefault(reading.feed, []).append((reading, derived))
        quiet = [f for f in polled if f not in by_feed]
        self.last_added = 0
        if not by_feed and not quiet and not rejected and not monitored:
            return 0
        pipe = self.r.pipeline(transaction=False)
        upserts = []
        for feed, rows in by_feed.items():
            upserts.append(len(pipe))
            self._queue_feed(pipe, feed, rows, now_ms, latency_ms)
        for feed in quiet:
            pipe.hset(keys.health(feed), mapping=self._ok(now_ms, latency_ms))
        self._queue_rejections(pipe, rejected, now_ms)
        if monitored:
            monitored_store.queue_update(pipe, monitored)
        res = pipe.execute()
        self.last_added = sum(int(res[i][1]) for i in upserts)
        return len(items)

    def _queue_rejections(self, pipe: Any, rejected: Sequence[Rejection], now_ms: int) -> None:
        """Dead letters (with their kind) and, per feed, the health counters and last reason the panel shows.

        A poller re-reads the same rows every poll (an Open311 look-back, a station list): the same record with the
        same reason is dead-lettered and counted once per REPEAT_MS by this writer, so repeats never flush the
        dead letter of everything else.
        """
        last: dict[tuple[str, str], str] = {}
        counts: dict[tuple[str, str], int] = {}
        seen = self._reported
        if len(seen) > 50_000:
            for key in [k for k, ms in seen.items() if ms < now_ms - REPEAT_MS]:
                del seen[key]
        for rej in rejected:
            key = (rej.feed, rej.kind, rej.reason, rej.raw)
            if seen.get(key, -REPEAT_MS) > now_ms - REPEAT_MS:
                continue
            seen[key] = now_ms
            pipe.xadd(keys.REJECTED, {"feed": safe_text(rej.feed[:60]), "index": rej.index,
                                      "reason": safe_text(rej.reason[:500]),
                                      "raw": rej.raw[:RAW_MAX_CHARS], "ts": now_ms, "source": self.source,
                                      "kind": rej.kind},
                      maxlen=DEAD_LETTER_MAXLEN, approximate=True)
            count_field, last_field = _HEALTH_OF_KIND.get(rej.kind, _HEALTH_OF_KIND["record"])
            counts[(rej.feed, count_field)] = counts.get((rej.feed, count_field), 0) + 1
            last[(rej.feed, last_field)] = safe_text(rej.reason[:300])
        for (feed, field), n in counts.items():
            if feed in FEEDS:  # an unparseable record's feed may be a guess ('ngsi-ld'): no health hash for it
                pipe.hincrby(keys.health(feed), field, n)
        for (feed, field), reason in last.items():
            if feed in FEEDS:
                pipe.hset(keys.health(feed), mapping={field: reason, f"{field}_ms": now_ms})

    def _ok(self, now_ms: int, latency_ms: float | None) -> dict[str, Any]:
        """Health fields of a successful poll or push: clears the error streak."""
        out: dict[str, Any] = {"last_ok_ms": now_ms, "source": self.source, "last_error": "", "consecutive_errors": 0}
        if latency_ms is not None:
            out["last_latency_ms"] = round(float(latency_ms), 1)
        return out

    def _queue_feed(self, pipe: Any, feed: str, rows: Iterable[tuple[Reading, dict[str, Any]]], now_ms: int,
                    latency_ms: float | None = None) -> None:
        service = feed == "service"
        indexed = service or feed == "furniture"
        tracked = feed in history.FEEDS  # per-entity, per-minute history (store/history.py)
        stride = 6 if indexed else 4 if tracked else 3
        head = [now_ms, CLOSED_KEEP_MS if service else 0, self.retention, self.dedupe_keep, stride, history.KEEP_MS]
        args: list[Any] = list(head)
        newest = 0
        encode = _JSON.encode
        rows = list(rows)
        samples, hkeys = history.batch(feed, rows, encode) if tracked else ([], [])
        for i, (reading, derived) in enumerate(rows):
            if indexed:
                args += [reading.entity_id, reading.ts, encode(record(reading, derived)),
                         *_index_args(feed, derived, reading.values, reading.meta)]
            elif tracked:
                args += [reading.entity_id, reading.ts, encode(record(reading, derived)), samples[i]]
            else:
                args += [reading.entity_id, reading.ts, encode(record(reading, derived))]
            newest = max(newest, reading.ts)
        count = (len(args) - len(head)) // stride
        self._upsert(
            keys=[keys.latest(feed), keys.latest_ts(feed), keys.open_due(feed), keys.closed(feed),
                  keys.closed_late(feed), keys.readings(feed), keys.seen(feed),
                  *(hkeys if tracked else [scope.case_districts(feed)])],
            args=args, client=pipe,
        )
        pipe.hset(keys.health(feed), mapping={**self._ok(now_ms, latency_ms), "last_data_ms": newest})
        pipe.hincrby(keys.health(feed), "readings", count)
        pipe.publish(keys.EVENTS, json.dumps({"type": "feed", "feed": feed, "n": count, "ts": now_ms}))

    def mark_error(self, feed: str, error: str, now_ms: int, latency_ms: float | None = None) -> None:
        """Record a failed poll in the feed's health without touching its last good data (which then goes stale)."""
        fields: dict[str, Any] = {"last_error": error[:500], "last_error_ms": now_ms, "source": self.source}
        if latency_ms is not None:
            fields["last_latency_ms"] = round(float(latency_ms), 1)
        pipe = self.r.pipeline(transaction=False)
        pipe.hset(keys.health(feed), mapping=fields)
        pipe.hincrby(keys.health(feed), "error_count", 1)
        pipe.hincrby(keys.health(feed), "consecutive_errors", 1)
        pipe.execute()

    def record_latency(self, feeds: Iterable[str], latency_ms: float) -> None:
        """Store how long a source's last poll took (sources that time their own I/O report it here)."""
        pipe = self.r.pipeline(transaction=False)
        for feed in feeds:
            pipe.hset(keys.health(feed), "last_latency_ms", round(float(latency_ms), 1))
        pipe.execute()


def read_health(r: redis.Redis, feeds: Sequence[str]) -> dict[str, dict[str, str]]:
    """Every feed's health hash in one round trip (the fields this module writes), for status panels."""
    pipe = r.pipeline(transaction=False)
    for feed in feeds:
        pipe.hgetall(keys.health(feed))
    return dict(zip(feeds, pipe.execute(), strict=True))


def take_from_window(r: redis.Redis, key: str, n: int, limit: int, window_ms: int) -> tuple[bool, int]:
    """Fixed-window rate limit: (allowed, count in the window); a refused request does not use up the window."""
    allowed, count = r.eval(_WINDOW_LUA, 1, key, n, window_ms, limit)
    return bool(allowed), int(count)
