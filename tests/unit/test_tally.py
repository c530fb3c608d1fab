"""core.tally keeps each point feed's figures as its rows change: after any stream of changes, deletions, district
moves and clock steps (forwards and back), or with all its rows filled at once, its part equals what core.summary
computes from all the rows (air_of, traffic_of, water_of, districts_of): the same city AQI to the last bit (exact
sums, as math.fsum), the same worst lists, counts and per-entity maps, for the city and for each district a caller
may be scoped to."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import summary
from core.tally import Tally, exact, to_float

DISTRICTS = [None, "440111", "440106", ""]
STALE_S = 600.0
H = 3_600_000


def doc(feed: str, eid: str, ts: int, rnd: random.Random) -> dict[str, Any]:
    """A stored document with the quirks a real store has: missing and odd values, ties, no district."""
    def num(lo: float, hi: float) -> Any:
        pick = rnd.random()
        if pick < 0.08:
            return None
        if pick < 0.12:
            return "n/a"
        return round(rnd.uniform(lo, hi), rnd.choice((0, 1, 3, 7)))

    m = {"name": f"n-{eid}", "district_adcode": rnd.choice(DISTRICTS)}
    if rnd.random() < 0.1:  # the district only among the values, as some cases carry it (store.scope.district_of)
        m.pop("district_adcode")
    if feed == "air":
        v = {k: num(0, 600) for k in summary.AIR_KEYS}
        aqi = rnd.choice([None, rnd.randint(0, 500), rnd.randint(95, 105), 150.5])
        d = {"aqi": aqi, "level": rnd.randint(1, 6), "color": rnd.choice(["#00e400", "#ff0000"]),
             "standard": rnd.choice(["HJ633-2026", "HJ633-2012", None])}
    elif feed == "traffic":
        v = {"speed_kmh": num(0, 90), "free_flow_kmh": rnd.choice([60.0, 45.5, 0, None])}
        m["length_m"] = rnd.choice([800, 1234.5, 50])
        d = {"level": rnd.choice([None, 1, 2, 3, 4, 5, 5]), "speed_ratio": rnd.choice([0.3, 0.5, 0.91, None])}
    else:
        v = {"do": num(0, 9)}
        d = {"klass": rnd.choice([*summary.WATER_CLASSES, None, "?"]),
             "black_odorous": rnd.choice([None, "none", "light", "heavy"])}
    if "district_adcode" not in m and rnd.random() < 0.5:
        v["district_adcode"] = rnd.choice(DISTRICTS[:2])
    return {"id": eid, "ts": ts, "v": v, "m": m, "d": d}


def reference(feed: str, rows: dict[str, Any], now: int, scope: str | None) -> dict[str, Any]:
    """What core.summary computes from all the rows (scoped as store.scope filters documents)."""
    mine = rows if scope is None else {eid: x for eid, x in rows.items() if x.adcode == scope}
    if feed == "air":
        part = summary.air_of(mine, now, STALE_S)
    elif feed == "traffic":
        part = summary.traffic_of(mine, now, STALE_S)
    else:
        part = summary.water_of(mine, now, STALE_S)
    every = {f: (mine if f == feed else {}) for f in summary.ENTITY_LAYERS}
    return {"summary": part, "districts": summary.districts_of(every, now, lambda f: STALE_S)}


def districts(feed: str, part: dict[str, Any]) -> dict[str, Any]:
    return summary.merge_districts({f: (part if f == feed else {"districts": {}}) for f in summary.ENTITY_LAYERS})


ops = st.lists(st.tuples(st.sampled_from(["put", "put", "put", "drop", "tick", "back"]),
                         st.integers(0, 24), st.integers(-3 * H, 3 * H)), min_size=1, max_size=80)


@pytest.mark.parametrize("feed", summary.ENTITY_LAYERS)
@settings(max_examples=120, deadline=None)
@given(steps=ops, seed=st.integers(0, 2**32 - 1))
def test_the_kept_figures_equal_a_count_of_all_the_rows(feed: str, steps: list[tuple[str, int, int]],
                                                        seed: int) -> None:
    rnd = random.Random(seed)
    tally = Tally(feed, STALE_S)
    rows: dict[str, Any] = {}  # the reference: the rows a Tracker holds, in its order
    now = 10 * H
    for op, n, dt in steps:
        eid = f"e{n}"
        if op == "put":  # a reading up to a few stale-windows old or a little ahead of the clock
            row = summary.row(feed, doc(feed, eid, now + rnd.choice([-1, 1]) * rnd.randint(0, 1_500_000), rnd))
            rows[eid] = row
            tally.put(eid, row)
        elif op == "drop":
            rows.pop(eid, None)
            tally.put(eid, None)
        else:
            now += abs(dt) if op == "tick" else -abs(dt) // 4
        at_once = Tally(feed, STALE_S)  # a whole batch: all the rows filled in one go
        at_once.at(now)
        at_once.fill(rows)
        for scope in (None, "440111", "none-such"):
            want = reference(feed, rows, now, scope)
            for got in (tally.part(now, scope), at_once.part(now, scope)):
                assert got["summary"] == want["summary"], (op, scope)
                assert districts(feed, got) == want["districts"], (op, scope)
            # a stale feed's figures as they were at a fixed moment (its newest data): made once while nothing
            # changes, made again after any change, never moving the clock
            then = reference(feed, rows, 10 * H, scope)
            held = tally.held(10 * H, scope)
            assert held["at"] == 10 * H and held["summary"] == then["summary"], (op, scope)
            assert districts(feed, held) == then["districts"], (op, scope)
        assert tally.part(now)["summary"] == reference(feed, rows, now, None)["summary"]


def test_a_handed_out_map_does_not_change_under_its_reader() -> None:
    rnd = random.Random(7)
    tally = Tally("water", STALE_S)
    tally.put("a", summary.row("water", {**doc("water", "a", 10 * H, rnd), "d": {"klass": "II"}}))
    before = tally.part(10 * H)["summary"]["sections"]
    tally.put("a", summary.row("water", {**doc("water", "a", 10 * H, rnd), "d": {"klass": "劣V"}}))
    tally.put("b", summary.row("water", doc("water", "b", 10 * H, rnd)))
    assert before == {"a": "II"}
    assert tally.part(10 * H)["summary"]["sections"]["a"] == "劣V"


def test_an_old_heap_is_compacted_and_stays_exact() -> None:
    """Rows updated over and over leave outdated entries in the staleness heap; it is cut back to the live ones."""
    rnd = random.Random(3)
    tally, rows = Tally("traffic", STALE_S), {}
    for i in range(3000):
        eid = f"s{i % 20}"
        rows[eid] = summary.row("traffic", doc("traffic", eid, 10 * H + i, rnd))
        tally.put(eid, rows[eid])
        if i % 500 == 0:
            tally.part(10 * H + i)
    got = tally.part(10 * H + 3000)
    assert len(tally.heap) <= 2 * len(tally.counted) + 1024
    assert got["summary"] == summary.traffic_of(rows, 10 * H + 3000, STALE_S)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300), max_size=50),
       st.data())
def test_exact_sums_round_as_fsum_and_take_back_what_they_added(values: list[float], data: st.DataObject) -> None:
    total = sum(exact(x) for x in values)
    assert to_float(total) == math.fsum(values)
    gone = data.draw(st.sets(st.integers(0, max(0, len(values) - 1))))
    kept = [x for i, x in enumerate(values) if i not in gone]
    less = total - sum(exact(values[i]) for i in gone if i < len(values))
    assert to_float(less) == math.fsum(kept)


def test_a_feed_without_a_tally_is_refused() -> None:
    with pytest.raises(ValueError, match="service"):
        Tally("service", 60)
