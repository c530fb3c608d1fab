"""A tick's summary at the Guangzhou size (1,500 stations, 10,000 segments, 1,300 sections in 11 districts): counted
from every row (core.summary.build, the reference) against the figures kept as rows change (core.tally), with none,
0.1 %, 1 % and 25 % of the entities changed since the last tick, and a whole feed filled at once. The rows are made
before the clock starts in both (store.snapshot.Tracker makes them once per changed document either way)."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

from bench.common import print_figures, size
from core import summary, tally

N = size({"air": 1500, "traffic": 10000, "water": 1300}, {"air": 150, "traffic": 1000, "water": 130})
TICKS = size(10, 3)
DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117",
             "440118")
STALE_S = 600
FEEDS = {f: {"stale_after_s": STALE_S} for f in N}


def doc(rnd: random.Random, feed: str, i: int, ts: int) -> tuple[str, dict[str, Any]]:
    eid = f"{feed}{i}"
    m: dict[str, Any] = {"name": eid, "district_adcode": rnd.choice(DISTRICTS)}
    if feed == "air":
        v = {k: round(rnd.uniform(1, 200), 1) for k in summary.AIR_KEYS[:6]}
        d = {"aqi": rnd.randint(10, 300), "level": 2, "color": "#ffff00", "standard": "HJ633-2026"}
    elif feed == "traffic":
        v, d = {"speed_kmh": rnd.uniform(5, 60), "free_flow_kmh": 60.0}, {"level": rnd.randint(1, 5),
                                                                        "speed_ratio": rnd.random()}
        m["length_m"] = 800
    else:
        v, d = {"do": 5}, {"klass": rnd.choice(summary.WATER_CLASSES), "black_odorous": None}
    return eid, {"id": eid, "ts": ts, "v": v, "m": m, "d": d}


def run() -> Iterator[str]:
    rnd = random.Random(1)
    now = int(time.time() * 1000)
    rows = {f: {eid: summary.row(f, d) for eid, d in (doc(rnd, f, i, now) for i in range(n))} for f, n in N.items()}
    raw = {"health": {}, "service": {}, "rows": rows, "air": {}, "traffic": {}, "water": {}}
    times = []
    for _ in range(TICKS):
        t = time.perf_counter()
        summary.build(raw, now, FEEDS)
        times.append(time.perf_counter() - t)
    whole = 1000 * statistics.median(times)
    tallies = {f: tally.Tally(f, STALE_S) for f in N}
    t = time.perf_counter()
    for f, tl in tallies.items():
        tl.at(now)
        tl.fill(rows[f])
    fill = 1000 * (time.perf_counter() - t)
    yield (f"tally: a tick's summary counted from every row (core.summary.build): {whole:.1f} ms; a whole city "
           f"filled at once (core.tally.Tally.fill): {fill:.1f} ms ({fill / whole:.1f}x)   "
           f"({sum(N.values()):,} entities)")
    for share in (0.0, 0.001, 0.01, 0.25):
        ticks = []
        for _ in range(TICKS):
            now += 1000
            made = {f: [(eid, summary.row(f, d)) for eid, d in (doc(rnd, f, rnd.randrange(n), now)
                                                                for _ in range(int(n * share)))]
                    for f, n in N.items()}
            t = time.perf_counter()
            for f, changed in made.items():
                for eid, row in changed:
                    tallies[f].put(eid, row)
            summary.build({**raw, "parts": {f: tl.part(now) for f, tl in tallies.items()}}, now, FEEDS)
            ticks.append(time.perf_counter() - t)
        kept = 1000 * statistics.median(ticks)
        yield (f"tally: a tick's summary from the kept figures, {share:.1%} of the entities changed: {kept:.2f} ms "
               f"({kept / whole:.2f}x the count of every row)")


if __name__ == "__main__":
    print_figures(run)
