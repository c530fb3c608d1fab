"""First start: the simulator fills the days before it started, so a new installation shows a living city.

Without it, a fresh store has ten minutes of history: sparklines are a one-pixel tick and the 24 h and 7 d charts a
sliver. On a store with no back-fill yet (keys.sim_backfilled), before the oldest KPI sample kept (or now, when
there is none), the simulator is run on its own seed over the last `days` (ONESCREEN_SIM_BACKFILL_DAYS, default 7,
at most the history's retention; 0: off) in real time (time factor 1, so a day of history is a day of the city's
rhythm: rush hours, the night's low, weekends) and its readings are screened and derived by the pipeline like any
poll. What is written:
- per-entity history (store.history) of every air station, road segment and water section: a sample a minute for
  the last day, one per 10 minutes before, as the history's own thinning would have left it (store/history.py);
- the city KPIs (store.kpi: city AQI, congestion index, open and overdue 12345 cases, on-time rate, good water
  share) for the same moments, computed by the same summary functions the KPI recorder uses.
Nothing is written to the latest documents, the stream or the case indexes: the live simulator starts the present
as it always has, and its own backlog of cases is generated at its first poll. A service case of the back-fill is
counted (open, overdue, closed within 24 h and late), never stored. Runs once per store, in its own thread beside
the live feeds (demo city: ~13 s on one core; the simulator's cities are small by design, its schematic roads and
sections and the profile's stations: ~115 entities for Guangzhou).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from core import summary
from core.readings import Reading
from data_sources import pipeline
from data_sources.simulator.city import Simulator
from store import history, keys, kpi
from store.writer import record

log = logging.getLogger("onescreen.backfill")
DAY_MS = 24 * 3_600_000
MINUTE_MS = 60_000
FINE_MS = history.FINE_MS + 2 * 3_600_000  # a sample a minute: the history's fine day and the overview's window
COARSE_MS = history.COARSE_MS
KPI_FEED = {"aqi": "air", "tpi": "traffic", "water_good": "water", "open": "service", "overdue": "service",
            "on_time": "service"}  # which feed each of store.kpi.city_kpis comes from


@dataclass
class Result:
    """What a back-fill wrote: moments simulated, history samples, KPI minutes, and the span."""

    moments: int = 0
    samples: int = 0
    kpis: int = 0
    since_ms: int | None = None
    until_ms: int | None = None
    seconds: float = 0.0


def moments(since_ms: int, until_ms: int, now_ms: int | None = None) -> list[int]:
    """The moments to simulate in [since, until): each minute of the FINE_MS before now (the history's thinning
    leaves older hours at one sample per COARSE_MS), each COARSE_MS before."""
    fine_from = max(since_ms, (until_ms if now_ms is None else now_ms) - FINE_MS)
    fine_from -= fine_from % MINUTE_MS
    coarse = range(since_ms - since_ms % COARSE_MS, fine_from, COARSE_MS)
    fine = range(fine_from, until_ms, MINUTE_MS)
    return [t for t in (*coarse, *fine) if since_ms <= t < until_ms]


class Cases:
    """The 12345 counts over the back-fill's service readings (as the store's case indexes would count them)."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}  # case id -> due (epoch ms)
        self.closed: deque[tuple[int, bool]] = deque()  # (closed at, late), oldest first

    def add(self, rd: Reading) -> None:
        due = _ms(rd.values.get("expected_datetime"))
        if rd.values.get("status") == "closed":
            self.open.pop(rd.entity_id, None)
            self.closed.append((rd.ts, due is not None and rd.ts > due))
        elif due is not None:
            self.open[rd.entity_id] = due

    def counts(self, at_ms: int) -> dict[str, Any]:
        """summary.service_summary's input at a moment."""
        while self.closed and self.closed[0][0] <= at_ms - DAY_MS:
            self.closed.popleft()
        return {"open": len(self.open), "overdue": sum(1 for due in self.open.values() if due < at_ms),
                "closed_24h": len(self.closed), "late_24h": sum(1 for _, late in self.closed if late)}


def _ms(iso: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(iso)).timestamp() * 1000)
    except ValueError:
        return None


def city_kpis(docs: Mapping[str, Mapping[str, dict[str, Any]]], cases: Mapping[str, Any], at_ms: int,
              feeds_cfg: Mapping[str, Mapping[str, Any]], traffic_cfg: Any) -> dict[str, float | None]:
    """The KPI recorder's values (store.kpi.city_kpis) from the entities' documents and the case counts at a moment."""
    def stale(feed: str) -> float:
        return float(feeds_cfg.get(feed, {}).get("stale_after_s", 60))

    rows = {feed: summary.rows_of(feed, dict(docs.get(feed, {})), traffic_cfg) for feed in ("air", "traffic", "water")}
    return kpi.city_kpis({"air": summary.air_of(rows["air"], at_ms, stale("air")),
                          "traffic": summary.traffic_of(rows["traffic"], at_ms, stale("traffic"), traffic_cfg),
                          "water": summary.water_of(rows["water"], at_ms, stale("water")),
                          "service": summary.service_summary(dict(cases)),
                          "status": {"service": {"state": "ok"}}})  # type: ignore[typeddict-item]


def backfill(r: redis.Redis, city: dict[str, Any], *, seed: int, days: float, rules: pipeline.Rules,
             feeds_cfg: Mapping[str, Mapping[str, Any]], traffic_cfg: Any = None,
             feeds: Collection[str] = ("air", "traffic", "water", "service"), now_ms: int | None = None,
             stop: threading.Event | None = None) -> Result:
    """Fill the `days` before the store's history starts (see the module docstring); once per store, and only on a
    store whose history is younger than a day (the first start, or one shortly after: an older store has a past
    of its own). Only the `feeds` the simulator serves are filled (a feed a real source brings keeps its own
    history, however short). The store is marked before anything is written, so a back-fill cut short (a stop, a
    crash) is never run again over what it wrote. `stop` set: it ends after the moment it is on."""
    t0 = time.perf_counter()
    now = int(time.time() * 1000) if now_ms is None else int(now_ms)
    res = Result()
    if days <= 0 or r.exists(keys.sim_backfilled()):
        return res
    firsts = [f for name in KPI_FEED if (f := kpi.first(r, name)) is not None]
    until = history.minute_of(min([now, *firsts]))  # before the first KPI sample of any kind: never over history
    if until < now - DAY_MS:
        return res
    since = max(until - int(days * DAY_MS), now - history.max_keep_ms() + history.HOUR_MS)
    if not r.set(keys.sim_backfilled(), json.dumps({"since": since, "until": until, "at": now, "state": "running"}),
                 nx=True):
        return res  # another process's back-fill started first
    sim = Simulator(city, seed=seed, time_factor=1.0)
    docs: dict[str, dict[str, dict[str, Any]]] = {feed: {} for feed in history.FEEDS if feed in feeds}
    cases, samples, kpis = Cases(), {feed: [] for feed in docs}, []  # type: ignore[var-annotated]
    times = moments(since, until, now)
    for at in times:
        if stop is not None and stop.is_set():
            break
        polled = sim.poll(at)
        for rd in polled:
            if rd.feed == "service" and "service" in feeds:
                cases.add(rd)
        batch = pipeline.process([rd for rd in polled if rd.feed in docs], rules)
        for rd, derived in batch.items:
            docs[rd.feed][rd.entity_id] = record(rd, derived)
            samples[rd.feed].append((rd.entity_id, rd.ts, rd.values, derived))
        values = city_kpis(docs, cases.counts(at), at, feeds_cfg, traffic_cfg)
        kpis.append((at, {name: v for name, v in values.items() if KPI_FEED.get(name) in feeds}))
        if sum(len(s) for s in samples.values()) >= 50_000:  # written as it goes: memory stays flat for a big city
            res.samples += sum(history.put(r, feed, rows, now) for feed, rows in samples.items())
            samples = {feed: [] for feed in docs}
    res.samples += sum(history.put(r, feed, rows, now) for feed, rows in samples.items())
    kpi.record_many(r, kpis, now)
    res.moments, res.kpis, res.since_ms, res.until_ms = len(kpis), len(kpis), since, until
    res.seconds = time.perf_counter() - t0
    r.set(keys.sim_backfilled(), json.dumps({"since": since, "until": until, "at": now, "moments": len(kpis),
                                             "state": "done" if len(kpis) == len(times) else "stopped"}))
    log.info("history back-filled by the simulator: %d moments from %s, %d samples, %d KPI minutes in %.1f s",
             res.moments, datetime.fromtimestamp(since / 1000).isoformat(timespec="minutes"), res.samples, res.kpis,
             res.seconds)
    return res
