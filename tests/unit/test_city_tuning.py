"""City profiles drive the simulator (issue #16): every shipped profile builds a simulated city whose entities all
lie in that city's own districts, and a profile's `simulator:` tuning is checked with errors that name the key and
say how to write it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.settings import load_city
from config.tuning import GENERIC_ROADS, tuning
from core.geo import GEO_DIR, components_box
from data_sources.simulator.city import Simulator
from data_sources.simulator.geo import load_districts

PROFILES = ("guangzhou", "tianjin", "tangshan", "langfang")
NOW = 1_790_000_000_000


@pytest.mark.parametrize("slug", PROFILES)
def test_every_simulated_entity_lies_in_a_district_of_its_own_city(slug: str) -> None:
    city = load_city(slug)
    districts = {d.adcode: d for d in load_districts(
        json.loads((GEO_DIR / city["geo"]["districts"]).read_text(encoding="utf-8")))}
    sim = Simulator(city, seed=3)
    readings = sim.poll(NOW)
    assert {r.feed for r in readings} == {"air", "traffic", "service", "water"}
    for r in readings:
        adcode = str(r.meta.get("district_adcode") or r.values.get("district_adcode") or "")
        assert adcode in districts, (slug, r.feed, r.entity_id, adcode)
    for seg in sim.segments:  # schematic, but inside the district they are named for
        assert all(districts[seg.district_adcode].contains(*c) for c in seg.coords), seg
        assert seg.name.endswith("（示意）")
    for sec in sim.sections:
        assert districts[sec.district_adcode].contains(sec.lon, sec.lat), sec
    station_codes = {f["properties"]["code"] for f in json.loads(
        (GEO_DIR / city["geo"]["air_stations"]).read_text(encoding="utf-8"))["features"]}
    assert {r.entity_id for r in readings if r.feed == "air"} == station_codes
    w, s, e, n = components_box(city)  # the profile's box, else ~12 km x 11 km around the city's centre
    lat, lon = city["center"]
    own = tuning(city).components_box
    assert (w, s, e, n) == own if own else (w < lon < e and s < lat < n and 0.08 < n - s < 0.12)


def test_a_profile_without_tuning_gets_generic_roads_and_even_demand() -> None:
    city = {**load_city("tangshan"), "simulator": None}
    sim = Simulator(city, seed=3)
    generic = {name for name, _ in GENERIC_ROADS}
    assert {seg.name.split("（")[0].split("·")[0] for seg in sim.segments} <= generic
    assert tuning(city).segments_of("130203") == 5 and tuning(city).population == {}


@pytest.mark.parametrize(("tune", "says"), [
    ({"roads": {"130203": ["建设北路"]}}, "simulator.roads: Value error, road '建设北路' of 130203: write a name"),
    ({"roads": {"130203": ["建设北路 X"]}}, "E (expressway), A (arterial), S (secondary), L (local)"),
    ({"components_box": [118.3, 39.6, 118.1, 39.7]}, "simulator.components_box: Value error, components_box is "
                                                     "[west, south, east, north]"),
    ({"segments": {"130203": 0}}, "segments per district must be 1..500"),
    ({"centre": ["130203"]}, "simulator.centre: Extra inputs are not permitted"),
    ({"population": {"130203": "many"}}, "simulator.population.130203"),
    ({"population": {"130203": -1.0}}, "population weights must be numbers above 0"),
])
def test_a_mistake_in_the_tuning_names_the_profile_the_key_and_the_fix(tune: dict, says: str) -> None:
    city = {**load_city("tangshan"), "simulator": tune}
    with pytest.raises(ValueError, match="city profile 'tangshan'") as err:
        Simulator(city)
    assert says in str(err.value)


def test_a_profile_missing_the_files_the_simulator_needs_says_which() -> None:
    city = {**load_city("langfang")}
    city["geo"] = {k: v for k, v in city["geo"].items() if k != "rivers"}
    with pytest.raises(ValueError, match="the simulator needs geo.rivers"):
        Simulator(city)


@pytest.mark.parametrize(("text", "says"), [
    ("slug: Town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\ngeo: {districts: tianjin_districts.geojson}\n",
     "slug: String should match pattern"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ngeo: {districts: tianjin_districts.geojson}\n", "center: Field required"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [117.2, 39.1]\ngeo: {districts: tianjin_districts.geojson}\n",
     "center: Value error, center is [lat, lon] in degrees, not [117.2, 39.1] (latitude first)"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\ntimezone: Asia/Tianjin\n"
     "geo: {districts: tianjin_districts.geojson}\n", "timezone: Value error, unknown time zone 'Asia/Tianjin'"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\ngeo: {districts: town.geojson}\n",
     "geo.districts: no file 'town.geojson'"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\n"
     "geo: {districts: tianjin_districts.geojson, streets: s.geojson}\n",
     "geo.streets: Extra inputs are not permitted"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nlang: fr\n"
     "geo: {districts: tianjin_districts.geojson}\n", "lang: Input should be 'zh' or 'en'"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nsimulator: {components_box: 5}\n"
     "geo: {districts: tianjin_districts.geojson}\n", "simulator.components_box: Input should be a valid"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nsimulator: fast\n"
     "geo: {districts: tianjin_districts.geojson}\n", "simulator is a mapping of keys"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nwall_frame: ['120101', '440103']\n"
     "geo: {districts: tianjin_districts.geojson}\n",
     "wall_frame: 440103 not among the adcodes of tianjin_districts.geojson (known: 120101, 120102"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nwall_frame: [120101]\n"
     "geo: {districts: tianjin_districts.geojson}\n", "wall_frame.0: Input should be a valid string"),
    ("slug: town\nname_zh: 镇\nname_en: Town\ncenter: [39.1, 117.2]\nwall_frame: []\n"
     "geo: {districts: tianjin_districts.geojson}\n", "wall_frame: List should have at least 1 item"),
])
def test_a_profile_file_with_a_mistake_names_the_file_the_key_and_the_fix(tmp_path: Any, text: str,
                                                                            says: str) -> None:
    path = tmp_path / "town.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_city(str(path))
    assert str(path) in str(err.value) and says in str(err.value), str(err.value)
