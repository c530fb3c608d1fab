"""The one map's per-tick values (no geometry): entity levels, district figures, and clusters for the big layers."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from core.case_points import CasePoints
from core.furniture_catalog import CATEGORIES
from core.geo import assign_districts, in_district
from core.grid import UnitGrid
from core.loop_points import LoopPoints
from data_sources.simulator.furniture import STATUS, FurnitureSet, generate
from views.cluster import PointIndex, cluster

LAYERS = ("districts", "rivers", "air", "roads", "water", "cases", "loop", "furniture", "grid")
GRID_MIN_ZOOM = 15  # the unit grid's ~100 m cells are drawn from here (a few pixels each below it)
CHOROPLETH = ("none", "aqi", "tpi", "open", "overdue", "water")
_STATUS_CODE = {name: i for i, name in enumerate(STATUS)}
_CAT_INDEX = {c["code"]: i for i, c in enumerate(CATEGORIES)}

Bbox = tuple[float, float, float, float]
Parts = tuple[int, Bbox]  # the synthetic component set: its seed and where it lies (store.context.Context.components)


def with_levels(values: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """The analyst map's air values carry the AQI level too ([aqi, colour, stale, level]) for the level filter."""
    stations = summary["air"]["stations"]
    return {**values, "air": {eid: [*v, stations.get(eid, {}).get("level")] for eid, v in values["air"].items()}}




def district_values(summary: dict[str, Any]) -> dict[str, list[Any]]:
    """Per district: [aqi, aqi colour, tpi, tpi level, open cases, overdue cases, worst water class]; the case counts
    are the summary's (kept per district by the store), so no case is read for them."""
    counts: dict[str, list[int]] = summary.get("service", {}).get("by_district", {})
    out: dict[str, list[Any]] = {}
    for adcode in set(summary.get("districts", {})) | set(counts):
        d = summary.get("districts", {}).get(adcode, {})
        o, od = counts.get(adcode, [0, 0])
        out[adcode] = [d.get("aqi"), d.get("aqi_color"), d.get("tpi"), d.get("tpi_level"), o, od,
                       d.get("water_worst")]
    return out


def case_clusters(points: CasePoints, bbox: Bbox, zoom: float, now_ms: int, *,
                  cell_px: float = 110.0) -> dict[str, list[Any]]:
    """Open cases in view: clusters [lon, lat, n, n_overdue] or points [id, lon, lat, overdue]."""
    if not len(points):
        return {"c": [], "p": []}
    overdue = points.overdue(now_ms)
    res = cluster(PointIndex.build(points.lon, points.lat), bbox, zoom, flag=overdue, max_points=60, cell_px=cell_px)
    res["p"] = [[points.ids[row], round(x, 5), round(y, 5), int(overdue[row])] for row, x, y in res["p"]]
    return res


def loop_clusters(points: LoopPoints, bbox: Bbox, zoom: float, now_ms: int, *,
                  cell_px: float = 110.0) -> dict[str, list[Any]]:
    """The loop's open cases in view: clusters [lon, lat, n, n_overdue] or points [id, lon, lat, overdue, step]
    (step: core.loop_points.STEPS' index)."""
    if not len(points):
        return {"c": [], "p": []}
    overdue = points.overdue(now_ms)
    res = cluster(PointIndex.build(points.lon, points.lat), bbox, zoom, flag=overdue, max_points=80, cell_px=cell_px)
    res["p"] = [[points.ids[row], round(x, 5), round(y, 5), int(overdue[row]), int(points.step[row])]
                for row, x, y in res["p"]]
    return res


@cache
def furniture_index(parts: Parts) -> tuple[FurnitureSet, PointIndex]:
    """The synthetic component set and its clustering index, built once per process."""
    data = generate(*parts)
    return data, PointIndex.build(data.lon, data.lat)


def furniture_status_array(n: int, reported: dict[str, str]) -> np.ndarray:
    """Status code per component (0 normal, 1 damaged, 2 missing) from the reported statuses."""
    codes = np.zeros(n, dtype=np.uint8)
    for eid, status in reported.items():
        idx = FurnitureSet.index_of(eid)
        if idx is not None and idx < n:
            codes[idx] = _STATUS_CODE.get(status, 0)
    return codes


def category_mask(data: FurnitureSet, selected: list[str] | None) -> np.ndarray | None:
    """Items whose category (code like '0101') or group (like '01') is selected; None keeps all."""
    if not selected:
        return None
    lut = np.zeros(len(CATEGORIES), dtype=bool)
    for code in selected:
        if code in _CAT_INDEX:
            lut[_CAT_INDEX[code]] = True
        else:
            lut[[i for i, c in enumerate(CATEGORIES) if c["group"] == code]] = True
    return lut[data.cat]


def furniture_clusters(parts: Parts, status: np.ndarray, bbox: Bbox, zoom: float, categories: list[str] | None,
                       only_bad: bool, *, cell_px: float = 110.0, within: np.ndarray | None = None
                       ) -> dict[str, list[Any]]:
    """Components in view: clusters [lon, lat, n, n_bad] or points [id, lon, lat, status, category code];
    `within` (a district's mask) limits them to a district-scoped caller's district."""
    data, idx = furniture_index(parts)
    bad = status > 0
    keep = category_mask(data, categories)
    if only_bad:
        keep = bad if keep is None else keep & bad
    if within is not None:
        keep = within if keep is None else keep & within
    res = cluster(idx, bbox, zoom, keep=keep, flag=bad, max_points=300, cell_px=cell_px)
    res["p"] = [[FurnitureSet.entity_id(row), x, y, int(status[row]), CATEGORIES[int(data.cat[row])]["code"]]
                for row, x, y in res["p"]]
    return res


def component(parts: Parts, entity_id: str) -> dict[str, Any] | None:
    """One city component of the layer by its id: {"id", "code" (its GB/T 30428.2 category), "lon", "lat"}, or
    None when there is no such component."""
    data, _ = furniture_index(parts)
    row = FurnitureSet.index_of(entity_id) if isinstance(entity_id, str) else None
    if row is None or row >= len(data):
        return None
    return {"id": entity_id, "code": CATEGORIES[int(data.cat[row])]["code"], "lon": round(float(data.lon[row]), 6),
            "lat": round(float(data.lat[row]), 6)}


@cache
def furniture_in_district(parts: Parts, filename: str, adcode: str) -> np.ndarray:
    """Which synthetic components lie in a district (computed on a district caller's first request, then kept)."""
    data, _ = furniture_index(parts)
    return in_district(data.lon, data.lat, filename, str(adcode))


def furniture_visible(parts: Parts, filename: str, entity_id: str, doc: dict[str, Any] | None,
                      scope: str | None) -> bool:
    """Whether a district-scoped caller may see one component: its stored district, else where it lies."""
    if scope is None:
        return True
    if doc and (doc.get("m") or {}).get("district_adcode"):
        return str(doc["m"]["district_adcode"]) == scope
    idx = FurnitureSet.index_of(entity_id)
    mask = furniture_in_district(parts, filename, scope)
    return idx is not None and idx < len(mask) and bool(mask[idx])


_CELL_DISTRICTS: dict[tuple[UnitGrid, str], dict[int, str]] = {}  # the district of each cell's centre, as asked


def cell_districts(grid: UnitGrid, filename: str | None, cells: list[int]) -> list[str]:
    """The district of each cell's centre ('' outside the city), worked out once per cell and kept."""
    if not filename:
        return [""] * len(cells)
    known = _CELL_DISTRICTS.setdefault((grid, filename), {})
    missing = [c for c in cells if c not in known]
    if missing:
        cols = grid.shape[1]
        r, c = np.array([m // cols for m in missing]), np.array([m % cols for m in missing])
        where = assign_districts(grid.west + (c + 0.5) * grid.dlon, grid.south + (r + 0.5) * grid.dlat, filename)
        known.update({m: w or "" for m, w in zip(missing, where, strict=True)})
    return [known[c] for c in cells]


def grid_cells(grid: UnitGrid, bbox: Bbox, zoom: float, loop: LoopPoints, now_ms: int, bad_lon: np.ndarray,
               bad_lat: np.ndarray, filename: str | None) -> dict[str, Any]:
    """The unit grid's cells in view that hold an open loop case or a damaged component:
    {"g": [west, south, dlon, dlat], "min": GRID_MIN_ZOOM, "c": [[row, col, open, overdue, damaged, adcode], ...]}
    (adcode: the district of the cell's centre, as core.grid codes a cell). The view is widened to whole cells, so a
    cell at its edge counts everything in it. The points are the caller's already (their district's components and
    the cases they may read). No cells below GRID_MIN_ZOOM."""
    out: dict[str, Any] = {"g": [grid.west, grid.south, grid.dlon, grid.dlat], "min": GRID_MIN_ZOOM, "c": []}
    if zoom < GRID_MIN_ZOOM or not all(map(math.isfinite, bbox)):
        return out
    rows, cols = grid.shape
    w, s, e, n = bbox
    c0, c1 = max(0, math.floor((w - grid.west) / grid.dlon)), min(cols - 1, math.floor((e - grid.west) / grid.dlon))
    r0, r1 = max(0, math.floor((s - grid.south) / grid.dlat)), min(rows - 1, math.floor((n - grid.south) / grid.dlat))
    if c0 > c1 or r0 > r1:
        return out

    def index(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        r = np.floor((lat - grid.south) / grid.dlat)
        c = np.floor((lon - grid.west) / grid.dlon)
        keep = (r >= r0) & (r <= r1) & (c >= c0) & (c <= c1)
        return r[keep].astype(np.int64) * cols + c[keep].astype(np.int64)
    late = loop.overdue(now_ms)
    counts: dict[int, list[int]] = {}
    for slot, idx in ((0, index(loop.lon, loop.lat)), (1, index(loop.lon[late], loop.lat[late])),
                      (2, index(bad_lon, bad_lat))):
        cells, k = np.unique(idx, return_counts=True)
        for cell, m in zip(cells.tolist(), k.tolist(), strict=True):
            counts.setdefault(cell, [0, 0, 0])[slot] = m
    keys = sorted(counts)
    where = cell_districts(grid, filename, keys)
    out["c"] = [[k // cols, k % cols, *counts[k], where[i]] for i, k in enumerate(keys)]
    return out
