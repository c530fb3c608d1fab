"""Leader overview: pure view functions with an injected now (Asia/Shanghai), in both languages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from core import levels
from core.i18n import TEXT
from views import names
from views import overview as ov

TZ = "Asia/Shanghai"
NOW = int(datetime(2026, 11, 21, 14, 30, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
H = 3600 * 1000
CJK = re.compile(r"[\u3400-\u9fff\u2160-\u217f]")  # Han characters and the Roman numerals Ⅰ–Ⅻ
DISTRICTS = {"440103": ("荔湾区", "Liwan"), "440104": ("越秀区", "Yuexiu"), "440105": ("海珠区", "Haizhu"),
             "440106": ("天河区", "Tianhe")}


def summary(**status: str) -> dict[str, Any]:
    """A summary as core.summary.build returns it; every feed current unless status says otherwise."""
    states = {f: status.get(f, "ok") for f in ("air", "traffic", "service", "water")}
    return {
        "now": NOW,
        "status": {f: {"state": s, "age_s": None if s == "none" else (900.0 if s == "stale" else 4.0),
                       "last_ms": None if s == "none" else NOW - (900_000 if s == "stale" else 4_000),
                       "source": "simulator"} for f, s in states.items()},
        "air": {"city": {"aqi": 114, "level": 3, "color": "#FF7E00", "primary": ["pm25_1h"]}, "n_fresh": 12,
                "stations": {}},
        "traffic": {"tpi": 6.4, "level": 4, "severe": 3, "segments": {}},
        "service": {"open": 320, "overdue": 24, "closed_24h": 150, "on_time_rate": 92.5},
        "water": {"by_class": {}, "good": 9, "worst": "劣V", "bad": 1, "n_fresh": 12, "black_odorous": 0},
        "districts": {},
        "alerts": {"counts": {"red": 1, "orange": 0, "yellow": 2, "blue": 0, "stale": 0, "total": 3,
                              "unacknowledged": 2, "silenced": 0},
                   "items": [
                       {"id": "a1", "level": "red", "state": "firing", "entity_name": "广雅中学",
                        "entity_name_en": "Guangya School", "rule_name_zh": "站点AQI超标",
                        "rule_name_en": "Station AQI above limit", "value": 310, "threshold": 300,
                        "fired_ms": NOW - H},
                       {"id": "a2", "level": "yellow", "state": "acknowledged", "entity_name": "天河路",
                        "rule_name_zh": "路段拥堵", "rule_name_en": "Segment congested", "value": 5, "fired_ms": NOW},
                       {"id": "a3", "level": "yellow", "state": "firing", "entity_name": "猎德涌",
                        "entity_name_en": "Liede Creek", "rule_name_zh": "水质劣Ⅴ类", "rule_name_en": "Water below V",
                        "value": 6.5, "fired_ms": NOW - 20 * H}]},
    }


# formatting


def test_numbers_per_language() -> None:
    assert ov.fmt_num(1234, "en") == "1,234" and ov.fmt_num(1234, "zh") == "1,234"
    assert ov.fmt_num(123_456, "zh") == "12.3万" and ov.fmt_num(123_456, "en") == "123,456"
    assert ov.fmt_num(6.44, "en", 1) == "6.4"
    assert ov.fmt_num(None, "zh") == "—" and ov.fmt_num(0, "zh") == "0"  # missing is a dash; a real 0 stays 0


def test_times_in_the_city_time_zone() -> None:
    assert ov.fmt_when(NOW - H, NOW, TZ, "zh") == "13:30" == ov.fmt_when(NOW - H, NOW, TZ, "en")
    yesterday = NOW - 20 * H  # 2026-11-20 18:30 in Guangzhou
    assert ov.fmt_when(yesterday, NOW, TZ, "zh") == "11月20日 18:30"
    assert ov.fmt_when(yesterday, NOW, TZ, "en") == "20 Nov 18:30"
    assert ov.fmt_when(None, NOW, TZ, "en") == "—"
    # 16:30 UTC is 00:30 the next day in Guangzhou: "today" follows the city's clock, not UTC
    late = int(datetime(2026, 11, 21, 16, 30, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
    assert ov.fmt_when(late - 10 * 60_000, late, TZ, "en") == "00:20"
    assert ov.fmt_when(late - H, late, TZ, "en") == "21 Nov 23:30"
    assert ov.day_start_ms(late, TZ) == int(datetime(2026, 11, 21, 16, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
    assert ov.day_start_ms(NOW, TZ) == int(datetime(2026, 11, 21, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)


# change against the same hour yesterday


def test_change_with_a_sample_a_day_ago() -> None:
    pts = [(NOW - 24 * H - 5 * 60_000, 102.0), (NOW - 60_000, 113.0)]
    assert ov.yesterday_value(pts, NOW) == 102.0
    assert ov.change("aqi", 114, pts, NOW, "en") == ("▲ 12 vs yesterday", "ov-change ch-worse")
    assert ov.change("aqi", 114, pts, NOW, "zh") == ("较昨日同时 ▲ 12", "ov-change ch-worse")
    assert ov.change("aqi", 90, pts, NOW, "en") == ("▼ 12 vs yesterday", "ov-change ch-better")
    assert ov.change("aqi", 102, pts, NOW, "zh")[0] == "与昨日同时持平"


def test_change_of_a_rate_is_in_points_and_up_is_better() -> None:
    pts = [(NOW - 24 * H, 90.0)]
    assert ov.change("on_time", 92.5, pts, NOW, "en") == ("▲ 2.5 pts vs yesterday", "ov-change ch-better")
    assert ov.change("on_time", 92.5, pts, NOW, "zh")[0] == "较昨日同时 ▲ 2.5 个百分点"
    assert ov.change("water_good", 80.0, [(NOW - 24 * H, 85.0)], NOW, "en")[1] == "ov-change ch-worse"


def test_no_sample_a_day_ago_says_so_never_zero() -> None:
    recent_only = [(NOW - 2 * H, 100.0), (NOW - 60_000, 113.0)]
    assert ov.yesterday_value(recent_only, NOW) is None
    # the history starts two hours ago: the card says where (city time), not only that yesterday is missing
    assert ov.change("aqi", 114, recent_only, NOW, "en", TZ) == ("history since 12:30", "ov-change ch-none")
    assert ov.change("aqi", 114, recent_only, NOW, "zh", TZ)[0] == "历史自 12:30"
    assert ov.change("aqi", 114, recent_only[1:], NOW, "en", "UTC")[0] == "history since 06:29"
    assert ov.change("aqi", 114, [], NOW, "zh")[0] == "昨日同时无数据"
    assert ov.change("aqi", 114, [(NOW - 24 * H - 31 * 60_000, 80.0)], NOW, "en")[1] == "ov-change ch-none"
    assert ov.change("aqi", None, [(NOW - 24 * H, 80.0)], NOW, "en")[1] == "ov-change ch-none"


def test_sparkline_points_are_bucketed_to_five_minutes() -> None:
    pts = [(NOW - 24 * H + i * 60_000, float(i % 5)) for i in range(24 * 60)]
    small = ov.downsample(pts)
    assert 288 <= len(small) <= 289 and all(v == 2.0 for _, v in small[1:-1])
    sparks = ov.sparks({"aqi": pts}, NOW)
    assert sparks["aqi"].startswith("data:image/svg+xml") and sparks["tpi"] == ""
    assert len(sparks["aqi"]) < 6000


def test_header_status_tells_stale_from_never_heard() -> None:
    assert ov.header_status(summary(), "en") == ("All feeds current", "ov-status status-ok")
    assert ov.header_status(summary(air="stale", water="none"), "zh") == ("1 路数据过期 · 1 路暂无数据",
                                                                           "ov-status status-stale")
    assert ov.header_status(summary(water="none"), "en") == ("1 feed without data", "ov-status status-none")
    none = summary(air="none", traffic="none", service="none", water="none")
    assert ov.header_status(none, "en") == ("Waiting for data", "ov-status status-none")


# cards


def test_cards_values_levels_and_changes() -> None:
    series = {"aqi": [(NOW - 24 * H, 100.0)], "overdue": [(NOW - 24 * H + 60_000, 30.0)]}
    cards = ov.cards(summary(), series, NOW, "en", names.for_lang("en"))
    assert [cards[k]["value"] for k in ov.KPIS] == ["114", "6.4", "320", "24", "92.5%", "75.0%"]
    assert cards["aqi"]["level"] == "Lightly polluted" and cards["aqi"]["level_style"]["background"] == "#FF7E00"
    assert cards["aqi"]["change"] == "▲ 14 vs yesterday" and cards["overdue"]["change"] == "▼ 6 vs yesterday"
    assert cards["overdue"]["change_class"] == "ov-change ch-better"
    assert cards["tpi"]["change"] == "no data for yesterday"
    assert cards["overdue"]["sub"] == "7.5% of open cases" and cards["aqi"]["sub"] == "primary pollutant PM2.5"
    assert cards["water_good"]["level"] == f"worst {TEXT['water_bad']['en']}"  # no Chinese on the English page
    assert cards["open"]["level_style"] == {"background": "transparent", "color": "#8a97ab", "display": "none"}
    assert all(c["class"] == "ov-card" for c in cards.values()) and cards["aqi"]["age"] == "4 s ago"
    zh = ov.cards(summary(), series, NOW, "zh", names.for_lang("zh"))
    assert zh["aqi"]["level"] == "轻度污染" and zh["water_good"]["level"] == "最差 劣Ⅴ类"
    assert zh["aqi"]["change"] == "较昨日同时 ▲ 14" and zh["on_time"]["sub"] == "24 小时办结 150 件"
    for card in cards.values():
        assert not any(CJK.search(str(v)) for k, v in card.items() if k != "level_style"), card


def test_stale_feed_greys_its_cards_and_a_silent_feed_shows_dashes() -> None:
    cards = ov.cards(summary(air="stale", service="none"), {}, NOW, "en", names.for_lang("en"), TZ)
    assert cards["aqi"]["class"] == "ov-card ov-stale" and cards["aqi"]["age"] == "as of 14:15"  # NOW is 14:30
    assert cards["aqi"]["value"] == "114"  # the last value stays, greyed, as of its moment (#17 item 4)
    assert cards["aqi"]["level_style"]["background"] == "transparent"  # no level colour on stale data
    assert cards["aqi"]["level_style"]["color"] == levels.HELD_LEVEL_TEXT  # its word still 4.5:1 when greyed
    assert cards["tpi"]["class"] == "ov-card"
    for k in ("open", "overdue", "on_time"):
        assert cards[k]["class"] == "ov-card ov-none" and cards[k]["value"] == "—" and cards[k]["age"] == "No data"


# district ranking


def values() -> dict[str, list[Any]]:
    """views.map.district_values: [aqi, colour, tpi, tpi level, open, overdue, worst water]."""
    return {"440103": [80, "#FFFF00", 4.2, 3, 12, 3, "IV"], "440104": [None, None, None, None, 5, 3, None],
            "440105": [120, "#FF7E00", 7.5, 4, 20, 1, "劣V"]}  # 440106 has no data at all


def test_district_rows_missing_data_is_a_dash_not_zero() -> None:
    rows = {r["adcode"]: r for r in ov.district_rows(summary(), values(), DISTRICTS, "en", names.for_lang("en"))}
    assert len(rows) == 4 and rows["440106"]["name"] == "Tianhe"
    empty = rows["440106"]
    assert (empty["aqi_text"], empty["tpi_text"], empty["water_text"]) == ("—", "—", "—")
    assert (empty["open_text"], empty["overdue_text"]) == ("0", "0")  # the case feed reports: none open is a 0
    assert rows["440104"]["aqi_text"] == "—" and rows["440104"]["aqi_style"] == {}
    assert rows["440105"]["water_text"] == TEXT["water_bad"]["en"]
    assert rows["440105"]["aqi_style"]["background"] == "#FF7E00"
    assert rows["440103"]["tpi_level"] == "Lightly congested" and rows["440103"]["href"] == \
        "/analyst?district=440103&lang=en"
    silent = ov.district_rows(summary(service="none"), values(), DISTRICTS, "zh", names.for_lang("zh"))
    assert all(r["open_text"] == "—" and r["overdue_text"] == "—" for r in silent)  # never heard: no made-up 0
    assert {r["name"] for r in silent} == {"荔湾区", "越秀区", "海珠区", "天河区"}
    assert next(r for r in silent if r["adcode"] == "440105")["water_text"] == "劣Ⅴ类"


def test_ranking_order_ties_and_missing_last() -> None:
    rows = ov.district_rows(summary(), values(), DISTRICTS, "en", names.for_lang("en"))
    order = [r["adcode"] for r in ov.sort_rows(rows, "overdue", True)]
    assert order == ["440103", "440104", "440105", "440106"]  # 3 and 3 tie: the one with the higher AQI first
    assert [r["adcode"] for r in ov.sort_rows(rows, "overdue", False)] == ["440106", "440105", "440103", "440104"]
    assert [r["adcode"] for r in ov.sort_rows(rows, "aqi", True)] == ["440105", "440103", "440104", "440106"]
    assert [r["adcode"] for r in ov.sort_rows(rows, "aqi", False)] == ["440103", "440105", "440104", "440106"]
    assert [r["adcode"] for r in ov.sort_rows(rows, "water", True)][:2] == ["440105", "440103"]
    assert [r["name"] for r in ov.sort_rows(rows, "name", False)] == ["Haizhu", "Liwan", "Tianhe", "Yuexiu"]
    zh = ov.district_rows(summary(), values(), DISTRICTS, "zh", names.for_lang("zh"))
    assert [r["adcode"] for r in ov.sort_rows(zh, "name", False)] == sorted(DISTRICTS)  # official order
    assert [r["adcode"] for r in ov.sort_rows(rows, "bogus", True)] == order  # unknown column: the default


@given(st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=1, max_size=12), st.booleans())
def test_sorting_keeps_every_row_and_puts_missing_last(overdue: list[int | None], desc: bool) -> None:
    rows = [{"adcode": f"44{i:04d}", "overdue": v, "aqi": None, "tpi": None} for i, v in enumerate(overdue)]
    out = ov.sort_rows(rows, "overdue", desc)
    assert sorted(r["adcode"] for r in out) == sorted(r["adcode"] for r in rows)
    present = [r["overdue"] for r in out if r["overdue"] is not None]
    assert present == sorted(present, reverse=desc)
    assert all(r["overdue"] is None for r in out[len(present):])


def test_sort_note_names_the_default_order() -> None:
    assert ov.sort_note("overdue", True, "zh") == "按超期诉求从高到低排序"
    assert ov.sort_note("aqi", False, "en") == "sorted by AQI, lowest first"
    assert ov.sort_note("name", False, "en") == "sorted by name"


def test_rank_payload_is_plain_values_with_links() -> None:
    rows = ov.district_rows(summary(), values(), DISTRICTS, "zh", names.for_lang("zh"))
    payload = ov.rank_payload(ov.sort_rows(rows, "overdue", True))
    assert [p["href"] for p in payload][:2] == ["/analyst?district=440103&lang=zh", "/analyst?district=440104&lang=zh"]
    assert payload[0]["has_tpi"] and not payload[1]["has_tpi"] and payload[1]["tpi_text"] == "—"
    assert len(json.dumps(payload)) < 4000  # values only: the browser draws the rows


# alerts


def test_fired_today_counts_each_alert_once_at_its_worst_level() -> None:
    day = ov.day_start_ms(NOW, TZ)
    log = [{"event": "firing", "alert": "x", "level": "yellow", "at_ms": day + 1000},
           {"event": "level_up", "alert": "x", "level": "red", "at_ms": day + 2000},
           {"event": "acknowledged", "alert": "x", "level": "red", "at_ms": day + 3000},
           {"event": "firing", "alert": "y", "level": "blue", "at_ms": day - 1000},  # yesterday
           {"event": "firing", "alert": "z", "level": "stale", "at_ms": day + 4000},
           {"event": "escalated", "alert": "w", "level": "orange", "at_ms": day + 5000}]
    levels = ov.fold_fired({}, log, day)
    assert levels == {"x": "red", "z": "stale", "w": "orange"}
    assert ov.fold_fired(dict(levels), log[:2], day) == levels  # reading an entry twice changes nothing


def test_alert_panel_counts_and_unacknowledged_list() -> None:
    panel = ov.alert_panel(summary()["alerts"], {"x": "red", "z": "yellow", "q": "yellow"}, "en", TZ, NOW)
    chips = {c["level"]: (c["active"], c["today"]) for c in panel["chips"]}
    assert chips == {"red": (1, 1), "orange": (0, 0), "yellow": (2, 2), "blue": (0, 0), "stale": (0, 0)}
    assert [i["id"] for i in panel["items"]] == ["a1", "a3"]  # acknowledged ones are not waiting
    first = panel["items"][0]
    assert (first["label"], first["entity"], first["rule"], first["value"], first["since"]) == \
        ("Red", "Guangya School", "Station AQI above limit", "now 310 · limit 300", "13:30")
    assert panel["items"][1]["since"] == "20 Nov 18:30" and panel["items"][1]["value"] == "now 6.5 · limit —"
    assert panel["title"] == "2 unacknowledged" and panel["more"] == ""
    quiet = {**summary()["alerts"]["items"][0], "level": "stale", "value": 59.2, "threshold": None}
    item = ov.alert_panel({"items": [quiet]}, {}, "zh", TZ, NOW)["items"][0]
    assert item["label"] == "数据中断" and item["value"] == ""  # its age at firing would read as now: the time says it
    zh = ov.alert_panel(summary()["alerts"], {}, "zh", TZ, NOW)
    assert zh["items"][0]["entity"] == "广雅中学" and zh["items"][1]["since"] == "11月20日 18:30"
    assert zh["title"] == "待确认 2 条" and zh["items"][0]["value"] == "当前 310 · 阈值 300"


def test_every_overview_text_has_both_languages() -> None:
    keys = [k for k in TEXT if k.startswith("ov_")]
    assert len(keys) > 30
    for k in keys:
        assert TEXT[k]["zh"] and TEXT[k]["en"] and not CJK.search(TEXT[k]["en"]), k


class _DownContext:
    """A context whose store is unreachable: summary() is None."""

    settings = SimpleNamespace(tick_ms=2000)
    city = {"timezone": TZ, "geo": {"districts": "guangzhou_districts.geojson"}}

    def tick_of(self, now_ms: int) -> int:
        return now_ms // 2000

    def summary(self, now_ms: int, scope: str | None = None) -> None:
        return None

    def memo(self, name: str, tick: int, build: Any) -> Any:
        return build()


def test_store_outage_keeps_values_and_says_so() -> None:
    from dash import no_update

    from callbacks import overview as cb

    out = cb.overview_response(_DownContext(), NOW, "en", ov.DEFAULT_SORT)  # type: ignore[arg-type]
    assert len(out) == len(cb.OUTPUTS)
    statuses = [i for i, o in enumerate(cb.OUTPUTS) if o.component_id == "ov-status"]
    assert [out[i] for i in statuses] == ["Data store unreachable — reconnecting", "ov-status status-down"]
    assert out[0] is no_update and out[-1] == {"t": NOW, "store": False}
    minute = NOW // 60_000
    assert cb.spark_response(_DownContext(), NOW, minute) == tuple([no_update] * len(cb.SPARK_OUTPUTS))
