"""store.snapshot.Tracker against a real server: a tick reads what changed since the last, and ends up with exactly
the documents a whole read gives (after updates, a late reading, a flush, and answers applied out of order)."""

from __future__ import annotations

import time

import pytest
import redis

from core import summary, tally
from core.derive import derive
from core.readings import Reading
from store import keys, snapshot
from store.writer import Writer

pytestmark = pytest.mark.integration


def reading(feed: str, eid: str, ts: int, x: float) -> Reading:
    if feed == "air":
        values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": x}
        return Reading("air", eid, ts, values, {"name": eid, "district_adcode": "440111"})
    if feed == "traffic":
        return Reading("traffic", eid, ts, {"speed_kmh": x, "free_flow_kmh": 60.0},
                       {"name": eid, "road_class": "arterial", "length_m": 800})
    return Reading("water", eid, ts, {"do": 6.0, "codmn": x / 10, "nh3n": 0.4, "tp": 0.1}, {"name": eid})


def write(w: Writer, readings: list[Reading], now: int) -> None:
    w.write([(rd, derive(rd)) for rd in readings], now)


def answer(r: redis.Redis, tracker: snapshot.Tracker, feed: str) -> list:
    pipe = r.pipeline(transaction=False)
    tracker.queue(r, pipe, feed)
    return pipe.execute()[0]


def new_tracker() -> snapshot.Tracker:
    return snapshot.Tracker(summary.row, tally=lambda feed: tally.Tally(feed, 60))


def same_as_whole(r: redis.Redis, tracker: snapshot.Tracker, now: int) -> None:
    """The copy holds the documents a whole read gives, the rows made from them, and so the same summary (the point
    feeds' figures kept by core.tally as they changed, and read an hour later, when everything is stale)."""
    for at in (now, now + 3_600_000, now):
        for scope in (None, "440111"):
            mine, whole = snapshot.read(r, at, scope, tracker=tracker), snapshot.read(r, at, scope)
            assert "parts" in mine and "parts" not in whole
            for feed in snapshot.POINT_FEEDS:
                assert mine[feed] == whole[feed], feed
                assert mine["rows"][feed] == summary.rows_of(feed, whole[feed]), feed
            assert summary.build(mine, at, {}) == summary.build(whole, at, {})


def test_a_tick_reads_only_what_changed_and_matches_a_whole_read(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    w, tracker = Writer(r), new_tracker()
    write(w, [reading(f, f"{f}{i}", now - 60_000, 20 + i) for f in snapshot.POINT_FEEDS for i in range(30)], now)
    first = answer(r, tracker, "air")
    assert first[2] == "full" and len(first[3]) == 2 * 30
    tracker.apply("air", first)
    same_as_whole(r, tracker, now)

    write(w, [reading("air", "air3", now, 200), reading("traffic", "traffic7", now, 5)], now)
    write(w, [reading("air", "air4", now - 120_000, 300)], now)  # late: older than what is stored, changes nothing
    delta = answer(r, tracker, "air")
    assert delta[2] == "delta" and delta[3][0::2] == ["air3"]
    same_as_whole(r, tracker, now)
    assert tracker.apply("air", delta)["air3"]["v"]["pm25_1h"] == 200
    nothing = answer(r, tracker, "water")
    assert nothing[2] == "delta" and nothing[3] == []


def test_an_answer_older_than_the_copy_changes_nothing(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    w, tracker = Writer(r), new_tracker()
    write(w, [reading("air", f"s{i}", now - 60_000, 20) for i in range(5)], now)
    tracker.apply("air", answer(r, tracker, "air"))
    write(w, [reading("air", "s1", now - 30_000, 90)], now)
    older = answer(r, tracker, "air")  # taken before the next write, applied after the newer answer
    write(w, [reading("air", "s1", now, 150)], now)
    assert tracker.apply("air", answer(r, tracker, "air"))["s1"]["v"]["pm25_1h"] == 150
    assert tracker.apply("air", older)["s1"]["v"]["pm25_1h"] == 150


def test_a_flushed_or_replaced_store_is_read_again_whole(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    w, tracker = Writer(r), new_tracker()
    write(w, [reading("water", f"w{i}", now - 60_000, 20) for i in range(10)], now)
    same_as_whole(r, tracker, now)
    r.flushdb()
    # as many writes as before, so the new log's numbers reach the old ones: only its epoch tells them apart
    for i in range(3):
        write(w, [reading("water", f"x{i}", now - 50_000 + i, 30)], now)
    again = answer(r, tracker, "water")
    assert again[2] == "full"
    assert set(tracker.apply("water", again)) == {"x0", "x1", "x2"}
    same_as_whole(r, tracker, now)
    r.delete(keys.changed("water"))  # a log lost on its own: the copy starts again too
    write(w, [reading("water", "x0", now, 40)], now)
    assert answer(r, tracker, "water")[2] == "full"
    same_as_whole(r, tracker, now)


def test_a_batch_of_most_of_a_feed_refills_its_figures_and_a_small_one_steps_them(r: redis.Redis) -> None:
    """Both ways core.tally follows a feed (all at once past half the rows, else change by change) give the
    figures a whole read gives, and a tick in between sees the rows go stale."""
    now = int(time.time() * 1000)
    w, tracker = Writer(r), new_tracker()
    write(w, [reading(f, f"{f}{i}", now - 50_000, 10 + i) for f in snapshot.POINT_FEEDS for i in range(12)], now)
    same_as_whole(r, tracker, now)
    write(w, [reading(f, f"{f}{i}", now - 20_000, 80 + i) for f in snapshot.POINT_FEEDS for i in range(9)], now)
    same_as_whole(r, tracker, now + 30_000)  # the three not rewritten went stale meanwhile
    write(w, [reading(f, f"{f}{i}", now, 150) for f in snapshot.POINT_FEEDS for i in (2, 11)], now)
    same_as_whole(r, tracker, now + 30_000)
