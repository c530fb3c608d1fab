"""Unit grids (core/grid.py, issue #15 step 2 and #16): ~100 m cells over the profile's managed core; a case's
position gives its cell's 14-digit code (district adcode, row, column); outside the grid or the city, none."""

from __future__ import annotations

import math

import pytest

from config.settings import load_city
from core.geo import components_box
from core.grid import UnitGrid, of_city


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("slug", ["guangzhou", "tianjin", "tangshan", "langfang"])
def test_cells_are_about_a_hundred_metres_and_cover_the_managed_core(slug: str) -> None:
    city = load_city(slug)
    grid = of_city(city)
    assert (grid.west, grid.south, grid.east, grid.north) == components_box(city)
    w, s, e, n = grid.bounds(3, 7)
    assert abs(metres((w, s), (e, s)) - 100) < 1 and abs(metres((w, s), (w, n)) - 100) < 1
    rows, cols = grid.shape
    assert 100 <= rows <= 130 and 100 <= cols <= 130  # ~12 km x 11 km: about 13,000 cells
    middle = ((w + e) / 2, (s + n) / 2)
    assert grid.cell(*middle) == (3, 7)
    assert grid.code(*middle, "440106") == "44010600030007"


def test_outside_the_grid_or_without_a_district_a_case_has_no_cell() -> None:
    grid = UnitGrid(113.0, 23.0, 113.1, 23.1)
    assert grid.cell(112.99, 23.05) is None and grid.cell(113.05, 23.1) is None  # the north edge is outside
    assert grid.code(113.05, 23.05, None) is None and grid.code("113.05", 23.05, "440106") is None
    assert grid.code(113.0, 23.0, "440106") == "44010600000000"


@pytest.mark.parametrize("bad", [{"box": [113.3, 23.0, 113.1, 23.2]}, {"cell_m": 2}, {"box": "all"}, "everywhere",
                                 {"box": [0, -80, 179, 80], "cell_m": 10}])
def test_a_wrong_grid_in_a_profile_names_it(bad: object) -> None:
    with pytest.raises(ValueError, match="grid"):
        of_city({**load_city("guangzhou"), "grid": bad})


def test_a_cell_has_one_code_whichever_case_in_it_asks() -> None:
    """A cell across a district border is coded by the district its centre lies in, for every case in it."""
    grid = of_city(load_city("guangzhou"))
    file = "guangzhou_districts.geojson"
    w, s, e, n = grid.bounds(40, 40)
    codes = {grid.code_at(x, y, file, fallback) for x, y, fallback in ((w + 1e-6, s + 1e-6, "440111"),
                                                                         (e - 1e-6, n - 1e-6, "440106"))}
    assert len(codes) == 1 and next(iter(codes)).endswith("00400040")
    assert grid.code_at(w + 1e-6, s + 1e-6, None, "440106") == "44010600400040"  # no boundaries: the case's own
