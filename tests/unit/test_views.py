"""Pure view functions: summary from a raw snapshot, wall tiles, staleness, clock, contrast (injected now)."""

from __future__ import annotations

from typing import Any

from callbacks.wall import OUTPUTS, wall_response
from core import case_points, levels
from core import summary as summary_mod
from views import names
from views import wall as wall_view

NOW = 1_790_000_000_000  # 2026-09-21T14:13:20Z = 22:13 in Asia/Shanghai
FEEDS = {f: {"stale_after_s": 30} for f in ("air", "traffic", "service", "water")}


def air_doc(ts: int, pm25: float, aqi: int, color: str) -> dict[str, Any]:
    v = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    return {"ts": ts, "v": v, "m": {}, "d": {"aqi": aqi, "level": 2, "color": color, "standard": "HJ633-2026"}}


def raw(ts: int = NOW) -> dict[str, Any]:
    health = {"last_data_ms": str(ts), "last_ok_ms": str(ts), "source": "simulator"}
    return {
        "air": {"A": air_doc(ts, 50, 72, "#FFFF00"), "B": air_doc(ts, 70, 100, "#FFFF00")},
        "traffic": {
            "s1": {"ts": ts, "v": {"speed_kmh": 20, "free_flow_kmh": 60}, "m": {"length_m": 1000}, "d": {"level": 4}},
            "s2": {"ts": ts, "v": {"speed_kmh": 60, "free_flow_kmh": 60}, "m": {"length_m": 3000}, "d": {"level": 1}},
        },
        "water": {"w1": {"ts": ts, "v": {}, "m": {}, "d": {"klass": "III", "black_odorous": "none"}},
                  "w2": {"ts": ts, "v": {}, "m": {}, "d": {"klass": "劣V", "black_odorous": "light"}}},
        "health": {f: dict(health) for f in FEEDS},
        "service": {"open": 12, "overdue": 3, "closed_24h": 40, "late_24h": 4},
    }


def test_city_aqi_comes_from_mean_station_concentrations() -> None:
    s = summary_mod.build(raw(), NOW, FEEDS)
    # mean PM2.5 = 60 µg/m³ -> HJ 633-2026 IAQI exactly 100 (standards.md §1.1, 2026 PM2.5 column)
    assert s["air"]["city"]["aqi"] == 100 and s["air"]["city"]["primary"] == ["pm25_1h"]


def test_tpi_is_length_weighted_and_counts_classes() -> None:
    s = summary_mod.build(raw(), NOW, FEEDS)
    assert s["traffic"]["tpi"] is not None and 0 < s["traffic"]["tpi"] < 10
    assert s["water"]["by_class"]["III"] == 1 and s["water"]["bad"] == 1 and s["water"]["black_odorous"] == 1
    assert s["service"] == {"open": 12, "overdue": 3, "closed_24h": 40, "on_time_rate": 90.0, "by_district": {}}


def test_stale_feed_greys_tile_and_keeps_its_last_values_as_of_their_moment() -> None:
    """#17 item 4: the last value stays, greyed, "as of hh:mm" (never a zero that reads as measured); nothing stale
    counts as current at now: the stations are drawn stale and the map marks the layer."""
    last = NOW - 120_000
    s = summary_mod.build(raw(ts=last), NOW, FEEDS)
    fresh = summary_mod.build(raw(ts=last), last, FEEDS)  # the same city when its data were new
    assert s["status"]["air"]["state"] == "stale" and s["status"]["air"]["last_ms"] == last
    for feed, keys in summary_mod.HELD_KEYS.items():
        assert {k: s[feed][k] for k in keys} == {k: fresh[feed][k] for k in keys} and s[feed]["as_of"] == last
    assert s["air"]["city"]["aqi"] == 100 and s["air"]["n_fresh"] == 2  # mean PM2.5 60 -> IAQI 100 (HJ 633-2026)
    assert s["districts"] == fresh["districts"]
    assert all(st["stale"] for st in s["air"]["stations"].values())
    assert summary_mod.stale_layers(s) == ["air", "traffic", "water"]
    tiles = wall_view.tiles(s, "en", names.for_lang("en"), "Asia/Shanghai")
    assert "kpi-stale" in tiles["air"]["class"] and tiles["air"]["value"] == "100"
    assert tiles["air"]["age"] == "as of 22:11"  # NOW is 22:13 in Asia/Shanghai
    assert tiles["water"]["value"] == "1/2" and tiles["traffic"]["value"] == f"{fresh['traffic']['tpi']:.1f}"
    assert wall_view.tiles(s, "zh", names.for_lang("zh"), "Asia/Shanghai")["air"]["age"] == "截至 22:11"
    assert wall_view.header_status(s, "en")[1].endswith("status-stale")
    old = summary_mod.build(raw(ts=NOW - 2 * 86_400_000), NOW, FEEDS)  # two days silent: the date is named too
    for lang, text in (("en", "as of 19 Sep 22:13"), ("zh", "截至 9月19日 22:13")):
        assert wall_view.tiles(old, lang, names.for_lang(lang), "Asia/Shanghai")["air"]["age"] == text


def test_no_data_shows_dash_not_zero() -> None:
    empty = {"air": {}, "traffic": {}, "water": {}, "health": {f: {} for f in FEEDS},
             "service": {"open": 0, "overdue": 0, "closed_24h": 0, "late_24h": 0}}
    tiles = wall_view.tiles(summary_mod.build(empty, NOW, FEEDS), "zh", names.for_lang("zh"))
    assert all(tile["value"] == "—" for tile in tiles.values())


def test_wall_response_matches_outputs_and_store_down_keeps_values() -> None:
    s = summary_mod.build(raw(), NOW, FEEDS)
    out = wall_response(s, "zh", NOW, "Asia/Shanghai", 2000)
    assert len(out) == len(OUTPUTS)
    assert out[0] == "100" and out[-1] == {"t": NOW, "store": True, "tick": 2000}
    down = wall_response(None, "zh", NOW, "Asia/Shanghai", 2000)
    assert len(down) == len(OUTPUTS) and down[-1]["store"] is False


def test_clock_uses_city_time_zone_and_language() -> None:
    assert wall_view.clock(NOW, "Asia/Shanghai", "zh") == ("2026年9月21日 星期一", "22:13")
    assert wall_view.clock(NOW, "Asia/Shanghai", "en") == ("Mon 21 Sep 2026", "22:13")


def test_chip_text_contrasts_with_level_colour() -> None:
    assert levels.chip("#FFFF00")["color"] == "#101010"
    assert levels.chip("#7E0023")["color"] == "#ffffff"


def test_wall_map_values_carry_values_only_and_cases_only_in_the_service_theme() -> None:

    r = raw()
    r["service"] = {**r["service"], "by_district": {"440111": [1, 1], "440112": [4, 0]}}
    s = summary_mod.build(r, NOW, FEEDS)
    cases = case_points.from_docs([{"id": "c1", "v": {"long": 113.3, "lat": 23.1, "district_adcode": "440111"},
                                    "d": {"due_ms": NOW - 1}}])
    view = {"bbox": [113.0, 22.5, 114.0, 23.9], "zoom": 9, "w": 1000, "h": 800}
    air = wall_view.map_values(s, cases, "air", NOW, view)
    assert air["air"] == {"A": [72, "#FFFF00", 0, 0], "B": [100, "#FFFF00", 0, 0]} and air["theme"] == "air"
    assert air["cases"] == {"c": [], "p": []} and air["districts"] == {"440111": 1}
    svc = wall_view.map_values(s, cases, "service", NOW, view)
    assert svc["cases"]["p"] == [["c1", 113.3, 23.1, 1]]


def test_never_heard_feeds_are_not_called_stale_and_record_no_kpi() -> None:
    from store.kpi import city_kpis

    r = raw()
    r["health"]["service"] = {}
    s = summary_mod.build(r, NOW, FEEDS)
    assert wall_view.header_status(s, "en") == ("1 feed not reporting yet", "wall-status status-none")
    k = city_kpis(s)
    assert k["open"] is None and k["overdue"] is None and k["aqi"] == 100  # a gap, never an invented zero


def test_water_headline_counts_classes_i_to_iii_as_good() -> None:
    # GB 3838-2002 §4: classes I-III are fit for drinking-water sources; the wall's headline is "good / current"
    r = raw()
    r["water"] = {f"w{i}": {"ts": NOW, "v": {}, "m": {}, "d": {"klass": k}} for i, k in
                  enumerate(("I", "II", "III", "IV", "V", "劣V", "III"))}
    s = summary_mod.build(r, NOW, FEEDS)
    assert s["water"]["good"] == 4 and s["water"]["n_fresh"] == 7 and s["water"]["worst"] == "劣V"
    assert wall_view.tiles(s, "en", names.for_lang("en"))["water"]["value"] == "4/7"


def test_severe_segments_are_level_5_only() -> None:
    # the congestion scale's top level (严重拥堵, level 5) alone counts as severe; level 4 (中度拥堵) does not
    r = raw()
    r["traffic"] = {f"s{lvl}": {"ts": NOW, "v": {"speed_kmh": 30, "free_flow_kmh": 60}, "m": {"length_m": 1000},
                                "d": {"level": lvl}} for lvl in (1, 2, 3, 4, 5)}
    assert summary_mod.build(r, NOW, FEEDS)["traffic"]["severe"] == 1


def test_only_stations_with_a_firing_station_alert_pulse_on_the_wall_map() -> None:
    s = summary_mod.build(raw() | {"alerts": [
        {"id": "a", "scope": "station", "entity_id": "A", "state": "firing", "level": "red"},
        {"id": "b", "scope": "station", "entity_id": "B", "state": "acknowledged", "level": "red"},
        {"id": "c", "scope": "city", "entity_id": "B", "state": "firing", "level": "red"},
    ]}, NOW, FEEDS)
    air = wall_view.map_values(s, [], "air", NOW, None)["air"]
    assert air["A"][-1] == 1 and air["B"][-1] == 0


def test_ties_in_the_worst_lists_rank_by_id_whatever_order_the_entities_came_in() -> None:
    """A tick's rows come in the order a process first read them; the wall must rank equals the same everywhere."""
    def docs(order: list[str]) -> dict[str, Any]:
        r = raw()
        r["air"] = {eid: dict(air_doc(NOW, 70, 100, "#FFFF00"), id=eid) for eid in order}
        r["water"] = {eid: {"id": eid, "ts": NOW, "v": {}, "m": {}, "d": {"klass": "IV"}} for eid in order}
        return r

    ids = ["S3", "S1", "S4", "S2"]
    one, other = summary_mod.build(docs(ids), NOW, FEEDS), summary_mod.build(docs(ids[::-1]), NOW, FEEDS)
    assert [x["id"] for x in one["air"]["top"]] == ["S1", "S2", "S3"] == [x["id"] for x in other["air"]["top"]]
    assert [x["id"] for x in one["water"]["top"]] == [x["id"] for x in other["water"]["top"]] == ["S1", "S2", "S3"]


def test_the_loop_panel_counts_each_step_leads_with_new_urgent_cases_and_names_the_slowest_departments() -> None:
    loop = {"reported": 2, "registered": 1, "dispatched": 3, "handled": 0, "open": 6, "overdue": 4, "closed_24h": 1234,
            "on_time_rate": 80.0, "urgent": 2, "urgent_new": 1, "counted": True}
    panel = wall_view.loop_panel({"loop": loop}, "zh", [("交通运输局", 3), ("市政所", 1)])
    assert panel["counts"] == {"reported": "2", "registered": "1", "dispatched": "3", "handled": "0", "overdue": "4",
                               "closed_24h": "1,234"}
    assert panel["urgent"] == "⚠ 新紧急案件 1（在办紧急 2）" and panel["on_time"] == "按期 80%"
    assert panel["slow"] == "超期最多：交通运输局 3件、市政所 1件"
    assert panel["class"].split() == ["loop-panel", "loop-late", "loop-urgent", "tk-flash"]
    calm = wall_view.loop_panel({"loop": {**loop, "urgent_new": 0, "overdue": 0}}, "en")
    assert calm["urgent"] == "urgent open 2" and calm["slow"] == "" and calm["class"] == "loop-panel"
    empty = wall_view.loop_panel({"loop": {"counted": True}}, "en")  # no cases yet: zeros, no rate, nothing urgent
    assert set(empty["counts"].values()) == {"0"} and empty["on_time"] == empty["urgent"] == ""
    unknown = wall_view.loop_panel({"loop": {**loop, "counted": False}}, "en")  # the layer is not made yet
    assert set(unknown["counts"].values()) == {"—"} and unknown["urgent"] == "" and "loop-none" in unknown["class"]


def test_english_pages_name_counts_and_water_classes_as_english_does() -> None:
    """Issue #17 item 7: "1 severely congested segments"; the class beyond V was '劣V' in the English legend and
    'below V' on the English wall (GB 3838-2002 §4 names six classes; 劣Ⅴ类 is the one worse than V)."""
    from core.i18n import t

    assert t("ov_severe", "en", n=1) == "1 severely congested segment"
    assert t("ov_severe", "en", n=2) == "2 severely congested segments"
    assert t("ov_severe", "zh", n=1) == "严重拥堵路段 1 条"
    assert t("status_stale", "en", n=1) == "1 feed stale" and t("status_stale", "en", n=3) == "3 feeds stale"
    assert levels.water_name("劣V", "en") == "worse than V" and levels.water_name("IV", "en") == "class IV"
    assert levels.water_name("劣V", "zh") == "劣Ⅴ类" and levels.water_name(None, "en") == "—"
    assert [name for _, name in levels.water_legend("en")][-1] == "worse than V"
    assert not any("劣" in name for _, name in levels.water_legend("en"))
