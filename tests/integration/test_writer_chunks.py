"""store.writer cuts a big batch into Lua calls of `chunk` readings, so Redis answers the screens between them
(issue #20): whatever the cut, the store ends up exactly as one call leaves it, for point feeds with history
(re-sent, late and same-minute readings included) and for cases with their indexes and points."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store import keys
from store.writer import Writer

pytestmark = pytest.mark.integration
H = 3_600_000


def batch(now: int) -> list[Reading]:
    rng = random.Random(4)
    out = []
    for i in range(700):
        eid = f"S{rng.randrange(60)}"
        ts = now - rng.randrange(0, 3 * H, 7_000)  # several a minute, some hours back, late ones mixed in
        out.append(Reading("traffic", eid, ts, {"speed_kmh": rng.uniform(5, 60), "free_flow_kmh": 60.0},
                           {"name": eid, "road_class": "arterial", "length_m": 900}))
        if i % 50 == 0:
            out.append(out[-1])  # re-sent within the batch
    for _ in range(120):
        status = rng.choice(["open", "open", "closed"])
        values = {"status": status, "requested_datetime": now - 5 * H,
                  "expected_datetime": now + rng.randint(-3, 9) * H,
                  "updated_datetime": now - rng.randrange(0, H), "lat": 23.1 + rng.random() / 10,
                  "long": 113.3 + rng.random() / 10, "district_adcode": rng.choice(["440111", "440106"])}
        out.append(Reading("service", f"C{rng.randrange(60)}", now - rng.randrange(0, H, 1000), values,
                           {"district_adcode": values["district_adcode"]}))
    return out


def state(r: redis.Redis) -> dict[str, Any]:
    """Everything the write leaves, without what is a moment (stream ids, health times) or a number (change logs)."""
    out: dict[str, Any] = {}
    for k in sorted(r.scan_iter("os:*")):
        kind = r.type(k)
        if kind == "hash":
            v = r.hgetall(k)
            if k.endswith(":health"):
                v = {f: x for f, x in v.items() if not f.endswith("_ms")}
            out[k] = v
        elif kind == "zset":
            members = r.zrange(k, 0, -1, withscores=True)
            out[k] = sorted(m for m, _ in members) if "changed" in k else members
        elif kind == "stream":
            out[k] = sorted((e["e"], e["ts"], e["j"]) for _, e in r.xrange(k))
        elif kind == "string":
            out[k] = r.get(k)
        else:
            out[k] = kind
    return out


def test_a_batch_cut_into_calls_leaves_the_store_as_one_call_does(r: redis.Redis) -> None:
    now = int(time.time() * 1000)
    readings = [(rd, derive(rd)) for rd in batch(now)]
    Writer(r, source="t", chunk=10**6).write(readings, now)
    whole = state(r)
    assert any(k.startswith(keys.history("traffic", "S1", 0).rsplit(":", 2)[0]) for k in whole)  # history written
    for chunk in (1, 7, 100):
        r.flushdb()
        w = Writer(r, source="t", chunk=chunk)
        w.write(readings, now)
        assert state(r) == whole, chunk
        assert w.last_added == sum(1 for _ in {(rd.feed, rd.entity_id, rd.ts) for rd, _ in readings})
