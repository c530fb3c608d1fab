"""core.district_score: the overview's attention score of a district (#17 item 10), from the levels it shows:
HJ 633 AQI levels, the congestion levels, the overdue share of open cases and the GB 3838 class (module docstring)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core import district_score as ds
from views import names as level_names
from views import overview as ov


def test_each_part_follows_its_scale() -> None:
    # AQI 50 is 优 (level 1), 51 良, 101 轻度, 301 严重 (HJ 633 Table 2 levels)
    assert [ds.parts(aqi=a)["air"] for a in (50, 51, 101, 151, 201, 301)] == [0, 20, 40, 60, 80, 100]
    assert [ds.parts(tpi_level=lv)["traffic"] for lv in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert ds.parts(n_open=50, n_overdue=10)["cases"] == 50.0  # 20 % overdue: half of the 40 % that scores 100
    assert ds.parts(n_open=10, n_overdue=9)["cases"] == 100.0  # capped
    assert [ds.parts(water=k)["water"] for k in ("I", "III", "IV", "V", "劣V")] == [0, 0, 40, 70, 100]
    assert ds.parts() == {} and ds.score({}) is None  # nothing known: no score, never a 0
    assert ds.parts(n_open=0, n_overdue=0) == {"cases": 0.0}  # no open case: nothing overdue, a 0 that counts


def test_the_worst_part_counts_half_and_the_mean_the_other_half() -> None:
    one_bad = ds.parts(aqi=210, tpi_level=1, n_open=20, n_overdue=0, water="II")  # air 80, the rest 0
    assert ds.score(one_bad) == round(0.5 * 80 + 0.5 * 20) and ds.cause(one_bad) == "air"
    all_middling = ds.parts(aqi=120, tpi_level=3, n_open=10, n_overdue=2, water="IV")  # 40, 50, 50, 40
    assert ds.score(all_middling) == round(0.5 * 50 + 0.5 * 45) and ds.cause(all_middling) == "traffic"  # tie: order
    assert ds.cause(ds.parts(aqi=30, tpi_level=1, water="I")) is None  # all fine: no cause


@given(st.integers(0, 500), st.integers(1, 5), st.integers(1, 500), st.integers(0, 500),
       st.sampled_from(["I", "II", "III", "IV", "V", "劣V"]))
def test_a_score_is_within_0_100_and_never_falls_when_a_part_gets_worse(aqi, tpi, n_open, n_over, water) -> None:
    n_over = min(n_over, n_open)
    base = ds.score(ds.parts(aqi, tpi, n_open, n_over, water))
    assert base is not None and 0 <= base <= 100
    worse = ds.score(ds.parts(min(500, aqi + 60), min(5, tpi + 1), n_open, min(n_open, n_over + 3), water))
    assert worse is not None and worse >= base


def summary(service_state: str = "ok") -> dict:
    return {"status": {"service": {"state": service_state}},
            "districts": {"440103": {"aqi": 128, "tpi_level": 2, "water_worst": "III"},
                          "440104": {"aqi": 45, "tpi_level": 1, "water_worst": "劣V"},
                          "440105": {"aqi": 60, "tpi_level": 1, "water_worst": None}},
            "service": {"by_district": {"440103": [40, 2], "440104": [10, 0], "440105": [30, 12], "440106": [5, 5]}}}


def test_from_the_summary_every_district_with_readings_or_cases() -> None:
    got = ds.from_summary(summary())
    assert set(got) == {"440103", "440104", "440105", "440106"}
    assert got["440106"] == (100, {"cases": 100.0})  # cases only: scored on them
    assert got["440104"][1]["water"] == 100.0 and ds.cause(got["440104"][1]) == "water"
    unknown = ds.from_summary(summary("none"))  # the case feed never reported: no case parts, no invented zeros
    assert all("cases" not in p for _, p in unknown.values())
    assert ds.from_summary({**summary(), "service": {}})["440103"][1]["cases"] == 0.0  # reporting, none open here
    assert ds.kpis(summary())["district:440106"] == 100


def test_the_overview_lists_the_worst_districts_with_cause_and_change() -> None:
    names = {"440103": ("荔湾区", "Liwan"), "440104": ("越秀区", "Yuexiu"), "440105": ("海珠区", "Haizhu"),
             "440106": ("天河区", "Tianhe")}
    s = summary()
    values = {ad: [d.get("aqi"), None, None, d.get("tpi_level"), *s["service"]["by_district"].get(ad, [0, 0]),
                   d.get("water_worst")] for ad, d in s["districts"].items()}
    values["440106"] = [None, None, None, None, 5, 5, None]
    rows = ov.district_rows(s, values, names, "en", level_names.for_lang("en"))
    top = ov.attention(rows, {"440106": 90.0, "440104": 75.0}, "en")
    # Tianhe: cases only, 100; Haizhu: 40 % overdue (100), AQI 60 (20), smooth (0) -> 50 + 20 = 70; Yuexiu: worse
    # than V (100) among three zeros -> 50 + 12.5 = 62.5 -> 62 (rounded half to even, as GB/T 8170)
    assert [(i["name"], i["score_text"]) for i in top] == [("Tianhe", "100"), ("Haizhu", "70"), ("Yuexiu", "62")]
    assert top[0]["cause"] == "5 overdue cases, 100% of open" and top[0]["trend"] == "▲ 10 in 1 h"
    assert top[2]["cause"] == "water worse than V" and top[2]["trend"] == "▼ 13 in 1 h"
    assert top[1]["trend"] == "no score 1 h ago" and top[0]["href"] == "/analyst?district=440106&lang=en"
    assert top[0]["score_style"]["background"] == "#FF0000"  # the urgent band
    zh = ov.district_rows(s, values, names, "zh", level_names.for_lang("zh"))
    assert next(r for r in zh if r["adcode"] == "440103")["cause"] == "空气轻度污染（AQI 128）"
    order = [r["adcode"] for r in ov.sort_rows(rows, "score", True)]
    assert order[:3] == ["440106", "440105", "440104"]
    assert ov.attention(rows, {"440106": 100.0}, "zh")[0]["trend"] == "与1小时前持平"


def test_a_city_with_no_figures_is_not_called_normal() -> None:
    empty = {"status": {"service": {"state": "none"}}, "districts": {}, "service": {}}
    rows = ov.district_rows(empty, {}, {"440103": ("荔湾区", "Liwan")}, "en", level_names.for_lang("en"))
    assert rows[0]["score"] is None and rows[0]["cause"] == "no data"
    assert ov.attention(rows, {}, "en") is None  # the list says "No district figures yet", not "all normal"
