"""The analyst workbench's pure parts: URL state, compare rules, the side panel, replay 'as of' and `at=`."""

from __future__ import annotations

from layouts.analyst import parse_view
from views import analyst, replay

NOW = 1_790_000_000_000  # 2026-09-21 22:13:20 +08:00
MIN = 60_000
TZ = "Asia/Shanghai"
DISTRICTS = {"440103", "440111"}


def view(**query: str) -> dict:
    return parse_view(query, [23.0, 113.0], 10, districts=DISTRICTS, tz=TZ, now_ms=NOW)


def test_url_carries_every_analyst_choice() -> None:
    v = view(sel="air:1345A", cmp="air:1345A,air:1346A", range="7d", item="nh3n", district="440111", minlevel="3",
             at="2026-09-21T14:30", panel="0")
    assert v["sel"] == "air:1345A" and v["cmp"] == ["air:1345A", "air:1346A"] and v["range"] == "7d"
    assert v["item"] == "nh3n" and v["district"] == "440111" and v["minlevel"] == 3 and v["panel"] is False
    assert v["at"] == 1_789_972_200_000 and v["fit"] is True  # 14:30 in Guangzhou; no c= so fit to the district
    assert view(district="440111", c="23.2,113.3")["fit"] is False  # a shared view keeps its exact centre


def test_bad_url_values_fall_back_to_defaults() -> None:
    v = view(sel="furniture:F000001", cmp="air:1,traffic:seg-001,air:1,air:<x>,air:2,air:3,air:4,air:5", range="1y",
             item="arsenic", district="999999", minlevel="9", at="yesterday", panel="maybe")
    assert v["sel"] is None and v["cmp"] == ["air:1", "air:2", "air:3", "air:4"]  # one feed, no dupes, at most 4
    assert (v["range"], v["item"], v["district"], v["minlevel"], v["at"], v["panel"]) == ("24h", "do", None, 0,
                                                                                           None, True)
    assert view(minlevel="1")["minlevel"] == 0 and view(district="44011")["district"] is None
    assert view(at=str(NOW + MIN))["at"] is None and view(at=str(NOW - 9 * 86_400_000))["at"] is None


def test_at_accepts_epoch_ms_and_iso_with_or_without_offset() -> None:
    assert replay.parse_at(str(NOW - 90_000), TZ, NOW) == NOW - 90_000 - (NOW - 90_000) % MIN
    assert replay.parse_at("2026-09-21T06:30:00Z", TZ, NOW) == 1_789_972_200_000
    assert replay.parse_at("2026-09-21T14:30:00 08:00", TZ, NOW) == 1_789_972_200_000  # '+' decoded as a space
    assert replay.parse_at("2026-09-21 14:30", TZ, NOW) == 1_789_972_200_000
    assert replay.parse_at("2026-13-01T00:00", TZ, NOW) is None and replay.parse_at("", TZ, NOW) is None
    assert replay.at_query(1_789_972_200_000, TZ) == "2026-09-21T14:30"
    assert replay.at_label(1_789_972_200_000, TZ, "en") == "21 Sep 2026 14:30"
    assert replay.at_label(1_789_972_200_000, TZ, "zh") == "2026-09-21 14:30"


def test_slider_positions_and_bounds() -> None:
    assert replay.at_from_slider(0, NOW) is None and replay.at_from_slider("x", NOW) is None
    assert replay.at_from_slider(-90, NOW) == NOW - NOW % MIN - 90 * MIN
    assert replay.slider_value(NOW - 90 * MIN, NOW) == -90 and replay.slider_value(None, NOW) == 0
    lo, marks, label = replay.slider_bounds(NOW - 3 * 1440 * MIN, NOW, "en", TZ)
    assert lo == -3 * 1440 and marks[0] == "now" and marks[-1440] == "-1 d" and label.startswith("history since")
    assert replay.slider_bounds(NOW - 30 * 1440 * MIN, NOW, "en", TZ)[0] == -7 * 1440  # at most a week back
    assert replay.slider_bounds(None, NOW, "zh", TZ, -500)[0] == -500  # never cuts off the chosen moment


def test_a_fifth_entity_or_another_feed_is_refused_with_a_reason() -> None:
    cmp: list[str] = []
    for eid in ("1345A", "1346A", "1347A", "1348A"):
        cmp, msg = analyst.add_compare(cmp, {"feed": "air", "id": eid}, "en")
    assert cmp == ["air:1345A", "air:1346A", "air:1347A", "air:1348A"] and msg == "Added to compare (4/4)"
    same, msg = analyst.add_compare(cmp, {"feed": "air", "id": "1349A"}, "en")
    assert same == cmp and msg == "At most 4 can be compared: remove one first"
    refused = analyst.add_compare(cmp[:2], {"feed": "traffic", "id": "seg-001"}, "zh")[1]
    assert refused == "只能对比同类对象（当前对比：空气）"
    assert analyst.add_compare(cmp[:2], {"feed": "air", "id": "1345A"}, "en")[1] == "Already in the comparison"


def test_what_the_chart_draws() -> None:
    sel = {"feed": "air", "id": "1349A"}
    assert analyst.chart_entities(sel, []) == ("air", ["1349A"], None)
    assert analyst.chart_entities(sel, ["air:1345A"]) == ("air", ["1345A", "1349A"], None)
    full = ["air:1345A", "air:1346A", "air:1347A", "air:1348A"]
    assert analyst.chart_entities(sel, full) == ("air", ["1345A", "1346A", "1347A", "1348A"], "1349A")
    assert analyst.chart_entities({"feed": "water", "id": "ws-01"}, full) == ("water", ["ws-01"], None)
    assert analyst.chart_entities(None, []) == (None, [], None)


def doc(eid: str, pm25: float, ts: int) -> dict:
    return {"id": eid, "ts": ts, "v": {"pm25_1h": pm25}, "m": {"name": f"N{eid}", "district_adcode": "440103"},
            "d": {"aqi": 114, "level": 3, "standard": "HJ633-2026", "primary": ["pm25_1h"]}}


def test_panel_shows_details_a_chart_and_the_compare_chips() -> None:
    pts = [{"t": NOW - m * MIN, "m": NOW - m * MIN, "aqi": 100 + m, "level": 3, "pm25_1h": 70 + m}
           for m in range(10, -1, -1)]
    out = analyst.panel({"feed": "air", "id": "1345A"}, ["air:1346A"], {"1345A": pts, "1346A": []},
                        {"air:1345A": doc("1345A", 75, NOW), "air:1346A": doc("1346A", 50, NOW)}, range_key="1h",
                        item=None, at_ms=None, now_ms=NOW, lang="en", tz=TZ, districts={})
    assert out["open"] and out["title"] == "N1345A" and dict(out["rows"])["AQI"].startswith("114")
    assert [tr["name"] for tr in out["figure"]["data"]] == ["N1345A"]  # 1346A has no samples: no line, no zero
    assert out["chips"] == [{"key": "air:1346A", "name": "N1346A"}]


def test_panel_in_replay_shows_the_entity_as_it_was() -> None:
    base = NOW - NOW % MIN
    pts = [{"t": base - m * MIN + 5_000, "m": base - m * MIN, "aqi": 40 + m, "level": 1, "so2_1h": 8, "no2_1h": 30,
            "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": 10 + m} for m in range(30, -1, -1)]
    at = base - 20 * MIN
    out = analyst.panel({"feed": "air", "id": "1345A"}, [], {"1345A": [p for p in pts if p["m"] <= at]},
                        {"air:1345A": doc("1345A", 75, NOW)}, range_key="1h", item=None, at_ms=at, now_ms=NOW,
                        lang="en", tz=TZ, districts={})
    rows = dict(out["rows"])
    assert rows["PM2.5 1h"] == "30 µg/m³" and "As of 21 Sep 2026 21:53" in out["notes"]
    assert any(s["type"] == "line" for s in out["figure"]["layout"]["shapes"])  # the replayed minute is marked


def test_replay_summary_uses_the_samples_with_at_as_now() -> None:
    samples = {"air": {"1345A": {"t": NOW - 10_000, "m": NOW - NOW % MIN, "aqi": 114, "level": 3, "pm25_1h": 75},
                       "1346A": {"t": NOW - 600_000, "m": NOW - 600_000, "aqi": 30, "level": 1, "pm25_1h": 20},
                       "1347A": None},
               "traffic": {"seg-001": {"t": NOW, "m": NOW, "level": 5, "speed_kmh": 9.0, "free_flow_kmh": 50.0}},
               "water": {"ws-01": {"t": NOW, "m": NOW, "klass": "IV", "do": 4.2}}}
    meta = {"air": {"1345A": {"district_adcode": "440103"}}, "traffic": {"seg-001": {"road_class": "arterial",
                                                                                       "district_adcode": "440103"}}}
    s = replay.summary_as_of(samples, meta, NOW, lambda feed: 30.0)
    st = s["air"]["stations"]
    assert st["1345A"] == {"aqi": 114, "level": 3, "color": "#FF7E00", "stale": False}
    assert st["1346A"]["stale"] is True and "1347A" not in st  # ten minutes old at that moment; no sample: no value
    assert s["traffic"]["segments"] == {"seg-001": 5} and s["water"]["sections"] == {"ws-01": "IV"}
    assert s["districts"]["440103"]["aqi"] is not None and s["districts"]["440103"]["tpi_level"] == 5


def test_every_id_an_analyst_callback_names_is_in_the_page() -> None:
    """Run in a fresh interpreter: Dash hands module-level callbacks to the first app a process creates."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = "import json; from tests.unit.test_history_analyst import _ids; print(json.dumps(_ids()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    named, present = (set(x) for x in json.loads(out.stdout.strip().splitlines()[-1]))
    assert named and named <= present, sorted(named - present)


def _ids() -> tuple[list[str], list[str]]:
    """Ids the analyst callbacks name, and ids the page has (for the test above, in a fresh interpreter)."""
    from dash._callback import GLOBAL_CALLBACK_LIST

    import callbacks.analyst  # noqa: F401  (registers the callbacks)
    from config.settings import load_city
    from layouts.analyst import layout

    city = load_city("guangzhou")
    page = layout(city, {k: f"/api/v1/geo/{k}.geojson" for k in city["geo"]} | {"roads": "r", "water_sections": "w"},
                  {"type": "none"}, view(), "en", 2000, "", now_ms=NOW)
    present: set[str] = set()
    stack = [page]
    while stack:
        node = stack.pop()
        if isinstance(getattr(node, "id", None), str):
            present.add(node.id)
        kids = getattr(node, "children", None)
        stack.extend(k for k in (kids if isinstance(kids, list) else [kids]) if hasattr(k, "to_plotly_json"))
        stack.extend(getattr(node, "overlays", []) if isinstance(getattr(node, "overlays", None), list) and
                     node.overlays and hasattr(node.overlays[0], "to_plotly_json") else [])
    named: set[str] = set()
    for cb in GLOBAL_CALLBACK_LIST:
        deps = [d["id"] for d in cb["inputs"] + cb["state"]]
        outs = cb["output"].strip(".").split("...")
        deps += [o.rsplit(".", 1)[0] for o in outs if not o.startswith("{")]
        named |= {d for d in deps if isinstance(d, str) and d.startswith("am-")}
    return sorted(named), sorted(present)
