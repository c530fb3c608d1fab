"""Layer geometry of entities (roads, water sections, air stations): the profile's file or the simulator's schematic.

A district-scoped caller gets only the features of their district. The same URL answers differently per caller, so
responses are private and revalidated (ETag: a 304 costs nothing), never kept by a shared cache or across logins."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from flask import Blueprint, Response, request

from auth import principal
from store import context
from store import scope as scope_mod
from views import geometry

bp = Blueprint("geo", __name__, url_prefix="/api/v1/geo")
LAYERS = ("roads", "water_sections", "air_stations")  # entities: a district caller gets their district's only
BACKDROP = ("districts", "rivers")  # the city's outline and rivers: the same for everybody signed in


@cache
def _scoped(body: str, scope: str) -> tuple[str, str]:
    """One district's features of a layer, and its ETag (computed once per layer text and district)."""
    text = json.dumps(scope_mod.features(json.loads(body), scope), ensure_ascii=False, separators=(",", ":"))
    return text, hashlib.sha256(text.encode()).hexdigest()[:32]


@cache
def _etag(body: str) -> str:
    """The whole layer's ETag."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


@bp.get("/<layer>.geojson")
def layer_geojson(layer: str) -> Response:
    """A profile's own file when it names one (geo/), else the simulator's schematic geometry."""
    if layer not in LAYERS + BACKDROP:
        return Response(json.dumps({"error": f"unknown layer {layer!r}"}), 404, mimetype="application/json")
    ctx = context.get()
    scope = None if layer in BACKDROP else principal.current_scope()
    body = geometry.layer_text(ctx.city, ctx.settings.sim_seed, layer)
    if body is None:
        return Response(json.dumps({"error": f"this city profile has no {layer} file"}), 404,
                        mimetype="application/json")
    body, etag = (body, _etag(body)) if scope is None else _scoped(body, scope)
    resp = Response(body, mimetype="application/geo+json",
                    headers={"Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"})
    resp.set_etag(etag)
    return resp.make_conditional(request)
