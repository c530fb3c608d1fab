"""What pages and the API need from the running app (settings, city, Redis, cache): one Context per Flask app, kept in
the app's extensions by create_app, so two apps in one process each have their own."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from flask_caching import Cache

from core import grid, loop_points, tally
from core import summary as summary_mod
from core.geo import components_box
from core.grid import UnitGrid
from store import casebook, keys, loop, snapshot
from store import photos as photo_store
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.context")
LOOP_CHECK_S = 60.0  # how often each process checks the loop's live layer against the case records (0: never)
CATCH_UP_MS = 100  # between ticks, the summary-ahead thread reads what changed this often (Context._catch_up_until)
AHEAD_IDLE_S = 10.0  # the summary-ahead thread stops this long after the last request for a summary


@dataclass
class Context:
    """The app's shared, read-mostly state; the web tier keeps nothing else, so any number of workers can serve."""

    settings: Any
    city: dict[str, Any]
    feeds: dict[str, dict[str, Any]]
    redis: redis.Redis
    cache: Cache
    traffic_cfg: Any = None
    config_version: str = ""
    rules: Any = None  # data_sources.pipeline.Rules of the city (ingest and notify screen and derive with it)
    districts: tuple[str, ...] = ()  # the city's adcodes: the summary counts open and overdue cases per district
    _memo: dict[str, tuple[int, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _building: threading.Lock = field(default_factory=threading.Lock)
    _tracker: snapshot.Tracker = field(init=False)  # the latest documents and their rows, read as they change
    _cases: snapshot.CaseTracker = field(default_factory=snapshot.CaseTracker)  # the case layer, read as it changes

    _asked: dict[str | None, float] = field(default_factory=dict)  # scope -> when a summary of it was last asked for
    _hooks: dict[str, Any] = field(default_factory=dict)  # name -> fn(ctx, now_ms, scope), run after ahead summaries
    _ahead: threading.Thread | None = None
    _casebook: Any = None  # store.casebook.Casebook, opened (and migrated) on first use
    _grid: UnitGrid | None = None  # core.grid.UnitGrid of the city, made on first use
    _photos: Any = None  # store.photos.PhotoDir or PhotoS3, made on first use
    _loop_table: loop_points.Table = field(default_factory=loop_points.Table)
    _db_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tracker = snapshot.Tracker(
            lambda feed, doc: summary_mod.row(feed, doc, self.traffic_cfg),
            tally=lambda feed: tally.Tally(feed, float(self.feeds.get(feed, {}).get("stale_after_s", 60)),
                                           self.traffic_cfg))

    def tick_of(self, now_ms: int) -> int:
        """The tick a moment belongs to: everything computed once per tick is keyed by it."""
        return now_ms // self.settings.tick_ms

    def summary(self, now_ms: int, scope: str | None = None, ahead: bool = False) -> dict[str, Any] | None:
        """This tick's summary of the city (or of one district's scope): process memo, then the shared Redis cache,
        then one snapshot read (of what changed since this process's last, store.snapshot.Tracker); each scope has its
        own memo and cache entry ('summary', 'summary:440111')."""
        tick = self.tick_of(now_ms)
        name = "summary" if scope is None else f"summary:{scope}"
        if not ahead:
            self._asked[scope] = time.monotonic()
            self._start_ahead()
        hit = self._memo.get(name)
        if hit and hit[0] == tick:
            return hit[1]
        with self._building:  # one build per process and tick: a request waits for the one under way
            hit = self._memo.get(name)
            if hit and hit[0] == tick:
                return hit[1]
            key = keys.snapshot_cache(name, tick)
            try:
                value = self.cache.get(key)
                if value is None and not self.cache.add(f"{key}:by", 1, timeout=self._keep_s()):
                    value = self._wait_for(key)  # another worker is making it: one build for all workers
                if value is None:
                    raw = snapshot.read(self.redis, now_ms, scope, self.districts, self._tracker)
                    value = summary_mod.build(raw, now_ms, self.feeds, self.traffic_cfg)
                    self.cache.set(key, value, timeout=self._keep_s())
            except UNAVAILABLE:
                return None
            with self._lock:
                held = self._memo.get(name)
                if held is None or held[0] <= tick:  # a late request of the last tick keeps the next one's, made ahead
                    self._memo[name] = (tick, value)
            return value

    def _wait_for(self, key: str) -> Any:
        """The value another worker is putting under `key`, waited for up to a quarter of a tick (None after that:
        the caller builds it itself, so a worker that died half-way costs one late tick, not a blank one)."""
        deadline = time.monotonic() + self.settings.tick_ms / 4000
        while time.monotonic() < deadline:
            time.sleep(0.005)
            value = self.cache.get(key)
            if value is not None:
                return value
        return None

    def _start_ahead(self) -> None:
        """Start (again) the thread that makes each tick's summaries just before the tick begins."""
        if self._ahead is None or not self._ahead.is_alive():
            with self._lock:
                if self._ahead is None or not self._ahead.is_alive():
                    self._ahead = threading.Thread(target=self._run_ahead, name="summary-ahead", daemon=True)
                    self._ahead.start()

    def _run_ahead(self) -> None:
        """Just before each tick starts, build its summary for every scope asked for lately (dated the tick's start,
        so ages read a little older, never fresher), so the tick's requests find it made: their time no longer
        grows with the city. Readings that land in the last moments before the tick wait for the next one. The
        thread ends when nobody has asked for a summary for AHEAD_IDLE_S (a request starts it again)."""
        lead_ms = 50
        while True:
            tick_ms = self.settings.tick_ms
            now = now_ms()
            start = (now // tick_ms + 1) * tick_ms  # integer ms: the next tick's first moment, exactly
            self._catch_up_until(start - lead_ms)
            recent = [sc for sc, at in list(self._asked.items()) if time.monotonic() - at < AHEAD_IDLE_S]
            if not recent:
                return
            t0 = time.perf_counter()
            for scope in recent:
                self.summary(start, scope, ahead=True)
                for name, hook in list(self._hooks.items()):
                    try:
                        hook(self, start, scope)
                    except Exception:  # noqa: BLE001 - made ahead or not, the request makes it if it is missing
                        log.exception("made-ahead %s failed", name)
            lead_ms = min(tick_ms // 2, 20 + int(1500 * (time.perf_counter() - t0)))
            time.sleep(max(0, start - now_ms()) / 1000 + 0.001)  # once per tick

    def _catch_up_until(self, until_ms: int) -> None:
        """Until `until_ms`, read what changed every CATCH_UP_MS (store.snapshot.catch_up), so the summary made just
        before the tick has little left to read: a batch that lands mid-tick is parsed and counted when it lands, not
        while the tick's requests wait (at the Guangzhou size a quarter of the city changing cost a tick ~100 ms)."""
        while (left := until_ms - now_ms()) > 0:
            time.sleep(min(left, CATCH_UP_MS) / 1000)
            if until_ms - now_ms() > CATCH_UP_MS / 2:  # not right before the build: it reads the rest itself
                try:
                    snapshot.catch_up(self.redis, self._tracker)
                except UNAVAILABLE:
                    return  # the build reports it
                except Exception:  # noqa: BLE001 - a failed catch-up costs the build its reading, nothing else
                    log.exception("catching up with the feeds failed")

    def ahead(self, name: str, hook: Any) -> None:
        """Have `hook(context, now_ms, scope)` run after each summary made ahead (a page's per-tick values that every
        request of the tick would otherwise wait for: callbacks/wall.py registers the wall map's delta); one per
        name."""
        self._hooks.setdefault(name, hook)

    def casebook(self) -> Any:
        """The case records (store.casebook.Casebook): ONESCREEN_DATABASE_URL, else SQLite in the data directory;
        opened and brought to the newest schema on first use, once per process."""
        if self._casebook is None:
            with self._db_lock:
                if self._casebook is None:
                    eng = casebook.engine_for(self.settings.database_url, Path(self.settings.data_dir))
                    casebook.migrate(eng)
                    book = casebook.Casebook(eng, on_change=lambda row: loop.apply(self.redis, row, now_ms()))
                    self._reconcile(book)
                    if LOOP_CHECK_S > 0:
                        threading.Thread(target=self._keep_loop, args=(book,), name="loop-reconcile",
                                         daemon=True).start()
                    self._casebook = book
        return self._casebook

    def loop_points(self, tick: int) -> Any:
        """The loop's open cases with a position (core.loop_points.LoopPoints), read from the records once per
        process and tick: what changed since the last read."""
        return self.memo("loop-points", tick, lambda: self._loop_table.refresh(self.casebook(), now_ms()))

    def unit_grid(self) -> UnitGrid:
        """The city's unit grid (core.grid), made once per process."""
        if self._grid is None:
            self._grid = grid.of_city(self.city)
        return self._grid

    def grid_code(self, rec: dict[str, Any]) -> str | None:
        """The unit-grid code of the cell a case lies in (core.grid.UnitGrid.code_at), None outside the grid."""
        return self.unit_grid().code_at(rec.get("lon"), rec.get("lat"), (self.city.get("geo") or {}).get("districts"),
                                        rec.get("district"))

    def components(self) -> tuple[int, tuple[float, float, float, float]]:
        """The synthetic component set this city shows: its seed and where it lies (as the feed runner makes it)."""
        return (self.settings.furniture_seed, components_box(self.city))

    def photos(self) -> photo_store.PhotoDir | photo_store.PhotoS3:
        """Where the cases' photos are kept (store.photos.open_store), made once per process."""
        if self._photos is None:
            self._photos = photo_store.open_store(self.settings)
        return self._photos

    def _reconcile(self, book: Any) -> None:
        """Make the loop's live layer again when it is not the records' (a new or flushed Redis, changes recorded
        while Redis was away)."""
        try:
            if loop.reconcile(self.redis, book, self.districts, now_ms()):
                log.info("case live layer made again from the records")
        except UNAVAILABLE:
            log.warning("case live layer not checked: the store is unreachable")
        except Exception:  # noqa: BLE001 - the records stay the truth; the next check tries again
            log.exception("case live layer check failed")

    def _keep_loop(self, book: Any) -> None:
        """Check the live layer against the records every LOOP_CHECK_S, for as long as the process runs."""
        while LOOP_CHECK_S > 0:
            time.sleep(LOOP_CHECK_S)
            if LOOP_CHECK_S > 0:
                self._reconcile(book)

    def case_points(self, tick: int, scope: str | None = None) -> Any:
        """This tick's open cases as the case layer draws them (core.case_points.CasePoints; of the scope's district
        only), read once per process and tick: what changed since the last read (snapshot.CaseTracker)."""
        name = "case-points" if scope is None else f"case-points:{scope}"
        return self.memo(name, tick, lambda: snapshot.read_case_points(self.redis, scope, self._cases))

    def shared(self, name: str, tick: int, build: Any) -> Any:
        """A per-tick value that every worker must see the same (what deltas are taken against): the first worker
        to build it stores it, and every worker then uses the stored one; kept a few ticks for shared_at."""
        def once() -> Any:
            key = keys.snapshot_cache(name, tick)
            try:
                value = self.cache.get(key)
                if value is None:
                    built = build()
                    self.cache.add(key, built, timeout=self._keep_s())
                    value = self.cache.get(key)
                    return built if value is None else value
                return value
            except UNAVAILABLE:
                return build()
        return self.memo(f"shared:{name}", tick, once)

    def held(self, name: str, tick: int, held: Any) -> tuple[Any, int | None]:
        """What a page says it holds: the values shared() stored for version `held` and that version, or (None, None)
        when it holds none, or one that is not a recent tick or no longer kept. Looked up once per tick and lag per
        process; memo names use the lag, not the version, so they stay a bounded few on a wall that runs for weeks."""
        lag = tick - held if type(held) is int else -1
        if not 0 <= lag <= self.keep_ticks():
            return None, None
        base = self.memo(f"held:{name}:{lag}", tick, lambda: self.shared_at(name, held))
        return (None, None) if base is None else (base, held)

    def shared_at(self, name: str, tick: int) -> Any:
        """The value shared() stored for an earlier tick, or None once it is gone."""
        try:
            return self.cache.get(keys.snapshot_cache(name, tick))
        except UNAVAILABLE:
            return None

    def keep_ticks(self) -> int:
        """How many ticks back a page's version is still kept (what held() accepts)."""
        return self._keep_s() * 1000 // self.settings.tick_ms

    def _keep_s(self) -> int:
        """How long per-tick values stay in the shared cache: a few ticks, so a screen a tick or two behind still
        gets a delta."""
        return max(5, 3 * self.settings.tick_ms // 1000)

    def memo(self, name: str, tick: int, build: Any) -> Any:
        """Compute a per-tick value once per process (e.g. one view's response for one language)."""
        hit = self._memo.get(name)
        if hit and hit[0] == tick:
            return hit[1]
        value = build()
        with self._lock:
            self._memo[name] = (tick, value)
        return value


EXTENSION = "onescreen"


def init(server: Flask, ctx: Context) -> None:
    """Install the context on one Flask app (create_app calls this once per app)."""
    server.extensions[EXTENSION] = ctx


def of(server: Flask) -> Context:
    """The context installed on one Flask app."""
    return server.extensions[EXTENSION]


def get() -> Context:
    """The context of the app serving this request (or whose app context is pushed); a clear error otherwise."""
    ctx = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if ctx is None:
        raise RuntimeError("no OneScreen app here: use it inside a request or app.app_context() of create_app()")
    return ctx


def now_ms() -> int:
    """Wall-clock now in epoch ms (the one place pages and the API read the clock)."""
    return int(time.time() * 1000)
