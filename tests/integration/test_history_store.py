"""Per-entity history against a real server: one sample per entity and minute, trimming, skipped feeds, reads."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store import history, keys
from store.writer import Writer

pytestmark = pytest.mark.integration
NOW = 1_790_000_000_000 - 1_790_000_000_000 % 3_600_000 + 30 * 60_000  # half past an hour
MIN = 60_000


def air(eid: str, ts: int, pm25: float) -> Reading:
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    return Reading("air", eid, ts, values, {"name": eid, "district_adcode": "440103"})


def write(w: Writer, readings: list[Reading], now: int = NOW) -> None:
    w.write([(rd, derive(rd)) for rd in readings], now)


def samples(r: redis.Redis, feed: str, eid: str, since: int = NOW - 3 * 3_600_000, until: int = NOW + MIN) -> list:
    return history.read_series(r, feed, [eid], since, until)[eid]


def test_two_readings_in_a_minute_keep_one_sample_the_later(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [air("1345A", NOW + 5_000, 30)])
    write(w, [air("1345A", NOW + 40_000, 80)])  # same minute, later: replaces
    write(w, [air("1345A", NOW + 61_000, 20), air("1345A", NOW + 70_000, 10)])  # next minute, twice in one batch
    got = samples(r, "air", "1345A")
    assert [(p["m"], p["t"], p["pm25_1h"]) for p in got] == [(NOW, NOW + 40_000, 80), (NOW + MIN, NOW + 70_000, 10)]
    assert got[0]["aqi"] == derive(air("x", NOW, 80))["aqi"] and got[0]["level"] == 3


def test_late_reading_fills_a_gap_but_never_replaces_a_newer_sample(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [air("1345A", NOW - 5 * MIN + 50_000, 50), air("1345A", NOW, 60)])
    write(w, [air("1345A", NOW - 5 * MIN + 10_000, 99)])  # older than the minute's sample: ignored
    write(w, [air("1345A", NOW - 3 * MIN, 70)])  # a minute with no sample yet: kept
    write(w, [air("1345A", NOW - 3 * MIN + 2, 72), air("1345A", NOW - 3 * MIN + 1, 71)])  # newer within it: wins
    got = {p["m"]: p["pm25_1h"] for p in samples(r, "air", "1345A")}
    assert got == {NOW - 5 * MIN: 50, NOW - 3 * MIN: 72, NOW: 60}


def test_resending_a_batch_changes_nothing(r: redis.Redis) -> None:
    w = Writer(r)
    batch = [air("1345A", NOW - MIN, 40), air("1345A", NOW, 45)]
    write(w, batch)
    before = samples(r, "air", "1345A")
    write(w, batch)
    assert samples(r, "air", "1345A") == before


def test_samples_expire_with_their_hour_and_the_window_is_bounded(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [air("1345A", NOW - history.KEEP_MS - MIN, 40),  # past the retention: not kept
              air("1345A", NOW + 2 * 3_600_000, 40),  # far in the future: not kept
              air("1345A", NOW - 2 * MIN, 41)])
    hour = NOW - NOW % 3_600_000
    assert r.keys("os:{air}:h:*") == [keys.history("air", "1345A", hour)]
    ttl = r.pttl(keys.history("air", "1345A", hour))  # the hour's end + 8 days, counted from the writer's now
    assert 0 <= hour + 3_600_000 + history.KEEP_MS - NOW - ttl < 5_000


def test_at_most_sixty_samples_an_hour_in_the_compact_encoding(r: redis.Redis) -> None:
    w = Writer(r)
    hour = NOW - NOW % 3_600_000
    for m in range(0, 31):  # every 20 s for half an hour
        write(w, [air("1345A", hour + m * MIN + s * 20_000, 30 + m) for s in range(3)])
    key = keys.history("air", "1345A", hour)
    assert r.zcard(key) == 31 and r.object("encoding", key) == "listpack"


def test_furniture_and_service_keep_no_history(r: redis.Redis) -> None:
    w = Writer(r)
    rows = [Reading("furniture", "F000010", NOW, {"status": "damaged"}, {}),
            Reading("service", "S1", NOW, {"status": "open", "expected_datetime": "2026-09-22T00:00:00+08:00"}, {}),
            Reading("traffic", "seg-001", NOW, {"speed_kmh": 14.5, "free_flow_kmh": 50.0}, {"road_class": "arterial"}),
            Reading("water", "ws-01", NOW, {"do": 4.2, "nh3n": 1.1, "ph": 7.2}, {"waterbody": "river"})]
    write(w, rows)
    assert sorted(k.split(":")[1] for k in r.keys("os:*:h:*")) == ["{traffic}", "{water}"]
    seg = samples(r, "traffic", "seg-001")[0]
    assert seg["level"] == 5 and seg["speed_kmh"] == 14.5 and seg["free_flow_kmh"] == 50.0
    ws = samples(r, "water", "ws-01")[0]
    assert ws["klass"] == "IV" and ws["do"] == 4.2 and ws["ph"] == 7.2


def test_range_read_and_latest_documents_in_one_round_trip(r: redis.Redis, monkeypatch: Any) -> None:
    w = Writer(r)
    for m in range(90, -1, -1):  # across two hour boundaries
        write(w, [air("1345A", NOW - m * MIN, 10 + m), air("1346A", NOW - m * MIN, 100 + m)])
    calls = []
    real = redis.client.Pipeline.execute
    monkeypatch.setattr(redis.client.Pipeline, "execute", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    series, docs = history.read_panel(r, "air", ["1345A", "1346A", "nope"], NOW - 60 * MIN, NOW,
                                      ["air:1345A", "air:nope"])
    assert len(calls) == 1
    assert [p["m"] for p in series["1345A"]] == [NOW - m * MIN for m in range(60, -1, -1)]
    assert series["1346A"][0]["pm25_1h"] == 160 and series["nope"] == []
    assert docs["air:1345A"]["v"]["pm25_1h"] == 10 and docs["air:nope"] is None


def test_values_as_of_a_minute(r: redis.Redis) -> None:
    w = Writer(r)
    hour = NOW - NOW % 3_600_000
    write(w, [air("1345A", hour - 10 * MIN, 30), air("1345A", hour + 5 * MIN, 80), air("1346A", hour + 20 * MIN, 50)])
    got = history.as_of(r, {"air": ["1345A", "1346A", "nope"]}, hour + 3 * MIN + 30_000)
    assert got["air"]["1345A"]["pm25_1h"] == 30 and got["air"]["1345A"]["m"] == hour - 10 * MIN  # previous hour
    assert got["air"]["1346A"] is None and got["air"]["nope"] is None
    assert history.as_of(r, {"air": ["1345A"]}, hour + 5 * MIN)["air"]["1345A"]["pm25_1h"] == 80  # its own minute
    assert history.oldest(r, {"air": ["1345A", "1346A"]}, NOW) == hour - 10 * MIN


def test_memory_per_sample(r: redis.Redis, capsys: Any) -> None:
    """Prints the measured cost (the figure quoted in store/history.py); bounds it loosely."""
    w = Writer(r)
    stations, minutes = 200, 150
    r.config_set("save", "")
    before = r.info("memory")["used_memory"]
    for m in range(minutes, 0, -1):
        write(w, [air(f"B{i:03d}", NOW - m * MIN, 20 + (i + m) % 70) for i in range(stations)], NOW)
    r.delete(keys.readings("air"), keys.seen("air"), keys.latest("air"), keys.latest_ts("air"))
    per = (r.info("memory")["used_memory"] - before) / (stations * minutes)
    with capsys.disabled():
        print(f"\nhistory: {per:.0f} bytes per sample ({stations} stations x {minutes} minutes, hourly listpacks)")
    assert per < 150


def test_an_hour_a_day_old_is_thinned_to_the_newest_sample_of_each_ten_minutes(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    hour = now - history.FINE_MS - 2 * 3_600_000
    hour -= hour % 3_600_000
    w = Writer(r)
    write(w, [air("1345A", hour + m * MIN + 7_000, m) for m in range(60)], now)  # a sample every minute
    write(w, [air("1345B", hour + 3 * MIN, 5)], now)  # one sample: nothing to thin
    assert history.compact(r, "air", ["1345A", "1345B", "never-seen"], hour) == 54
    kept = samples(r, "air", "1345A", hour, hour + 3_600_000)
    assert [p["m"] for p in kept] == [hour + (10 * k + 9) * MIN for k in range(6)]  # the newest of each 10 minutes
    assert [p["pm25_1h"] for p in kept] == [9, 19, 29, 39, 49, 59]
    assert len(samples(r, "air", "1345B", hour, hour + 3_600_000)) == 1
    assert history.compact(r, "air", ["1345A", "1345B"], hour) == 0  # again: nothing more
    # "as of" a moment in a thinned hour finds the newest sample kept before it, at most 10 minutes older
    got = history.as_of(r, {"air": ["1345A"]}, hour + 25 * MIN)["air"]["1345A"]
    assert got is not None and got["m"] == hour + 19 * MIN
    assert history.stale_allowance_ms(hour + 25 * MIN, now) == history.COARSE_MS
    assert history.stale_allowance_ms(now - history.FINE_MS + MIN, now) == 0


def test_compaction_runs_over_the_hours_that_turned_a_day_old_and_remembers_where_it_stopped(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    this_hour = now - now % 3_600_000
    w = Writer(r)
    old = [this_hour - k * 3_600_000 for k in range(27, 23, -1)]  # 27..24 hours back (oldest first)
    recent = this_hour - 2 * 3_600_000  # within the last day: kept a sample a minute
    write(w, [air("S1", h + m * MIN, m) for h in [*old, recent] for m in range(0, 60, 2)], now)
    r.set(keys.history_compacted("air"), old[0] - 3_600_000)  # the hour before the oldest is done
    assert history.compact_due(r, now, max_hours=2) == 2 * 24  # 30 samples an hour -> 6
    assert int(r.get(keys.history_compacted("air"))) == old[1]
    history.compact_due(r, now)
    last_due = now - history.FINE_MS - 3_600_000
    assert int(r.get(keys.history_compacted("air"))) == last_due - last_due % 3_600_000
    for h in old:
        n = len(samples(r, "air", "S1", h, h + 3_600_000 - 1))
        assert n == (6 if h + 3_600_000 <= now - history.FINE_MS else 30), h
    assert len(samples(r, "air", "S1", recent, recent + 3_600_000 - 1)) == 30
    # a marker from long ago (the runner was down for weeks): it starts at the retention's edge, not at the marker
    r.set(keys.history_compacted("air"), now - 40 * 86_400_000)
    history.compact_due(r, now, max_hours=1)
    edge = now - history.keep_ms("air")
    assert int(r.get(keys.history_compacted("air"))) == edge - edge % 3_600_000


def test_history_retention_is_set_per_feed_and_checked(r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    assert history.keep_days({}) == {"air": 8.0, "traffic": 8.0, "water": 8.0}
    assert history.keep_days({"water": {"history_days": 31}})["water"] == 31.0
    for bad in (1, 400, "8", True, None):
        with pytest.raises(ValueError, match="feeds.air.history_days"):
            history.keep_days({"air": {"history_days": bad}})
    monkeypatch.setattr(history, "_keep", lambda: {"air": 3 * 86_400_000, "traffic": 8 * 86_400_000,
                                                   "water": 8 * 86_400_000})
    now = int(time.time() * 1000)
    write(Writer(r), [air("1345A", now, 30)], now)
    hour = now - now % 3_600_000
    ttl = r.pttl(keys.history("air", "1345A", hour))
    assert 0 <= hour + 3_600_000 + 3 * 86_400_000 - now - ttl < 5_000
