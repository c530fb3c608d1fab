"""HTTP JSON API for alerts, mounted at /api/v1 (register by listing "api.alerts" in api.MODULES).

    GET    /api/v1/alerts?state=active|all          list (active = firing + acknowledged; all adds pending/resolved)
    POST   /api/v1/alerts/<id>/ack                  {"comment": "..."} -> the acknowledged alert
    GET    /api/v1/alerts/log?since=<ISO 8601>&limit=N   audit entries since then (default: the last 24 h)
    GET    /api/v1/silences[?all=1]                 silences in force (all=1: expired ones not yet pruned too)
    POST   /api/v1/silences                         {"scope": {"rule"|"entity_id"|"district": ...}, "reason",
                                                     "until": ISO 8601 | "duration_s": seconds} -> 201 {"id", ...}
    DELETE /api/v1/silences/<id>                    -> {"deleted": id}

The request gate checks the caller's permissions; the operator recorded for an acknowledgement or a silence is the
authenticated caller (session user or API token), never a name in the request ("by" is ignored). A district-bound
caller sees and acts on only their district's alerts (and the feed-level ones everybody shares) and silences limited
to their district; another district's alert or silence answers 404 like an unknown id, and a silence they create is
limited to their district (asking for another district's is a 403).
Errors are JSON {"error": "..."}: 400 bad input, 403 another district, 404 unknown id, 409 wrong state, 503 store
unreachable.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, jsonify, request

from alerts import actions as alerts_api
from alerts.rules import load_rules
from api.errors import guarded_by, json_object
from auth import principal
from core import times
from core.alerts import AlertError, Conflict, NotFound
from store import alerts as store_alerts
from store import context
from store import scope as scope_mod
from store.client import UNAVAILABLE
from store.scope import OutOfScope

log = logging.getLogger("onescreen.api.alerts")
bp = Blueprint("alerts", __name__, url_prefix="/api/v1")
DAY_MS = 24 * 3600 * 1000
MAX_LIMIT = 10_000


class BadRequest(ValueError):
    """Input the API cannot use; its message goes back to the client as a 400."""


guarded = guarded_by(log, "alerts API", ((NotFound, 404, None), (OutOfScope, 403, None),
                                         (PermissionError, 401, "authentication required"),  # the gate answers first
                                         (Conflict, 409, None), ((BadRequest, AlertError), 400, None),
                                         ((*UNAVAILABLE, redis.RedisError), 503, "store unavailable")))


def _redis() -> redis.Redis:
    """The app's client; an app that was not set up counts as a store we cannot reach."""
    try:
        return context.get().redis
    except RuntimeError as exc:
        raise redis.ConnectionError("app context not initialised") from exc


def iso(ms: int | None) -> str | None:
    """Epoch ms -> ISO 8601 UTC with offset."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def parse_iso(value: str, name: str) -> int:
    """ISO 8601 with an explicit offset (or Z) -> epoch ms; BadRequest otherwise."""
    try:
        dt = times.parse_iso(value)
    except times.NoOffset as exc:
        raise BadRequest(f"{name!r} needs a UTC offset, e.g. 2026-05-01T08:00:00+08:00") from exc
    except ValueError as exc:
        raise BadRequest(f"{name!r} must be ISO 8601 with an offset, e.g. 2026-05-01T08:00:00+08:00") from exc
    return int(dt.timestamp() * 1000)


def _with_times(rec: dict[str, Any]) -> dict[str, Any]:
    """An alert record with ISO 8601 'since' beside since_ms."""
    return {**rec, "since": iso(rec.get("since_ms"))}


@bp.get("/alerts")
@guarded
def list_alerts() -> Any:
    """Active alerts (firing, acknowledged) or all of them, most severe first (the caller's district only)."""
    state = request.args.get("state", "active")
    if state not in ("active", "all"):
        raise BadRequest("state must be 'active' or 'all'")
    records = alerts_api.active(_redis()) if state == "active" else alerts_api.all_alerts(_redis())
    return jsonify([_with_times(rec) for rec in scope_mod.alerts(records, principal.current_scope())])


def _visible_alert(r: redis.Redis, alert_id: str, scope: str | None) -> None:
    """NotFound unless the caller may see the alert (another district's answers like an unknown id)."""
    if scope is None:
        return
    doc, _ = store_alerts.get(r, alert_id)
    if doc is None or not scope_mod.alert_visible(doc, scope):
        raise NotFound(f"no alert {alert_id!r}")


@bp.post("/alerts/<alert_id>/ack")
@guarded
def ack(alert_id: str) -> Any:
    """Acknowledge a firing alert as the authenticated caller, with an optional comment."""
    body = json_object(BadRequest)
    r, by = _redis(), principal.operator()
    _visible_alert(r, alert_id, principal.current_scope())
    rec = alerts_api.acknowledge(r, alert_id, by, body.get("comment", ""), context.now_ms())
    return jsonify(_with_times(rec))


@bp.get("/alerts/log")
@guarded
def alert_log() -> Any:
    """The audit stream since an ISO 8601 instant (default the last 24 h), oldest first (the caller's part)."""
    since_arg = request.args.get("since")
    since = context.now_ms() - DAY_MS if since_arg is None else parse_iso(since_arg, "since")
    try:
        limit = int(request.args.get("limit", 1000))
    except ValueError as exc:
        raise BadRequest("limit must be an integer") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be within 1..{MAX_LIMIT}")
    r, scope = _redis(), principal.current_scope()
    entries = alerts_api.log(r, since, limit)
    if scope is not None:
        known = {a["id"]: a.get("district") for a in alerts_api.all_alerts(r)}
        entries = scope_mod.log(entries, scope, known)
    return jsonify([{**e, "at": iso(e.get("at_ms"))} for e in entries])


@bp.get("/silences")
@guarded
def list_silences() -> Any:
    """Silences in force (or every stored one with ?all=1); a district caller's are those of their district."""
    every = request.args.get("all") in ("1", "true")
    items = alerts_api.silences(_redis(), context.now_ms(), include_expired=every)
    return jsonify(scope_mod.silences(items, principal.current_scope()))


@functools.cache
def _rule_ids() -> frozenset[str]:
    """Known rule ids, to reject a silence for a rule that does not exist."""
    return frozenset(rule.id for rule in load_rules().rules)


@bp.post("/silences")
@guarded
def create_silence() -> Any:
    """Start a maintenance window for a rule, an entity and/or a district (a district caller's: their district)."""
    body = json_object(BadRequest)
    now = context.now_ms()
    if "until" in body and isinstance(body["until"], str):
        until = parse_iso(body["until"], "until")
    elif isinstance(body.get("duration_s"), int | float) and not isinstance(body.get("duration_s"), bool):
        until = now + int(body["duration_s"] * 1000)
    else:
        raise BadRequest("give 'until' (ISO 8601 with an offset) or 'duration_s' (seconds)")
    by = principal.operator()
    scope = scope_mod.silence_scope(body.get("scope"), principal.current_scope())
    sid = alerts_api.silence(_redis(), scope, body.get("reason"), by, until, now, rules=_rule_ids())
    return jsonify({"id": sid, "until": iso(until)}), 201


@bp.delete("/silences/<silence_id>")
@guarded
def delete_silence(silence_id: str) -> Any:
    """End a silence early (a district caller: only one limited to their district)."""
    r, scope, by = _redis(), principal.current_scope(), principal.operator()
    sil = next((s for s in alerts_api.silences(r, 0, include_expired=True) if s["id"] == silence_id), None)
    if sil is None or not scope_mod.silence_visible(sil, scope):
        raise NotFound(f"no silence {silence_id!r}")
    district = (sil.get("scope") or {}).get("district")
    if not alerts_api.unsilence(r, silence_id, by, context.now_ms(), district=district):
        raise NotFound(f"no silence {silence_id!r}")
    return jsonify({"deleted": silence_id})
