"""The simulator: deterministic per seed, plausible values, real timestamps, and time compression that scales."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from statistics import mean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import load_city
from config.tuning import tuning
from core.readings import Reading
from data_sources.simulator.city import Simulator
from data_sources.simulator.geo import load_districts
from data_sources.simulator.service import CATEGORIES, CST

GEO = Path(__file__).resolve().parents[2] / "geo"
HOUR = 3_600_000
MIDNIGHT = int(datetime(2026, 11, 16, tzinfo=CST).timestamp() * 1000)  # a Monday, 00:00 Asia/Shanghai
NOW = 1_790_000_000_000  # 2026-09-21T14:13:20Z
BAIYUN = {"流溪河", "石井河", "新市涌", "景泰涌"}
SLA_H = {c.code: c.sla_h for c in CATEGORIES}
AIR_KEYS = {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h", "o3_8h", "pm25_24h", "pm10_24h"}
WATER_KEYS = {"do", "codmn", "nh3n", "tp", "ph", "transparency_cm", "orp_mv", "temp_c"}
OPEN311_KEYS = {"status", "service_code", "service_name", "description", "agency_responsible", "requested_datetime",
                "updated_datetime", "expected_datetime", "address", "lat", "long", "district_adcode"}  # fmt: skip


GUANGZHOU = load_city("guangzhou")
CENTRAL = tuning(GUANGZHOU).central


def sim(**kw) -> Simulator:
    """A simulator over the shipped Guangzhou profile."""
    return Simulator(GUANGZHOU, **kw)


def by_feed(readings: list[Reading]) -> dict[str, list[Reading]]:
    """Readings grouped by feed."""
    out: dict[str, list[Reading]] = defaultdict(list)
    for r in readings:
        out[r.feed].append(r)
    return out


def ms(iso: str) -> float:
    """Epoch ms of an Open311 datetime."""
    return datetime.fromisoformat(iso).timestamp() * 1000


def at_sim_hours(start: int, hours: float, factor: float) -> int:
    """The real instant at which the simulated clock (started at start) shows start + hours."""
    return int(start + hours * HOUR / factor)


# --- determinism and static geometry ---------------------------------------------------------------------------


def test_same_seed_and_now_sequence_give_identical_output() -> None:
    nows = [NOW, NOW + 2000, NOW + 4000, NOW + 60_000, NOW + 3_600_000, NOW + 3_602_000]
    a, b = sim(seed=7), sim(seed=7)
    assert [a.poll(n) for n in nows] == [b.poll(n) for n in nows]


def test_different_seed_gives_different_output() -> None:
    a, b = sim(seed=1), sim(seed=2)
    assert a.poll(NOW) != b.poll(NOW)
    assert a.roads_geojson() != b.roads_geojson()


def test_feeds_use_independent_random_streams() -> None:
    a, b = sim(seed=3), sim(seed=3)
    for _ in range(50):  # disturb only the service stream of b
        b._service._rng.random()
    fa, fb = by_feed(a.poll(NOW)), by_feed(b.poll(NOW))
    for feed in ("air", "traffic", "water"):
        assert fa[feed] == fb[feed]
    assert fa["service"] != fb["service"]


def test_geometry_is_static_and_depends_only_on_seed() -> None:
    a, b = sim(seed=5), sim(seed=5, time_factor=1.0, start_ms=0)
    roads, sections = a.roads_geojson(), a.water_sections_geojson()
    for n in (NOW, NOW + 10_000, NOW + 5 * HOUR):
        a.poll(n)
    assert a.roads_geojson() == roads == b.roads_geojson()
    assert a.water_sections_geojson() == sections == b.water_sections_geojson()
    json.dumps([roads, sections])  # plain JSON


@pytest.mark.parametrize("seed", [0, 1, 42, 2026])
def test_entity_counts(seed: int) -> None:
    s = sim(seed=seed)
    feeds = by_feed(s.poll(NOW))
    assert len(feeds["air"]) == 12
    assert 60 <= len(feeds["traffic"]) <= 120
    assert 10 <= len(feeds["water"]) <= 15
    assert {r.meta["river"] for r in feeds["water"]} >= BAIYUN
    assert len({r.entity_id for r in feeds["traffic"]}) == len(feeds["traffic"])


def test_segments_are_schematic_classed_and_denser_in_the_centre() -> None:
    s = sim(seed=11)
    free = {"expressway": {80}, "arterial": {50, 55, 60}, "secondary": {40}, "local": {30}}
    feats = s.roads_geojson()["features"]
    for f in feats:
        p = f["properties"]
        assert f["id"].startswith("seg-") and f["geometry"]["type"] == "LineString"
        assert 2 <= len(f["geometry"]["coordinates"]) <= 3
        assert p["schematic"] is True and "示意" in p["name"]
        assert p["free_flow_kmh"] in free[p["road_class"]]
        assert 100 < p["length_m"] < 10_000
    central = sum(f["properties"]["district_adcode"] in CENTRAL for f in feats)
    assert central > len(feats) - central  # 5 small central districts hold most segments


def test_water_sections_geojson() -> None:
    for f in sim().water_sections_geojson()["features"]:
        p = f["properties"]
        assert f["id"].startswith("ws-") and f["geometry"]["type"] == "Point"
        assert p["approximate"] is True and p["waterbody"] == "river"
        assert p["name"].startswith(p["river"]) and p["name"].endswith("断面")
        assert 112.9 < f["geometry"]["coordinates"][0] < 114.1 and 22.5 < f["geometry"]["coordinates"][1] < 24.0


# --- values ---------------------------------------------------------------------------------------------------------


def test_values_have_required_keys_and_plausible_ranges() -> None:
    s = sim(seed=9, start_ms=NOW)
    for k in range(0, 24 * 60, 20):  # a simulated day at factor 60, every 20 simulated minutes
        now = at_sim_hours(NOW, k / 60, 60)
        for r in s.poll(now):
            v, m = r.values, r.meta
            if r.feed == "air":
                assert set(v) == AIR_KEYS and set(m) == {"name", "district_adcode", "lat", "lon"}
                assert 0 < v["so2_1h"] < 100 and 0 < v["no2_1h"] < 300 and 0.1 < v["co_1h"] < 5
                assert 0 < v["o3_1h"] < 400 and 0 < v["pm25_1h"] < 300 and 0 < v["pm10_1h"] < 500
                assert 0 < v["o3_8h"] < 350 and 0 < v["pm25_24h"] < 300 and 0 < v["pm10_24h"] < 500
            elif r.feed == "traffic":
                assert set(v) == {"speed_kmh", "free_flow_kmh", "incident"} and isinstance(v["incident"], bool)
                assert 0 < v["speed_kmh"] <= v["free_flow_kmh"] * 1.1
                assert set(m) == {"name", "road_class", "length_m", "district_adcode", "schematic"}
            elif r.feed == "water":
                assert set(v) == WATER_KEYS
                assert 0 < v["do"] < 15 and 0 < v["codmn"] < 40 and 0 < v["nh3n"] < 20 and 0 < v["tp"] < 2
                assert 6 <= v["ph"] <= 9.5 and 0 < v["transparency_cm"] < 300 and -400 < v["orp_mv"] < 500
                assert {"name", "river", "district_adcode", "lat", "lon", "waterbody", "approximate"} <= set(m)
            else:
                assert r.feed == "service" and set(v) == OPEN311_KEYS and m == {"district_adcode": v["district_adcode"],
                                                                                     "simulated": True}
                assert v["status"] in ("open", "closed") and v["service_name"]
            if r.feed != "service":
                assert r.ts == now


def test_no2_peaks_at_rush_hour_and_o3_in_the_afternoon() -> None:
    s = sim(seed=4, start_ms=MIDNIGHT)
    by_hour: dict[int, list[dict]] = defaultdict(list)
    for day in range(6):
        for h in (3, 6, 8, 15):
            by_hour[h] += [r.values for r in s.poll(at_sim_hours(MIDNIGHT, day * 24 + h, 60)) if r.feed == "air"]
    assert mean(v["no2_1h"] for v in by_hour[8]) > 1.2 * mean(v["no2_1h"] for v in by_hour[3])
    assert mean(v["o3_1h"] for v in by_hour[15]) > 2 * mean(v["o3_1h"] for v in by_hour[6])


def test_rolling_o3_8h_remembers_the_afternoon_at_night() -> None:
    s = sim(seed=4, start_ms=MIDNIGHT)
    air = [r.values for r in s.poll(at_sim_hours(MIDNIGHT, 23, 60)) if r.feed == "air"]  # first poll: warm history
    assert mean(v["o3_8h"] for v in air) > 1.5 * mean(v["o3_1h"] for v in air)
    assert all(v["pm25_24h"] > 0 for v in air)


def test_traffic_slows_at_peaks_more_in_central_districts() -> None:
    s = sim(seed=6, start_ms=MIDNIGHT)
    ratio: dict[tuple[float, bool], list[float]] = defaultdict(list)
    for day in range(5):  # Monday to Friday
        for h in (3.0, 8.5, 18.5):
            for r in s.poll(at_sim_hours(MIDNIGHT, day * 24 + h, 60)):
                if r.feed == "traffic" and not r.values["incident"]:
                    central = r.meta["district_adcode"] in CENTRAL
                    ratio[h, central].append(r.values["speed_kmh"] / r.values["free_flow_kmh"])
    for central in (True, False):
        assert mean(ratio[8.5, central]) < mean(ratio[3.0, central]) - 0.15
        assert mean(ratio[18.5, central]) < mean(ratio[3.0, central]) - 0.15
    assert mean(ratio[8.5, True]) < mean(ratio[8.5, False])


def test_incidents_drop_segments_to_severe() -> None:
    s = sim(seed=8, start_ms=MIDNIGHT, time_factor=1.0)
    hits = [r for k in range(0, 24 * 10 * 4) for r in s.poll(MIDNIGHT + k * HOUR // 4)
            if r.feed == "traffic" and r.values["incident"]]  # fmt: skip
    assert hits
    assert all(r.values["speed_kmh"] <= 0.25 * r.values["free_flow_kmh"] + 0.05 for r in hits)  # severe by class


def test_water_streams_worse_than_upper_liuxi_and_events_reach_worse_than_v() -> None:
    s = sim(seed=12, start_ms=MIDNIGHT, time_factor=1.0)
    nh3n: dict[str, list[float]] = defaultdict(list)
    do_by_hour: dict[int, list[float]] = defaultdict(list)
    for k in range(24 * 30):  # 30 days, hourly
        for r in s.poll(MIDNIGHT + k * HOUR):
            if r.feed == "water":
                nh3n[r.meta["name"]].append(r.values["nh3n"])
                do_by_hour[k % 24].append(r.values["do"])
    streams = [n for n in nh3n if n.split("·")[0] in {"新市涌", "景泰涌"}]
    upper = [n for n in nh3n if n.startswith("流溪河·从化") or n.startswith("流溪河·花都")]
    assert streams and upper
    assert min(mean(nh3n[n]) for n in streams) > max(mean(nh3n[n]) for n in upper)
    assert max(max(nh3n[n]) for n in streams) > 2.0  # 劣V during events
    assert mean(do_by_hour[15]) > mean(do_by_hour[4])  # diurnal DO swing


# --- service (Open311) ----------------------------------------------------------------------------------------------


def test_backlog_is_prepopulated_with_open_overdue_and_closed_cases() -> None:
    s = sim(seed=42)
    cases = by_feed(s.poll(NOW))["service"]
    open_ = [r for r in cases if r.values["status"] == "open"]
    closed = [r for r in cases if r.values["status"] == "closed"]
    overdue = [r for r in open_ if ms(r.values["expected_datetime"]) < NOW]
    assert 150 <= len(open_) <= 900 and s.open_cases == len(open_)
    assert 5 <= len(overdue) < len(open_) / 2
    assert len(closed) >= 100
    late = [r for r in closed if r.values["updated_datetime"] > r.values["expected_datetime"]]
    assert 0.04 < len(late) / len(closed) < 0.25
    assert len({r.entity_id for r in cases}) == len(cases)
    ages = [NOW - ms(r.values["requested_datetime"]) for r in open_]
    assert max(ages) > 24 * HOUR / 60  # older than one simulated day, as if running for days


def test_open311_fields_are_iso_with_offset_and_consistent() -> None:
    s = sim(seed=42)
    districts = {d.adcode: d for d in load_districts(json.loads((GEO / "guangzhou_districts.geojson").read_text()))}
    for r in by_feed(s.poll(NOW))["service"]:
        v = r.values
        times = {k: datetime.fromisoformat(v[k]) for k in ("requested_datetime", "updated_datetime",
                                                           "expected_datetime")}  # fmt: skip
        assert all(t.utcoffset() is not None and v[k].endswith("+00:00") for k, t in times.items())
        assert times["requested_datetime"] <= times["updated_datetime"] < datetime.fromtimestamp(NOW / 1000 + 1, CST)
        assert times["requested_datetime"] < times["expected_datetime"]
        assert 0 <= r.ts - times["updated_datetime"].timestamp() * 1000 < 1000
        assert r.entity_id.startswith("GZ") and isinstance(v["service_code"], str)
        assert districts[v["district_adcode"]].contains(v["long"], v["lat"])
        assert v["address"].startswith("广州市" + districts[v["district_adcode"]].name)


def test_later_polls_emit_only_new_or_changed_cases() -> None:
    s = sim(seed=42)
    status = {r.entity_id: r.values["status"] for r in s.poll(NOW) if r.feed == "service"}
    backlog = len(status)
    emitted = 0
    for k in range(1, 721):  # a simulated day at factor 60, one poll per 2 s
        cases = [r for r in s.poll(NOW + 2000 * k) if r.feed == "service"]
        emitted += len(cases)
        assert len(cases) < 30
        for r in cases:
            before = status.get(r.entity_id)
            assert before in (None, "open")  # new, or an open case that closed; never a repeat
            assert before is None or r.values["status"] == "closed"
            status[r.entity_id] = r.values["status"]
    assert 200 < emitted < 2 * backlog
    assert 150 <= s.open_cases <= 900


def test_time_compression_scales_slas_and_the_day() -> None:
    for factor in (1.0, 60.0):
        s = sim(seed=42, time_factor=factor, start_ms=NOW)
        assert s.sim_clock_ms(NOW + int(24 * 60_000 * 60 / factor)) == NOW + 24 * HOUR
        cases = by_feed(s.poll(NOW))["service"]
        for r in cases:
            v = r.values
            window_s = (ms(v["expected_datetime"]) - ms(v["requested_datetime"])) / 1000
            assert window_s == pytest.approx(SLA_H[v["service_code"]] * 3600 / factor, abs=1.0)
        oldest = min(ms(r.values["requested_datetime"]) for r in cases)
        assert NOW - oldest <= 7 * 24 * HOUR / factor + 1000  # the backlog history is compressed too
    s = sim(time_factor=60.0)
    manhole = [r for k in range(2000) for r in s.poll(NOW + 2000 * k)
               if r.feed == "service" and r.values["service_code"] == "manhole"]  # fmt: skip
    assert manhole
    assert all(ms(r.values["expected_datetime"]) - ms(r.values["requested_datetime"]) == 4 * 60_000 for r in manhole)


def test_start_defaults_to_first_poll_and_factor_one_is_real_time() -> None:
    s = sim(time_factor=60.0)
    s.poll(NOW)
    assert s.start_ms == NOW and s.sim_clock_ms(NOW + 1000) == NOW + 60_000
    assert sim(time_factor=1.0, start_ms=0).sim_clock_ms(NOW) == NOW


def test_backward_clock_does_not_repeat_cases() -> None:
    s = sim(seed=1)
    s.poll(NOW)
    seen = {(r.entity_id, r.values["status"]) for r in s.poll(NOW + 600_000) if r.feed == "service"}
    again = [r for r in s.poll(NOW + 300_000) if r.feed == "service"]
    assert not again and seen


def test_a_long_outage_closes_what_was_open_and_stays_bounded() -> None:
    s = sim(seed=3)
    was_open = {r.entity_id for r in s.poll(NOW) if r.feed == "service" and r.values["status"] == "open"}
    cases = [r for r in s.poll(NOW + 10 * 24 * HOUR) if r.feed == "service"]  # 600 simulated days later
    closed = {r.entity_id for r in cases if r.values["status"] == "closed"}
    assert was_open <= closed  # nothing the store holds as open is left dangling
    assert len(cases) < 3 * len(was_open) and 150 <= s.open_cases <= 900


def test_memory_stays_bounded_over_many_simulated_days() -> None:
    s = sim(seed=2, time_factor=1.0, start_ms=NOW)
    for k in range(24 * 20):
        s.poll(NOW + k * HOUR)
    assert 150 <= s.open_cases <= 900
    assert all(len(h) <= 25 for h in s._air.hist.values())


def test_rejects_non_positive_time_factor() -> None:
    with pytest.raises(ValueError):
        sim(time_factor=0)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3 * HOUR), min_size=1, max_size=12))
def test_any_poll_cadence_keeps_invariants(gaps: list[int]) -> None:
    s = sim(seed=5)
    now, closed = NOW, set()
    for gap in gaps:
        now += gap
        for r in s.poll(now):
            if r.feed == "service":
                assert r.entity_id not in closed
                if r.values["status"] == "closed":
                    closed.add(r.entity_id)
            elif r.feed == "traffic":
                assert 0 < r.values["speed_kmh"] <= 1.1 * r.values["free_flow_kmh"]
            elif r.feed == "air":
                assert all(0 < x < 600 for x in r.values.values())
