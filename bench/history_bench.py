"""Redis memory of the per-entity history, per 1,000 entities and day: a sample a minute (the last day) and thinned
to a sample per 10 minutes (older days, store.history.compact), per feed, and what 8 days of the demo and of a
Guangzhou-sized city come to.

Measured, not computed: 2 hours of a reading a minute for each entity (values as the scale bench synthesises them),
written by the store's Writer 26 to 28 hours back into an embedded Redis; the history keys' MEMORY USAGE summed, then
thinned and summed again; a day is 24 of those hours. The stream and the latest documents are not counted."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench.common import print_figures, size
from bench.scale_bench import GUANGZHOU, ROAD_CLASSES, air_values, demo_counts, speed_of, water_values
from core.derive import derive
from core.readings import Reading
from store import history, keys
from store.client import connect
from store.embedded import EmbeddedServer, free_port
from store.writer import Writer

ENTITIES = size(300, 20)  # per feed
HOURS = 2
HOUR = 3_600_000
MINUTE = 60_000


def reading(feed: str, eid: str, ts: int, rng: random.Random) -> Reading:
    if feed == "air":
        return Reading("air", eid, ts, air_values(rng), {"name": eid})
    if feed == "traffic":
        _, _, free = ROAD_CLASSES[int(eid[1:]) % len(ROAD_CLASSES)]
        return Reading("traffic", eid, ts, {"speed_kmh": speed_of(rng, free), "free_flow_kmh": free},
                       {"name": eid, "road_class": ROAD_CLASSES[int(eid[1:]) % len(ROAD_CLASSES)][0],
                        "length_m": 800})
    return Reading("water", eid, ts, water_values(rng), {"name": eid})


def history_bytes(r: object, feed: str) -> int:
    return sum(int(r.memory_usage(k) or 0) for k in r.scan_iter(f"os:{{{feed}}}:h:*", count=1000))  # type: ignore[attr-defined]


def run() -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="onescreen-history-"))
    server = EmbeddedServer(tmp, port=free_port())
    r = connect(server.start())
    try:
        now = int(time.time() * 1000)
        first = now - 28 * HOUR
        first -= first % HOUR
        rng = random.Random(5)
        w = Writer(r, source="history-bench")
        per_day: dict[str, tuple[float, float]] = {}
        for feed in history.FEEDS:
            ids = [f"{feed[0].upper()}{i:05d}" for i in range(ENTITIES)]
            for m in range(HOURS * 60):
                ts = first + m * MINUTE + 5_000
                w.write([(rd, derive(rd)) for rd in (reading(feed, eid, ts, rng) for eid in ids)], now)
            fine = history_bytes(r, feed)
            for h in range(HOURS):
                history.compact(r, feed, ids, first + h * HOUR)
            coarse = history_bytes(r, feed)
            scale = 1000 / ENTITIES * 24 / HOURS / 2**20
            per_day[feed] = (fine * scale, coarse * scale)
            r.delete(*[k for k in r.scan_iter(f"os:{{{feed}}}:*", count=1000)], keys.latest(feed))
        demo = demo_counts()

        def eight_days(counts: dict[str, int], thinned: bool) -> float:
            return sum(counts[f] / 1000 * (per_day[f][0] + 7 * per_day[f][1 if thinned else 0]) for f in per_day)

        out = [f"history memory per 1,000 entities and day, {feed}: a sample a minute {a:,.1f} MB | thinned to one per "
               f"10 min {b:,.1f} MB ({a / b:.1f}x less)" for feed, (a, b) in per_day.items()]
        for label, counts in (("demo", demo), ("Guangzhou", GUANGZHOU)):
            n = sum(counts[f] for f in per_day)
            out.append(f"history memory, 8 days of the {label} city ({n:,} entities): "
                       f"{eight_days(counts, True):,.0f} MB | without thinning {eight_days(counts, False):,.0f} MB")
        return out
    finally:
        server.stop()


if __name__ == "__main__":
    print_figures(run)
