"""Schedules the sources: poll, derive, store; a failure is recorded in the feed's health and retried next time."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import redis

from alerts import service as alert_service
from config.indicator_config import load_traffic_config
from config.settings import Settings, load_city, load_feeds
from core import district_score, heap, summary
from core.geo import GEO_DIR, district_names
from core.readings import Source, SourceError
from data_sources import pipeline
from indicators.traffic import TrafficConfig
from store import cases, history, kpi, snapshot
from store.client import UNAVAILABLE, connect
from store.writer import Writer

log = logging.getLogger("onescreen.runner")
LOOP_KEEP_S = 60.0  # how often the runner checks the loop's live layer against the case records
ALERT_CASES_S = 10.0  # how often active alerts are checked for the cases they are due to open
FORWARD_S = 10.0  # how often the Open311 forwarding outbox is worked


class Runner:
    """Polls each source on its interval and writes what it yields in one batch per poll."""
    def __init__(self, r: redis.Redis, sources: Sequence[Source], *, aqi_setting: str = "auto",
                 retention: int = 100_000, traffic_cfg: TrafficConfig | None = None,
                 clock: Callable[[], float] = time.time, rules: pipeline.Rules | None = None) -> None:
        self.r = r
        self.sources = list(sources)
        self.rules = rules or pipeline.default_rules(aqi_setting, traffic_cfg)
        self.clock = clock
        self.writers = {s.name: Writer(r, retention=retention, source=s.name) for s in self.sources}
        self._next: dict[str, float] = {s.name: 0.0 for s in self.sources}

    def run_once(self, source: Source, now_ms: int) -> int:
        """One poll of one source through the pipeline; returns readings written (0 on failure, which health records).

        The rows the source could not parse, and the readings the pipeline refuses, land in the dead letter with
        their reasons; the rest of the poll is stored.
        """
        writer = self.writers[source.name]
        take = getattr(source, "take_rejected", None)
        try:
            readings = source.poll(now_ms)
        except SourceError as exc:
            for feed in source.feeds:
                writer.mark_error(feed, str(exc), now_ms)
            rejected = take() if take else []
            if rejected:  # the rows it could not use before failing still say why (a CSV with no usable row)
                writer.write([], now_ms, rejected=rejected)
            return 0
        batch = pipeline.store(writer, readings, self.rules, now_ms, rejected=take() if take else (),
                               polled=source.feeds)
        return len(batch.items)

    def step(self) -> float:
        """Run every source that is due; returns seconds until the next one is due."""
        now = self.clock()
        for s in self.sources:
            if now >= self._next[s.name]:
                self._next[s.name] = now + s.interval_s
                try:
                    self.run_once(s, int(now * 1000))
                except UNAVAILABLE as exc:
                    log.warning("store unreachable, %s will retry: %s", s.name, exc)
                except Exception as exc:  # a bug in one source's path must not stop every feed: show it, go on
                    log.exception("%s: poll failed unexpectedly", s.name)
                    with contextlib.suppress(*UNAVAILABLE):
                        for feed in s.feeds:
                            self.writers[s.name].mark_error(feed, f"unexpected {type(exc).__name__}: {exc}"[:300],
                                                            int(now * 1000))
        return max(0.05, min(self._next.values()) - self.clock())

    def run(self, stop: threading.Event) -> None:
        """Loop until stop is set."""
        while not stop.is_set():
            stop.wait(self.step())


def reset_simulated_cases(r: redis.Redis) -> None:
    """A new simulator run regenerates its backlog: drop the previous run's simulated cases from every index, the
    per-district ones included (history streams stay); cases that came in any other way stay."""
    cases.forget_simulated(r)


def build_sources(settings: Settings, r: redis.Redis) -> list[Source]:
    """The city profile's `sources:` plus, when on, the simulator for the feeds no configured source takes."""
    from data_sources.registry import configured_sources, without_feeds

    real, taken = configured_sources(settings, r)
    sources: list[Source] = []
    if settings.simulator:
        from data_sources.simulator.city import Simulator
        from data_sources.simulator.furniture import FurnitureSimulator, box_of

        reset_simulated_cases(r)
        city = load_city(settings.city)
        sources.append(Simulator(city, seed=settings.sim_seed, time_factor=settings.sim_time_factor))
        sources.append(FurnitureSimulator(box_of(city), seed=settings.furniture_seed))
    return [*without_feeds(sources, taken), *real]


def record_kpis(r: redis.Redis, stop: threading.Event, traffic_cfg: TrafficConfig | None = None,
                period_s: float = 60.0, clock: Callable[[], float] = time.time, districts: Sequence[str] = ()) -> None:
    """Once a minute, the city's headline KPIs into their history (sparklines, 'same hour yesterday'), and each
    district's attention score (core/district_score.py: the overview's change over the hour)."""
    feeds = load_feeds()
    while not stop.is_set():
        now = int(clock() * 1000)
        try:
            city = summary.build(snapshot.read(r, now, districts=districts), now, feeds, traffic_cfg)
            kpi.record(r, now, {**kpi.city_kpis(city), **district_score.kpis(city)})
        except UNAVAILABLE as exc:
            log.warning("store unreachable, KPI sample skipped: %s", exc)
        stop.wait(period_s - (clock() % period_s) + 1)


def compact_history(r: redis.Redis, stop: threading.Event, period_s: float = 600.0,
                    clock: Callable[[], float] = time.time) -> None:
    """Every 10 minutes, thin the history hours that have turned a day old to a sample per 10 minutes (a store
    that was never thinned catches up six hours a run)."""
    while not stop.is_set():
        try:
            removed = history.compact_due(r, int(clock() * 1000))
            if removed:
                log.info("history: %d per-minute samples older than a day thinned", removed)
        except UNAVAILABLE as exc:
            log.warning("store unreachable, history thinning retries later: %s", exc)
        stop.wait(period_s)


def start_thread(settings: Settings, r: redis.Redis, stop: threading.Event) -> threading.Thread:
    """The all-in-one runs the feed runner and the alert evaluator as daemon threads beside the web server.

    Also records the city KPIs once a minute. Returns the feed thread, or the evaluator's when there are no sources
    (alerts on pushed or stale feeds still run).
    Also thins history older than a day every 10 minutes (store.history.compact_due).
    A bad config/alerts.yaml or feeds.yaml history_days raises ValueError here, at start-up.
    """
    city = load_city(settings.city)
    sources = build_sources(settings, r)
    evaluator = alert_service.start(r, stop, city=city)
    traffic_cfg = load_traffic_config()
    threading.Thread(target=record_kpis, args=(r, stop, traffic_cfg), name="kpi-recorder", daemon=True,
                     kwargs={"districts": tuple(district_names(city["geo"]["districts"]))}).start()
    history.keep_ms("air")  # a bad history_days in config/feeds.yaml: ValueError here, at start-up
    threading.Thread(target=compact_history, args=(r, stop), name="history-thinning", daemon=True).start()
    if settings.simulator:
        threading.Thread(target=simulate_loop, args=(settings, r, stop, city), name="loop-simulator",
                         daemon=True).start()
    threading.Thread(target=keep_loop, args=(settings, r, stop, city), name="loop-keeper", daemon=True).start()
    threading.Thread(target=open_alert_cases, args=(settings, r, stop), name="alert-cases", daemon=True).start()
    if settings.open311_upstream:
        threading.Thread(target=forward_cases, args=(settings, r, stop), name="open311-forward", daemon=True).start()
    sim = next((s for s in sources if s.name == "simulator"), None)
    if sim is not None and settings.sim_backfill_days > 0:
        threading.Thread(target=backfill_history, args=(settings, r, city, set(sim.feeds), traffic_cfg, stop),
                         name="history-backfill", daemon=True).start()
    if not sources:
        return evaluator
    runner = Runner(r, sources, retention=settings.retention,
                    rules=pipeline.rules_for(city, traffic_cfg=traffic_cfg))
    th = threading.Thread(target=runner.run, args=(stop,), name="feed-runner", daemon=True)
    th.start()
    return th


def backfill_history(settings: Settings, r: redis.Redis, city: dict[str, Any], feeds: set[str],
                     traffic_cfg: TrafficConfig | None = None, stop: threading.Event | None = None) -> None:
    """On a store with no history yet, the simulator fills the days before its start (simulator/backfill.py)."""
    from data_sources.simulator.backfill import backfill

    try:
        backfill(r, city, seed=settings.sim_seed, days=settings.sim_backfill_days, feeds=feeds, feeds_cfg=load_feeds(),
                 rules=pipeline.rules_for(city, traffic_cfg=traffic_cfg), traffic_cfg=traffic_cfg, stop=stop)
    except UNAVAILABLE as exc:
        log.warning("store unreachable, no history back-filled: %s", exc)
    except Exception:  # noqa: BLE001 - the live feeds matter more than the past: logged, they go on
        log.exception("history back-fill failed")


def _casebook(settings: Settings, r: redis.Redis, clock: Callable[[], float]) -> Any:
    """The case records for a background thread (migrated, keeping the live layer in step), or None when the
    database cannot be opened (logged)."""
    from store import casebook, loop

    try:
        eng = casebook.engine_for(settings.database_url, Path(settings.data_dir))
        casebook.migrate(eng)
    except Exception:  # noqa: BLE001 - a thread of the loop is not worth the feed runner
        log.exception("case records unavailable")
        return None
    return casebook.Casebook(eng, on_change=lambda row: loop.apply(r, row, int(clock() * 1000)))


def keep_loop(settings: Settings, r: redis.Redis, stop: threading.Event, city: dict[str, Any],
              period_s: float = LOOP_KEEP_S, clock: Callable[[], float] = time.time) -> None:
    """Make the loop's live layer from the case records when it is not theirs (a new or flushed store), at start and
    every period_s: the wall counts the loop from it, though no page has opened the records yet."""
    from store import loop

    book = _casebook(settings, r, clock)
    if book is None:
        return
    districts = tuple(district_names(city["geo"]["districts"]))
    while not stop.is_set():
        try:
            if loop.reconcile(r, book, districts, int(clock() * 1000)):
                log.info("case live layer made from the records")
        except Exception:  # noqa: BLE001 - the records stay the truth; the next round tries again
            log.exception("case live layer check failed")
        stop.wait(period_s)


def simulate_loop(settings: Settings, r: redis.Redis, stop: threading.Event, city: dict[str, Any],
                  period_s: float = 2.0, clock: Callable[[], float] = time.time) -> None:
    """The simulated closed loop (data_sources/simulator/loop.py) on the case records, every period_s."""
    from config.settings import load_case_rules
    from data_sources.simulator.loop import LoopSimulator

    book = _casebook(settings, r, clock)
    if book is None:
        return
    sim = LoopSimulator(book, GEO_DIR / city["geo"]["districts"], load_case_rules(), seed=settings.sim_seed,
                        time_factor=settings.sim_time_factor)
    while not stop.is_set():
        try:
            sim.step(int(clock() * 1000))
        except Exception:  # noqa: BLE001 - a bad round is logged; the next one tries again
            log.exception("simulated loop round failed")
        stop.wait(period_s)


def open_alert_cases(settings: Settings, r: redis.Redis, stop: threading.Event, period_s: float = ALERT_CASES_S,
                     clock: Callable[[], float] = time.time) -> None:
    """Alerts whose rule says `case:` open their case once they have been active long enough (cases/from_alerts.py),
    checked every period_s."""
    from alerts.rules import load_rules
    from cases.from_alerts import AlertCases

    rules = load_rules()
    if not any(rule.case for rule in rules.rules):
        return
    book = _casebook(settings, r, clock)
    if book is None:
        return
    opener = AlertCases(r, book, rules)
    while not stop.is_set():
        try:
            opener.step(int(clock() * 1000))
        except UNAVAILABLE as exc:
            log.warning("store unreachable, alert cases checked again in %.0f s: %s", period_s, exc)
        except Exception:  # noqa: BLE001 - logged; the next round tries again (the case ids make it safe)
            log.exception("opening cases from alerts failed")
        stop.wait(period_s)


def forward_cases(settings: Settings, r: redis.Redis, stop: threading.Event, period_s: float = FORWARD_S,
                  clock: Callable[[], float] = time.time) -> None:
    """The cases OneScreen opens, filed with the city hotline's Open311 endpoint (open311_forward.py), every
    period_s."""
    from data_sources.providers.open311_forward import Forwarder

    book = _casebook(settings, r, clock)
    if book is None or not settings.open311_upstream:
        return
    fwd = Forwarder(book, r, settings.open311_upstream, settings.open311_upstream_key,
                    jurisdiction=settings.open311_jurisdiction)
    while not stop.is_set():
        try:
            fwd.step(int(clock() * 1000))
        except UNAVAILABLE as exc:
            log.warning("store unreachable, forwarding tries again in %.0f s: %s", period_s, exc)
        except Exception:  # noqa: BLE001 - logged; the outbox keeps every case for the next round
            log.exception("forwarding round failed")
        stop.wait(period_s)


def main() -> None:
    """`python -m data_sources.runner`: the production feed process, pointed at REDIS_URL."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings()
    if not settings.redis_url:
        raise SystemExit("REDIS_URL must be set for the standalone feed runner")
    heap.settle()  # core/heap.py
    r = connect(settings.redis_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    th = start_thread(settings, r, stop)  # with no sources it still runs the alert evaluator (pushed feeds)
    log.info("feed runner started against %s", settings.redis_url)
    while th.is_alive():
        th.join(0.5)


if __name__ == "__main__":
    main()
