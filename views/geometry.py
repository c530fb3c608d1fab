"""The entity layers' geometry (roads, water sections, air stations) as the maps draw it, and which entities lie in
an area: the one map is sent values only for what it can draw near its view (views/delta.py, callbacks/analyst.py).

The geometry is the profile's file (geo/) or, where the profile names none, the simulator's schematic; the same text
/api/v1/geo serves, so the server's idea of "in view" is exactly what the browser drew."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from core.geo import GEO_DIR
from data_sources.simulator.city import Simulator

ENTITY_GEO = {"air": "air_stations", "traffic": "roads", "water": "water_sections"}  # feed -> geometry layer
Area = tuple[float, float, float, float]  # west, south, east, north (WGS-84 degrees)


def simulated(city: dict[str, Any], seed: int) -> dict[str, str]:
    """The simulator's deterministic geometry for a city profile and seed (the feed runner builds the same); none
    for a profile the simulator cannot draw (it lacks the rivers or stations it needs: then it has no such layer)."""
    return _simulated(json.dumps(city, sort_keys=True, ensure_ascii=False, default=str), seed)


@cache
def _simulated(city_text: str, seed: int) -> dict[str, str]:
    try:
        sim = Simulator(json.loads(city_text), seed=seed)
    except ValueError:
        return {}
    return {"roads": json.dumps(sim.roads_geojson(), ensure_ascii=False, separators=(",", ":")),
            "water_sections": json.dumps(sim.water_sections_geojson(), ensure_ascii=False, separators=(",", ":"))}


@cache
def file_text(name: str) -> str:
    """A profile's geometry file, read once per process."""
    return (GEO_DIR / name).read_text(encoding="utf-8")


def layer_text(city: dict[str, Any], seed: int, layer: str) -> str | None:
    """A layer's GeoJSON text: the profile's own file, else the simulator's (roads, sections); None without either."""
    own = (city.get("geo") or {}).get(layer)
    if own:
        return file_text(own)
    return simulated(city, seed).get(layer)


def feature_id(feature: dict[str, Any]) -> str | None:
    """A feature's entity id as the browser reads it (assets/onemap.js fid): id, else properties id, code, adcode."""
    p = feature.get("properties") or {}
    for v in (feature.get("id"), p.get("id"), p.get("code"), p.get("adcode")):
        if v not in (None, ""):
            return str(v)
    return None


def _extent(coords: Any) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    stack = [coords]
    while stack:
        c = stack.pop()
        if isinstance(c, list | tuple) and len(c) >= 2 and all(isinstance(v, int | float) for v in c[:2]):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list | tuple):
            stack.extend(c)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


@dataclass(frozen=True)
class Boxes:
    """Each drawable entity's bounding box: ids and four arrays, for a vectorised "which lie in this area"."""

    ids: tuple[str, ...]
    all: frozenset[str]
    w: np.ndarray
    s: np.ndarray
    e: np.ndarray
    n: np.ndarray

    def within(self, area: Area) -> frozenset[str]:
        """Ids of the entities whose box meets the area."""
        aw, as_, ae, an = area
        hit = (self.e >= aw) & (self.w <= ae) & (self.n >= as_) & (self.s <= an)
        return frozenset(self.ids[i] for i in np.flatnonzero(hit))


@cache
def boxes_of(text: str) -> Boxes:
    """The boxes of one layer's features (parsed once per layer text and process)."""
    ids: list[str] = []
    ext: list[tuple[float, float, float, float]] = []
    for f in json.loads(text).get("features", []):
        fid, box = feature_id(f), _extent((f.get("geometry") or {}).get("coordinates"))
        if fid is not None and box is not None:
            ids.append(fid)
            ext.append(box)
    arr = np.asarray(ext, dtype=np.float64).reshape(-1, 4)
    return Boxes(tuple(ids), frozenset(ids), arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])


PAD_MIN_DEG = 0.01  # at least ~1 km around the view: more than GCJ-02's display shift (the browser's view is in it)


def area_of(bbox: Area, zoom: float) -> Area:
    """The area a view's values cover: the view grown by half a Web-Mercator tile of its zoom (at least PAD_MIN_DEG)
    on every side, snapped outward to whole tiles (in degrees), so panning within it changes nothing and crossing a
    tile edge brings a strip. Latitude uses the same degree step as longitude (generous away from the equator)."""
    step = 360.0 / 2 ** max(0, min(22, math.floor(zoom)))
    pad = max(step / 2, PAD_MIN_DEG)
    w, s, e, n = (min(max(v, -lim), lim) for v, lim in zip(bbox, (180.0, 90.0, 180.0, 90.0), strict=True))
    w, e = min(w, e), max(w, e)
    s, n = min(s, n), max(s, n)
    snap = (math.floor((w - pad) / step) * step, math.floor((s - pad) / step) * step,
            math.ceil((e + pad) / step) * step, math.ceil((n + pad) / step) * step)
    return (max(-180.0, snap[0]), max(-90.0, snap[1]), min(180.0, snap[2]), min(90.0, snap[3]))


def parse_area(value: Any) -> Area | None:
    """An area a page says it holds ([w, s, e, n] of finite numbers, w <= e, s <= n), else None."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    w, s, e, n = (float(v) for v in value)
    return (w, s, e, n) if w <= e and s <= n else None


@lru_cache(maxsize=64)
def in_area(text: str, area: Area) -> frozenset[str]:
    """The ids of one layer's entities that meet an area (kept per layer and area: views pan over a few areas; only
    areas this server snapped (area_of) are kept, so a page cannot fill the cache with made-up ones)."""
    return boxes_of(text).within(area)


def limit(values: dict[str, dict[str, Any]], texts: dict[str, str | None], area: Area | None,
          feeds: Iterable[str], *, cached: bool = True) -> dict[str, dict[str, Any]]:
    """Of the entity values, those of the feeds in `feeds` whose entity is drawn and meets the area (every drawn one
    when area is None); a feed not in `feeds` (its layer is off), or without geometry, gets nothing. `cached=False`
    for an area a page sent (looked up, not kept)."""
    on = set(feeds)
    out: dict[str, dict[str, Any]] = {}
    for feed, vals in values.items():
        text = texts.get(feed)
        if feed not in on or text is None:
            out[feed] = {}
            continue
        ids = (boxes_of(text).all if area is None else in_area(text, area) if cached
               else boxes_of(text).within(area))
        out[feed] = ({eid: vals[eid] for eid in ids if eid in vals} if len(ids) < len(vals)
                     else {eid: v for eid, v in vals.items() if eid in ids})
    return out
