"""History chart and CSV: threshold bands in the standard colours, gaps and 'no data' instead of zeros, CSV format."""

from __future__ import annotations

import csv
import io
import json

from indicators import aqi_cn, traffic, water
from store import history as store_history
from views import history as hist

NOW = 1_790_000_000_000  # 2026-09-21 22:13:20 +08:00
MIN = 60_000
TZ = "Asia/Shanghai"


def series(values: list[float | None], key: str = "aqi", start: int = NOW - 30 * MIN) -> list[dict]:
    return [{"t": start + i * MIN + 7_000, "m": start + i * MIN, key: v} for i, v in enumerate(values)
            if v is not None]


def band_shapes(fig: dict) -> list[dict]:
    return [s for s in fig["layout"]["shapes"] if s["type"] == "rect" and s["xref"] == "paper"]


def test_air_chart_is_a_plain_dict_with_the_aqi_level_bands_behind_the_line() -> None:
    fig = hist.figure("air", {"1345A": series([60, 80, 160, 210])}, {"1345A": "广雅中学"}, item=None, lang="zh",
                      tz=TZ, since_ms=NOW - 3_600_000, until_ms=NOW, bands=hist.air_bands("zh"))
    json.dumps(fig)  # plain JSON all the way down: no go.Figure, no numpy
    bands = band_shapes(fig)
    assert [b["fillcolor"] for b in bands] == [lv["color"] for lv in aqi_cn.LEVELS][:5]  # 0..235 shows five levels
    assert [(b["y0"], b["y1"]) for b in bands[:4]] == [(0, 50), (50, 100), (100, 150), (150, 200)]
    assert all(b["layer"] == "below" and b["xref"] == "paper" for b in bands)
    assert fig["layout"]["yaxis"]["range"][0] == 0 and fig["layout"]["yaxis"]["range"][1] >= 210
    (trace,) = fig["data"]
    assert trace["name"] == "广雅中学" and trace["y"] == [60, 80, 160, 210]
    assert trace["x"][0] == "2026-09-21 21:43:27"  # the city's wall-clock time, not UTC
    assert [n["text"] for n in fig["layout"]["annotations"]][:2] == ["优", "良"]


def test_a_history_that_starts_within_the_range_shades_before_it_and_says_when() -> None:
    late = hist.figure("air", {"1345A": series([60, 80, 90], start=NOW - 30 * MIN)}, {}, item=None, lang="en", tz=TZ,
                       since_ms=NOW - 24 * 3_600_000, until_ms=NOW, bands=hist.air_bands("en"),
                       starts_ms=NOW - 30 * MIN)
    (shade,) = [s for s in late["layout"]["shapes"] if s["type"] == "rect" and s["xref"] == "x"]
    assert shade["x0"] == "2026-09-20 22:13:20" and shade["x1"] == "2026-09-21 21:43:20"  # from the range's start
    assert "history since 21:43" in [a["text"] for a in late["layout"]["annotations"]]  # to the first sample
    zh = hist.figure("air", {"1345A": series([60], start=NOW - 30 * 3_600_000)}, {}, item=None, lang="zh", tz=TZ,
                     since_ms=NOW - 7 * 24 * 3_600_000, until_ms=NOW, bands=hist.air_bands("zh"),
                     starts_ms=NOW - 30 * 3_600_000)
    assert "历史自 09-20 16:13" in [a["text"] for a in zh["layout"]["annotations"]]  # another day: with its date
    whole = hist.figure("air", {"1345A": series([60] * 3, start=NOW - 20 * MIN)}, {}, item=None, lang="en", tz=TZ,
                        since_ms=NOW - 60 * MIN, until_ms=NOW, bands=hist.air_bands("en"))  # late, but no start given:
    # the history went on before the chart (a feed polled every 20 minutes, a gap), so nothing is said
    assert not [s for s in whole["layout"]["shapes"] if s["xref"] == "x"]
    assert not any("since" in a["text"] for a in whole["layout"]["annotations"])


def test_empty_range_says_so_and_draws_no_zero() -> None:
    fig = hist.figure("air", {"1345A": []}, {"1345A": "x"}, item=None, lang="en", tz=TZ, since_ms=NOW - 3_600_000,
                      until_ms=NOW, bands=hist.air_bands("en"), texts={"empty": "No data in this range"})
    assert fig["data"] == []
    assert any(a["text"] == "No data in this range" for a in fig["layout"]["annotations"])
    assert band_shapes(fig)  # the bands still show what the thresholds are


def test_missing_minutes_break_the_line_instead_of_bridging_it() -> None:
    pts = series([50, 51, None, None, None, None, None, None, 70, 71])
    (trace,) = hist.figure("air", {"a": pts}, {}, item=None, lang="en", tz=TZ, since_ms=NOW - 3_600_000,
                           until_ms=NOW, bands=[])["data"]
    assert trace["y"] == [50, 51, None, 70, 71] and trace["connectgaps"] is False


def test_compare_draws_one_line_per_entity_with_a_legend() -> None:
    fig = hist.figure("air", {"a": series([50, 60]), "b": series([70, 80]), "c": []}, {"a": "A", "b": "B", "c": "C"},
                      item=None, lang="en", tz=TZ, since_ms=NOW - 3_600_000, until_ms=NOW, bands=[])
    assert [tr["name"] for tr in fig["data"]] == ["A", "B"] and fig["layout"]["showlegend"] is True
    assert len({tr["line"]["color"] for tr in fig["data"]}) == 2


def test_traffic_bands_follow_the_road_class_thresholds() -> None:
    cfg = traffic.DEFAULT_CONFIG
    bands = hist.traffic_bands("expressway", "en", cfg)
    assert [(b["y0"], b["y1"]) for b in bands][1:] == [(50, 65), (35, 50), (20, 35), (0, 20)]
    assert bands[0]["y0"] == 65 and [b["color"] for b in bands] == [lv["color"] for lv in traffic.LEVELS]
    fig = hist.figure("traffic", {"s": series([30, 55], key="speed_kmh")}, {}, item=None, lang="en", tz=TZ,
                      since_ms=NOW - 3_600_000, until_ms=NOW, bands=bands)
    assert fig["layout"]["yaxis"]["range"][1] > 65 and len(band_shapes(fig)) == 5


def test_water_bands_use_the_items_class_limits() -> None:
    do = hist.water_bands("do", "zh")
    assert [(b["y0"], b["y1"]) for b in do][1:] == [(6.0, 7.5), (5.0, 6.0), (3.0, 5.0), (2.0, 3.0), (0.0, 2.0)]
    assert [b["label"] for b in do] == [c["name_zh"] for c in water.CLASSES]
    nh3n = hist.water_bands("nh3n", "en")
    assert [(b["y0"], b["y1"]) for b in nh3n][:5] == [(0.0, 0.15), (0.15, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0)]
    assert hist.water_bands("tp", "en", "lake")[0]["y1"] == 0.01 and hist.water_bands("tp", "en")[0]["y1"] == 0.02
    assert [b["y0"] for b in hist.water_bands("ph", "en")] == [0.0, 6.0, 9.0]
    fig = hist.figure("water", {"w": series([4.2, 5.5], key="do")}, {}, item="do", lang="en", tz=TZ,
                      since_ms=NOW - 3_600_000, until_ms=NOW, bands=do)
    assert fig["layout"]["yaxis"]["title"]["text"] == "DO (mg/L)" and fig["data"][0]["y"] == [4.2, 5.5]


def test_long_series_keep_each_buckets_extremes() -> None:
    pts = [{"t": NOW + i * MIN, "aqi": 50 + (i % 97)} for i in range(7 * 1440)]
    pts[5000]["aqi"] = 400
    thinned, bucket = hist.thin(pts, "aqi")
    assert len(thinned) <= hist.MAX_POINTS + 2 and bucket > MIN
    assert max(p["aqi"] for p in thinned) == 400 and min(p["aqi"] for p in thinned) == 50
    assert [p["t"] for p in thinned] == sorted(p["t"] for p in thinned)


def test_csv_has_a_bom_local_times_with_offset_and_every_field() -> None:
    pts = [{"t": NOW + 7_000, "m": NOW, "aqi": 114, "level": 3, "pm25_1h": 75, "co_1h": 0.6}]
    body = hist.csv_bytes("air", {"1345A": pts, "1346A": []}, {"1345A": "广雅中学"}, TZ)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["entity_id", "name", "time", *store_history.FIELDS["air"]]
    assert rows[1][:6] == ["1345A", "广雅中学", "2026-09-21T22:13:27+08:00", "114", "3", ""]
    assert rows[1][rows[0].index("pm25_1h")] == "75" and rows[1][rows[0].index("co_1h")] == "0.6"
    assert len(rows) == 2 and body.endswith(b"\r\n")


def test_stored_sample_is_small_and_round_trips() -> None:
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6000000000000001, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": 75.0,
              "junk": "x", "nan": float("nan")}
    row = store_history.sample("air", NOW + 7_000, values, {"aqi": 114, "level": 3, "color": "#FF7E00"})
    member = json.dumps(row, separators=(",", ":"))
    assert row[:3] == [NOW % 3_600_000 + 7_000, 114, 3] and len(member) <= 64
    p = store_history._parse("air", member, NOW)
    assert p["t"] == NOW + 7_000 and p["co_1h"] == 0.6 and p["pm25_1h"] == 75.0 and "junk" not in p
