"""Synthetic city components (城市部件): 548,000 items in 116 categories over ~140 km² of a city's centre.

Clearly synthetic (Tangshan's 2015 census counted 548,000 components in 116 categories over 140 km²; this data set
copies those sizes, not any real positions). Reproducible from a seed, generated in memory in well under a second,
so the web tier and the feed runner build the same set without shipping a file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from core.furniture_catalog import CATEGORIES, weight
from core.geo import components_box
from core.readings import Reading

COUNT = 548_000
Box = tuple[float, float, float, float]  # west, south, east, north (WGS-84 degrees)
STATUS = ("normal", "damaged", "missing")


@dataclass(frozen=True)
class FurnitureSet:
    """Parallel arrays: position, category index into CATEGORIES, initial status (0 normal, 1 damaged, 2 missing)."""

    lon: np.ndarray
    lat: np.ndarray
    cat: np.ndarray
    status0: np.ndarray
    seed: int

    def __len__(self) -> int:
        return int(self.lon.shape[0])

    @staticmethod
    def entity_id(index: int) -> str:
        """Stable id of item `index` (its row in the set)."""
        return f"F{index:06d}"

    @staticmethod
    def index_of(entity_id: str) -> int | None:
        """Row of an id, or None when it is not one of ours."""
        if len(entity_id) == 7 and entity_id[0] == "F" and entity_id[1:].isascii() and entity_id[1:].isdigit():
            return int(entity_id[1:])
        return None


def box_of(city: dict[str, Any]) -> Box:
    """Where a city's components lie (core.geo.components_box)."""
    return components_box(city)


@cache
def generate(seed: int, box: Box, count: int = COUNT) -> FurnitureSet:
    """Items along a synthetic street grid (70 %) and scattered (30 %) over `box`, categories by synthetic
    abundance."""
    rng = np.random.default_rng(seed)
    w, s, e, n = box
    on_street = int(count * 0.7)
    # Streets: a jittered grid every ~250 m (0.0025°) in both directions.
    lines = rng.integers(0, 2, on_street)
    along = rng.random(on_street)
    which_x = np.floor(rng.random(on_street) * ((e - w) / 0.0025)) * 0.0025 + w
    which_y = np.floor(rng.random(on_street) * ((n - s) / 0.0025)) * 0.0025 + s
    jitter = rng.normal(0, 0.00012, (2, on_street))
    lon_st = np.where(lines == 0, which_x, w + along * (e - w)) + jitter[0]
    lat_st = np.where(lines == 0, s + along * (n - s), which_y) + jitter[1]
    rest = count - on_street
    lon = np.concatenate([lon_st, w + rng.random(rest) * (e - w)]).astype(np.float64)
    lat = np.concatenate([lat_st, s + rng.random(rest) * (n - s)]).astype(np.float64)
    weights = np.array([weight(c["zh"]) for c in CATEGORIES])
    cat = rng.choice(len(CATEGORIES), size=count, p=weights / weights.sum()).astype(np.uint8)
    status0 = rng.choice(3, size=count, p=[0.988, 0.009, 0.003]).astype(np.uint8)
    order = rng.permutation(count)  # ids carry no spatial order
    return FurnitureSet(lon[order], lat[order], cat[order], status0[order], seed)


class FurnitureSimulator:
    """Live status changes for the synthetic set: a few items break or go missing, repaired ones return to normal."""

    name = "furniture-sim"
    feeds = ("furniture",)

    def __init__(self, box: Box, *, seed: int = 548, interval_s: float = 5.0, changes_per_poll: int = 12) -> None:
        self.interval_s = interval_s
        self.data = generate(seed, box)
        self.changes = changes_per_poll
        self.rng = random.Random(seed * 7919)
        self.bad: dict[int, int] = {}
        self._started = False

    def _reading(self, idx: int, status: int, now_ms: int) -> Reading:
        cat = CATEGORIES[int(self.data.cat[idx])]
        return Reading("furniture", FurnitureSet.entity_id(idx), now_ms, {"status": STATUS[status]},
                       {"category": cat["code"], "lat": round(float(self.data.lat[idx]), 6),
                        "lon": round(float(self.data.lon[idx]), 6), "synthetic": True})

    def poll(self, now_ms: int) -> list[Reading]:
        """First poll: every initially damaged/missing item; then a handful of breakages and repairs."""
        out: list[Reading] = []
        if not self._started:
            self._started = True
            for idx in np.flatnonzero(self.data.status0).tolist():
                self.bad[idx] = int(self.data.status0[idx])
                out.append(self._reading(idx, self.bad[idx], now_ms))
            return out
        n = len(self.data)
        for _ in range(self.changes):
            idx = self.rng.randrange(n)
            if idx in self.bad:
                continue
            self.bad[idx] = 1 if self.rng.random() < 0.8 else 2
            out.append(self._reading(idx, self.bad[idx], now_ms))
        for idx in self.rng.sample(sorted(self.bad), k=min(len(self.bad), self.changes)):
            del self.bad[idx]
            out.append(self._reading(idx, 0, now_ms))
        return out
