"""views.geometry: the one map is sent values only for what it draws near its view, and a page that pans, zooms and
turns layers on and off, merging each delta, holds exactly what a fresh load of its view would (issue #20: bytes per
tick bounded by what is on screen, not by the city)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from views import delta, geometry

LAYERS = ("air", "traffic", "water")


def _text(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _point(fid: str, lon: float, lat: float) -> dict:
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {}}


# a 10 x 10 grid of stations and sections 0.1 degree apart, and east-west road segments 0.25 degree long
AIR = _text([_point(f"a{i}", 113.0 + 0.1 * (i % 10), 23.0 + 0.1 * (i // 10)) for i in range(100)])
WATER = _text([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.05 + 0.1 * (i % 10),
                                                                                  23.05 + 0.1 * (i // 10)]},
                "properties": {"code": f"w{i}"}} for i in range(100)])  # the id in properties.code, as station files
ROADS = _text([{"type": "Feature", "id": f"r{i}", "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[113.0 + 0.1 * (i % 10), 23.0 + 0.1 * (i // 10)],
                                                                   [113.25 + 0.1 * (i % 10), 23.0 + 0.1 * (i // 10)]]}}
               for i in range(100)])
TEXTS = {"air": AIR, "traffic": ROADS, "water": WATER}


def test_an_area_is_the_view_grown_by_half_a_tile_and_snapped_to_tiles() -> None:
    step = 360 / 2**12  # a tile at zoom 12 is 0.088 degrees wide
    area = geometry.area_of((113.30, 23.10, 113.35, 23.13), 12.6)
    w, s, e, n = area
    assert w <= 113.30 - step / 2 and e >= 113.35 + step / 2 and s <= 23.10 - step / 2 and n >= 23.13 + step / 2
    assert all(abs(x / step - round(x / step)) < 1e-9 for x in area)  # whole tiles
    assert e - w <= 113.35 - 113.30 + 3 * step  # never more than a tile and a half beyond each side
    # a small pan inside the same tiles keeps the area: nothing to send again
    assert geometry.area_of((113.301, 23.101, 113.351, 23.131), 12.6) == area


def test_only_drawn_entities_near_the_view_on_layers_that_are_on() -> None:
    values = {"air": {f"a{i}": [50 + i, "#00E400", 0, 1] for i in range(100)} | {"not-drawn": [9, "#00E400", 0, 1]},
              "traffic": {f"r{i}": 2 for i in range(100)}, "water": {f"w{i}": "II" for i in range(100)}}
    area = (113.0, 23.0, 113.15, 23.15)  # the south-west corner: 2 x 2 stations
    out = geometry.limit(values, TEXTS, area, ["air", "traffic"])
    assert sorted(out["air"]) == ["a0", "a1", "a10", "a11"]  # never an entity the map cannot draw
    # a road starting west of the area and crossing into it is in; one wholly east of it is not
    assert {"r0", "r1", "r10", "r11"} <= set(out["traffic"]) and "r2" not in out["traffic"]
    assert out["water"] == {}  # its layer is off
    everything = geometry.limit(values, TEXTS, None, LAYERS)
    assert len(everything["air"]) == 100 and "not-drawn" not in everything["air"]


def test_a_layer_without_geometry_gets_nothing() -> None:
    out = geometry.limit({"air": {"a0": [1, "#00E400", 0, 1]}, "traffic": {}, "water": {}},
                         {"air": None, "traffic": ROADS, "water": WATER}, None, LAYERS)
    assert out["air"] == {}


def test_features_without_an_id_or_coordinates_are_skipped() -> None:
    text = _text([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}},
                  {"type": "Feature", "id": "x", "geometry": None, "properties": {}},
                  {"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [1, 2]}}])
    assert geometry.boxes_of(text).ids == ("7",)  # a numeric id reads as the browser reads it


def test_a_held_area_is_read_only_when_it_is_four_finite_numbers_in_order() -> None:
    assert geometry.parse_area([1, 2, 3, 4]) == (1.0, 2.0, 3.0, 4.0)
    for bad in (None, "1,2,3,4", [1, 2, 3], [3, 2, 1, 4], [1, 2, 3, float("nan")], [True, 2, 3, 4], [{}, 2, 3, 4]):
        assert geometry.parse_area(bad) is None


views = st.tuples(st.floats(112.8, 114.0), st.floats(22.8, 24.0), st.sampled_from([9.0, 10.5, 12.0, 13.0]),
                  st.lists(st.sampled_from(LAYERS), unique=True))
ticks = st.fixed_dictionaries({
    "air": st.dictionaries(st.sampled_from([f"a{i}" for i in range(100)]), st.integers(0, 500).map(lambda a: [a])),
    "traffic": st.dictionaries(st.sampled_from([f"r{i}" for i in range(100)]), st.one_of(st.none(), st.integers(1, 5))),
    "water": st.dictionaries(st.sampled_from([f"w{i}" for i in range(100)]), st.sampled_from(["I", "III", "劣V"])),
})


@given(st.lists(st.tuples(ticks, views), min_size=1, max_size=8))
def test_a_page_that_pans_and_toggles_layers_holds_what_a_fresh_load_would(stream: list) -> None:
    """Each tick the city changes and the page may have panned, zoomed or turned layers on or off: the server takes
    the delta between what the page holds (version, area, layers) and what its new view needs (as callbacks.analyst
    does); the page's merge must equal a fresh load of that view."""
    held: dict | None = None
    had: dict | None = None  # {"v", "area", "on"} as the page sends it back
    for version, (values, (lon, lat, zoom, on)) in enumerate(stream):
        area = geometry.area_of((lon - 0.05, lat - 0.03, lon + 0.05, lat + 0.03), zoom)
        now = geometry.limit(values, TEXTS, area, on)
        base = None if had is None else geometry.limit(stream[had["v"]][0], TEXTS, had["area"], had["on"])
        msg = delta.message(now, LAYERS, version, base, None if had is None else had["v"])
        held = delta.merge(held or {}, msg, LAYERS)
        assert held == now
        had = {"v": version, "area": area, "on": on}


def test_a_profile_file_elsewhere_finds_its_geometry_beside_it(tmp_path: Path) -> None:
    """ONESCREEN_CITY may be the path of a profile file: its own geo files are found beside it, the shipped ones
    (geo/) by name; the map's entity boxes then come from its files."""
    from config.settings import load_city

    (tmp_path / "roads.geojson").write_text(ROADS, encoding="utf-8")
    profile = tmp_path / "town.yaml"
    profile.write_text("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [23.1, 113.3]\n"
                       "geo:\n  districts: guangzhou_districts.geojson\n"
                       "  roads: roads.geojson\n", encoding="utf-8")
    city = load_city(str(profile))
    assert city["geo"]["districts"] == "guangzhou_districts.geojson"  # shipped: by name
    assert city["geo"]["roads"] == str(tmp_path / "roads.geojson")
    text = geometry.layer_text(city, 42, "roads")
    assert text == ROADS and len(geometry.boxes_of(text).ids) == 100
    for bad in (str(tmp_path / "missing.yaml"), "no-such-city"):
        try:
            load_city(bad)
        except ValueError as exc:
            assert "missing.yaml" in str(exc) or "known profiles" in str(exc)
        else:
            raise AssertionError(f"{bad} loaded")
