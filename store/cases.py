"""Dropping service cases from every index that counts them: city-wide and per-district, latest and idempotency sets.

A new simulator run regenerates its backlog, so the previous run's simulated cases go; cases that came in through
ingest or a real Open311 server stay, and every count (a district's tile, its map) keeps agreeing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import redis

from store import keys

FEED = "service"
SIMULATED = "simulated"  # meta flag the simulator puts on its cases


def simulated_ids(r: redis.Redis) -> list[str]:
    """Ids of the stored cases the simulator made (meta.simulated)."""
    out = []
    for cid, raw in r.hscan_iter(keys.latest(FEED), count=1000):
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("m"), dict) and doc["m"].get(SIMULATED):
            out.append(cid)
    return out


def forget(r: redis.Redis, ids: Iterable[str]) -> int:
    """Remove cases from latest, the open/closed indexes (city and each district) and the seen set; their history
    streams stay. Returns how many were removed."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    gone = set(ids)
    districts = {ad for ad in r.hvals(keys.case_districts(FEED)) if ad}
    seen = [m for m in r.zscan_iter(keys.seen(FEED), count=1000) if m[0].partition(":")[2] in gone]
    indexes = [keys.open_due(FEED), keys.closed(FEED), keys.closed_late(FEED)]
    pipe = r.pipeline(transaction=False)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        pipe.hdel(keys.latest(FEED), *chunk)
        pipe.hdel(keys.latest_ts(FEED), *chunk)
        pipe.hdel(keys.case_districts(FEED), *chunk)
        pipe.hdel(keys.open_points(FEED), *chunk)
        for base in indexes:
            pipe.zrem(base, *chunk)
            for ad in districts:
                pipe.zrem(keys.district_key(base, ad), *chunk)
    for start in range(0, len(seen), 1000):
        pipe.zrem(keys.seen(FEED), *(m for m, _ in seen[start:start + 1000]))
    pipe.delete(keys.open_points_changed(FEED))  # every reader's copy of the case layer starts again
    pipe.execute()
    return len(ids)


LEGACY_ID = re.compile(r"^GZ\d{8}-\d{6}$")  # the simulator's case ids before it flagged its cases


def forget_simulated(r: redis.Redis) -> int:
    """The previous simulator run's cases, everywhere they are counted. A database from before the flag (no case
    carries it, the service feed was last written by the simulator) drops the cases with the simulator's ids."""
    ids = simulated_ids(r)
    if not ids and r.hget(keys.health(FEED), "source") == "simulator":
        ids = [cid for cid in r.hkeys(keys.latest(FEED)) if LEGACY_ID.match(cid)]
    return forget(r, ids)
