"""Per-entity history: one sample per entity per minute, written by the writer's Lua, read here in one pipeline.

Layout: one sorted set per entity and hour, `os:{feed}:h:<entity>:<hour ms>`; score = the sample's minute (ms);
member = a compact JSON array `[ms into the hour, <FIELDS[feed]>...]` (the offset keeps members unique per minute and
tells the Lua which reading of a minute is newer). The {feed} hash tag keeps it in the feed's slot. Why:
- a sorted set, not a stream: "the latest reading of each minute" is a replace (ZREMRANGEBYSCORE m m + ZADD), which a
  stream cannot do (its ids only grow); a range is ZRANGEBYSCORE, "as of T" is ZREVRANGEBYSCORE T -inf LIMIT 0 1;
- per minute: the size is bounded by time, not by the feed's rate (a 2 s simulator and an hourly real feed cost the
  same): at most 60 samples an hour, 11,520 in 8 days;
- per hour, with arrays of fixed fields: a set of <= 60 members of <= 64 bytes stays in Redis' compact listpack
  encoding (zset-max-listpack-entries 128 / -value 64); one set per entity, or keyed JSON members, turn it into a
  skiplist. Measured with redis 7.0, 200 stations x 150 minutes (tests/integration/test_history_store.py prints it):
  keyed JSON in one set per entity ~290 bytes per sample; arrays in hourly sets ~55;
- expiry does the trimming: each hour's key expires `history_days` (config/feeds.yaml, per feed; default 8) after the
  hour ends (no trim command per write, and the history of an entity that went silent goes away by itself);
- downsampled with age: a sample a minute for the last FINE_MS (24 h), then the newest sample of each COARSE_MS
  (10 min): once an hour the feed runner thins the hour that has just turned a day old (`compact`, one Lua call per
  entity and hour), so a day of an entity's older history is 144 samples, not 1,440. Replay of a coarse moment
  allows for it (`stale_allowance_ms`).
Memory per 1,000 entities and day (`python -m bench.history_bench`, part of `make bench`): at a sample a minute, air
127 MB, traffic 49 MB, water 119 MB; thinned, 15, 7 and 12 MB. Eight days of the demo city (115 entities): 14 MB
(60 MB unthinned); of a Guangzhou-sized one (1,500 stations, 10,000 segments, 1,300 sections): 1.6 GB (6.7 GB).
Values outside FIELDS are not kept (the stream has every reading in full); floats are rounded to 3 decimals.
No per-entity history for furniture (548k components; their status changes are in the stream) nor for service (a case
is a one-shot entity; its life is in the stream and the open/closed indexes).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from config.settings import load_feeds
from store import keys, lua

FEEDS = ("air", "traffic", "water")
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
KEEP_MS = 8 * 24 * HOUR_MS  # the default retention (history_days: 8)
FINE_MS = 24 * HOUR_MS  # a sample a minute this long, then:
COARSE_MS = 10 * MINUTE_MS  # the newest sample of each 10 minutes
AS_OF_HOURS = 3  # "as of T" looks back this many hourly keys: an older sample is stale anyway (hourly feeds fit)
FIELDS: dict[str, tuple[str, ...]] = {  # derived level fields first, then raw values; append only (old samples)
    "air": ("aqi", "level", "so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h", "o3_8h", "pm10_24h",
            "pm25_24h"),
    "traffic": ("level", "speed_kmh", "free_flow_kmh"),
    "water": ("klass", "do", "codmn", "nh3n", "tp", "ph", "transparency_cm", "orp_mv", "temp_c", "cod", "bod5", "tn"),
}
_DERIVED = {"aqi", "level", "klass"}
_SPLIT = {feed: (tuple(k for k in f if k in _DERIVED), tuple(k for k in f if k not in _DERIVED))
          for feed, f in FIELDS.items()}

Point = dict[str, Any]
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # as the writer encodes samples


def sample(feed: str, ts: int, values: Mapping[str, Any], derived: Mapping[str, Any]) -> list[Any]:
    """The stored member for a reading: [ms into the hour, FIELDS...], trailing missing fields left off.

    Numbers only (floats rounded to 3 decimals, so a converted 52.380000000000004 stays short), levels as int or str.
    Written for speed: it runs for every reading the writer stores.
    """
    dkeys, vkeys = _SPLIT[feed]
    row: list[Any] = [ts % HOUR_MS]
    for k in dkeys:
        v = derived.get(k)
        row.append(v if type(v) is int or type(v) is str else None)
    for k in vkeys:
        v = values.get(k)
        t = type(v)
        row.append(v if t is int else round(v, 3) if t is float and v - v == 0 else None)
    while row[-1] is None:
        row.pop()
    return row


def batch(feed: str, rows: Sequence[tuple[Any, Mapping[str, Any]]], encode: Any) -> tuple[list[str], list[str]]:
    """Per row of a write: its encoded sample ('' when a newer reading of the same entity and minute is in the batch,
    so only one sample a minute is encoded) and its history key (entity and hour), as the writer's Lua expects."""
    best: dict[tuple[str, int], int] = {}
    for i, (rd, _) in enumerate(rows):
        k = (rd.entity_id, rd.ts // MINUTE_MS)
        j = best.get(k)
        if j is None or rd.ts > rows[j][0].ts:  # strictly newer: of equal readings the first is the one Lua keeps
            best[k] = i
    keep = set(best.values())
    samples = [encode(sample(feed, rd.ts, rd.values, d)) if i in keep else "" for i, (rd, d) in enumerate(rows)]
    return samples, [keys.history(feed, rd.entity_id, rd.ts - rd.ts % HOUR_MS) for rd, _ in rows]


def put(r: redis.Redis, feed: str, rows: Iterable[tuple[str, int, Mapping[str, Any], Mapping[str, Any]]], now_ms: int,
        chunk: int = 5_000) -> int:
    """Write past samples (entity id, ts, values, derived) straight into the hourly sets, each hour's key expiring as
    the writer's would (`keep` after the hour ends, counted from now_ms); for minutes before an entity's history
    starts (the simulator's first-start back-fill), where there is no sample to replace. Older than the feed's
    retention is left out. Returns samples written."""
    keep, n, dated = keep_ms(feed), 0, set()
    pipe = r.pipeline(transaction=False)
    for eid, ts, values, derived in rows:
        if ts < now_ms - keep:
            continue
        hour = ts - ts % HOUR_MS
        key = keys.history(feed, eid, hour)
        pipe.zadd(key, {_ENCODE(sample(feed, ts, values, derived)): minute_of(ts)})
        if key not in dated:
            pipe.pexpire(key, hour + HOUR_MS + keep - int(now_ms))  # relative, as the writer's: the store's clock
            # may not be ours
            dated.add(key)
        n += 1
        if n % chunk == 0:
            pipe.execute()
    pipe.execute()
    return n


def minute_of(ms: int) -> int:
    """The start of the minute a moment falls in (epoch ms)."""
    return int(ms) - int(ms) % MINUTE_MS


def hours(since_ms: int, until_ms: int) -> range:
    """Start of every hour that [since, until] touches."""
    first = int(since_ms) - int(since_ms) % HOUR_MS
    return range(first, int(until_ms) + 1, HOUR_MS)


def _parse(feed: str, member: str, minute: float) -> Point | None:
    """A stored member -> {'t': reading ms, 'm': minute ms, field: value...}; None for a damaged member."""
    try:
        row = json.loads(member)
        minute = int(minute)
        out: Point = {"t": minute - minute % HOUR_MS + int(row[0]), "m": minute}
    except (ValueError, TypeError, IndexError):
        return None
    for k, v in zip(FIELDS[feed], row[1:], strict=False):
        if v is not None:
            out[k] = v
    return out


def read_series(r: redis.Redis, feed: str, ids: Sequence[str], since_ms: int, until_ms: int) -> dict[str, list[Point]]:
    """Samples of each entity whose minute lies in [minute of since, until], oldest first, read in one pipeline."""
    series, _ = read_panel(r, feed, ids, since_ms, until_ms, ())
    return {eid: series.get(eid, []) for eid in ids}


def as_of(r: redis.Redis, wanted: Mapping[str, Iterable[str]], at_ms: int) -> dict[str, dict[str, Point | None]]:
    """Each entity's latest sample at or before the minute of `at` (feed -> id -> sample or None), one pipeline."""
    at = minute_of(at_ms)
    order = [(feed, eid) for feed, ids in wanted.items() for eid in ids]
    back = [at - at % HOUR_MS - k * HOUR_MS for k in range(AS_OF_HOURS)]
    pipe = r.pipeline(transaction=False)
    for feed, eid in order:
        for hour in back:
            pipe.zrevrangebyscore(keys.history(feed, eid, hour), at, "-inf", start=0, num=1, withscores=True)
    res = pipe.execute()
    out: dict[str, dict[str, Point | None]] = {feed: {} for feed in wanted}
    for i, (feed, eid) in enumerate(order):
        found = next((m[0] for m in res[i * len(back):(i + 1) * len(back)] if m), None)
        out[feed][eid] = None if found is None else _parse(feed, *found)
    return out


def keep_days(feeds_cfg: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Each history feed's retention in days from config/feeds.yaml `history_days` (default 8); a value that is not a
    number from 2 (more than the per-minute day) to 366 is a ValueError naming the feed, at start-up."""
    out: dict[str, float] = {}
    for feed in FEEDS:
        days = (feeds_cfg.get(feed) or {}).get("history_days", KEEP_MS / (24 * HOUR_MS))
        if isinstance(days, bool) or not isinstance(days, int | float) or not 2 <= days <= 366:
            raise ValueError(f"feeds.{feed}.history_days must be a number of days from 2 to 366, got {days!r}")
        out[feed] = float(days)
    return out


@functools.cache
def _keep() -> dict[str, int]:
    return {feed: int(days * 24 * HOUR_MS) for feed, days in keep_days(load_feeds()).items()}


def keep_ms(feed: str) -> int:
    """How long this feed's history is kept (ms)."""
    return _keep().get(feed, KEEP_MS)


def max_keep_ms() -> int:
    """The longest history any feed keeps (how far back a replay may go)."""
    return max(_keep().values(), default=KEEP_MS)


def stale_allowance_ms(at_ms: int, now_ms: int) -> int:
    """How much older than a moment its sample may be because of the downsampling (0 within the per-minute day)."""
    return COARSE_MS if at_ms < now_ms - FINE_MS else 0


_COMPACT_LUA = lua.source("history_compact")


def compact(r: redis.Redis, feed: str, ids: Sequence[str], hour_ms: int, chunk: int = 1000) -> int:
    """Thin one hour of these entities' history to the newest sample of each COARSE_MS; returns samples removed."""
    script = r.register_script(_COMPACT_LUA)
    removed = 0
    for at in range(0, len(ids), chunk):
        pipe = r.pipeline(transaction=False)
        for eid in ids[at:at + chunk]:
            script(keys=[keys.history(feed, eid, hour_ms)], args=[COARSE_MS], client=pipe)
        removed += sum(int(n) for n in pipe.execute())
    return removed


def compact_due(r: redis.Redis, now_ms: int, max_hours: int = 6) -> int:
    """Compact, per feed, the hours that have turned FINE_MS old since the last call (at most `max_hours` a call,
    oldest first; a store that never ran it starts at the retention's edge); the last hour done is kept in
    keys.history_compacted. Returns samples removed."""
    removed = 0
    last_due = now_ms - FINE_MS - HOUR_MS  # the newest hour that ends at least FINE_MS ago
    last_due -= last_due % HOUR_MS
    for feed in FEEDS:
        done = r.get(keys.history_compacted(feed))
        edge = now_ms - keep_ms(feed) - (now_ms - keep_ms(feed)) % HOUR_MS  # older hours have expired
        start = max(int(done) + HOUR_MS, edge) if done else edge
        hours_ = list(range(start, last_due + 1, HOUR_MS))[:max_hours]
        if not hours_:
            continue
        ids = list(r.hkeys(keys.latest(feed)))
        for hour in hours_:
            removed += compact(r, feed, ids, hour)
            r.set(keys.history_compacted(feed), hour)
    return removed


def oldest(r: redis.Redis, wanted: Mapping[str, Iterable[str]], now_ms: int) -> int | None:
    """The earliest minute within the retention that any of these entities has a sample for (None: no history)."""
    order = [(feed, eid) for feed, ids in wanted.items() for eid in ids]
    if not order:
        return None
    spans = list(hours(now_ms - max(keep_ms(feed) for feed in wanted), now_ms))
    pipe = r.pipeline(transaction=False)
    for hour in spans:  # hour by hour, oldest first, every entity: the first non-empty hour answers
        for feed, eid in order:
            pipe.zrange(keys.history(feed, eid, hour), 0, 0, withscores=True)
    firsts = [int(res[0][1]) for res in pipe.execute() if res]
    return min(firsts) if firsts else None


def read_panel(r: redis.Redis, feed: str | None, ids: Sequence[str], since_ms: int, until_ms: int,
               doc_keys: Sequence[str]) -> tuple[dict[str, list[Point]], dict[str, dict[str, Any] | None]]:
    """A side panel's reads in one round trip: the chart's samples and the latest documents ('feed:id' -> doc)."""
    lo, hi = minute_of(since_ms), int(until_ms)
    spans = list(hours(lo, hi)) if feed and hi >= lo else []
    if not (spans and ids) and not doc_keys:
        return {eid: [] for eid in ids}, {}
    pipe = r.pipeline(transaction=False)
    for eid in ids if spans else []:
        for hour in spans:
            pipe.zrangebyscore(keys.history(feed, eid, hour), lo, hi, withscores=True)  # type: ignore[arg-type]
    refs = [k.split(":", 1) for k in doc_keys]
    for f, eid in refs:
        pipe.hget(keys.latest(f), eid)
    res = pipe.execute()
    series: dict[str, list[Point]] = {}
    n = len(spans)
    for i, eid in enumerate(ids if spans else []):
        series[eid] = [p for chunk in res[i * n:(i + 1) * n] for m, score in chunk
                       if (p := _parse(str(feed), m, score)) is not None]
    docs_raw = res[len(res) - len(refs):]
    docs = {f"{f}:{eid}": (json.loads(d) if d else None) for (f, eid), d in zip(refs, docs_raw, strict=True)}
    return series, docs
