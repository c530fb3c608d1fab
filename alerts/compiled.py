"""Rules compiled once into closures, and observations grouped once per pass, so the hot loop does no parsing."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Any

from alerts.rules import Rule
from core.alerts import STALE, Observation

OPS: dict[str, Callable[[Any, Any], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt,
                                              "<=": operator.le}
_NUM = (int, float)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule as closures and millisecond durations; `op`/`t0` set for ordered comparators (the vectorised path)."""

    rule: Rule
    key: tuple[str, str]
    names: tuple[str, ...]
    thresholds: tuple[Any, ...]
    level_of: Callable[[Any], int | None]  # -1 not breaching, None not evaluable (hold), else level index
    is_clear: Callable[[Any], bool]
    for_ms: float
    clear_ms: float
    esc_ms: float | None
    entities: frozenset[str] | None
    districts: frozenset[str] | None
    op: Callable[[Any, Any], bool] | None = None
    t0: Any = None

    def level(self, o: Observation) -> int | None:
        """Level index reached by an observation; None = stale or unusable for a threshold rule (hold)."""
        if self.rule.kind == "stale":
            return -1 if o.fresh or o.value is None else 0
        if not o.fresh or o.value is None:
            return None
        return self.level_of(o.value)


def _ladder(rule: Rule) -> tuple[Callable[[Any], int | None], Callable[[Any], bool]]:
    """level_of(value) and is_clear(value) for a threshold rule's comparator and levels."""
    ts = tuple(lv.threshold for lv in rule.levels)
    cmp = rule.comparator or "=="
    if cmp in OPS:
        op, t0, rest = OPS[cmp], ts[0], ts[1:]
        ct = rule.clear.threshold if rule.clear.threshold is not None else t0

        def level_of(v: Any) -> int | None:
            if type(v) not in _NUM or v != v:  # not a number, or NaN: unusable, hold
                return None
            if not op(v, t0):
                return -1
            i = 0
            for t in rest:
                if not op(v, t):
                    break
                i += 1
            return i

        return level_of, lambda v: not op(v, ct)

    def match(v: Any) -> int | None:
        if isinstance(v, dict | list):
            return None
        best = -1
        for i, t in enumerate(ts):
            if (v in t) if cmp == "in" else (v == t):
                best = i
        return best

    return match, lambda v: match(v) == -1


def compile_rule(rule: Rule) -> Compiled:
    """Precompute what evaluating one rule needs."""
    if rule.kind == "stale":
        names: tuple[str, ...] = (STALE,)
        thresholds: tuple[Any, ...] = (None,)
        level_of, is_clear = (lambda v: 0), (lambda v: False)  # decided by Observation.fresh
    else:
        names = tuple(lv.level for lv in rule.levels)
        thresholds = tuple(lv.threshold for lv in rule.levels)
        level_of, is_clear = _ladder(rule)
    op = OPS.get(rule.comparator or "") if rule.kind == "threshold" else None
    return Compiled(rule, (rule.scope, rule.metric), names, thresholds, level_of, is_clear, rule.for_s * 1000,
                    rule.clear.for_s * 1000, None if rule.escalate_after_s is None else rule.escalate_after_s * 1000,
                    None if rule.entities is None else frozenset(rule.entities),
                    None if rule.districts is None else frozenset(rule.districts), op,
                    thresholds[0] if op else None)


@dataclass(slots=True)
class Group:
    """The observations of one (scope, metric), with the current numeric ones split out for vectorised compares."""

    all: list[Observation] = field(default_factory=list)
    by_entity: dict[str, Observation] = field(default_factory=dict)
    numeric: list[Observation] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def breaching(self, c: Compiled) -> Iterable[Observation]:
        """Current numeric observations past the rule's first threshold: one C-level pass, no Python per entity."""
        return compress(self.numeric, map(c.op, self.values, repeat(c.t0)))  # type: ignore[arg-type]

    def pool(self, c: Compiled) -> list[Observation]:
        """The observations a rule's entity/district filters let through."""
        if c.entities is not None:
            obs = [self.by_entity[e] for e in c.entities if e in self.by_entity]
            return obs if c.districts is None else [o for o in obs if o.district in c.districts]
        if c.districts is not None:
            return [o for o in self.all if o.district in c.districts]
        return self.all


def group(observations: Iterable[Observation]) -> dict[tuple[str, str], Group]:
    """Observations by (scope, metric), once per pass."""
    out: dict[tuple[str, str], Group] = {}
    for o in observations:
        g = out.get((o.scope, o.metric))
        if g is None:
            g = out[(o.scope, o.metric)] = Group()
        g.all.append(o)
        g.by_entity[o.entity_id] = o
        if o.fresh and type(o.value) in _NUM and o.value == o.value:
            g.numeric.append(o)
            g.values.append(o.value)
    return out
