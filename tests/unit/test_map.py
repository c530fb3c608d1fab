"""One map: clustering, the synthetic component set, URL state, district values, popups, base-map config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from core import case_points
from core.furniture_catalog import CATEGORIES, GROUPS
from data_sources.simulator.furniture import COUNT, FurnitureSet, FurnitureSimulator, generate
from layouts.analyst import DEFAULT_ON, parse_view
from views import map as map_view
from views.cluster import PointIndex, cluster
from views.entity import details

NOW = 1_790_000_000_000
BBOX = (113.245, 23.080, 113.365, 23.180)


def test_synthetic_components_match_the_census_sizes_and_are_reproducible() -> None:
    data = generate(548, BBOX)
    assert len(data) == COUNT == 548_000 and len(CATEGORIES) == 116 and len(set(data.cat.tolist())) == 116
    assert {c["group"] for c in CATEGORIES} == set(GROUPS)
    again = generate.__wrapped__(548, BBOX)  # bypass the cache: same seed, same set
    assert np.array_equal(data.lon, again.lon) and np.array_equal(data.cat, again.cat)
    assert FurnitureSet.index_of(FurnitureSet.entity_id(123_456)) == 123_456 and FurnitureSet.index_of("X1") is None


def test_furniture_simulator_reports_initial_faults_then_changes() -> None:
    sim = FurnitureSimulator(BBOX, seed=548)
    first = sim.poll(NOW)
    assert len(first) == int((generate(548, BBOX).status0 > 0).sum()) and all(r.feed == "furniture" for r in first)
    later = sim.poll(NOW + 5000)
    assert later and {r.values["status"] for r in later} <= {"normal", "damaged", "missing"}


def _points(n: int = 5000, seed: int = 1) -> PointIndex:
    rng = np.random.default_rng(seed)
    return PointIndex.build(113.25 + rng.random(n) * 0.1, 23.08 + rng.random(n) * 0.1)


def test_clusters_account_for_every_point_in_view() -> None:
    idx = _points()
    flag = np.zeros(5000, dtype=bool)
    flag[:100] = True
    res = cluster(idx, (113.2, 23.0, 113.4, 23.2), 12, flag=flag, max_points=10)
    assert sum(c[2] for c in res["c"]) + len(res["p"]) == 5000
    assert sum(c[3] for c in res["c"]) + sum(1 for p in res["p"] if flag[p[0]]) == 100
    assert all(c[2] >= 2 for c in res["c"])


def test_clusters_are_stable_when_panning() -> None:
    idx = _points()
    a = cluster(idx, (113.25, 23.08, 113.35, 23.18), 13, max_points=10)
    b = cluster(idx, (113.26, 23.09, 113.36, 23.19), 13, max_points=10)
    shared = {(c[0], c[1], c[2]) for c in a["c"]} & {(c[0], c[1], c[2]) for c in b["c"]}
    assert len(shared) > len(a["c"]) // 2  # absolute cell grid: interior clusters do not move


def test_few_points_come_back_as_points_with_filters() -> None:
    idx = _points(200)
    keep = np.zeros(200, dtype=bool)
    keep[[3, 7]] = True
    res = cluster(idx, (113.0, 23.0, 113.5, 23.5), 10, keep=keep)
    assert res["c"] == [] and sorted(p[0] for p in res["p"]) == [3, 7]


def test_furniture_clusters_filter_by_group_and_status() -> None:
    data, _ = map_view.furniture_index((548, BBOX))
    status = np.zeros(len(data), dtype=np.uint8)
    status[[10, 20, 30]] = [1, 2, 1]
    everything = map_view.furniture_clusters((548, BBOX), status, BBOX, 13, None, False)
    assert sum(c[2] for c in everything["c"]) + len(everything["p"]) == COUNT
    bad = map_view.furniture_clusters((548, BBOX), status, BBOX, 13, None, True)
    ids = {p[0] for p in bad["p"]} | set()
    assert sum(c[2] for c in bad["c"]) + len(bad["p"]) == 3 and ids <= {"F000010", "F000020", "F000030"}
    covers = map_view.category_mask(data, ["01"])
    assert covers is not None and covers.sum() == sum(1 for c in data.cat if CATEGORIES[c]["group"] == "01")


def test_status_array_from_reports() -> None:
    arr = map_view.furniture_status_array(10, {"F000001": "damaged", "F000002": "missing", "F000003": "normal",
                                               "bogus": "damaged"})
    assert arr.tolist() == [0, 1, 2, 0, 0, 0, 0, 0, 0, 0]


def test_url_state_parses_and_rejects_bad_values() -> None:
    view = parse_view({"layers": "air,furniture,bogus", "c": "23.1,113.3", "z": "14", "cats": "01,0203",
                       "bad": "1", "mode": "aqi"}, [23.0, 113.0], 10, now_ms=NOW)
    assert view == {"layers": ["air", "furniture"], "center": [23.1, 113.3], "zoom": 14.0, "cats": ["01", "0203"],
                    "bad": True, "mode": "aqi", "district": None, "minlevel": 0, "sel": None, "cmp": [],
                    "range": "24h", "item": "do", "at": None, "panel": True, "fit": False}
    bad = parse_view({"c": "north", "z": "x", "mode": "nope", "layers": ""}, [23.0, 113.0], 10)
    assert bad["center"] == [23.0, 113.0] and bad["zoom"] == 10 and bad["mode"] == "none"
    assert bad["layers"] == list(DEFAULT_ON)


def test_district_values_carry_the_summarys_open_and_overdue_counts() -> None:
    summary = {"districts": {"440111": {"aqi": 80, "aqi_color": "#FFFF00", "tpi": 3.2, "tpi_level": 2,
                                        "water_worst": "IV"}},
               "service": {"by_district": {"440111": [2, 1], "440112": [3, 0]}}}
    out = map_view.district_values(summary)
    assert out["440111"] == [80, "#FFFF00", 3.2, 2, 2, 1, "IV"]
    assert out["440112"] == [None, None, None, None, 3, 0, None]  # cases but no readings: still on the map


def test_case_clusters_mark_overdue_points() -> None:
    cases = [{"id": "a", "v": {"long": 113.3, "lat": 23.1}, "d": {"due_ms": NOW - 1}},
             {"id": "b", "v": {"long": 113.31, "lat": 23.11}, "d": {"due_ms": NOW + 1}},
             {"id": "c", "v": {"long": "bad", "lat": 23.1}, "d": {}}]
    res = map_view.case_clusters(case_points.from_docs(cases), (113.0, 23.0, 113.5, 23.5), 14, NOW)
    assert sorted(res["p"]) == [["a", 113.3, 23.1, 1], ["b", 113.31, 23.11, 0]]


def test_station_popup_lists_pollutants_with_units_and_standard() -> None:
    doc = {"id": "1345A", "ts": NOW - 120_000, "v": {"pm25_1h": 80, "co_1h": 0.8}, "m": {"name": "广雅中学"},
           "d": {"aqi": 106, "primary": ["pm25_1h"], "standard": "HJ633-2026"}}
    info = details("air", doc, "en", NOW, "Asia/Shanghai", {})
    rows = dict(info["rows"])
    assert info["title"] == "Guangya Middle School" and rows["AQI"].startswith("106 Lightly polluted")  # #17 item 7
    assert rows["PM2.5 1h"] == "80 µg/m³" and rows["CO 1h"] == "0.8 mg/m³" and rows["Standard"] == "HJ633-2026"
    assert "2 min ago" in rows["Data time"]


def test_basemap_config_validates(tmp_path: Path) -> None:
    from config.settings import basemap_config

    city = {"basemap": {"type": "xyz", "url": "http://tiles.internal/{z}/{x}/{y}.png", "crs": "gcj02"}}
    assert basemap_config(Settings(redis_url="redis://x"), city)["crs"] == "gcj02"
    with pytest.raises(ValueError, match="crs"):
        basemap_config(Settings(redis_url="redis://x"), {"basemap": {"type": "xyz", "crs": "bd09"}})
    with pytest.raises(ValueError, match="MBTiles file not found"):
        basemap_config(Settings(redis_url="redis://x", basemap_mbtiles=tmp_path / "none.mbtiles"), {})


def test_the_unit_grid_counts_open_and_overdue_cases_and_damaged_components_per_cell_in_view() -> None:
    from core.grid import UnitGrid
    from core.loop_points import LoopPoints

    grid = UnitGrid(113.30, 23.10, 113.32, 23.12)  # ~20 x 22 cells of 100 m
    w, s = grid.west + 0.5 * grid.dlon, grid.south + 0.5 * grid.dlat  # the middle of cell (0, 0)
    loop = LoopPoints(["a", "b", "c", "d"], np.array([w, w, w + 3 * grid.dlon, 113.5]),
                      np.array([s, s, s + 2 * grid.dlat, 23.11]), np.zeros(4, dtype=np.int8),
                      np.array([NOW - 1, NOW + 1, np.inf, NOW - 1]), ["440106"] * 4, [""] * 4)
    bad_lon, bad_lat = np.array([w, w + 3 * grid.dlon]), np.array([s + grid.dlat, s + 2 * grid.dlat])
    box = (113.29, 23.09, 113.33, 23.13)
    res = map_view.grid_cells(grid, box, 16, loop, NOW, bad_lon, bad_lat, "guangzhou_districts.geojson")
    assert res["g"] == [grid.west, grid.south, grid.dlon, grid.dlat]
    assert [c[:5] for c in res["c"]] == [[0, 0, 2, 1, 0], [1, 0, 0, 0, 1], [2, 3, 1, 0, 1]]  # d: outside the grid
    from core.geo import district_at
    for c in res["c"]:  # the district of each cell's centre (海珠 here)
        assert c[5] == district_at("guangzhou_districts.geojson", grid.west + (c[1] + 0.5) * grid.dlon,
                                   grid.south + (c[0] + 0.5) * grid.dlat) == "440105"
    assert map_view.grid_cells(grid, box, 14, loop, NOW, bad_lon, bad_lat, None)["c"] == []  # too far out
    east_only = map_view.grid_cells(grid, (113.3025, 23.09, 113.33, 23.13), 16, loop, NOW, bad_lon, bad_lat, None)
    assert [c[:2] for c in east_only["c"]] == [[2, 3]]  # only what is in view
    # a view edge through a cell: the whole cell is counted, not the part of it in view
    cut = grid.west + 3.5 * grid.dlon  # the middle of column 3, east of the case and the component in (2, 3)
    edge = map_view.grid_cells(grid, (cut, 23.09, 113.33, 23.13), 16, loop, NOW, bad_lon, bad_lat, None)
    assert [c[:5] for c in edge["c"]] == [[2, 3, 1, 0, 1]]
    assert map_view.grid_cells(grid, (float("nan"), 23.09, 113.33, 23.13), 16, loop, NOW, bad_lon, bad_lat,
                               None)["c"] == []  # a browser's view is hostile
