"""Push ingest: `POST /api/v1/ingest/<feed>` stores a JSON array of readings through the same derive + Writer path
as the feed runner. A bad record rejects only itself (reason + dead letter); re-sends are idempotent; while Redis is
unreachable the answer is 503 and nothing is reported as accepted. README.md "Ingest API" is the contract.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from core.readings import FEEDS, Reading, Rejection, raw_text
from data_sources import pipeline
from data_sources.pipeline.records import Invalid, to_reading
from store import context, keys
from store.client import UNAVAILABLE
from store.writer import Writer, take_from_window

log = logging.getLogger("onescreen.ingest")
bp = Blueprint("ingest", __name__)
WINDOW_MS = 60_000
RETRY_AFTER_DOWN_S = 5
JSON_TYPES = ("application/json",)
_UNEXPECTED = (ValueError, TypeError, KeyError, AttributeError, IndexError, ArithmeticError, RecursionError)


class IngestError(Exception):
    """A whole-request failure: status, message and extra headers for the JSON error response."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """`{"error": message}` with the status; never a stack trace."""
    resp = jsonify({"error": message})
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp


def authorize(settings: Any) -> str:
    """Check the bearer token (constant time); returns a short hash of it that keys the client's rate limit."""
    token = settings.ingest_token
    if not token:
        raise IngestError(503, "ingest disabled: set ONESCREEN_INGEST_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise IngestError(401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="onescreen"'})
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def read_json(settings: Any, content_types: Iterable[str] = JSON_TYPES) -> Any:
    """The request body parsed as JSON, after the content-type and size checks."""
    if request.mimetype not in content_types:
        raise IngestError(415, f"Content-Type must be {' or '.join(content_types)}")
    limit = max(1 << 20, settings.ingest_max_batch * 4096)
    if request.content_length is not None and request.content_length > limit:
        raise IngestError(413, f"body larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise IngestError(413, f"body larger than {limit} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise IngestError(400, f"body is not JSON: {str(exc)[:200]}") from exc


def check_batch(records: Any, settings: Any, what: str = "a JSON array of readings") -> list[Any]:
    """The batch as a list within the configured size."""
    if not isinstance(records, list):
        raise IngestError(400, f"body must be {what}")
    if len(records) > settings.ingest_max_batch:
        raise IngestError(413, f"batch of {len(records)} exceeds the limit of {settings.ingest_max_batch} readings")
    return records


def rate_limit(r: redis.Redis, client: str, n: int, settings: Any, now_ms: int) -> None:
    """Fixed one-minute window of readings per token; 429 with Retry-After when it would overflow."""
    window = now_ms // WINDOW_MS
    allowed, _ = take_from_window(r, keys.ingest_rate(client, window), n, settings.ingest_rate_per_min, 2 * WINDOW_MS)
    if not allowed:
        retry = max(1, math.ceil(((window + 1) * WINDOW_MS - now_ms) / 1000))
        raise IngestError(429, f"rate limit of {settings.ingest_rate_per_min} readings per minute reached",
                          {"Retry-After": str(retry)})


def rules() -> pipeline.Rules:
    """The city's pipeline rules (built once per process when the app did not)."""
    ctx = context.get()
    if ctx.rules is None:
        ctx.rules = pipeline.rules_for(ctx.city, traffic_cfg=ctx.traffic_cfg)
    return ctx.rules


def store(records: list[Any], parse: Callable[[Any, int], Reading], feed_of: Callable[[Any], str],
          now_ms: int) -> dict[str, Any]:
    """Validate, screen, derive and write one batch.

    The response body `{"accepted", "duplicates", "rejected", "warnings"}`: `rejected` are records not stored,
    `warnings` values dropped from stored records (implausible) and records stored but flagged (a point far outside
    the city, an unknown case status), each with its index in the batch and the reason.
    """
    ctx = context.get()
    readings: list[Reading] = []
    indexes: list[int] = []
    refused: list[Rejection] = []
    for i, rec in enumerate(records):
        try:
            readings.append(parse(rec, now_ms))
            indexes.append(i)
        except Invalid as exc:
            refused.append(Rejection(feed_of(rec), i, str(exc), raw_text(rec)))
        except _UNEXPECTED as exc:  # a parser gap: still one record
            log.warning("ingest record %d refused by %s: %s", i, type(exc).__name__, exc)
            refused.append(Rejection(feed_of(rec), i, f"cannot process record: {type(exc).__name__}: "
                                     f"{str(exc)[:200]}", raw_text(rec)))
    writer = Writer(ctx.redis, retention=ctx.settings.retention, source="ingest")
    batch = pipeline.store(writer, readings, rules(), now_ms, rejected=refused, indexes=indexes)
    rejected = sorted((rej for rej in batch.rejected if rej.kind == "record"), key=lambda rej: rej.index)
    warnings = sorted((rej for rej in batch.rejected if rej.kind != "record"), key=lambda rej: rej.index)
    return {"accepted": len(batch.items), "duplicates": len(batch.items) - writer.last_added,
            "rejected": [{"index": rej.index, "reason": rej.reason} for rej in rejected],
            "warnings": [{"index": rej.index, "reason": rej.reason} for rej in warnings]}


@bp.post("/api/v1/ingest/<feed>")
def ingest(feed: str) -> Any:
    """Store a batch of one feed's readings."""
    settings = context.get().settings
    client = authorize(settings)
    if feed not in FEEDS:
        raise IngestError(404, f"unknown feed {feed[:40]!r}; feeds: {', '.join(FEEDS)}")
    records = check_batch(read_json(settings), settings)
    now = context.now_ms()
    rate_limit(context.get().redis, client, len(records), settings, now)
    return jsonify(store(records, lambda rec, t: to_reading(feed, rec, t), lambda _rec: feed, now))


@bp.errorhandler(Exception)
def handle_error(exc: Exception) -> Response:
    """Every failure as JSON, never a 500 or a trace: request errors with their status, Redis down or a bug 503."""
    if isinstance(exc, IngestError):
        return error_response(exc.status, exc.message, exc.headers)
    if isinstance(exc, HTTPException):
        return error_response(exc.code or 400, exc.description or exc.name)
    if isinstance(exc, (*UNAVAILABLE, redis.RedisError)):
        log.warning("ingest refused, store unavailable: %s", exc)
        return error_response(503, "store unavailable; nothing accepted, retry later (re-sending is idempotent)",
                              {"Retry-After": str(RETRY_AFTER_DOWN_S)})
    log.exception("ingest failed")  # a bug: logged with its trace here, never sent to the client
    return error_response(503, "ingest failed unexpectedly; nothing accepted (see the server log)",
                          {"Retry-After": str(RETRY_AFTER_DOWN_S)})
