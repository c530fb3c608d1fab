"""Alert rule evaluations per second, 1,000 rules over 10,000 entities, beside a naive scan measured in the same run.

Run from the repository root: `python -m bench.bench_alerts` (or `make bench`). The engine path includes extracting
observations from the raw snapshot, so both sides start from the same dicts; each figure is the best of a few passes
in steady state (alerts for the breaching pairs already exist). Prints; never asserts.
"""

from __future__ import annotations

import operator
import random
import time
from collections.abc import Callable
from typing import Any

from alerts.engine import Engine
from alerts.metrics import extract
from alerts.rules import Rule, RuleSet
from bench.common import size
from core.alerts import Observation

T0 = 1_790_000_000_000
N_RULES = size(1_000, 50)
ENTITIES = {"station": ("air", size(3_000, 150)), "segment": ("traffic", size(6_000, 300)),
            "section": ("water", size(1_000, 50))}
METRICS = {"station": ("aqi", "pm25_1h", "pm10_1h", "o3_1h"), "segment": ("level", "speed_ratio"),
           "section": ("do", "nh3n", "klass")}
FEEDS = {"air": {"stale_after_s": 30}, "traffic": {"stale_after_s": 30}, "water": {"stale_after_s": 30}}
CLASSES = ("I", "II", "III", "IV", "V", "劣V")
_OPS: dict[str, Callable[[Any, Any], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt,
                                               "<=": operator.le, "==": operator.eq}
DERIVED = {"aqi", "level", "speed_ratio", "klass"}


def _snapshot(rng: random.Random) -> dict[str, Any]:
    """10,000 entities as store.snapshot.read() returns them; values uniform 0..100, 0.1 % at the worst level."""
    raw: dict[str, Any] = {"health": {}, "service": {}}
    for scope, (feed, n) in ENTITIES.items():
        docs = {}
        for i in range(n):
            d: dict[str, Any] = {}
            v: dict[str, Any] = {}
            for metric in METRICS[scope]:
                if metric == "level":
                    value: Any = 5 if rng.random() < 0.001 else rng.randint(1, 4)
                elif metric == "klass":
                    value = "劣V" if rng.random() < 0.001 else rng.choice(CLASSES[:5])
                else:
                    value = round(rng.uniform(0, 100), 2)
                (d if metric in DERIVED else v)[metric] = value
            docs[f"{scope[:2]}{i:05d}"] = {"ts": T0, "v": v, "m": {"district_adcode": f"4401{i % 12:02d}"}, "d": d}
        raw[feed] = docs
    return raw


def _rules(rng: random.Random) -> list[Rule]:
    """1,000 rules spread over the scopes in proportion to their entities; each breached by about 0.1 % of them."""
    rules = []
    scopes = rng.choices(list(ENTITIES), weights=[n for _, n in ENTITIES.values()], k=N_RULES)
    for i, scope in enumerate(scopes):
        metric = rng.choice(METRICS[scope])
        names = ["blue", "yellow", "orange", "red"][:rng.randint(1, 4)]
        if metric == "klass":
            cmp, ts = "==", ["劣V"]
            names = names[:1]
        elif metric == "level":
            cmp, ts = ">=", [5]
            names = names[:1]
        elif metric == "do":
            start = rng.uniform(0.05, 0.15)
            cmp, ts = "<", [round(start - k * 0.02, 3) for k in range(len(names))]
        else:
            start = rng.uniform(99.85, 99.95)
            cmp, ts = ">", [round(start + k * 0.01, 3) for k in range(len(names))]
        rules.append(Rule(id=f"r{i:04d}", name_zh="规则", name_en="rule", scope=scope, metric=metric, comparator=cmp,
                          levels=tuple({"level": n, "threshold": t} for n, t in zip(names, ts, strict=False)),
                          for_s=rng.choice((0, 60, 600)), escalate_after_s=600))
    return rules


def _naive(rules: list[Rule], raw: dict[str, Any], states: dict[str, Any], now: int) -> tuple[int, set[str]]:
    """Per rule, scan every entity of every feed, dig the metric out of its dict, compare by comparator name."""
    evaluations, breaching = 0, set()
    feeds = {feed: scope for scope, (feed, _) in ENTITIES.items()}
    for rule in rules:
        for feed, docs in raw.items():
            if feeds.get(feed) != rule.scope:
                continue
            for eid, doc in docs.items():
                evaluations += 1
                value = doc["d"].get(rule.metric, doc["v"].get(rule.metric))
                if value is None or doc["ts"] < now - FEEDS[feed]["stale_after_s"] * 1000:
                    continue
                level = -1
                for i, lv in enumerate(rule.levels):
                    if _OPS[rule.comparator or "=="](value, lv.threshold):
                        level = i
                aid = f"{rule.id}:{eid}"
                if level >= 0 or aid in states:
                    breaching.add(aid)
    return evaluations, breaching


def _best(fn: Callable[[], Any], passes: int) -> tuple[float, Any]:
    """Fastest of `passes` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(passes):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(passes: int = size(3, 1)) -> list[str]:
    """The figures as printable lines."""
    rng = random.Random(7)
    raw, rules = _snapshot(rng), _rules(rng)
    engine = Engine(RuleSet(rules=tuple(rules)))
    states: dict[str, Any] = {}
    now = T0 + 1000

    def observe() -> list[Observation]:
        return extract(raw, now, FEEDS, wanted=engine.wanted)

    first = engine.evaluate(states, observe(), now)
    states.update({k: v for k, v in first.changes.items() if v is not None})
    obs = observe()
    t_engine, out = _best(lambda: engine.evaluate(states, obs, now), passes)
    t_full, _ = _best(lambda: engine.evaluate(states, observe(), now), passes)
    t_naive, (n_naive, naive_ids) = _best(lambda: _naive(rules, raw, states, now), max(1, passes - 1))
    evals = out.evaluations
    full, naive = evals / t_full, n_naive / t_naive
    same = "yes" if naive_ids == set(states) else f"NO ({len(naive_ids)} vs {len(states)})"
    return [
        f"alerts: {len(rules):,} rules over {sum(n for _, n in ENTITIES.values()):,} entities = {evals:,} rule "
        f"evaluations per pass; {len(states):,} alerts open",
        f"alerts engine (extract + evaluate): {full:,.0f} evaluations/s ({t_full * 1000:,.0f} ms per pass); "
        f"evaluate only: {evals / t_engine:,.0f}/s ({t_engine * 1000:,.0f} ms)",
        f"alerts baseline naive per-rule scans: {naive:,.0f} evaluations/s ({t_naive * 1000:,.0f} ms per pass, "
        f"{n_naive:,} evaluations)  ratio {full / naive:.1f}x  same alerts: {same}",
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
