"""Batched writes: one pipeline per batch: stream append, newer-wins latest, health, a published event."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from core import case_points
from core.readings import FEEDS, RAW_MAX_CHARS, Reading, Rejection, safe_text
from store import history, keys, lua, scope
from store import monitored as monitored_store

_UPSERT_LUA = lua.source("upsert")  # store/lua/upsert.lua says what it does and why
_WINDOW_LUA = lua.source("window")

CLOSED_KEEP_MS = 25 * 3600 * 1000  # closed cases leave latest after the 24 h on-time window (history: the stream)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps(**kw) builds one per call
DEAD_LETTER_MAXLEN = 10_000
# Readings per Lua call: Redis runs one script at a time and answers nobody else meanwhile, so a city-sized batch
# (2,500 segments: 36 ms) is cut into calls of this many, queued in the same pipeline, between which the screens'
# reads are answered. Each call is whole (newer wins, idempotent, its own change-log number), so the cut changes
# nothing a reader can end up with.
CHUNK = 500
REPEAT_MS = 3_600_000  # the same rejection from the same writer is reported at most once an hour
_ADCODE = re.compile(r"[0-9]{6}")
# health counters and last reasons per kind of Rejection (the health panel shows them)
_HEALTH_OF_KIND = {"record": ("rejected", "last_rejected"), "value": ("rejected_values", "last_rejected"),
                   "flag": ("flagged", "last_flag")}


def record(reading: Reading, derived: dict[str, Any]) -> dict[str, Any]:
    """The JSON document stored for a reading: raw values, metadata and derived indicators side by side."""
    return {"id": reading.entity_id, "ts": reading.ts, "v": reading.values, "m": reading.meta, "d": derived}


def _index_args(feed: str, derived: dict[str, Any], values: dict[str, Any] | None = None,
                meta: dict[str, Any] | None = None) -> tuple[str, str, str, str]:
    """Which index a reading updates (and the case's district for the per-district copies, and an open case's entry
    for the case layer: core.case_points); service cases open/closed; a city component back to normal leaves
    latest."""
    if feed == "furniture":
        return ("gone", "", "", "") if str((values or {}).get("status", "")).lower() == "normal" else ("", "", "", "")
    if feed != "service":
        return "", "", "", ""
    district = scope.district_of({"v": values or {}, "m": meta or {}}) or ""
    district = district if _ADCODE.fullmatch(district) else ""  # only a real adcode names per-district keys
    if derived.get("status") == "closed":
        closed_ms = int(derived.get("closed_ms") or 0)
        return "closed", f"{closed_ms}:{1 if derived.get('late') else 0}", district, ""
    due = derived.get("due_ms")
    point = case_points.entry((values or {}).get("long"), (values or {}).get("lat"), due, district)
    return "open", "" if due is None else str(int(due)), district, point


class Writer:
    """Writes batches of derived readings for any feed; one round trip per batch, idempotent per (entity, ts)."""

    def __init__(self, r: redis.Redis, *, retention: int = 100_000, source: str = "unknown",
                 dedupe_keep: int | None = None, chunk: int = CHUNK) -> None:
        self.r = r
        self.chunk = max(1, chunk)
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
        upserts: list[int] = []
        for feed, rows in by_feed.items():
            upserts += self._queue_feed(pipe, feed, rows, now_ms, latency_ms)
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
                    latency_ms: float | None = None) -> list[int]:
        """Queue one feed's readings (in calls of self.chunk) and its health; returns the calls' places in the
        pipeline."""
        service = feed == "service"
        indexed = service or feed == "furniture"
        tracked = feed in history.FEEDS  # per-entity, per-minute history (store/history.py)
        stride = 7 if indexed else 4 if tracked else 3
        head = [now_ms, CLOSED_KEEP_MS if service else 0, self.retention, self.dedupe_keep, stride,
                history.keep_ms(feed), "1" if tracked else "0"]
        args: list[Any] = []
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
        count = len(rows)
        common = [keys.latest(feed), keys.latest_ts(feed), keys.open_due(feed), keys.closed(feed),
                  keys.closed_late(feed), keys.readings(feed), keys.seen(feed), keys.changed(feed)]
        extra = [] if tracked else [keys.case_districts(feed), keys.open_points(feed), keys.open_points_changed(feed)]
        places = []
        for start in range(0, count, self.chunk):
            end = min(count, start + self.chunk)
            places.append(len(pipe))
            self._upsert(keys=[*common, *(hkeys[start:end] if tracked else extra)],
                         args=[*head, *args[start * stride:end * stride]], client=pipe)
        pipe.hset(keys.health(feed), mapping={**self._ok(now_ms, latency_ms), "last_data_ms": newest})
        pipe.hincrby(keys.health(feed), "readings", count)
        pipe.publish(keys.EVENTS, json.dumps({"type": "feed", "feed": feed, "n": count, "ts": now_ms}))
        return places

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
