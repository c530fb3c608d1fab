"""The wall's alert strip: counts, who acknowledged, flashing only while new and unacknowledged, red takeover."""

from __future__ import annotations

from typing import Any

from core import summary as summary_mod
from views import wall_alerts

NOW = 1_790_000_000_000  # 22:13 in Asia/Shanghai
TZ = "Asia/Shanghai"


def rec(**kw: Any) -> dict[str, Any]:
    base = {"id": "station_aqi:1345A", "rule": "station_aqi", "rule_name_zh": "站点空气质量指数超标",
            "rule_name_en": "Station AQI above limit", "scope": "station", "entity_id": "1345A",
            "entity_name": "广雅中学", "entity_name_en": None, "metric": "aqi", "value": 215, "threshold": 200,
            "level": "orange", "state": "firing", "since_ms": NOW - 60_000, "fired_ms": NOW - 60_000,
            "ack_by": None, "ack_ms": None, "silenced": False, "held": False}
    return base | kw


def test_counts_and_pulse_come_from_active_alerts() -> None:
    s = summary_mod.alert_summary([rec(), rec(id="b", entity_id="1346A", state="acknowledged", ack_by="张三"),
                                   rec(id="c", scope="city", level="red")])
    assert s["counts"]["orange"] == 2 and s["counts"]["red"] == 1 and s["counts"]["unacknowledged"] == 2
    assert s["pulse"] == ["1345A"] and s["newest_red"]["id"] == "c"
    chips = wall_alerts.counts(s, "en")
    assert [(c["level"], c["n"]) for c in chips] == [("red", 1), ("orange", 2), ("yellow", 0), ("blue", 0),
                                                     ("stale", 0)]


def test_ticker_says_who_acknowledged_and_flashes_only_new_unacknowledged() -> None:
    acked = rec(state="acknowledged", ack_by="张三", ack_ms=NOW - 30_000)
    old = rec(id="old", fired_ms=NOW - 3600_000)
    items = wall_alerts.ticker({"items": [rec(), acked, old]}, "zh", TZ, NOW)
    # the value and the limit labelled (it was "215 (200)")
    assert items[0]["text"] == "广雅中学 · 站点空气质量指数超标 215（限值 200） · 22:12"
    assert "tk-flash" in items[0]["cls"]
    assert items[1]["text"].endswith("已确认 张三 22:12") and "tk-flash" not in items[1]["cls"]
    assert "tk-flash" not in items[2]["cls"]  # an hour old: no longer new
    en = wall_alerts.ticker({"items": [acked]}, "en", TZ, NOW)[0]["text"]
    assert en.endswith("acknowledged by 张三 at 22:12")


def test_the_rail_says_the_unit_of_a_value_and_its_limit() -> None:
    pm = rec(metric="pm25_1h", value=180.4, threshold=150, rule_name_en="PM2.5 above limit")
    assert "180.4 µg/m³ (limit 150 µg/m³)" in wall_alerts.ticker({"items": [pm]}, "en", TZ, NOW)[0]["text"]
    rate = rec(metric="on_time_rate", value=82.5, threshold=90)
    assert "82.5%（限值 90%）" in wall_alerts.ticker({"items": [rate]}, "zh", TZ, NOW)[0]["text"]
    water = rec(metric="klass", value="劣V", threshold="V", rule_name_en="Water worse than V")
    assert "worse than V (limit class V)" in wall_alerts.ticker({"items": [water]}, "en", TZ, NOW)[0]["text"]
    assert "劣Ⅴ类（限值 Ⅴ类）" in wall_alerts.ticker({"items": [water]}, "zh", TZ, NOW)[0]["text"]
    quiet = rec(kind="stale", metric="age_s", value=None, threshold=600)
    assert "—（限值 600 s）" in wall_alerts.ticker({"items": [quiet]}, "zh", TZ, NOW)[0]["text"]
    feed = rec(entity_name="空气质量", rule_name_zh="数据源中断", metric="age_s", value=47.1, threshold=None,
               level="stale")
    assert wall_alerts.ticker({"items": [feed]}, "zh", TZ, NOW)[0]["text"] == "空气质量 · 数据源中断 · 22:12"


def test_red_takeover_lasts_its_configured_time() -> None:
    red = {"newest_red": rec(level="red", value=310, threshold=300, fired_ms=NOW - 10_000)}
    panel = wall_alerts.takeover(red, "en", TZ, NOW, 30)
    assert panel is not None and panel["value"] == "310" and panel["threshold"] == "limit 300"
    assert wall_alerts.takeover(red, "en", TZ, NOW + 25_000, 30) is None
    assert wall_alerts.takeover({"newest_red": None}, "en", TZ, NOW, 30) is None


def test_the_rail_says_how_many_more_alerts_there_are_than_it_carries() -> None:
    """The summary carries the 30 most severe active alerts; the rail's last item says the rest exist."""
    records = [rec(id=f"station_aqi:{i}", entity_id=str(i)) for i in range(33)]
    alerts = summary_mod.alert_summary(records)
    items = wall_alerts.ticker(alerts, "zh", TZ, NOW)
    assert len(items) == 31 and items[-1]["text"] == "另有 3 条告警 · 见告警处置台" and "tk-more" in items[-1]["cls"]
    one = wall_alerts.ticker(summary_mod.alert_summary(records[:31]), "en", TZ, NOW)
    assert one[-1]["text"] == "+1 more alert · see the alert console"
    assert "tk-more" not in wall_alerts.ticker(summary_mod.alert_summary(records[:30]), "en", TZ, NOW)[-1]["cls"]
