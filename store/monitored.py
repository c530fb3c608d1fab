"""What each air station monitors, learnt from what it reported (HJ 633-2026 §5.3: missing versus not monitored).

One hash, station -> compact JSON `{"pm25": [<first ms reported>, <last ms reported>], ...}`: a pollutant is
monitored at a moment when it was first reported by then and last reported within the learning window before it
(so a back-filled reading is judged by what the station monitored then). The pipeline reads the batch's stations
with one HMGET before deriving and queues the changes into the batch's write pipeline: one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import redis

from store import keys

_JSON = json.JSONEncoder(separators=(",", ":"))


def read(r: redis.Redis, station_ids: Iterable[str]) -> dict[str, dict[str, list[int]]]:
    """{station: {pollutant: [first ms, last ms]}} of the given stations (stations never seen are left out)."""
    ids = list(dict.fromkeys(station_ids))
    if not ids:
        return {}
    out: dict[str, dict[str, list[int]]] = {}
    for eid, raw in zip(ids, r.hmget(keys.monitored(), ids), strict=True):
        if raw:
            try:
                doc = json.loads(raw)
            except ValueError:
                continue
            if isinstance(doc, dict):
                out[eid] = {str(k): [int(v[0]), int(v[1])] for k, v in doc.items()
                            if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v)}
    return out


def queue_update(pipe: Any, updates: Mapping[str, Mapping[str, list[int]]]) -> None:
    """Queue the stations' new {pollutant: [first, last]} documents into a pipeline (one HSET)."""
    if updates:
        pipe.hset(keys.monitored(), mapping={eid: _JSON.encode(dict(doc)) for eid, doc in updates.items()})
