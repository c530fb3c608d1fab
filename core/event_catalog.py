"""The event (事件) categories of a case, beside the component ones (core/furniture_catalog.py): what is wrong in a
place rather than with a piece of city furniture. The six classes are GB/T 30428.2's (数字化城市管理 管理部件和事件,
after CJ/T 214): 市容环境, 宣传广告, 施工管理, 突发事件, 街面秩序 and 扩展事件 (a city's own). The subclasses are the
common ones of those classes, numbered in the order listed here (a city keeps its own codes in its profile; this
list does not reproduce the standard's numbering). 0601 and 0602 are OneScreen's own: a case its sensors opened
(an alert rule, alerts/cases.py)."""

from __future__ import annotations

EVENT_GROUPS: dict[str, tuple[str, str]] = {
    "01": ("市容环境", "City appearance"),
    "02": ("宣传广告", "Advertising"),
    "03": ("施工管理", "Construction"),
    "04": ("突发事件", "Emergencies"),
    "05": ("街面秩序", "Street order"),
    "06": ("扩展事件", "Other events"),
}

_NAMES: dict[str, tuple[str, ...]] = {
    "01": ("私搭乱建", "暴露垃圾", "积存垃圾渣土", "道路不洁", "水域不洁", "绿地脏乱", "废弃家具设备", "废弃车辆",
           "焚烧垃圾树叶", "露天烧烤", "垃圾满溢", "乱堆物料"),
    "02": ("非法小广告", "违规张贴悬挂", "占道广告牌", "街头散发广告", "破旧招牌"),
    "03": ("施工扰民", "工地扬尘", "道路遗撒", "施工废弃料", "施工占道", "无证掘路"),
    "04": ("路面塌陷", "自来水管破裂", "燃气管道破裂", "下水道堵塞或破损", "热力管道破裂", "道路积水",
           "道路积雪结冰", "架空线缆损坏", "井盖缺失"),
    "05": ("无照经营游商", "流浪乞讨", "占道废品收购", "店外经营", "机动车乱停放", "非机动车乱停放", "黑车拉客",
           "占道经营", "人群聚集"),
    "06": ("水质超标", "空气质量超标", "交通拥堵"),
}

EVENTS: list[dict[str, str]] = [
    {"code": f"{g}{i + 1:02d}", "group": g, "zh": name} for g, names in _NAMES.items() for i, name in enumerate(names)
]
EVENT_CODES = frozenset(e["code"] for e in EVENTS)
NAMES = {e["code"]: e["zh"] for e in EVENTS}
