"""store.snapshot.CaseTracker against a real server: the case layer's copy follows what changed (cases opened, moved,
closed, without a position, forgotten, refilled), and always draws exactly what a whole read draws; a reader further
behind than the change log remembers reads everything again (issue #20: work per tick bounded by what changed)."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest
import redis

from core import case_points
from core.derive import derive
from core.readings import Reading
from store import cases, keys, snapshot
from store.writer import Writer

pytestmark = pytest.mark.integration
H = 3_600_000
DISTRICTS = ("440111", "440106", "440104")


def case(cid: str, now: int, rng: random.Random, *, closed: bool = False, point: bool = True) -> Reading:
    ad = rng.choice(DISTRICTS)
    values = {"status": "closed" if closed else "open", "requested_datetime": now - 5 * H,
              "expected_datetime": now + rng.randint(-4, 8) * H, "updated_datetime": now,
              "district_adcode": ad}
    if point:
        values |= {"lat": round(23.0 + rng.random() / 3, 6), "long": round(113.2 + rng.random() / 3, 6)}
    return Reading("service", cid, now, values, {"district_adcode": ad})


def drawn(p: case_points.CasePoints) -> list[tuple]:
    """What the layer draws: every case with a point (holes left by closed cases are never drawn)."""
    keep = [i for i, cid in enumerate(p.ids) if cid]
    return sorted((p.ids[i], p.lon[i], p.lat[i], p.due[i], p.district[i]) for i in keep)


def test_the_copy_follows_opens_moves_and_closes_and_draws_what_a_whole_read_draws(r: redis.Redis) -> None:
    rng, now, w = random.Random(5), int(time.time() * 1000), Writer(r)
    tracker = snapshot.CaseTracker()
    assert len(snapshot.read_case_points(r, tracker=tracker)) == 0  # an empty store: nothing, no error
    ids = [f"C{i:03d}" for i in range(120)]
    for step in range(12):
        batch = []
        for cid in rng.sample(ids, 25):
            kind = rng.random()
            batch.append(case(cid, now + step * 1000, rng, closed=kind < 0.3, point=kind > 0.4))
        w.write([(rd, derive(rd)) for rd in batch], now + step * 1000)
        mine, whole = snapshot.read_case_points(r, tracker=tracker), snapshot.read_case_points(r)
        assert drawn(mine) == drawn(whole), step
        for ad in DISTRICTS:  # a district's copy too
            assert drawn(snapshot.read_case_points(r, ad, tracker)) == drawn(snapshot.read_case_points(r, ad))
    # holes are never in a view and never overdue
    points = snapshot.read_case_points(r, tracker=tracker)
    holes = np.array([not cid for cid in points.ids])
    assert not points.overdue(now + 100 * H)[holes].any()


def test_a_delta_carries_only_what_changed(r: redis.Redis) -> None:
    rng, now, w = random.Random(6), int(time.time() * 1000), Writer(r)
    tracker = snapshot.CaseTracker()
    w.write([(rd, derive(rd)) for rd in (case(f"D{i}", now, rng) for i in range(50))], now)
    snapshot.read_case_points(r, tracker=tracker)
    w.write([(rd, derive(rd)) for rd in (case("D1", now + 1000, rng, closed=True), case("D99", now + 1000, rng))],
            now + 1000)
    pipe = r.pipeline(transaction=False)
    tracker.queue(r, pipe)
    answer = pipe.execute()[0]
    assert answer[2] == "delta" and sorted(answer[3][0::2]) == ["D1", "D99"] and answer[3][1] is None
    points = tracker.apply(answer)
    assert "D1" not in points.ids and "D99" in points.ids


def test_forgotten_refilled_or_too_far_behind_reads_everything_again(r: redis.Redis) -> None:
    rng, now, w = random.Random(7), int(time.time() * 1000), Writer(r)
    tracker = snapshot.CaseTracker()
    w.write([(rd, derive(rd)) for rd in (case(f"F{i}", now, rng) for i in range(30))], now)
    snapshot.read_case_points(r, tracker=tracker)
    cases.forget(r, ["F1", "F2"])  # outside the writer: the log is dropped, so every copy starts again
    assert drawn(snapshot.read_case_points(r, tracker=tracker)) == drawn(snapshot.read_case_points(r))
    assert "F1" not in snapshot.read_case_points(r, tracker=tracker).ids
    r.delete(keys.open_points(), keys.open_points_ready())  # a database from before the entries: filled again
    assert drawn(snapshot.read_case_points(r, tracker=tracker)) == drawn(snapshot.read_case_points(r))
    assert len(drawn(snapshot.read_case_points(r, tracker=tracker))) == 28
    # the log forgets what changed more than 50,000 batches ago, every 1,000th batch: a copy from before reads all
    w.write([(rd, derive(rd)) for rd in [case("F5", now + 1000, rng)]], now + 1000)
    snapshot.read_case_points(r, tracker=tracker)
    log = keys.open_points_changed()
    r.zadd(log, {"F6": 99_999})  # as if 99,999 batches had gone by since; F6 changed in the last
    w.write([(rd, derive(rd)) for rd in [case("F7", now + 2000, rng)]], now + 2000)  # batch 100,000: the log trims
    assert r.zscore(log, "\0floor") == 50_000 and r.zscore(log, "F5") is None and r.zscore(log, "F7") == 100_000
    pipe = r.pipeline(transaction=False)
    tracker.queue(r, pipe)
    answer = pipe.execute()[0]
    assert answer[2] == "full"  # its number is below the floor: everything again
    assert drawn(tracker.apply(answer)) == drawn(snapshot.read_case_points(r))


def test_a_copy_ahead_of_the_log_reads_everything_again(r: redis.Redis) -> None:
    """A store restored from an older snapshot keeps its log's epoch but its numbers went back: a copy holding a
    higher number must not wait for the numbers to catch up (it would miss every batch until then)."""
    rng, now, w = random.Random(8), int(time.time() * 1000), Writer(r)
    tracker = snapshot.CaseTracker()
    w.write([(rd, derive(rd)) for rd in (case(f"G{i}", now, rng) for i in range(5))], now)
    snapshot.read_case_points(r, tracker=tracker)
    epoch, seq = tracker._at
    tracker._at = (epoch, seq + 1000)  # as if the store went back 1,000 batches under it
    w.write([(rd, derive(rd)) for rd in [case("G9", now + 1000, rng)]], now + 1000)
    pipe = r.pipeline(transaction=False)
    tracker.queue(r, pipe)
    answer = pipe.execute()[0]
    assert answer[2] == "full" and "G9" in tracker.apply(answer).ids
