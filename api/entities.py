"""GET /api/v1/entities/<feed>/<id>: one entity's latest values, localized, for map popups and side panels."""

from __future__ import annotations

from functools import cache
from urllib.parse import quote

from flask import Blueprint, jsonify, request

from auth import principal
from core.furniture_catalog import CATEGORIES
from core.geo import district_names
from core.i18n import norm_lang, t
from core.readings import FEEDS
from data_sources.simulator.furniture import FurnitureSet
from store import context, snapshot
from store.client import UNAVAILABLE
from views import entity
from views.map import Parts, furniture_index, furniture_visible

bp = Blueprint("entities", __name__, url_prefix="/api/v1")


@cache


@bp.get("/entities/<feed>/<path:entity_id>")  # path: an id may hold a "/" (encoded as %2F)
def get_entity(feed: str, entity_id: str):  # noqa: ANN201 - Flask view
    """Latest document of one entity with localized rows; 404 if unknown (or in another district than the caller's:
    the same answer, so existence is not revealed), 503 if the store is unreachable."""
    if feed not in FEEDS:
        return jsonify(error=f"unknown feed {feed!r}"), 404
    ctx = context.get()
    scope = principal.current_scope()
    lang = norm_lang(request.args.get("lang"), ctx.city.get("lang", "zh"))
    try:
        # components are placed by position when they carry no district: the view decides for them
        doc = snapshot.read_entity(ctx.redis, feed, entity_id, None if feed == "furniture" else scope)
    except UNAVAILABLE:
        return jsonify(error="store unavailable"), 503
    if doc is None and feed == "furniture":
        doc = _furniture_default(ctx.components(), entity_id)
    if feed == "furniture" and not furniture_visible(ctx.components(), ctx.city["geo"]["districts"],
                                                     entity_id, doc, scope):
        doc = None
    if doc is None:
        return jsonify(error=f"no {feed} entity {entity_id!r}"), 404
    body = entity.details(feed, doc, lang, context.now_ms(), ctx.city.get("timezone", "Asia/Shanghai"),
                          district_names(ctx.city["geo"]["districts"]))
    who = principal.current()
    if feed == "furniture" and who is not None and who.can("cases.report"):  # report a case about it, prefilled
        body["action"] = {"href": f"/cases?lang={lang}&component={quote(entity_id, safe='')}",
                          "text": t("cs_report_component", lang)}
    return jsonify(id=entity_id, feed=feed, ts=doc.get("ts"), values=doc.get("v"), derived=doc.get("d"), **body)


def _furniture_default(parts: Parts, entity_id: str) -> dict | None:
    """A component that never reported a status is in its initial state from the synthetic set."""
    data, _ = furniture_index(parts)
    idx = FurnitureSet.index_of(entity_id)
    if idx is None or idx >= len(data):
        return None
    return {"id": entity_id, "ts": None, "v": {"status": "normal"},
            "m": {"category": f"{CATEGORIES[int(data.cat[idx])]['zh']} {CATEGORIES[int(data.cat[idx])]['code']}",
                  "synthetic": True}, "d": {}}
