"""Static layer geometry the app generates (schematic roads, water sections), served once and cached by browsers."""

from __future__ import annotations

import json
from functools import cache

from flask import Blueprint, Response

from callbacks import context
from config.settings import GEO_DIR

bp = Blueprint("geo", __name__, url_prefix="/api/v1/geo")
LAYERS = ("roads", "water_sections")


@cache
def _simulated(seed: int) -> dict[str, str]:
    """The simulator's deterministic geometry for a seed (the feed runner builds the same from the same seed)."""
    from data_sources.simulator import Simulator

    sim = Simulator(GEO_DIR, seed=seed)
    return {"roads": json.dumps(sim.roads_geojson(), ensure_ascii=False, separators=(",", ":")),
            "water_sections": json.dumps(sim.water_sections_geojson(), ensure_ascii=False, separators=(",", ":"))}


@bp.get("/<layer>.geojson")
def layer_geojson(layer: str) -> Response:
    """A profile's own file when it names one (assets/geo), else the simulator's schematic geometry."""
    if layer not in LAYERS:
        return Response(json.dumps({"error": f"unknown layer {layer!r}"}), 404, mimetype="application/json")
    ctx = context.get()
    own = ctx.city.get("geo", {}).get(layer)
    body = (GEO_DIR / own).read_text(encoding="utf-8") if own else _simulated(ctx.settings.sim_seed)[layer]
    return Response(body, mimetype="application/geo+json", headers={"Cache-Control": "public, max-age=3600"})
