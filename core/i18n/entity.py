"""Strings of one entity's details (popup, side panel, CSV), zh and en."""

from __future__ import annotations

# The details of one entity (popup, side panel, CSV): label -> (zh, en).
ENTITY_LABELS: dict[str, tuple[str, str]] = {
    "aqi": ("AQI", "AQI"), "primary": ("首要污染物", "Primary pollutant"), "standard": ("评价标准", "Standard"),
    "age": ("数据时间", "Data time"), "speed": ("车速", "Speed"), "free": ("自由流车速", "Free-flow speed"),
    "level": ("拥堵等级", "Congestion"), "class": ("道路等级", "Road class"), "length": ("长度", "Length"),
    "wclass": ("水质类别", "Water class"), "worst": ("超标项目", "Worst items"), "bo": ("黑臭", "Black-odorous"),
    "status": ("状态", "Status"), "district": ("区", "District"), "address": ("地址", "Address"),
    "requested": ("受理时间", "Requested"), "due": ("办结时限", "Due"), "overdue": ("已超期", "Overdue"),
    "agency": ("承办单位", "Agency"), "category": ("类别", "Category"), "note": ("说明", "Note"),
    "monitors": ("监测项目", "Monitors"), "missing": ("本时缺测", "Missing this hour"),
    "observed": ("观测时间", "Observed"),
}
BLACK_ODOROUS = {"none": ("无", "none"), "light": ("轻度黑臭", "light"), "heavy": ("重度黑臭", "heavy")}
NO_BO_ITEMS = ("未知（无透明度、溶解氧、氧化还原电位、氨氮）", "unknown (no transparency, DO, ORP or NH₃-N)")
ROAD_CLASS = {"expressway": ("快速路", "expressway"), "arterial": ("主干路", "arterial road"),
              "secondary": ("次干路", "secondary road"), "local": ("支路", "local road")}
