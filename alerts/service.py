"""The evaluator: re-evaluates at every ingest event and on a timer, and rides out Redis restarts."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from alerts import metrics
from alerts.engine import Engine
from alerts.rules import RuleSet, load_rules
from config.indicator_config import load_traffic_config
from config.settings import Settings, load_city, load_feeds
from core import heap, summary
from core.geo import district_names
from indicators.traffic import TrafficConfig
from store import alerts as store
from store import keys, snapshot
from store.client import UNAVAILABLE, connect

log = logging.getLogger("onescreen.alerts")
TRIGGERS = frozenset({"feed", "silence"})  # events that mean "evaluate now"; our own "alert" events do not
MIN_GAP_S = 0.2  # a burst of ingest events (one per feed) costs one evaluation


@dataclass(frozen=True)
class Stats:
    """What one evaluation did; `conflicts` are changes another evaluator applied first (and so were dropped)."""

    evaluations: int
    changes: int
    applied: int
    conflicts: int
    transitions: int




class Evaluator:
    """Snapshot -> observations -> engine -> atomic commit; stateless between passes, the state is in Redis."""

    def __init__(self, r: redis.Redis, rules: RuleSet | None = None, *, city: Mapping[str, Any] | None = None,
                 feeds_cfg: Mapping[str, Mapping[str, Any]] | None = None, traffic_cfg: TrafficConfig | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.r = r
        self.rules = rules or load_rules()
        self.engine = Engine(self.rules)
        city = city if city is not None else {}
        self.district_names = district_names((city.get("geo") or {}).get("districts"))
        self.city_name = (str(city.get("name_zh", "全市")), str(city.get("name_en", "City")))
        self.feeds_cfg = feeds_cfg if feeds_cfg is not None else load_feeds()
        self.traffic_cfg = traffic_cfg
        self.clock = clock
        # each pass parses only the documents that changed since the last, and keeps their summary rows
        self.tracker = snapshot.Tracker(lambda feed, doc: summary.row(feed, doc, self.traffic_cfg))
        self.memo: dict[str, Any] = {}  # the last pass's observations of each entity (alerts.metrics.extract)

    def now_ms(self) -> int:
        """The injected clock in epoch ms."""
        return int(self.clock() * 1000)

    def evaluate(self, now_ms: int | None = None) -> Stats:
        """One pass over everything the store holds now; safe to run in any number of processes at once. After the
        first, a pass observes the entities whose documents changed or whose freshness flipped since the last, and
        those with an alert state (alerts.metrics.extract `also`), plus every district, city and feed figure."""
        now = self.now_ms() if now_ms is None else now_ms
        try:
            raw = snapshot.read(self.r, now, tracker=self.tracker)
            loaded = store.load(self.r)
            alerted = {st.get("entity_id") for st in loaded.states.values()}
            obs = metrics.extract(raw, now, self.feeds_cfg, traffic_cfg=self.traffic_cfg,
                                  district_names=self.district_names, city_name=self.city_name,
                                  wanted=self.engine.wanted, memo=self.memo, also=alerted)
            out = self.engine.evaluate(loaded.states, obs, now, loaded.silences)
            applied = store.commit(self.r, out.changes, loaded.versions, out.transitions,
                                   maxlen=self.rules.log_maxlen)
        except BaseException:
            self.memo.clear()  # what this pass saw was not all recorded: the next pass observes everything again
            raise
        if len(applied) < len(out.changes):
            self.memo.clear()  # another evaluator moved first: observe everything next time, as a new process would
        store.prune_silences(self.r, loaded.silences, now - int(self.rules.keep_resolved_s * 1000))
        logged = sum(1 for t in out.transitions if t["alert"] in applied)
        for t in out.transitions:
            if t["alert"] in applied and t["event"] not in ("pending", "cancelled"):
                log.info("alert %s %s -> %s (%s, value %s)", t["alert"], t["from"], t["to"], t["level"], t["value"])
        return Stats(out.evaluations, len(out.changes), len(applied), len(out.changes) - len(applied), logged)

    def run(self, stop: threading.Event) -> None:
        """Evaluate on each ingest event and every timer_s until stop is set; back off while Redis is away."""
        pubsub: Any = None
        next_due = 0.0
        backoff = 0.5
        while not stop.is_set():
            try:
                if pubsub is None:
                    pubsub = self.r.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(keys.EVENTS)
                triggered = self._drain(pubsub, max(0.0, min(0.5, next_due - time.monotonic())))
                if triggered or time.monotonic() >= next_due:
                    self.evaluate()
                    next_due = time.monotonic() + self.rules.timer_s
                    stop.wait(MIN_GAP_S if triggered else 0)
                backoff = 0.5
            except UNAVAILABLE as exc:
                log.warning("store unreachable, alert evaluation retries in %.1f s: %s", backoff, exc)
                self.memo.clear()  # the store may come back older (restored): observe everything again
                pubsub = _close(pubsub)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:  # a bad record or a bug must not stop alerting for good: log it, try again next tick
                log.exception("alert evaluation failed")
                stop.wait(self.rules.timer_s)
        _close(pubsub)

    @staticmethod
    def _drain(pubsub: Any, timeout: float) -> bool:
        """Wait up to `timeout` for events, then take every queued one; True if any asks for an evaluation."""
        triggered = False
        msg = pubsub.get_message(timeout=timeout)
        while msg is not None:
            if msg.get("type") == "message":
                with contextlib.suppress(ValueError, AttributeError):
                    triggered |= json.loads(msg["data"]).get("type") in TRIGGERS
            msg = pubsub.get_message(timeout=0)
        return triggered


def _close(pubsub: Any) -> None:
    """Close a pub/sub connection, ignoring a server that is already gone."""
    if pubsub is not None:
        with contextlib.suppress(*UNAVAILABLE):
            pubsub.close()


def start(r: redis.Redis, stop: threading.Event, *, city: Mapping[str, Any] | None = None,
          rules_path: str | Path | None = None, clock: Callable[[], float] = time.time) -> threading.Thread:
    """Validate the rules (ValueError at start-up if the file is wrong), then run the evaluator as a daemon thread."""
    evaluator = Evaluator(r, load_rules(rules_path), city=city, traffic_cfg=load_traffic_config(), clock=clock)
    th = threading.Thread(target=evaluator.run, args=(stop,), name="alert-evaluator", daemon=True)
    th.start()
    return th


def main(argv: list[str] | None = None) -> None:
    """`python -m alerts.service`: a standalone evaluator against REDIS_URL (`--once` for a single pass)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rules", help="rules file (default config/alerts.yaml)")
    parser.add_argument("--once", action="store_true", help="evaluate once, print the figures, exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings()
    if not settings.redis_url:
        raise SystemExit("REDIS_URL must be set for the standalone alert evaluator")
    heap.settle()  # core/heap.py
    r = connect(settings.redis_url)
    city = load_city(settings.city)
    if args.once:
        ev = Evaluator(r, load_rules(args.rules), city=city, traffic_cfg=load_traffic_config())
        print(json.dumps(ev.evaluate().__dict__), flush=True)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    th = start(r, stop, city=city, rules_path=args.rules)
    log.info("alert evaluator started against %s", settings.redis_url)
    while th.is_alive():
        th.join(0.5)


if __name__ == "__main__":
    main()
