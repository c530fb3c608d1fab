"""`POST /api/v1/ngsi-ld/notify`: NGSI-LD subscription notifications, with the ingest API's guarantees."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from api import ingest
from core.readings import Reading
from data_sources.pipeline.records import MAX_FUTURE_MS, MIN_TS_MS, Invalid
from data_sources.providers import ngsi_ld
from store import context

bp = Blueprint("ngsi", __name__)
bp.register_error_handler(Exception, ingest.handle_error)
CONTENT_TYPES = ("application/json", "application/ld+json", "application/geo+json")


def _feed_of(entity: Any) -> str:
    etype = entity.get("type") if isinstance(entity, dict) else None
    if etype == "Feature" and isinstance(entity.get("properties"), dict):
        etype = entity["properties"].get("type")
    return ngsi_ld.TYPES.get(ngsi_ld.short(etype), "ngsi-ld") if isinstance(etype, str) else "ngsi-ld"


def _parse(entity: Any, now_ms: int) -> Reading:
    reading = ngsi_ld.to_reading(entity)
    if not MIN_TS_MS <= reading.ts <= now_ms + MAX_FUTURE_MS:
        raise Invalid("dateObserved: before 2000 or more than 1 h in the future")
    return reading


@bp.post("/api/v1/ngsi-ld/notify")
def notify() -> Any:
    """Store the entities of one Notification (`data`), a bare array of entities, or a GeoJSON FeatureCollection
    (the GeoJSON representation, `application/geo+json`; a Notification's `data` may be one too)."""
    settings = context.get().settings
    client = ingest.authorize(settings)
    body = ngsi_ld.entities_of(ingest.read_json(settings, CONTENT_TYPES))
    if isinstance(body, dict):
        if body.get("type") not in (None, "Notification"):
            raise ingest.IngestError(400, "body must be an NGSI-LD Notification, an array of entities or a "
                                          "GeoJSON FeatureCollection")
        body = ngsi_ld.entities_of(body.get("data"))
    entities = ingest.check_batch(body, settings, "a Notification with a data array (or an array of entities)")
    now = context.now_ms()
    ingest.rate_limit(context.get().redis, client, len(entities), settings, now)
    return jsonify(ingest.store(entities, _parse, _feed_of, now))
