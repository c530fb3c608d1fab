"""Forwarding to an upstream Open311 endpoint (issue #15): where a city's hotline system (12345) owns the cases,
every case OneScreen opens itself — an inspector's, a camera's, an alert's, one assigned from above — is also filed
there (GeoReport v2 `POST requests.json`), and the upstream's id is kept beside it. Cases that came from the hotline
(channel public) are not sent back.

The outbox is a table of the case records (store.casebook case_forwards), so nothing is lost across restarts: a try
that fails for the network or a 5xx/408/429 is tried again after 30 s, 1, 2, 4 … minutes (at most an hour apart) up
to MAX_ATTEMPTS; a refusal (any other 4xx: the upstream will never take it as it is), an answer that is not the
spec's, or running out of attempts makes it a dead letter, kept with its reason for an operator. The forwarder's
health (last success, errors in a row, latency, last error, pending and dead counts) is written like a feed's
(`keys.health("forward")`) and shown on the overview's feeds table. The API key travels in the form body, never in
a URL or a log line."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from typing import Any

import redis

from core.readings import SourceError
from data_sources.providers.http import HttpClient, SourceHTTPError, SourcePayloadError
from store import keys

log = logging.getLogger("onescreen.forward")
FORWARDED = ("inspector", "video", "alert", "superior")  # not "public": those came from the hotline
MAX_ATTEMPTS = 8
# cases reported in the last 8 days are forwarded: a camera's event may be up to 7 days old (api/cases.py), and a
# runner away for a week catches up; on first start, not the whole history
WINDOW_MS = 8 * 86_400_000
HEALTH = "forward"
RETRYABLE = frozenset({0, 408, 425, 429})  # 0: not reached at all


def backoff_ms(attempts: int) -> int:
    """The wait before try number attempts + 1: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return int(min(3_600_000, 30_000 * 2 ** max(0, attempts)))


def request_form(case: dict[str, Any], api_key: str | None, jurisdiction: str | None) -> dict[str, Any]:
    """The GeoReport v2 form of one case: its category as the service code (an event's as E and its code, as
    OneScreen's own Open311 server lists them), where it is, what is wrong (our id first, so the hotline's staff can
    find it here)."""
    code = ("E" if case.get("kind") == "event" else "") + str(case["category"])
    return {"api_key": api_key, "jurisdiction_id": jurisdiction, "service_code": code,
            "lat": case.get("lat"), "long": case.get("lon"),
            "description": f"[{case['id']}] {case.get('description') or ''}".strip()[:4000]}


def created_id(body: bytes) -> str:
    """The upstream's id of the request it made (service_request_id, or the spec's token when it assigns the id
    later); SourcePayloadError when the answer is not GeoReport v2's."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SourcePayloadError("the upstream's answer is not JSON") from None
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict):
        for key in ("service_request_id", "token"):
            value = first.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:128]
    raise SourcePayloadError("the upstream's answer names no service_request_id or token")


class Forwarder:
    """Sends the outbox's due cases to the upstream, one round per step."""

    def __init__(self, book: Any, r: redis.Redis | None, base_url: str, api_key: str | None = None, *,
                 jurisdiction: str | None = None, timeout_s: float = 10.0, opener: Any = None) -> None:
        self.book, self.r = book, r
        parts = urllib.parse.urlsplit(base_url)
        self.host = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" or "upstream"
        headers = {}
        if parts.username is not None:  # user:password@ in the URL: HTTP Basic, and never shown or logged
            pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            base_url = urllib.parse.urlunsplit(parts._replace(netloc=self.host))
        self.http = HttpClient(base_url, headers=headers, timeout_s=timeout_s, opener=opener)
        self.api_key, self.jurisdiction = api_key, jurisdiction

    def step(self, now_ms: int, limit: int = 50) -> dict[str, int]:
        """Queue the new cases, try the due ones; what happened this round."""
        self.book.forward_enqueue(FORWARDED, now_ms - WINDOW_MS, now_ms)
        done = {"sent": 0, "retry": 0, "dead": 0}
        last_error, latency, ok = None, None, False
        for case in self.book.forward_due(now_ms, limit):
            attempts = int(case.get("attempts") or 0)
            try:
                resp = self.http.post_form("requests.json", request_form(case, self.api_key, self.jurisdiction))
                latency = resp.latency_ms
                if resp.status not in (200, 201):
                    raise SourcePayloadError(f"the upstream answered HTTP {resp.status}, not 201")
                self.book.forward_done(case["id"], now_ms, upstream_id=created_id(resp.body))
                done["sent"] += 1
                ok = True
                continue
            except SourceHTTPError as exc:
                error, again = str(exc), exc.status in RETRYABLE or exc.status >= 500
            except SourcePayloadError as exc:
                error, again = f"{exc} (not tried again: it may have been filed)", False
            except SourceError as exc:  # a timeout
                error, again = str(exc), True
            latency = self.http.last_latency_ms
            if self.api_key:  # an upstream may echo the form it refused
                error = error.replace(self.api_key, "[redacted]")
            last_error = error  # shown on every overview: no case id (the outbox row keeps it)
            if again and attempts + 1 < MAX_ATTEMPTS:
                self.book.forward_done(case["id"], now_ms, error=error, next_ms=now_ms + backoff_ms(attempts))
                done["retry"] += 1
            else:
                self.book.forward_done(case["id"], now_ms, error=error)
                done["dead"] += 1
                log.warning("case %s not forwarded to %s, kept as a dead letter: %s", case["id"], self.host, error)
        if self.r is not None:
            self._health(now_ms, ok, last_error, latency)
        return done

    def _health(self, now_ms: int, ok: bool, error: str | None, latency: float | None) -> None:
        counts = self.book.forward_counts()
        fields: dict[str, Any] = {"source": self.host, "pending": counts["pending"], "dead": counts["dead"],
                                  "sent": counts["sent"]}
        if latency is not None:
            fields["last_latency_ms"] = round(float(latency), 1)
        pipe = self.r.pipeline(transaction=False)  # type: ignore[union-attr]
        if ok:
            fields["last_ok_ms"] = now_ms
        if error is not None:
            fields.update(last_error=error[:500], last_error_ms=now_ms)
        pipe.hset(keys.health(HEALTH), mapping=fields)
        if error is not None and not ok:
            pipe.hincrby(keys.health(HEALTH), "consecutive_errors", 1)
        elif ok:
            pipe.hset(keys.health(HEALTH), "consecutive_errors", 0)
        pipe.execute()
