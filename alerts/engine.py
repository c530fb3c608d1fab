"""Rules + previous states + observations + now -> changed states + transitions. Pure and deterministic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerts.compiled import Compiled, compile_rule, group
from alerts.rules import Rule, RuleSet
from core import alerts as lc
from core.alerts import ACKNOWLEDGED, FIRING, PENDING, RESOLVED, Observation, alert_id, level_rank

__all__ = ["Compiled", "Engine", "Outcome", "compile_rule"]


@dataclass
class Outcome:
    """What one evaluation changed: alert id -> new document (None = delete), and the audit transitions in order."""

    changes: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    evaluations: int = 0


def _since(prev: Sequence[Any] | None, lvl: int, n: int, now: int) -> list[Any]:
    """Per level, when the value first reached it in the current run; levels above `lvl` restart."""
    prev = prev or ()
    return [(prev[j] if j < len(prev) and prev[j] is not None else now) if j <= lvl else None for j in range(n)]


def _held(since: Sequence[Any], for_ms: float, now: int) -> int:
    """The highest level held for at least for_ms (-1 if none yet)."""
    best = -1
    for j, t in enumerate(since):
        if t is not None and now - t >= for_ms:
            best = j
    return best


class Engine:
    """Holds compiled rules only; all alert state comes in and goes out, so a restart continues from Redis."""

    def __init__(self, rules: RuleSet | Iterable[Rule], *, keep_resolved_s: float | None = None) -> None:
        ruleset = rules if isinstance(rules, RuleSet) else None
        self.rules = [compile_rule(r) for r in (ruleset.rules if ruleset else rules) if r.enabled]
        self.by_id = {c.rule.id: c for c in self.rules}
        keep = keep_resolved_s if keep_resolved_s is not None else (ruleset.keep_resolved_s if ruleset else 86_400)
        self.keep_ms = keep * 1000
        self.wanted = frozenset(c.key for c in self.rules)

    def evaluate(self, states: Mapping[str, Mapping[str, Any]], observations: Iterable[Observation], now_ms: int,
                 silences: Sequence[Mapping[str, Any]] = ()) -> Outcome:
        """One pass: step every (rule, entity) with a current observation, then timers (escalation, silences, GC)."""
        groups = group(observations)
        by_rule: dict[str, dict[str, Mapping[str, Any]]] = {}
        for st in states.values():
            by_rule.setdefault(st["rule"], {})[st["entity_id"]] = st
        out = Outcome()
        for c in self.rules:
            g = groups.get(c.key)
            if g is None:
                continue
            rstates = by_rule.get(c.rule.id) or {}
            pool = g.pool(c)
            out.evaluations += len(pool)
            if c.op is not None and pool is g.all:
                # Ordered threshold, no filter: new breaches come from one vectorised compare; open alerts by id.
                for o in g.breaching(c):
                    if o.entity_id not in rstates:
                        self._start(c, None, o, c.level_of(o.value) or 0, now_ms, out, silences)
                for eid, st in rstates.items():
                    o = g.by_entity.get(eid)
                    if o is not None:
                        self._step(c, st, o, c.level(o), now_ms, out, silences)
                continue
            for o in pool:
                st = rstates.get(o.entity_id)
                lvl = c.level(o)
                if st is not None:
                    self._step(c, st, o, lvl, now_ms, out, silences)
                elif lvl is not None and lvl >= 0:
                    self._start(c, None, o, lvl, now_ms, out, silences)
        self._timers(states, out, now_ms, silences)
        return out

    def _start(self, c: Compiled, st: Mapping[str, Any] | None, o: Observation, lvl: int, now: int,
               out: Outcome, silences: Sequence[Mapping[str, Any]]) -> None:
        """A breach with no open episode: pending, or straight to firing when for_s is 0 (silenced from the start)."""
        aid = st["id"] if st else alert_id(c.rule.id, o.entity_id)
        doc = lc.new_doc(aid, c.rule, o, now)
        doc.update(state=PENDING, level_since=_since(None, lvl, len(c.names), now),
                   level=c.names[lvl], threshold=c.thresholds[lvl])
        doc["silenced"] = lc.silenced(silences, doc, now)
        before = st["state"] if st else None
        held = _held(doc["level_since"], c.for_ms, now)
        if held >= 0:
            lc.fire(doc, held, c.names, c.thresholds, now)
            out.transitions.append(lc.transition(doc, "firing", before, now))
        else:
            out.transitions.append(lc.transition(doc, "pending", before, now))
        out.changes[aid] = doc

    def _step(self, c: Compiled, st: Mapping[str, Any], o: Observation, lvl: int | None, now: int,
              out: Outcome, silences: Sequence[Mapping[str, Any]]) -> None:
        """Advance one existing alert with one observation; `lvl` None = stale or unusable value: hold."""
        state = st["state"]
        if lvl is None:
            if state != RESOLVED and not st.get("held"):
                out.changes[st["id"]] = dict(st, held=True)
            return
        if state == RESOLVED:
            if lvl >= 0:
                self._start(c, st, o, lvl, now, out, silences)
            return
        if state == PENDING and lvl < 0:
            doc = dict(st, state=None, updated_ms=now, value=o.value, value_ts=o.ts)
            out.transitions.append(lc.transition(doc, "cancelled", PENDING, now))
            out.changes[st["id"]] = None
            return
        was_held = bool(st.get("held"))  # durations restart after a stale gap: the gap proves nothing
        since = _since(None if was_held else st.get("level_since"), lvl, len(c.names), now)
        doc = dict(st, value=o.value, value_ts=o.ts, level_since=since, held=False)
        if was_held:
            doc["clear_since"] = None
        held = _held(since, c.for_ms, now)
        if state == PENDING:
            if held >= 0:
                lc.fire(doc, held, c.names, c.thresholds, now)
                out.transitions.append(lc.transition(doc, "firing", PENDING, now))
            else:
                doc.update(level=c.names[lvl], threshold=c.thresholds[lvl])
        else:
            doc = self._active(c, st, doc, o, held, now, out)
        if doc != st:
            doc["updated_ms"] = now
            out.changes[st["id"]] = doc

    def _active(self, c: Compiled, st: Mapping[str, Any], doc: dict[str, Any], o: Observation, held: int, now: int,
                out: Outcome) -> dict[str, Any]:
        """Firing or acknowledged: move up a level (re-alerting an acknowledged alert), or clear with hysteresis."""
        if held > int(st.get("vlevel", -1)):
            doc.update(vlevel=held, threshold=c.thresholds[held], clear_since=None)
            name = c.names[held]
            if level_rank(name) > level_rank(str(st.get("level"))):
                doc.update(level=name, state=FIRING, notified_ms=now, ack_by=None, ack_ms=None, ack_comment=None)
                out.transitions.append(lc.transition(doc, "level_up", st["state"], now, previous_level=st["level"]))
            return doc
        clear = o.fresh if c.rule.kind == "stale" else c.is_clear(o.value)
        if not clear:
            doc["clear_since"] = None
            return doc
        started = doc.get("clear_since") or now
        if now - started < c.clear_ms:
            doc["clear_since"] = started
            return doc
        doc, tr = lc.resolve(doc, now)
        out.transitions.append(tr)
        return doc

    def _timers(self, states: Mapping[str, Mapping[str, Any]], out: Outcome, now: int,
                silences: Sequence[Mapping[str, Any]]) -> None:
        """Whatever time alone changes: silences start/end, escalation, resolved documents expire, removed rules."""
        for aid in list(states) + [a for a in out.changes if a not in states]:
            doc = out.changes[aid] if aid in out.changes else states[aid]
            if doc is None:
                continue
            state = doc.get("state")
            if state == RESOLVED:
                if now - int(doc.get("resolved_ms") or now) > self.keep_ms:
                    out.changes[aid] = None
                continue
            c = self.by_id.get(doc["rule"])
            if c is None:
                self._orphan(doc, now, out)
                continue
            sil = lc.silenced(silences, doc, now)
            if sil != bool(doc.get("silenced")):
                doc = dict(doc, silenced=sil, updated_ms=now, notified_ms=doc.get("notified_ms") if sil else now)
                out.changes[aid] = doc
                if state in (FIRING, ACKNOWLEDGED):
                    out.transitions.append(lc.transition(doc, "silenced" if sil else "unsilenced", state, now))
            due = c.esc_ms is not None and now - int(doc.get("notified_ms") or now) >= c.esc_ms
            if state == FIRING and not sil and due:
                doc, tr = lc.escalate(doc, now)
                out.changes[aid] = doc
                out.transitions.append(tr)

    def _orphan(self, doc: Mapping[str, Any], now: int, out: Outcome) -> None:
        """A state whose rule was removed or disabled: drop a pending one, resolve an active one."""
        if doc.get("state") == PENDING:
            out.changes[doc["id"]] = None
            out.transitions.append(lc.transition(dict(doc, state=None), "cancelled", PENDING, now,
                                                 comment="rule no longer configured"))
            return
        new, tr = lc.resolve(doc, now, comment="rule no longer configured")
        out.changes[doc["id"]] = new
        out.transitions.append(tr)
