"""The Python API the wall, the laptop view and the HTTP API call: list, count, acknowledge, silence, audit log."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

import redis

from core import alerts as lc
from core.alerts import AlertError, Conflict, NotFound
from store import alerts as store

__all__ = ["AlertError", "Conflict", "NotFound", "acknowledge", "active", "all_alerts", "counts", "log",
           "silence", "silences", "unsilence"]

SCOPE_KEYS = ("rule", "entity_id", "district")
MAX_SILENCE_MS = 366 * 24 * 3600 * 1000
MAX_REASON = 200
_CAS_TRIES = 10


def active(r: redis.Redis) -> list[dict[str, Any]]:
    """Firing and acknowledged alerts, most severe first (each: id, rule, names, scope, entity, level, state ...)."""
    return store.read_active(r)


def all_alerts(r: redis.Redis) -> list[dict[str, Any]]:
    """Every tracked alert: pending, active and resolved within keep_resolved_s."""
    return store.read_all(r)




def counts(r: redis.Redis) -> dict[str, int]:
    """counts_of(active(r))."""
    return lc.counts_of(active(r))


def acknowledge(r: redis.Redis, alert_id: str, by: str, comment: str, now_ms: int) -> dict[str, Any]:
    """Firing -> acknowledged; NotFound for an unknown id, AlertError for bad input or another state."""
    lc.check_operator(by, comment)
    for _ in range(_CAS_TRIES):
        doc, version = store.get(r, alert_id)
        if doc is None:
            raise NotFound(f"no alert {alert_id!r}")
        new, tr = lc.acknowledge(doc, by, comment, now_ms)
        if store.commit(r, {alert_id: new}, {alert_id: version}, [tr]):
            return lc.public(new)
    raise Conflict(f"alert {alert_id} kept changing; try again")


def _check_scope(scope: Any, rules: Collection[str] | None) -> dict[str, str]:
    """A silence scope: one or more of rule, entity_id, district, each a non-empty string (rule must exist)."""
    if not isinstance(scope, Mapping) or not scope:
        raise AlertError(f"'scope' must be an object with at least one of {', '.join(SCOPE_KEYS)}")
    unknown = set(scope) - set(SCOPE_KEYS)
    if unknown:
        raise AlertError(f"unknown scope keys {sorted(unknown)}; allowed: {', '.join(SCOPE_KEYS)}")
    for key, value in scope.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 80:
            raise AlertError(f"scope.{key} must be a non-empty string of at most 80 characters")
    if rules is not None and "rule" in scope and scope["rule"] not in rules:
        raise AlertError(f"unknown rule {scope['rule']!r}")
    return {k: str(v).strip() for k, v in scope.items()}


def silence(r: redis.Redis, scope: Mapping[str, str], reason: str, by: str, until_ms: int, now_ms: int, *,
            rules: Collection[str] | None = None) -> str:
    """A maintenance window: matching alerts keep their state but are marked silenced and never escalate."""
    clean = _check_scope(scope, rules)
    by, _ = lc.check_operator(by, "")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise AlertError(f"'reason' must be a non-empty string of at most {MAX_REASON} characters")
    if isinstance(until_ms, bool) or not isinstance(until_ms, int) or not now_ms < until_ms <= now_ms + MAX_SILENCE_MS:
        raise AlertError("the silence must end in the future and within 366 days")
    sid = "s-" + secrets.token_hex(6)
    doc = {"id": sid, "scope": clean, "reason": reason.strip(), "created_by": by, "created_ms": now_ms,
           "until_ms": until_ms}
    store.put_silence(r, doc, {"event": "silence_created", "silence": sid, "scope": clean, "reason": doc["reason"],
                               "by": by, "until_ms": until_ms, "at_ms": now_ms})
    return sid


def unsilence(r: redis.Redis, silence_id: str, by: str, now_ms: int, *, district: str | None = None) -> bool:
    """End a silence early; False when there is no such silence (nothing is logged then). `district`: the silence's,
    recorded so a district-scoped reader of the audit log sees the entry."""
    by, _ = lc.check_operator(by, "")
    entry = {"event": "silence_deleted", "silence": silence_id, "by": by, "at_ms": now_ms}
    if district is not None:
        entry["district"] = district
    return store.delete_silence(r, silence_id, entry)


def silences(r: redis.Redis, now_ms: int, *, include_expired: bool = False) -> list[dict[str, Any]]:
    """Silences in force at now_ms (or every stored one), soonest expiry first."""
    docs = store.read_silences(r)
    return docs if include_expired else [d for d in docs if int(d.get("until_ms") or 0) > now_ms]


def log(r: redis.Redis, since_ms: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit entries (every transition, acknowledgement and silence) at or after since_ms, oldest first."""
    return store.read_log(r, since_ms, limit)
