"""Point → area assignment at the size of Tangshan's component census: the 548,000 synthetic components of the
Guangzhou profile assigned to their districts by the join the product uses (core.geo.assign_districts: each
district's box swept over the points sorted by latitude, then GEOS's prepared point-in-polygon test), beside a
hand-written per-polygon even-odd test over every point (numpy, the points sorted by latitude once: the code it
replaced) and, on a sample, a per-point pure-Python ray cast (the simulator's own District.contains). All must
agree point for point."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np

from bench.common import print_figures, ratio, size
from config.settings import load_city
from core.geo import GEO_DIR, assign_districts, components_box, district_rings
from data_sources.simulator.furniture import COUNT, generate
from data_sources.simulator.geo import load_districts

SAMPLE = size(5_000, 500)


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


def run() -> Iterator[str]:
    city = load_city("guangzhou")
    data = generate(548, components_box(city), size(COUNT, 20_000))
    lon, lat, file = data.lon, data.lat, city["geo"]["districts"]
    assign_districts(lon[:10], lat[:10], file)  # the tree is built once per process: not part of the figure
    t0 = time.perf_counter()
    joined = assign_districts(lon, lat, file)
    t_join = time.perf_counter() - t0
    rings = district_rings(file)
    t0 = time.perf_counter()
    naive: list[str | None] = [None] * len(lon)
    for code, rr in rings.items():
        for i in np.flatnonzero(points_in_polygons(lon, lat, rr)).tolist():
            naive[i] = naive[i] or code
    t_naive = time.perf_counter() - t0
    districts = load_districts(json.loads((GEO_DIR / file).read_text(encoding="utf-8")))
    t0 = time.perf_counter()
    ray = [next((d.adcode for d in districts if d.contains(float(x), float(y))), None)
           for x, y in zip(lon[:SAMPLE].tolist(), lat[:SAMPLE].tolist(), strict=True)]
    t_ray = (time.perf_counter() - t0) / SAMPLE * len(lon)
    same = sum(a == b for a, b in zip(joined, naive, strict=True))
    same_ray = sum(a == b for a, b in zip(joined[:SAMPLE], ray, strict=True))
    n = len(lon)
    yield (f"point → district, {n:,} components in {len(rings)} districts: core.geo.assign_districts (boxes, "
           f"then GEOS prepared) {n / t_join:,.0f} points/s ({t_join * 1000:,.0f} ms)   hand-written per-polygon "
           f"even-odd (numpy) {n / t_naive:,.0f} points/s   ratio {ratio(t_naive, t_join)}   same answer for "
           f"{same:,} of {n:,}")
    yield (f"  per-point pure-Python ray cast (the simulator's District.contains), on {SAMPLE:,}: "
           f"{n / t_ray:,.0f} points/s   ratio {ratio(t_ray, t_join)}   same answer for {same_ray:,} of {SAMPLE:,}")


if __name__ == "__main__":
    print_figures(run)
