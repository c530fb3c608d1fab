"""One pipeline per tick: everything a view needs, read at once and returned as plain dicts."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import redis

from core import case_points
from store import alerts as store_alerts
from store import keys, loop, lua
from store import scope as scope_mod

POINT_FEEDS = ("air", "traffic", "water")
ALL_FEEDS = ("air", "traffic", "service", "water")
DAY_MS = 24 * 3600 * 1000


def read(r: redis.Redis, now_ms: int, scope: str | None = None, districts: Sequence[str] = (),
         tracker: Tracker | None = None) -> dict[str, Any]:
    """Latest values of the point feeds, every feed's health and the case counts, in one round trip.

    With a district scope: only that district's entities and alerts, and its cases counted from the per-district
    indexes (feed health stays: a stale feed concerns everybody). Unscoped, nothing extra is read or filtered.
    `districts` (the city's adcodes): open and overdue cases per district, counted from the per-district indexes the
    writer keeps (two counts a district, whatever the number of cases), as service.by_district {adcode: [open,
    overdue]}; a scoped read counts its own district only. With a `tracker`, the point feeds come from its copy,
    brought up to date in the same round trip from what changed since its last read (the same documents)."""
    wanted = [d for d in districts if scope is None or d == scope]
    pipe = r.pipeline(transaction=False)
    for feed in POINT_FEEDS:
        if tracker is None:
            pipe.hgetall(keys.latest(feed))
        else:
            tracker.queue(r, pipe, feed)
    for feed in ALL_FEEDS:
        pipe.hgetall(keys.health(feed))
    if scope is not None or wanted:
        _queue_district_index(r, pipe)
    if scope is None:
        open_due, closed, late = keys.open_due(), keys.closed(), keys.closed_late()
    else:
        open_due, closed, late = (keys.district_key(k, scope)
                                  for k in (keys.open_due(), keys.closed(), keys.closed_late()))
    for adcode in wanted:
        pipe.zcard(keys.district_key(keys.open_due(), adcode))
        pipe.zcount(keys.district_key(keys.open_due(), adcode), "-inf", now_ms)
    pipe.zcard(open_due)
    pipe.zcount(open_due, "-inf", now_ms)
    pipe.zcount(closed, now_ms - DAY_MS, "+inf")
    pipe.zcount(late, now_ms - DAY_MS, "+inf")
    loop.queue_read(pipe, now_ms, scope)
    store_alerts.queue_read_active(pipe)
    res = pipe.execute()
    out: dict[str, Any] = {}
    rows: dict[str, dict[str, Any]] = {}
    parts: dict[str, Any] = {}
    base = len(POINT_FEEDS)
    out["health"] = {feed: res[base + i] for i, feed in enumerate(ALL_FEEDS)}
    for i, feed in enumerate(POINT_FEEDS):
        if tracker is None:
            out[feed] = {eid: json.loads(doc) for eid, doc in res[i].items()}
        else:
            out[feed], rows[feed], parts[feed] = tracker.apply_part(feed, res[i], now_ms, scope,
                                                                    _last_data(out["health"][feed]))
    tail = loop.ANSWERS + 1  # the loop's answers, then the active alerts
    counts = res[-tail - 4 - 2 * len(wanted):-tail - 4]
    n_open, n_overdue, n_closed, n_late = res[-tail - 4:-tail]
    out["loop"] = loop.parse(res[-tail:-1])
    out["alerts"] = store_alerts.parse_active(res[-1])
    out["service"] = {"open": n_open, "overdue": n_overdue, "closed_24h": n_closed, "late_24h": n_late,
                      "by_district": {ad: [counts[2 * i], counts[2 * i + 1]] for i, ad in enumerate(wanted)
                                      if counts[2 * i]}}
    if scope is not None:
        for feed in POINT_FEEDS:
            out[feed] = scope_mod.docs(out[feed], scope)
            if feed in rows:
                rows[feed] = {eid: rows[feed][eid] for eid in out[feed]}
        out["alerts"] = scope_mod.alerts(out["alerts"], scope)
    if tracker is not None and tracker.rows:
        out["rows"] = rows
    if tracker is not None and tracker.tallies:
        out["parts"] = parts  # already of the scope's district
    return out


def catch_up(r: redis.Redis, tracker: Tracker) -> int:
    """Bring `tracker` up to date with what changed in the point feeds since its last read, in one round trip, without
    building anything; returns how many documents it read. Between ticks (store.context's summary-ahead thread), so
    the read made for a tick finds little left: a quarter of a megacity's entities changing at once is ~100 ms of
    parsing and counting that the tick's requests would otherwise wait for."""
    pipe = r.pipeline(transaction=False)
    for feed in POINT_FEEDS:
        tracker.queue(r, pipe, feed)
    answers = pipe.execute()
    for feed, answer in zip(POINT_FEEDS, answers, strict=True):
        tracker.apply(feed, answer)
    return sum(len(answer[3]) // 2 for answer in answers)


def _last_data(health: dict[str, Any]) -> int | None:
    """A feed's newest data (its health's last_data_ms), None when never heard or unreadable."""
    try:
        return int(float(health["last_data_ms"])) if health.get("last_data_ms") else None
    except (TypeError, ValueError):
        return None


def ping(r: redis.Redis) -> bool:
    """True when the server answers; used by the wall's connection indicator."""
    try:
        return bool(r.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


_OPEN_POINTS_LUA = lua.source("open_points")


def read_case_points(r: redis.Redis, scope: str | None = None,
                     tracker: CaseTracker | None = None) -> case_points.CasePoints:
    """Every open case's position, due time and district (core.case_points: short entries, no documents); with a
    scope, that district's only. With a `tracker`, from its copy brought up to date with what changed since its last
    read (store/lua/changed.lua on the entries' change log), else read whole."""
    pipe = r.pipeline(transaction=False)
    pipe.eval(_OPEN_POINTS_LUA, 5, keys.open_due(), keys.latest("service"), keys.open_points(),
              keys.open_points_ready(), keys.open_points_changed())
    if tracker is None:
        pipe.hgetall(keys.open_points())
        points = case_points.parse(pipe.execute()[1])
    else:
        tracker.queue(r, pipe)
        points = tracker.apply(pipe.execute()[1])
    return points if scope is None else points.in_district(scope)


class CaseTracker:
    """One process's copy of the case layer's points (core.case_points.Table), brought up to date at each read from
    the entries' change log as Tracker does for the point feeds (the same script and rules: all again when it holds
    nothing, the log's epoch changes or it is further behind than the log remembers; an answer older than what
    another thread applied changes nothing); shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: tuple[str, int] = ("", 0)  # (epoch, sequence) of the copy, read and replaced as one
        self._table = case_points.Table()
        self._script: Any = None

    def queue(self, r: redis.Redis, pipe: Any) -> None:
        """Queue the read of what changed since this copy's sequence number."""
        if self._script is None:
            self._script = r.register_script(_CHANGED_LUA)
        epoch, seq = self._at
        self._script(keys=[keys.open_points_changed(), keys.open_points()], args=[epoch, seq], client=pipe)

    def apply(self, answer: Sequence[Any]) -> case_points.CasePoints:
        """Bring the copy up to date with one answer of changed.lua; returns the points (do not modify)."""
        epoch_s, seq_s, mode, flat = answer
        epoch, seq = str(epoch_s or ""), int(float(seq_s))
        with self._lock:
            if not _newer(*self._at, epoch, seq, mode):
                return self._table.points
            entries = dict(zip(flat[0::2], flat[1::2], strict=True))
            points = self._table.reset(entries) if mode == "full" else self._table.update(entries)
            self._at = (epoch, seq)
            return points


def _newer(held_epoch: str, held_seq: int, epoch: str, seq: int, mode: str) -> bool:
    """Whether an answer of changed.lua is to be applied to a copy at (held_epoch, held_seq): a whole answer always
    (the reader asked to start again: its copy was empty, of another epoch, or ahead of a store restored from an
    older snapshot; one that arrives after a newer answer sets the copy back a little, and the next read brings it
    up again); a delta only in the copy's epoch and not older than it."""
    if mode == "full":
        return True
    return epoch == held_epoch and seq >= held_seq


def read_entity(r: redis.Redis, feed: str, entity_id: str, scope: str | None = None) -> dict[str, Any] | None:
    """The latest stored document of one entity (for a popup or side panel); None when unknown or out of scope."""
    doc = r.hget(keys.latest(feed), entity_id)
    if not doc:
        return None
    out = json.loads(doc)
    return out if scope_mod.in_scope(out, scope) else None


def read_furniture_status(r: redis.Redis) -> dict[str, str]:
    """Entity id -> reported status of the city components that reported one (damaged/missing/normal)."""
    out: dict[str, str] = {}
    for eid, doc in r.hgetall(keys.latest("furniture")).items():
        out[eid] = json.loads(doc)["v"].get("status", "normal")
    return out


_DISTRICT_INDEX_LUA = lua.source("district_index")


def _queue_district_index(r: redis.Redis, pipe: Any) -> None:
    """Queue the once-per-database backfill of the per-district case indexes (a no-op once done)."""
    global _district_index
    if _district_index is None:
        _district_index = r.register_script(_DISTRICT_INDEX_LUA)
    _district_index(keys=[keys.open_due(), keys.closed(), keys.closed_late(), keys.latest("service"),
                          keys.case_districts(), keys.district_index_ready()], client=pipe)


_district_index: Any = None


_CHANGED_LUA = lua.source("changed")


class Tracker:
    """One process's copy of the point feeds' latest documents, brought up to date at each read from the feed's
    change log (store/lua/changed.lua; the writer numbers every batch's changes): a tick parses the documents that
    changed since the last read, not the whole city's. It starts again from everything when it holds nothing or the
    log's epoch changes (the store was flushed or replaced). With `prepare(feed, doc)`, it also keeps each document's
    row (core.summary.row), made once when the document changes; read() then hands them on as raw["rows"]; with
    `tally(feed)` as well, it keeps each feed's counts, sums and rankings as the rows change (core.tally), and read()
    hands on their figures at its moment as raw["parts"], so a summary costs what changed. Each read
    gives new dicts (copy on write), so a summary being built from the last ones is never changed under it; shared
    by the threads of a process."""

    def __init__(self, prepare: Callable[[str, dict[str, Any]], Any] | None = None,
                 tally: Callable[[str], Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._prepare = prepare
        self._held: dict[str, tuple[str, int, dict[str, Any], dict[str, Any]]] = {}  # feed -> epoch, seq, docs, rows
        self._script: Any = None
        self._tally = tally  # feed -> a new core.tally.Tally (needs `prepare` to make core.summary rows)
        self._tallies: dict[str, Any] = {}

    @property
    def rows(self) -> bool:
        """Whether this copy keeps rows."""
        return self._prepare is not None

    @property
    def tallies(self) -> bool:
        """Whether this copy keeps the feeds' figures (core.tally)."""
        return self._tally is not None and self._prepare is not None

    def queue(self, r: redis.Redis, pipe: Any, feed: str) -> None:
        """Queue the read of what changed in `feed` since this copy's sequence number."""
        if self._script is None:
            self._script = r.register_script(_CHANGED_LUA)
        epoch, seq, _, _ = self._held.get(feed, ("", 0, {}, {}))
        self._script(keys=[keys.changed(feed), keys.latest(feed)], args=[epoch, seq], client=pipe)

    def apply(self, feed: str, answer: Sequence[Any]) -> dict[str, Any]:
        """Bring the copy up to date with one answer of changed.lua; returns the feed's documents (do not modify).
        An answer older than what another thread already applied changes nothing."""
        return self.apply_rows(feed, answer)[0]

    def apply_rows(self, feed: str, answer: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """apply(), and the rows of the documents (empty without `prepare`)."""
        with self._lock:
            return self._apply(feed, answer)

    def apply_part(self, feed: str, answer: Sequence[Any], now_ms: int, scope: str | None = None,
                   last_ms: int | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
        """apply_rows(), and the feed's figures at `now_ms` of the same documents (core.tally.Tally.part; of the
        scope's district only, when scoped), or None without a tally. When the feed's newest data (`last_ms`) is
        older than its stale limit, the part also holds the figures as they were then ("held", Tally.held)."""
        with self._lock:
            docs, rows = self._apply(feed, answer)
            tally = self._tallies.get(feed)
            if tally is None and self.tallies:
                tally = self._tallies[feed] = self._tally(feed)  # type: ignore[misc]
                tally.at(now_ms)
                tally.fill(rows)
            if tally is None:
                return docs, rows, None
            part = tally.part(now_ms, scope)
            if last_ms is not None and now_ms - last_ms > tally.stale_ms:
                part = {**part, "held": tally.held(last_ms, scope)}
            return docs, rows, part

    def _apply(self, feed: str, answer: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        epoch, seq_s, mode, flat = answer
        epoch, seq = str(epoch or ""), int(float(seq_s))
        prepare = self._prepare
        held_epoch, held_seq, docs, rows = self._held.get(feed, ("", 0, {}, {}))
        if not _newer(held_epoch, held_seq, epoch, seq, mode):
            return docs, rows
        tally = self._tallies.get(feed)
        if mode == "full" or (tally is not None and len(flat) > len(rows)):
            # made again from all the rows when next asked for: at once, when more than half of the feed changed
            # (a whole feed's hourly batch), is cheaper than change by change (core.tally.Tally.fill: ~5 us a row
            # against ~11 us a change, bench/tally_bench.py)
            self._tallies.pop(feed, None)
            tally = None
        if mode == "full":
            docs, rows = {}, {}
        else:
            docs, rows = dict(docs), dict(rows)
        for i in range(0, len(flat), 2):
            eid, raw = flat[i], flat[i + 1]
            if raw is None:
                docs.pop(eid, None)
                rows.pop(eid, None)
                if tally is not None:
                    tally.put(eid, None)
                continue
            doc = docs[eid] = json.loads(raw)
            if prepare is not None:
                row = rows[eid] = prepare(feed, doc)
                if tally is not None:
                    tally.put(eid, row)
        self._held[feed] = (epoch, seq, docs, rows)
        return docs, rows
