"""Coordinate datums against the worked examples of standards.md §7, to 1e-6°."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import coords

TOL = 1e-6
# (lat, lng) pairs exactly as standards.md §7 prints them.
WGS_GCJ = [((31.1774276, 121.5272106), (31.175304, 121.531542)),
           ((22.543847, 113.912316), (22.540796, 113.917176))]
GCJ_BD = ((116.440488, 39.920026), (116.447034, 39.925838))  # (lng, lat) as printed


def close(a: tuple[float, float], b: tuple[float, float], tol: float = TOL) -> bool:
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_wgs84_to_gcj02_worked_examples(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lng, lat = coords.wgs84_to_gcj02(wgs[1], wgs[0])
    assert close((lng, lat), (gcj[1], gcj[0]))


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_gcj02_to_wgs84_inverts_the_worked_examples(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lng, lat = coords.gcj02_to_wgs84(gcj[1], gcj[0])
    assert close((lng, lat), (wgs[1], wgs[0]))


def test_gcj02_to_bd09_worked_example_and_back() -> None:
    gcj, bd = GCJ_BD
    assert close(coords.gcj02_to_bd09(*gcj), bd)
    assert close(coords.bd09_to_gcj02(*bd), gcj)


def test_wgs_bd_goes_through_gcj() -> None:
    wgs = (113.264385, 23.129112)  # Guangzhou
    bd = coords.wgs84_to_bd09(*wgs)
    assert close(bd, coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(*wgs)), 1e-12)
    assert close(coords.bd09_to_wgs84(*bd), wgs, 1e-8)


def test_offset_is_the_known_few_hundred_metres_in_guangzhou() -> None:
    wgs = (113.264385, 23.129112)
    shift = coords.haversine_m(*wgs, *coords.wgs84_to_gcj02(*wgs))
    assert 400 < shift < 700  # standards.md §7: raw GCJ-02 sits ~620 m off on OSM tiles


@pytest.mark.parametrize("point", [(-0.1276, 51.5072), (-122.4194, 37.7749), (151.2093, -33.8688)])
def test_outside_china_passes_through(point: tuple[float, float]) -> None:
    assert coords.out_of_china(*point)
    for fn in (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84, coords.wgs84_to_bd09, coords.bd09_to_wgs84):
        assert fn(*point) == point


@given(st.floats(min_value=73.7, max_value=135.0), st.floats(min_value=4.0, max_value=53.5))
def test_round_trips_inside_china(lng: float, lat: float) -> None:
    assert close(coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lng, lat)), (lng, lat), 1e-8)
    assert close(coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lng, lat)), (lng, lat), 1e-8)


def test_line_length() -> None:
    # One degree of latitude is about 111.2 km on the mean sphere.
    assert coords.line_length_m([(113.0, 23.0), (113.0, 23.5), (113.0, 24.0)]) == pytest.approx(111_195, rel=1e-3)
    assert coords.line_length_m([(113.0, 23.0)]) == 0.0
