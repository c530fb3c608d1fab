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
- expiry does the trimming: each hour's key expires 8 days after the hour ends (no trim command per write, and the
  history of an entity that went silent goes away by itself).
Cost for Guangzhou (12 stations, 90 road segments, 13 water sections): 8 d x 1440 x 115 x ~55 B = ~75 MB at most.
Values outside FIELDS are not kept (the stream has every reading in full); floats are rounded to 3 decimals.
No per-entity history for furniture (548k components; their status changes are in the stream) nor for service (a case
is a one-shot entity; its life is in the stream and the open/closed indexes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from store import keys

FEEDS = ("air", "traffic", "water")
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
KEEP_MS = 8 * 24 * HOUR_MS
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


def oldest(r: redis.Redis, wanted: Mapping[str, Iterable[str]], now_ms: int) -> int | None:
    """The earliest minute within the retention that any of these entities has a sample for (None: no history)."""
    order = [(feed, eid) for feed, ids in wanted.items() for eid in ids]
    if not order:
        return None
    spans = list(hours(now_ms - KEEP_MS, now_ms))
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
