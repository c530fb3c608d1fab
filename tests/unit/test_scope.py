"""District scoping's pure filters (store/scope.py and the view helpers): two districts, one caller bound to each."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from core import geo as geo_mod
from core import summary as summary_mod
from store import scope
from views import analyst
from views import map as map_view

GZ_PARTS = (548, (113.245, 23.080, 113.365, 23.180))  # the Guangzhou profile's component set (seed, box)

BAIYUN, TIANHE = "440111", "440106"
NOW = 1_795_242_600_000


def doc(eid: str, district: str | None, **v: Any) -> dict[str, Any]:
    """A stored document with its district in the metadata (as the sources write it)."""
    return {"id": eid, "ts": NOW - 1000, "v": v, "m": {"name": eid, **({"district_adcode": district} if district
                                                                          else {})}, "d": {}}


def air(eid: str, district: str, pm25: float) -> dict[str, Any]:
    from core.derive import derive_air

    d = doc(eid, district, pm25_1h=pm25, pm10_1h=40)
    d["d"] = derive_air(d["v"], "HJ633-2026")
    return d


DOCS = {"a1": doc("a1", BAIYUN), "a2": doc("a2", TIANHE), "a3": doc("a3", None)}


def test_unscoped_filters_return_their_input_untouched() -> None:
    items = [doc("c1", BAIYUN)]
    records = [{"id": "x", "scope": "city", "district": None}]
    assert scope.docs(DOCS, None) is DOCS and scope.cases(items, None) is items
    assert scope.alerts(records, None) is records and scope.log(records, None) is records
    assert scope.silences(records, None) is records and scope.names({"440111": 1}, None) == {"440111": 1}
    assert scope.key("summary", None) == "summary" and scope.key("summary", BAIYUN) == "summary:440111"


def test_a_district_sees_only_its_entities_and_nothing_without_a_district() -> None:
    assert list(scope.docs(DOCS, BAIYUN)) == ["a1"] and list(scope.docs(DOCS, TIANHE)) == ["a2"]
    assert scope.in_scope(DOCS["a1"], BAIYUN) and not scope.in_scope(DOCS["a2"], BAIYUN)
    assert not scope.in_scope(None, BAIYUN) and scope.in_scope(None, None)
    assert not scope.in_scope(DOCS["a3"], BAIYUN)  # unknown district: fail closed
    case = {"id": "c", "v": {"district_adcode": 440111}, "m": {}}  # cases carry it in values, maybe as a number
    assert scope.district_of(case) == BAIYUN and scope.cases([case, doc("d", TIANHE)], BAIYUN) == [case]


ALERTS = [
    {"id": "station_aqi:a1", "scope": "station", "district": BAIYUN},
    {"id": "station_aqi:a2", "scope": "station", "district": TIANHE},
    {"id": "district_congestion:440111", "scope": "district", "district": BAIYUN},
    {"id": "city_aqi:city", "scope": "city", "district": None},
    {"id": "feed_stale:air", "scope": "feed", "district": None},
]


def test_alerts_own_district_and_feed_alerts_but_no_city_aggregates() -> None:
    assert [a["id"] for a in scope.alerts(ALERTS, BAIYUN)] == ["station_aqi:a1", "district_congestion:440111",
                                                                "feed_stale:air"]
    assert [a["id"] for a in scope.alerts(ALERTS, TIANHE)] == ["station_aqi:a2", "feed_stale:air"]
    assert len(scope.alerts(ALERTS, None)) == len(ALERTS)


def test_audit_log_follows_its_alert_or_silence() -> None:
    entries = [
        {"event": "firing", "alert": "station_aqi:a1", "scope": "station", "district": BAIYUN},
        {"event": "firing", "alert": "station_aqi:a2", "scope": "station", "district": TIANHE},
        {"event": "firing", "alert": "feed_stale:air", "scope": "feed", "district": None},
        {"event": "firing", "alert": "city_aqi:city", "scope": "city", "district": None},
        {"event": "firing", "alert": "old:a1", "scope": "station"},  # written before alerts recorded a district
        {"event": "silence_created", "silence": "s-1", "scope": {"rule": "r", "district": BAIYUN}},
        {"event": "silence_created", "silence": "s-2", "scope": {"rule": "r"}},
        {"event": "silence_deleted", "silence": "s-1", "district": BAIYUN},
        {"event": "silence_deleted", "silence": "s-2"},
    ]
    seen = scope.log(entries, BAIYUN, known={"old:a1": BAIYUN})
    assert [(e.get("alert"), e.get("silence")) for e in seen] == [
        ("station_aqi:a1", None), ("feed_stale:air", None), ("old:a1", None), (None, "s-1"), (None, "s-1")]
    assert [e.get("alert") for e in scope.log(entries[:5], TIANHE, {"old:a1": BAIYUN})] == [
        "station_aqi:a2", "feed_stale:air"]


def test_silences_are_limited_to_the_callers_district() -> None:
    own = {"id": "s-1", "scope": {"rule": "station_aqi", "district": BAIYUN}}
    city = {"id": "s-2", "scope": {"rule": "station_aqi"}}
    assert scope.silences([own, city], BAIYUN) == [own] and scope.silences([own, city], TIANHE) == []
    assert scope.silence_scope({"rule": "station_aqi"}, BAIYUN) == {"rule": "station_aqi", "district": BAIYUN}
    assert scope.silence_scope({"district": BAIYUN}, BAIYUN) == {"district": BAIYUN}
    with pytest.raises(scope.OutOfScope):
        scope.silence_scope({"rule": "station_aqi", "district": TIANHE}, BAIYUN)
    assert scope.silence_scope({"district": TIANHE}, None) == {"district": TIANHE}  # the city may silence any


def test_geojson_features_and_ranking_names() -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "r1", "district_adcode": BAIYUN}, "geometry": None},
        {"type": "Feature", "properties": {"id": "r2", "district_adcode": TIANHE}, "geometry": None},
        {"type": "Feature", "properties": {"id": "r3"}, "geometry": None}]}
    assert [f["properties"]["id"] for f in scope.features(fc, BAIYUN)["features"]] == ["r1"]
    assert scope.features(fc, None) is fc
    assert scope.names({BAIYUN: ("白云区", "Baiyun"), TIANHE: ("天河区", "Tianhe")}, BAIYUN) == {
        BAIYUN: ("白云区", "Baiyun")}


def test_a_scoped_summary_holds_only_the_districts_figures() -> None:
    raw = {"air": {"a1": air("a1", BAIYUN, 200.0), "a2": air("a2", TIANHE, 10.0)}, "traffic": {}, "water": {},
           "health": {"air": {"last_data_ms": NOW}}, "service": {"open": 3, "overdue": 1}, "alerts": ALERTS}
    scoped = {**raw, "air": dict(scope.docs(raw["air"], BAIYUN)), "alerts": scope.alerts(ALERTS, BAIYUN)}
    city = summary_mod.build(raw, NOW, {})
    own = summary_mod.build(scoped, NOW, {})
    assert set(city["air"]["stations"]) == {"a1", "a2"} and set(own["air"]["stations"]) == {"a1"}
    assert own["air"]["city"]["aqi"] == own["air"]["stations"]["a1"]["aqi"] > city["air"]["city"]["aqi"]
    assert set(own["districts"]) == {BAIYUN} and set(city["districts"]) == {BAIYUN, TIANHE}
    assert own["alerts"]["counts"]["total"] == 0  # the test records carry no state: none active
    assert [i["id"] for i in own["alerts"]["items"]] == ["station_aqi:a1", "district_congestion:440111",
                                                          "feed_stale:air"]


def test_analyst_panel_read_shows_other_districts_as_unknown() -> None:
    series = {"a1": [{"t": NOW, "m": NOW, "aqi": 50}], "a2": [{"t": NOW, "m": NOW, "aqi": 60}]}
    docs = {"air:a1": DOCS["a1"], "air:a2": DOCS["a2"]}
    s, d = analyst.scoped("air", series, docs, BAIYUN)
    assert s == {"a1": series["a1"], "a2": []} and d == {"air:a1": DOCS["a1"], "air:a2": None}
    assert analyst.scoped("air", series, docs, None) == (series, docs)


def test_points_go_to_the_district_they_lie_in_holes_and_islands_included(tmp_path: Any) -> None:
    """A district with a hole (another district inside it) and one in two parts: each point goes to the one it lies
    in (core.geo.assign_districts), none when it lies in none; one district's points alone (in_district)."""
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    islands = [[[[20, 0], [22, 0], [22, 2], [20, 2], [20, 0]]], [[[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": "A"},
         "geometry": {"type": "Polygon", "coordinates": [outer, hole]}},
        {"type": "Feature", "properties": {"adcode": "B"},
         "geometry": {"type": "MultiPolygon", "coordinates": islands}}]}
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    lon = np.array([1.0, 5.0, 11.0, 9.5, 5.0, 21.0, 30.0])
    lat = np.array([1.0, 5.0, 5.0, 9.5, 0.5, 1.0, 1.0])
    assert geo_mod.assign_districts(lon, lat, str(path)) == ["A", "B", None, "A", "A", "B", None]
    assert geo_mod.in_district(lon, lat, str(path), "B").tolist() == [False, True, False, False, False, True, False]
    assert not geo_mod.in_district(lon, lat, str(path), "C").any()
    assert geo_mod.district_at(str(path), 5.0, 5.0) == "B" and geo_mod.district_at(None, 5.0, 5.0) is None


def test_furniture_belongs_to_the_district_it_lies_in() -> None:
    from data_sources.simulator.furniture import FurnitureSet
    from data_sources.simulator.geo import load_districts
    from views.map import furniture_in_district, furniture_index

    seed, geo = GZ_PARTS, "guangzhou_districts.geojson"
    data, _ = furniture_index(seed)
    tianhe = furniture_in_district(seed, geo, TIANHE)
    baiyun = furniture_in_district(seed, geo, BAIYUN)
    assert tianhe.any() and baiyun.any() and not (tianhe & baiyun).any()
    i = int(np.flatnonzero(tianhe)[0])
    eid = FurnitureSet.entity_id(i)
    assert map_view.furniture_visible(seed, geo, eid, None, TIANHE)
    assert not map_view.furniture_visible(seed, geo, eid, None, BAIYUN)
    assert map_view.furniture_visible(seed, geo, eid, None, None)
    assert map_view.furniture_visible(seed, geo, eid, doc(eid, BAIYUN), BAIYUN)  # a stored district wins
    assert not map_view.furniture_visible(seed, geo, "nope", None, BAIYUN)
    shapes = {d.adcode: d for d in load_districts(json.loads((geo_mod.GEO_DIR / geo).read_text(encoding="utf-8")))}
    assert shapes[TIANHE].contains(float(data.lon[i]), float(data.lat[i]))  # an independent ray cast agrees


def test_furniture_clusters_of_a_district_count_only_its_components() -> None:
    seed, geo = GZ_PARTS, "guangzhou_districts.geojson"
    n = len(map_view.furniture_index(seed)[0])
    status = np.zeros(n, dtype=np.uint8)
    bbox = (113.245, 23.080, 113.365, 23.180)  # the whole synthetic set
    within = map_view.furniture_in_district(seed, geo, BAIYUN)
    everything = map_view.furniture_clusters(seed, status, bbox, 11, None, False)
    mine = map_view.furniture_clusters(seed, status, bbox, 11, None, False, within=within)
    def total(res: dict[str, Any]) -> int:
        return sum(c[2] for c in res["c"]) + len(res["p"])
    assert total(everything) == n and total(mine) == int(within.sum()) < n
