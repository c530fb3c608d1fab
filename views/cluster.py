"""Server-side clustering of large point sets for one map view: numpy grid cells, stable under panning.

Why on the server: half a million points indexed in the browser block its main thread for seconds; here a view
costs a bounding-box mask and one bincount (milliseconds), and only the clusters in view travel (a few KB).
Cells are aligned to absolute Web-Mercator pixel boundaries, so panning never reshuffles clusters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TILE = 256.0


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator pixel coordinates at zoom 0 (0..256)."""
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0 * TILE
    s = np.sin(np.radians(np.clip(np.asarray(lat, dtype=np.float64), -85.0511, 85.0511)))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * TILE
    return x, y


@dataclass(frozen=True)
class PointIndex:
    """Points prepared once for clustering: lon/lat and their zoom-0 pixel coordinates."""

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def build(cls, lon: np.ndarray, lat: np.ndarray) -> PointIndex:
        x, y = mercator(lon, lat)
        return cls(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), x, y)


def view_mask(idx: PointIndex, bbox: tuple[float, float, float, float], pad: float = 0.1) -> np.ndarray:
    """Points inside the (padded) bounding box west, south, east, north."""
    w, s, e, n = bbox
    dx, dy = (e - w) * pad, (n - s) * pad
    return (idx.lon >= w - dx) & (idx.lon <= e + dx) & (idx.lat >= s - dy) & (idx.lat <= n + dy)


def cluster(idx: PointIndex, bbox: tuple[float, float, float, float], zoom: float, *, keep: np.ndarray | None = None,
            flag: np.ndarray | None = None, cell_px: float = 80.0, max_points: int = 300,
            ) -> dict[str, list[list[float]]]:
    """Clusters (lon, lat, count, flagged) of the points in view, or the points themselves when few enough.

    keep: boolean mask of points to include (filters); flag: boolean mask counted per cluster (e.g. damaged).
    Returns {"c": [[lon, lat, n, n_flag], ...], "p": [[row, lon, lat], ...]}: clusters of two or more, and lone
    points (every point when few enough) so that each can be clicked.
    """
    mask = view_mask(idx, bbox)
    if keep is not None:
        mask &= keep
    rows = np.flatnonzero(mask)
    if rows.size <= max_points:
        return {"c": [], "p": [[int(r), round(float(idx.lon[r]), 6), round(float(idx.lat[r]), 6)] for r in rows]}
    cell = cell_px / (TILE * 2.0 ** zoom) * TILE  # cell size in zoom-0 pixels
    cx = np.floor(idx.x[rows] / cell).astype(np.int64)
    cy = np.floor(idx.y[rows] / cell).astype(np.int64)
    cx -= cx.min()
    cy -= cy.min()
    width = int(cy.max()) + 1
    key = cx * width + cy
    counts = np.bincount(key)
    used = np.flatnonzero(counts > 1)
    n = counts[used]
    alone = rows[counts[key] == 1]
    lon = np.bincount(key, weights=idx.lon[rows])[used] / n
    lat = np.bincount(key, weights=idx.lat[rows])[used] / n
    bad = np.bincount(key, weights=flag[rows].astype(np.float64))[used] if flag is not None else np.zeros(used.size)
    return {"c": [[round(float(a), 5), round(float(b), 5), int(c), int(d)] for a, b, c, d in zip(lon, lat, n, bad,
                                                                                                 strict=True)],
            "p": [[int(r), round(float(idx.lon[r]), 6), round(float(idx.lat[r]), 6)] for r in alone]}
