"""Alert state in Redis: one atomic compare-and-set per alert, so several evaluators never double-fire or double-log.

Every key carries the {alerts} hash tag (one cluster slot). The engine state of every open or recently resolved
alert lives in ALERTS_STATE; ALERTS_ACTIVE mirrors only firing/acknowledged ones (what the wall reads per tick);
ALERTS_VERSION holds a per-alert counter the commit script compares; ALERTS_LOG is the audit stream, its entry ids
taken from the transition's own clock (kept monotone), so `log(since)` is an XRANGE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from core.alerts import is_active, level_rank, public
from store import keys, lua

LOG_MAXLEN = 100_000


_COMMIT_LUA = lua.source("alert_log", "alert_commit")

_SILENCE_LUA = lua.source("alert_log", "alert_silence")

_scripts: dict[str, Any] = {}


def _run(r: redis.Redis, source: str, keys_: list[str], args: list[Any]) -> Any:
    """EVALSHA on the caller's client (reloaded by redis-py after a server restart); one Script per source."""
    if source not in _scripts:
        _scripts[source] = r.register_script(source)
    return _scripts[source](keys=keys_, args=args, client=r)


def _dumps(doc: Mapping[str, Any]) -> str:
    """Compact JSON, Chinese kept readable."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Loaded:
    """Everything the engine needs from Redis: states, their versions, the silences."""

    states: dict[str, dict[str, Any]]
    versions: dict[str, str]
    silences: list[dict[str, Any]]


def load(r: redis.Redis) -> Loaded:
    """States, versions and silences in one round trip."""
    pipe = r.pipeline(transaction=False)
    pipe.hgetall(keys.ALERTS_STATE)
    pipe.hgetall(keys.ALERTS_VERSION)
    pipe.hgetall(keys.ALERTS_SILENCES)
    states, versions, silences = pipe.execute()
    return Loaded({k: json.loads(v) for k, v in states.items()}, versions,
                  [json.loads(v) for v in silences.values()])


def commit(r: redis.Redis, changes: Mapping[str, Mapping[str, Any] | None], versions: Mapping[str, str],
           transitions: Iterable[Mapping[str, Any]], *, maxlen: int = LOG_MAXLEN) -> set[str]:
    """Apply each alert's change and its transitions only if its version is still the one read; ids applied."""
    if not changes:
        return set()
    by_alert: dict[str, list[Mapping[str, Any]]] = {}
    for tr in transitions:
        by_alert.setdefault(tr["alert"], []).append(tr)
    args: list[Any] = [maxlen, keys.EVENTS]
    for aid, doc in changes.items():
        trs = by_alert.get(aid, [])
        args += [aid, str(versions.get(aid, "0")), "del" if doc is None else "set",
                 "1" if doc is not None and is_active(doc) else "0", "" if doc is None else _dumps(doc), len(trs)]
        for tr in trs:
            args += [int(tr["at_ms"]), _dumps(tr)]
    applied = _run(r, _COMMIT_LUA, _KEYS, args)
    return {a.decode() if isinstance(a, bytes) else a for a in applied}


_KEYS = [keys.ALERTS_STATE, keys.ALERTS_VERSION, keys.ALERTS_ACTIVE, keys.ALERTS_LOG]


def get(r: redis.Redis, alert_id: str) -> tuple[dict[str, Any] | None, str]:
    """One alert's state document and version (None, '0' when unknown)."""
    pipe = r.pipeline(transaction=False)
    pipe.hget(keys.ALERTS_STATE, alert_id)
    pipe.hget(keys.ALERTS_VERSION, alert_id)
    doc, ver = pipe.execute()
    return (json.loads(doc) if doc else None), (ver or "0")


def sort_key(rec: Mapping[str, Any]) -> tuple[Any, ...]:
    """Most severe first, unacknowledged before acknowledged, oldest first."""
    return (-level_rank(str(rec.get("level"))), rec.get("state") != "firing", rec.get("since_ms") or 0, rec["id"])


def queue_read_active(pipe: Any) -> None:
    """Queue the active-alert read on a caller's pipeline (the one snapshot round trip); parse with parse_active."""
    pipe.hgetall(keys.ALERTS_ACTIVE)


def parse_active(result: Mapping[str, str]) -> list[dict[str, Any]]:
    """The result of queue_read_active -> public alert records, most severe first."""
    return sorted((public(json.loads(doc)) for doc in result.values()), key=sort_key)


def read_active(r: redis.Redis) -> list[dict[str, Any]]:
    """Firing and acknowledged alerts."""
    return parse_active(r.hgetall(keys.ALERTS_ACTIVE))


def read_all(r: redis.Redis) -> list[dict[str, Any]]:
    """Every alert the engine tracks: pending, active and recently resolved."""
    return sorted((public(json.loads(d)) for d in r.hgetall(keys.ALERTS_STATE).values()), key=sort_key)


def put_silence(r: redis.Redis, doc: Mapping[str, Any], entry: Mapping[str, Any], *,
                maxlen: int = LOG_MAXLEN) -> None:
    """Store a silence and log its creation, atomically."""
    _run(r, _SILENCE_LUA, _SILENCE_KEYS, [maxlen, keys.EVENTS, "put", doc["id"], _dumps(doc), int(entry["at_ms"]),
                                          _dumps(entry)])


def delete_silence(r: redis.Redis, silence_id: str, entry: Mapping[str, Any], *, maxlen: int = LOG_MAXLEN) -> bool:
    """Remove a silence and log it; False (and nothing logged) when there was no such silence."""
    return bool(_run(r, _SILENCE_LUA, _SILENCE_KEYS, [maxlen, keys.EVENTS, "del", silence_id, "",
                                                      int(entry["at_ms"]), _dumps(entry)]))


_SILENCE_KEYS = [keys.ALERTS_SILENCES, keys.ALERTS_VERSION, keys.ALERTS_ACTIVE, keys.ALERTS_LOG]


def read_silences(r: redis.Redis) -> list[dict[str, Any]]:
    """Every stored silence (current or expired), soonest expiry first."""
    docs = [json.loads(v) for v in r.hgetall(keys.ALERTS_SILENCES).values()]
    return sorted(docs, key=lambda d: (d.get("until_ms") or 0, d["id"]))


def prune_silences(r: redis.Redis, silences: Sequence[Mapping[str, Any]], before_ms: int) -> int:
    """Forget silences that expired before `before_ms` (their creation stays in the audit log)."""
    old = [s["id"] for s in silences if int(s.get("until_ms") or 0) < before_ms]
    return int(r.hdel(keys.ALERTS_SILENCES, *old)) if old else 0


def read_log(r: redis.Redis, since_ms: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit entries at or after since_ms, oldest first, each with its stream id as log_id."""
    rows = r.xrange(keys.ALERTS_LOG, min=str(max(0, int(since_ms))), max="+", count=limit)
    return [{"log_id": entry_id, **json.loads(fields["j"])} for entry_id, fields in rows]
