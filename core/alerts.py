"""What an alert is, for every floor: observations, levels, states, ids; the state documents and the moves between
them (fire, acknowledge, escalate, silence, resolve) and their counts, as pure dict functions (no I/O)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Chinese warning colours, least to most severe: blue IV, yellow III, orange II, red I.
SEVERITY: tuple[str, ...] = ("blue", "yellow", "orange", "red")
RANK: dict[str, int] = {name: i for i, name in enumerate(SEVERITY)}
STALE = "stale"  # the level of a staleness alert: its own class, never mixed into the colour ladder
LEVELS: tuple[str, ...] = (*SEVERITY, STALE)

PENDING, FIRING, ACKNOWLEDGED, RESOLVED = "pending", "firing", "acknowledged", "resolved"
ACTIVE_STATES = frozenset({FIRING, ACKNOWLEDGED})
SCOPES: tuple[str, ...] = ("feed", "station", "segment", "section", "district", "city")
SCOPE_FEED = {"station": "air", "segment": "traffic", "section": "water"}  # entity scopes and the feed they come from
AGE_METRIC = "age_s"  # the metric staleness rules watch: seconds since the entity's (or feed's) newest data

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Observation:
    """One metric of one entity at one instant; `fresh` False means it must not be evaluated as current."""

    scope: str
    entity_id: str
    metric: str
    value: Any
    ts: int
    fresh: bool = True
    name: str = ""
    name_en: str = ""
    district: str | None = None


def alert_id(rule_id: str, entity_id: str) -> str:
    """Deterministic from (rule, entity), so every process names the same alert the same way; URL-safe."""
    if _SAFE_ID.match(entity_id):
        return f"{rule_id}:{entity_id}"
    digest = hashlib.sha1(f"{rule_id}\0{entity_id}".encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
    return f"{rule_id}:h{digest}"


def level_rank(level: str) -> int:
    """Sort key of a level: stale below blue (it says nothing about the city, only about the data)."""
    return RANK.get(level, -1)

# What the UI and the HTTP API see of a state document; the rest is engine bookkeeping.
PUBLIC = ("id", "rule", "rule_name_zh", "rule_name_en", "kind", "scope", "entity_id", "entity_name", "entity_name_en",
          "district", "metric", "value", "value_ts", "threshold", "level", "state", "since_ms", "fired_ms",
          "updated_ms", "resolved_ms", "ack_by", "ack_ms", "ack_comment", "silenced", "held", "escalations")
MAX_BY = 64
MAX_COMMENT = 500


class AlertError(ValueError):
    """A request the alert's lifecycle does not allow (e.g. acknowledging a resolved alert)."""


class NotFound(AlertError):
    """No alert (or silence) with that id."""


class Conflict(AlertError):
    """The alert is not in a state that allows the request (HTTP 409)."""


def public(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The UI/API view of a state document."""
    return {k: doc.get(k) for k in PUBLIC}


def new_doc(aid: str, rule: Any, o: Observation, now_ms: int) -> dict[str, Any]:
    """A fresh state document for (rule, entity); the rule's names are copied so readers need no rule file."""
    return {"id": aid, "rule": rule.id, "rule_name_zh": rule.name_zh, "rule_name_en": rule.name_en,
            "kind": rule.kind, "scope": o.scope, "entity_id": o.entity_id, "entity_name": o.name or o.entity_id,
            "entity_name_en": o.name_en or o.name or o.entity_id, "district": o.district, "metric": rule.metric,
            "value": o.value, "value_ts": o.ts, "threshold": None, "level": None, "vlevel": -1, "state": None,
            "since_ms": now_ms, "fired_ms": None, "updated_ms": now_ms, "resolved_ms": None, "level_since": [],
            "clear_since": None, "notified_ms": None, "escalations": 0, "held": False, "silenced": False,
            "ack_by": None, "ack_ms": None, "ack_comment": None}


def transition(doc: Mapping[str, Any], event: str, before: str | None, now_ms: int, **extra: Any) -> dict[str, Any]:
    """One audit record: what happened to which alert, from which state to which, at what value."""
    return {"alert": doc["id"], "event": event, "from": before, "to": doc.get("state"), "rule": doc["rule"],
            "scope": doc["scope"], "entity_id": doc["entity_id"], "entity_name": doc.get("entity_name"),
            "district": doc.get("district"),  # so a district-scoped reader of the audit log sees only its own
            "metric": doc["metric"], "level": doc.get("level"), "value": doc.get("value"),
            "threshold": doc.get("threshold"), "silenced": bool(doc.get("silenced")), "at_ms": now_ms, **extra}


def fire(doc: dict[str, Any], idx: int, names: tuple[str, ...], thresholds: tuple[Any, ...], now_ms: int) -> None:
    """Pending (or new) -> firing at the level the value has held long enough."""
    doc.update(state=FIRING, vlevel=idx, level=names[idx], threshold=thresholds[idx], since_ms=now_ms,
               fired_ms=now_ms, notified_ms=now_ms, resolved_ms=None, clear_since=None, ack_by=None, ack_ms=None,
               ack_comment=None, escalations=0)


def escalate(doc: Mapping[str, Any], now_ms: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Unacknowledged too long: one colour up, or at red (and for stale alerts) a re-notification."""
    new = dict(doc, notified_ms=now_ms, updated_ms=now_ms, escalations=int(doc.get("escalations") or 0) + 1)
    level = doc.get("level")
    if level != STALE and level in SEVERITY and level != SEVERITY[-1]:
        new["level"] = SEVERITY[level_rank(level) + 1]
        return new, transition(new, "escalated", doc["state"], now_ms, previous_level=level)
    return new, transition(new, "renotified", doc["state"], now_ms)


def check_operator(by: Any, comment: Any) -> tuple[str, str]:
    """The operator's name (required, <= 64 chars) and comment (<= 500 chars), or AlertError saying which is wrong."""
    if not isinstance(by, str) or not by.strip() or len(by.strip()) > MAX_BY:
        raise AlertError(f"'by' must be a non-empty string of at most {MAX_BY} characters")
    comment = "" if comment is None else comment
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise AlertError(f"'comment' must be a string of at most {MAX_COMMENT} characters")
    return by.strip(), comment


def acknowledge(doc: Mapping[str, Any], by: Any, comment: Any, now_ms: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Firing -> acknowledged (by whom, when, comment); any other state is an AlertError saying why."""
    by, comment = check_operator(by, comment)
    state = doc.get("state")
    if state != FIRING:
        raise Conflict(f"alert {doc['id']} is {state}, only a firing alert can be acknowledged")
    new = dict(doc, state=ACKNOWLEDGED, ack_by=by, ack_ms=now_ms, ack_comment=comment, updated_ms=now_ms)
    return new, transition(new, "acknowledged", state, now_ms, by=by, comment=comment)


def silence_applies(sil: Mapping[str, Any], doc: Mapping[str, Any], now_ms: int) -> bool:
    """A silence covers an alert while unexpired and every key of its scope (rule, entity_id, district) matches."""
    if int(sil.get("until_ms") or 0) <= now_ms:
        return False
    scope = sil.get("scope") or {}
    return bool(scope) and all(doc.get(key) == value for key, value in scope.items())


def silenced(silences: Iterable[Mapping[str, Any]], doc: Mapping[str, Any], now_ms: int) -> bool:
    """True when any current silence covers the alert."""
    return any(silence_applies(s, doc, now_ms) for s in silences)


def is_active(doc: Mapping[str, Any]) -> bool:
    """Firing or acknowledged: what the wall shows and counts."""
    return doc.get("state") in ACTIVE_STATES


def resolve(doc: Mapping[str, Any], now_ms: int, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Active -> resolved; the document stays listed (state=all) until keep_resolved_s has passed."""
    new = dict(doc, state=RESOLVED, resolved_ms=now_ms, updated_ms=now_ms, clear_since=None)
    return new, transition(new, "resolved", doc.get("state"), now_ms, **extra)

def counts_of(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Active alerts by level, plus total, unacknowledged (firing and not silenced) and silenced; pure."""
    out = {level: 0 for level in LEVELS} | {"total": 0, "unacknowledged": 0, "silenced": 0}
    for rec in records:
        if rec.get("state") not in ("firing", "acknowledged"):
            continue
        out["total"] += 1
        out[rec["level"]] = out.get(rec["level"], 0) + 1
        if rec.get("silenced"):
            out["silenced"] += 1
        elif rec.get("state") == FIRING:
            out["unacknowledged"] += 1
    return out
