"""City KPI history: one sample per minute per KPI, kept 8 days, for sparklines and 'same hour yesterday'."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from store import keys

MINUTE_MS = 60_000
KEEP_MS = 8 * 24 * 3600 * 1000


def record(r: redis.Redis, now_ms: int, values: Mapping[str, float | None]) -> None:
    """Store this minute's value of each KPI (None is skipped: a gap, never a zero); idempotent within a minute."""
    record_many(r, [(now_ms, values)], now_ms)


def record_many(r: redis.Redis, rows: Sequence[tuple[int, Mapping[str, float | None]]], now_ms: int,
                chunk: int = 2_000) -> None:
    """record() for many minutes at once (a back-fill): each (ms, values) replaces its minute; older than KEEP_MS
    from now_ms is dropped."""
    for at in range(0, len(rows), chunk):
        pipe = r.pipeline(transaction=False)
        for ts, values in rows[at:at + chunk]:
            minute = ts - ts % MINUTE_MS
            for name, value in values.items():
                key = keys.kpi(name)
                pipe.zremrangebyscore(key, minute, minute)
                if value is not None:
                    pipe.zadd(key, {f"{minute}:{float(value):g}": minute})
        for name in {name for _, values in rows[at:at + chunk] for name in values}:
            pipe.zremrangebyscore(keys.kpi(name), "-inf", now_ms - KEEP_MS)
        pipe.execute()


def first(r: redis.Redis, name: str) -> int | None:
    """The minute (ms) of the KPI's oldest sample kept (None: none yet)."""
    return firsts(r, [name])[name]


def firsts(r: redis.Redis, names: Iterable[str]) -> dict[str, int | None]:
    """first() of each KPI, in one round trip."""
    names = list(names)
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.zrange(keys.kpi(name), 0, 0, withscores=True)
    return {name: int(got[0][1]) if got else None for name, got in zip(names, pipe.execute(), strict=True)}


def series(r: redis.Redis, names: Iterable[str], since_ms: int, until_ms: int | None = None
           ) -> dict[str, list[tuple[int, float]]]:
    """(minute ms, value) samples of each KPI in [since, until], oldest first, read in one pipeline."""
    names = list(names)
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.zrangebyscore(keys.kpi(name), since_ms, "+inf" if until_ms is None else until_ms)
    out: dict[str, list[tuple[int, float]]] = {}
    for name, members in zip(names, pipe.execute(), strict=True):
        points = []
        for m in members:
            ts, _, val = str(m).partition(":")
            points.append((int(ts), float(val)))
        out[name] = points
    return out


def city_kpis(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """The headline numbers the wall and the overview track, from one summary (a feed with no current data: gaps)."""
    water = summary["water"]
    good_share = None if not water["n_fresh"] else round(100.0 * water["good"] / water["n_fresh"], 1)
    service_ok = summary["status"].get("service", {}).get("state") == "ok"  # never heard / stale: no invented zeros
    sv = summary["service"]
    return {"aqi": summary["air"]["city"].get("aqi"), "tpi": summary["traffic"]["tpi"],
            "open": sv["open"] if service_ok else None, "overdue": sv["overdue"] if service_ok else None,
            "on_time": sv["on_time_rate"] if service_ok else None, "water_good": good_share}
