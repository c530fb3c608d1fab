"""store/writer.py additions against a real server: idempotent appends, bounded dedupe, health streaks and latency,
dead letters, and the fixed-window rate counter."""

from __future__ import annotations

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store import keys
from store.writer import Rejection, Writer, read_health, take_from_window

pytestmark = pytest.mark.integration
NOW = 1_795_285_200_000


def air(eid: str, ts: int, pm25: float = 30.0) -> Reading:
    return Reading("air", eid, ts, {"pm25_1h": pm25, "no2_1h": 20}, {})


def write(w: Writer, readings: list[Reading], now: int = NOW, **kw: object) -> int:
    return w.write([(rd, derive(rd)) for rd in readings], now, **kw)


def test_same_entity_and_ts_is_appended_once(r: redis.Redis) -> None:
    w = Writer(r)
    batch = [air(f"s{i}", NOW - i) for i in range(10)]
    assert write(w, batch) == 10 and w.last_added == 10
    assert write(w, [air(f"s{i}", NOW - i, pm25=999) for i in range(10)]) == 10 and w.last_added == 0
    assert r.xlen(keys.readings("air")) == 10
    assert '"pm25_1h":30.0' in r.hget(keys.latest("air"), "s0")  # first write wins for the same (entity, ts)
    write(w, [air("s0", NOW - 60_000, pm25=5)])  # older, new ts: history grows, latest stays newer-wins
    assert r.xlen(keys.readings("air")) == 11 and '"pm25_1h":30.0' in r.hget(keys.latest("air"), "s0")


def test_duplicates_inside_one_batch(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [air("a", NOW), air("a", NOW, pm25=1), air("b", NOW)])
    assert w.last_added == 2 and r.xlen(keys.readings("air")) == 2


def test_dedupe_set_is_bounded(r: redis.Redis) -> None:
    w = Writer(r, retention=100, dedupe_keep=1_000)
    for k in range(3):
        write(w, [air(f"e{i}", NOW + k * 1000 + i) for i in range(600)])
    assert r.zcard(keys.seen("air")) == 1_000
    assert r.zrange(keys.seen("air"), 0, 0)[0].startswith(str(NOW + 1000 + 200))  # the oldest were dropped


def test_health_streak_latency_and_reset(r: redis.Redis) -> None:
    w = Writer(r, source="openaq")
    w.mark_error("air", "HTTP 500 from /v3/locations", NOW, latency_ms=123.44)
    w.mark_error("air", "timeout after 10 s", NOW + 1, latency_ms=10_000)
    h = read_health(r, ["air", "water"])
    assert h["water"] == {}
    assert h["air"]["consecutive_errors"] == "2" and h["air"]["last_latency_ms"] == "10000.0"
    write(w, [air("a", NOW)], NOW + 2, latency_ms=87.25)
    h = read_health(r, ["air"])["air"]
    assert h["consecutive_errors"] == "0" and h["last_error"] == "" and h["last_latency_ms"] == "87.2"
    assert h["error_count"] == "2" and int(h["last_ok_ms"]) == NOW + 2
    w.write([], NOW + 3, polled=["air"])  # a quiet successful poll also clears the streak
    w.record_latency(["air"], 5)
    assert read_health(r, ["air"])["air"]["last_latency_ms"] == "5.0"


def test_dead_letters_ride_the_same_round_trip(r: redis.Redis) -> None:
    w = Writer(r, source="ingest")
    rej = [Rejection("air", 3, "values.pm25: unknown key for feed air", "x" * 5000)]
    write(w, [air("a", NOW)], rejected=rej)
    [(_, entry)] = r.xrange(keys.REJECTED)
    assert entry["feed"] == "air" and entry["index"] == "3" and entry["reason"].startswith("values.pm25")
    assert len(entry["raw"]) == 2000 and entry["source"] == "ingest" and entry["ts"] == str(NOW)
    other = [Rejection("air", 0, "values.pm25_1h: expected a number", "{}")]
    w.write([], NOW, rejected=other)  # a batch of only bad records still lands its dead letters
    assert r.xlen(keys.REJECTED) == 2
    w.write([], NOW + 1000, rejected=rej)  # the same record for the same reason again: reported once an hour
    assert r.xlen(keys.REJECTED) == 2 and r.hget(keys.health("air"), "rejected") == "2"


def test_fixed_window_counter(r: redis.Redis) -> None:
    key = keys.ingest_rate("abc", 1)
    assert take_from_window(r, key, 60, 100, 120_000) == (True, 60)
    assert take_from_window(r, key, 50, 100, 120_000) == (False, 60)  # refused, and not counted
    assert take_from_window(r, key, 40, 100, 120_000) == (True, 100)
    assert 0 < r.pttl(key) <= 120_000
