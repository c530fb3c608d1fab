"""Unit grids (单元网格, GB/T 30428.1): the cells digital city management locates and counts cases in.

A city whose GIS has its grids imports them (`python -m onboard import-geo … --level grid`); until then OneScreen
draws a regular grid of about 100 m × 100 m cells over the profile's `grid.box` (default: where its city components
lie, the managed urban core), and a case is in the cell its position falls in. A cell's code is the district's
6-digit adcode, then its row and column in the grid (4 digits each): 14 digits like GB/T 30428.1's codes, but the
numbering is OneScreen's (the standard's street and community digits need the street boundaries, which no profile
has yet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.geo import components_box, district_at

CELL_M = 100.0
MAX_CELLS = 9999  # rows or columns: a code keeps 4 digits for each


@dataclass(frozen=True, slots=True)
class UnitGrid:
    """A regular grid of cells `cell_m` metres on a side (at the box's middle latitude) over [west, south, east,
    north]."""

    west: float
    south: float
    east: float
    north: float
    cell_m: float = CELL_M

    @property
    def dlat(self) -> float:
        return self.cell_m / 111_320.0

    @property
    def dlon(self) -> float:
        return self.cell_m / (111_320.0 * math.cos(math.radians((self.south + self.north) / 2)))

    @property
    def shape(self) -> tuple[int, int]:
        """Rows (south to north) and columns (west to east)."""
        return (math.ceil((self.north - self.south) / self.dlat), math.ceil((self.east - self.west) / self.dlon))

    def cell(self, lon: float, lat: float) -> tuple[int, int] | None:
        """The (row, column) a position falls in, or None outside the grid (or not a number)."""
        if not (isinstance(lon, int | float) and isinstance(lat, int | float)) or not (
                self.west <= lon < self.east and self.south <= lat < self.north):
            return None
        rows, cols = self.shape
        row, col = int((lat - self.south) / self.dlat), int((lon - self.west) / self.dlon)
        return (row, col) if row < rows and col < cols else None

    def code(self, lon: Any, lat: Any, adcode: str | None) -> str | None:
        """The unit-grid code of a case at (lon, lat) in district `adcode`; None outside the grid or the city."""
        where = self.cell(lon, lat)
        if where is None or not adcode:
            return None
        return f"{adcode}{where[0]:04d}{where[1]:04d}"

    def code_at(self, lon: Any, lat: Any, filename: str | None, fallback: str | None = None) -> str | None:
        """The code of the cell a case at (lon, lat) falls in: its district is the one the cell's centre lies in
        (the case's own, `fallback`, when the centre lies outside the city), so a cell has one code whichever case
        in it asks, the code the one map's grid layer shows."""
        where = self.cell(lon, lat)
        if where is None:
            return None
        w, s, e, n = self.bounds(*where)
        return self.code(lon, lat, (district_at(filename, (w + e) / 2, (s + n) / 2) if filename else None) or fallback)

    def bounds(self, row: int, col: int) -> tuple[float, float, float, float]:
        """A cell's west, south, east, north."""
        return (self.west + col * self.dlon, self.south + row * self.dlat, self.west + (col + 1) * self.dlon,
                self.south + (row + 1) * self.dlat)


def of_city(city: dict[str, Any]) -> UnitGrid:
    """The profile's unit grid: `grid: {box: [west, south, east, north], cell_m: 100}`, every key optional."""
    spec = city.get("grid") or {}
    if not isinstance(spec, dict):
        raise ValueError(f"city profile {city.get('slug', '?')!r}: grid is a mapping {{box, cell_m}}, not {spec!r}")
    try:
        w, s, e, n = (float(v) for v in (spec.get("box") or components_box(city)))
        cell = float(spec.get("cell_m", CELL_M))
    except (TypeError, ValueError, KeyError):
        raise ValueError(f"city profile {city.get('slug', '?')!r}: grid.box is [west, south, east, north] in "
                         f"degrees and grid.cell_m metres, not {spec!r}") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90 and 10 <= cell <= 5000):
        raise ValueError(f"city profile {city.get('slug', '?')!r}: grid.box must have west < east and south < "
                         f"north in degrees, grid.cell_m 10..5000, not {spec or {'box': [w, s, e, n]}!r}")
    made = UnitGrid(w, s, e, n, cell)
    if max(made.shape) > MAX_CELLS:
        raise ValueError(f"city profile {city.get('slug', '?')!r}: grid of {made.shape[0]:,} x {made.shape[1]:,} "
                         f"cells; at most {MAX_CELLS:,} a side (a cell's code has 4 digits for its row and its "
                         "column): a smaller grid.box or a larger grid.cell_m")
    return made
