"""The shipped boundary files, read once per process: district names, frames and rings (no I/O beyond the file)."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from core.coords import bbox

GEO_DIR = Path(__file__).resolve().parent.parent / "geo"


@cache
def features(filename: str) -> tuple[dict[str, Any], ...]:
    """The features of one GeoJSON file under geo/, parsed once (treat them as read-only)."""
    return tuple(json.loads((GEO_DIR / filename).read_text(encoding="utf-8"))["features"])


@cache
def districts(filename: str) -> dict[str, dict[str, Any]]:
    """adcode -> {zh, en, bounds [[south, west], [north, east]]} from the city's boundary file, in file order."""
    out: dict[str, dict[str, Any]] = {}
    for f in features(filename):
        xs: list[float] = []
        ys: list[float] = []
        stack = [f["geometry"]["coordinates"]]
        while stack:
            c = stack.pop()
            if c and isinstance(c[0], int | float):
                xs.append(c[0])
                ys.append(c[1])
            else:
                stack.extend(c)
        p = f["properties"]
        out[str(p["adcode"])] = {"zh": p["name"], "en": p.get("name_en") or p["name"],
                                 "bounds": [[min(ys), min(xs)], [max(ys), max(xs)]]}
    return out


def district_names(filename: str | None) -> dict[str, tuple[str, str]]:
    """adcode -> (name_zh, name_en) from the city's boundary file (empty when the city has none)."""
    if not filename or not (GEO_DIR / filename).exists():
        return {}
    return {code: (d["zh"], d["en"]) for code, d in districts(filename).items()}


@cache
def district_rings(filename: str) -> dict[str, list[list[list[float]]]]:
    """adcode -> every ring (outer and holes) of the district's polygons, from the city's boundary file."""
    out: dict[str, list[list[list[float]]]] = {}
    for f in features(filename):
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        out[str(f["properties"]["adcode"])] = [ring for poly in polys for ring in poly]
    return out


@cache
def bounds(filename: str, codes: Any = None) -> list[list[float]]:
    """[[south, west], [north, east]] of a GeoJSON file, for the map's first view (computed once); with `codes`, of
    the districts (features by adcode) among them only."""
    feats = [f for f in features(filename) if codes is None or str((f.get("properties") or {}).get("adcode")) in
             {str(c) for c in codes}]
    box = bbox({"type": "FeatureCollection", "features": feats})
    if box is None:
        raise ValueError(f"{filename}: no geometry" + (f" for the districts {list(codes)}" if codes else ""))
    return [[box[1], box[0]], [box[3], box[2]]]


@cache
def _district_index(filename: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The city's districts as prepared shapely polygons and their bounding boxes, built once per process."""
    feats = features(filename)
    codes = tuple(str(f["properties"]["adcode"]) for f in feats)
    polys = np.asarray([shapely.from_geojson(json.dumps(f["geometry"])) for f in feats])
    shapely.prepare(polys)
    for p in polys:  # GEOS builds a prepared polygon's point index on first use, not thread-safely: build it now
        shapely.intersects_xy(p, 0.0, 0.0)
    return codes, polys, shapely.bounds(polys)


def _candidates(lat_sorted: np.ndarray, order: np.ndarray, lon: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The points inside one bounding box: the latitude band by binary search, then the longitude test."""
    lo = int(np.searchsorted(lat_sorted, box[1], side="left"))
    hi = int(np.searchsorted(lat_sorted, box[3], side="right"))
    band = order[lo:hi]
    return band[(lon[band] >= box[0]) & (lon[band] <= box[2])]


def assign_districts(lon: np.ndarray, lat: np.ndarray, filename: str) -> list[str | None]:
    """The adcode of the district each point lies in (None: in none): the points sorted by latitude once, each
    district's box swept over them, then GEOS's prepared point-in-polygon test (shapely.intersects_xy) on the
    points in the box; a point on a shared border goes to the first district in the file."""
    codes, polys, boxes = _district_index(filename)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    found = np.full(len(lon), -1, dtype=np.int64)
    if len(lon):
        order = np.argsort(lat, kind="stable")
        lat_sorted = lat[order]
        for k in range(len(codes)):
            idx = _candidates(lat_sorted, order, lon, boxes[k])
            idx = idx[found[idx] < 0]
            found[idx[shapely.intersects_xy(polys[k], lon[idx], lat[idx])]] = k
    return [codes[k] if k >= 0 else None for k in found.tolist()]


def in_district(lon: np.ndarray, lat: np.ndarray, filename: str, adcode: str) -> np.ndarray:
    """Which points lie in one district (all False for a district the file does not have)."""
    codes, polys, boxes = _district_index(filename)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    out = np.zeros(len(lon), dtype=bool)
    if adcode not in codes or not len(lon):
        return out
    k = codes.index(adcode)
    x0, y0, x1, y1 = boxes[k]
    idx = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
    out[idx] = shapely.intersects_xy(polys[k], lon[idx], lat[idx])
    return out


def district_at(filename: str | None, lon: float, lat: float) -> str | None:
    """The adcode of the city's district a position falls in (None: outside them all, or no boundary file)."""
    if not filename:
        return None
    return assign_districts(np.array([lon]), np.array([lat]), filename)[0]


COMPONENTS_HALF_KM = (6.15, 5.55)  # ~12.3 km x 11.1 km (≈ 137 km², the area of Tangshan's component census)


def components_box(city: dict[str, Any]) -> tuple[float, float, float, float]:
    """Where a city's synthetic components lie (west, south, east, north): its profile's
    `simulator.components_box` (validated by data_sources.simulator.geo.Tuning), else a box of Tangshan's surveyed
    area around the profile's centre. The web tier and the feed runner must agree: a component's id is its row."""
    box = (city.get("simulator") or {}).get("components_box")
    if box:
        w, s, e, n = (float(v) for v in box)
        return (w, s, e, n)
    lat, lon = (float(v) for v in city["center"])
    dlat = COMPONENTS_HALF_KM[1] / 111.32
    dlon = COMPONENTS_HALF_KM[0] / (111.32 * math.cos(math.radians(lat)))
    return (round(lon - dlon, 5), round(lat - dlat, 5), round(lon + dlon, 5), round(lat + dlat, 5))
