"""The shipped boundary files, read once per process: district names, frames and rings (no I/O beyond the file)."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

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
def bounds(filename: str) -> list[list[float]]:
    """[[south, west], [north, east]] of a GeoJSON file, for the map's first view (computed once)."""
    box = bbox({"type": "FeatureCollection", "features": list(features(filename))})
    if box is None:
        raise ValueError(f"{filename}: no geometry")
    return [[box[1], box[0]], [box[3], box[2]]]


def points_in_polygons(lon: np.ndarray, lat: np.ndarray, rings: list[list[list[float]]]) -> np.ndarray:
    """Even-odd point-in-polygon for many points (holes and multipolygons by parity): the points sorted by latitude
    once, then each edge touches only the slice of points in its latitude band."""
    order = np.argsort(lat, kind="stable")
    ys, xs = lat[order], lon[order]
    inside = np.zeros(len(ys), dtype=bool)
    for ring in rings:
        pts = np.asarray([c[:2] for c in ring], dtype=np.float64)
        for (x1, y1), (x2, y2) in zip(pts, np.roll(pts, 1, axis=0), strict=True):
            if y1 == y2:
                continue
            a, b = np.searchsorted(ys, [min(y1, y2), max(y1, y2)], side="left")
            if a < b:
                inside[a:b] ^= xs[a:b] < x1 + (ys[a:b] - y1) * (x2 - x1) / (y2 - y1)
    out = np.zeros(len(ys), dtype=bool)
    out[order] = inside
    return out


def district_at(filename: str | None, lon: float, lat: float) -> str | None:
    """The adcode of the city's district a position falls in (None: outside them all, or no boundary file)."""
    if not filename:
        return None
    for adcode, rings in district_rings(filename).items():
        if points_in_polygons(np.array([lon]), np.array([lat]), rings)[0]:
            return adcode
    return None


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
