"""The metrics extractor: entity, district, city and feed observations, with staleness flagged, from a raw snapshot."""

from __future__ import annotations

from typing import Any

from alerts.metrics import CITY_ID, extract
from core import summary
from core.alerts import Observation
from indicators import traffic

NOW = 1_790_000_000_000
FEEDS = {"air": {"stale_after_s": 30, "name_zh": "空气质量", "name_en": "Air quality"},
         "traffic": {"stale_after_s": 30}, "water": {"stale_after_s": 30},
         "service": {"stale_after_s": 60, "freshness": "poll"}}
NAMES = {"440106": ("天河区", "Tianhe"), "440103": ("荔湾区", "Liwan")}


def air(ts: int, pm25: float, aqi: int) -> dict[str, Any]:
    v = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    return {"ts": ts, "v": v, "m": {"name": "天河职幼", "district_adcode": "440106"},
            "d": {"aqi": aqi, "level": 2, "primary": ["pm25_1h"], "iaqi": {}, "standard": "HJ633-2026"}}


def seg(ts: int, speed: float, free: float, length: float, adcode: str) -> dict[str, Any]:
    return {"ts": ts, "v": {"speed_kmh": speed, "free_flow_kmh": free},
            "m": {"length_m": length, "district_adcode": adcode, "name": "路"}, "d": {"level": 3}}


def raw(ts: int = NOW) -> dict[str, Any]:
    health = {"last_data_ms": str(ts), "last_ok_ms": str(ts), "source": "test"}
    return {
        "air": {"A": air(ts, 50, 72), "B": air(ts, 70, 100), "OLD": air(ts - 60_000, 500, 500)},
        "traffic": {"s1": seg(ts, 20, 60, 1000, "440106"), "s2": seg(ts, 60, 60, 3000, "440106"),
                    "s3": seg(ts - 60_000, 5, 60, 1000, "440103")},
        "water": {"w1": {"ts": ts, "v": {"do": 1.5}, "m": {"name": "断面"}, "d": {"klass": "劣V",
                                                                              "black_odorous": "heavy"}}},
        "health": {"air": dict(health), "traffic": dict(health), "water": {"last_data_ms": str(ts - 120_000)},
                   "service": dict(health, last_data_ms=str(ts - 600_000))},
        "service": {"open": 12, "overdue": 3, "closed_24h": 40, "late_24h": 4},
    }


def find(obs: list[Observation], scope: str, entity: str, metric: str) -> Observation:
    [o] = [o for o in obs if (o.scope, o.entity_id, o.metric) == (scope, entity, metric)]
    return o


def test_station_metrics_raw_and_derived_with_staleness() -> None:
    obs = extract(raw(), NOW, FEEDS)
    a = find(obs, "station", "A", "aqi")
    assert (a.value, a.fresh, a.name, a.district) == (72, True, "天河职幼", "440106")
    assert find(obs, "station", "A", "pm25_1h").value == 50
    old = find(obs, "station", "OLD", "aqi")
    assert old.value == 500 and old.fresh is False  # observed, but flagged: the engine must not treat it as current
    assert find(obs, "station", "OLD", "age_s").value == 60.0
    assert not [o for o in obs if o.metric in ("primary", "iaqi")]  # lists and dicts are not metrics


def test_district_tpi_is_length_weighted_over_current_segments() -> None:
    obs = extract(raw(), NOW, FEEDS, district_names=NAMES)
    d = find(obs, "district", "440106", "tpi")
    assert d.value == round(traffic.tpi([(20, 60, 1000), (60, 60, 3000)]), 2) and d.fresh
    assert (d.name, d.name_en, d.district) == ("天河区", "Tianhe", "440106")
    held = find(obs, "district", "440103", "tpi")  # only a stale segment: held, never computed as 0
    assert held.value is None and held.fresh is False


def test_city_metrics_match_the_summary() -> None:
    r = raw()
    obs = extract(r, NOW, FEEDS)
    s = summary.build(r, NOW, FEEDS)
    assert find(obs, "city", CITY_ID, "aqi").value == s["air"]["city"]["aqi"]
    assert find(obs, "city", CITY_ID, "tpi").value == s["traffic"]["tpi"]
    # service is a poll-freshness feed: its last good poll is recent although no case arrived for 10 minutes
    overdue = find(obs, "city", CITY_ID, "overdue")
    assert overdue.value == 3 and overdue.fresh
    assert find(obs, "city", CITY_ID, "on_time_rate").value == 90.0


def test_service_counts_go_stale_with_the_feed() -> None:
    r = raw()
    r["health"]["service"]["last_ok_ms"] = str(NOW - 61_000)
    assert find(extract(r, NOW, FEEDS), "city", CITY_ID, "overdue").fresh is False


def test_feed_age_observations() -> None:
    obs = extract(raw(), NOW, FEEDS)
    air_feed = find(obs, "feed", "air", "age_s")
    assert (air_feed.value, air_feed.fresh, air_feed.name, air_feed.name_en) == (0.0, True, "空气质量", "Air quality")
    water = find(obs, "feed", "water", "age_s")
    assert (water.value, water.fresh) == (120.0, False)


def test_a_feed_never_heard_from_is_not_observed() -> None:
    r = raw()
    del r["health"]["water"]
    assert not [o for o in extract(r, NOW, FEEDS) if o.scope == "feed" and o.entity_id == "water"]


def test_wanted_limits_the_work() -> None:
    obs = extract(raw(), NOW, FEEDS, wanted={("station", "aqi"), ("section", "klass")})
    assert {(o.scope, o.metric) for o in obs} == {("station", "aqi"), ("section", "klass")}


def test_empty_snapshot_yields_no_current_values() -> None:
    empty = {"air": {}, "traffic": {}, "water": {}, "health": {}, "service": {}}
    obs = extract(empty, NOW, FEEDS)
    assert all(not o.fresh or o.value in (0, None) for o in obs)
    assert find(obs, "city", CITY_ID, "aqi").fresh is False


def test_a_memo_keeps_unchanged_entities_and_gives_what_a_fresh_extraction_gives() -> None:
    wanted = {("station", "aqi"), ("station", "pm25_1h"), ("segment", "level"), ("district", "tpi"), ("city", "aqi")}
    memo: dict[str, Any] = {}
    first = raw()
    assert extract(first, NOW, FEEDS, wanted=wanted, memo=memo) == extract(first, NOW, FEEDS, wanted=wanted)
    kept = find(extract(first, NOW, FEEDS, wanted=wanted, memo=memo), "station", "A", "aqi")
    later = dict(first, air={**first["air"], "B": air(NOW + 5_000, 90, 120)})  # B replaced; A, OLD the same objects
    # 29 s later: A (read at NOW) is still current, kept; 31 s later it is stale and must be observed again as such
    for at in (NOW + 29_000, NOW + 31_000):
        mine = extract(later, at, FEEDS, wanted=wanted, memo=memo)
        assert mine == extract(later, at, FEEDS, wanted=wanted)
        assert (find(mine, "station", "A", "aqi") is kept) == (at == NOW + 29_000)
    assert find(mine, "station", "A", "aqi").fresh is False and find(mine, "station", "B", "aqi").value == 120
    with_age = {*wanted, ("station", "age_s")}  # the age moves with the clock: never kept
    assert find(extract(later, NOW + 9_000, FEEDS, wanted=with_age, memo=memo), "station", "A", "age_s").value == 9.0
