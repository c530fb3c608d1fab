"""The 116 city-component (城市部件) categories, grouped as in GB/T 30428.2 (数字化城市管理 管理部件和事件).

Names follow the standard's groups; the per-category shares are a synthetic assumption for the demo data set
(manhole covers, lamps and trees dominate real censuses), not census figures.
"""

from __future__ import annotations

GROUPS: dict[str, tuple[str, str]] = {
    "01": ("公用设施", "Public utilities"),
    "02": ("道路交通", "Roads and traffic"),
    "03": ("市容环境", "City appearance"),
    "04": ("园林绿化", "Parks and greenery"),
    "05": ("房屋土地", "Buildings and land"),
    "06": ("其他设施", "Other facilities"),
}

_NAMES: dict[str, tuple[str, ...]] = {
    "01": ("上水井盖", "污水井盖", "雨水井盖", "雨水箅子", "电力井盖", "路灯井盖", "通信井盖", "电视井盖", "网络井盖",
           "热力井盖", "燃气井盖", "公安井盖", "无主井盖", "消防井盖", "交通信号井盖", "军用井盖", "供水阀门井",
           "消防栓", "水表井", "电力设施箱", "通信交接箱", "有线电视箱", "变压器", "配电箱", "高压线铁塔",
           "燃气调压箱", "路灯", "地灯", "景观灯", "庭院灯", "高杆灯", "邮筒", "报刊亭", "电话亭", "信息亭",
           "自动售货机", "充电桩", "5G基站杆"),
    "02": ("停车场", "停车咪表", "公交站亭", "公交站牌", "出租车站牌", "过街天桥", "地下通道", "立交桥",
           "跨河桥", "人行道板", "盲道", "交通信号灯", "人行信号灯", "交通标志牌", "指路标志", "警告标志",
           "禁令标志", "指示标志", "路名牌", "门牌", "交通护栏", "隔离墩", "防撞桶", "减速带", "电子警察",
           "治安监控", "存车支架", "共享单车停放点", "道路反光镜", "限高架"),
    "03": ("公共厕所", "垃圾箱", "垃圾间", "分类回收亭", "垃圾转运站", "广告牌匾", "户外广告", "灯箱",
           "霓虹灯", "宣传栏", "电子屏", "街头座椅", "城市雕塑", "景观小品", "岗亭", "环卫工具房"),
    "04": ("行道树", "古树名木", "绿地", "护树设施", "花架花钵", "花坛", "绿化带", "草坪", "喷灌设施",
           "公园设施", "健身设施", "儿童游乐设施", "景观水池", "园林围栏"),
    "05": ("人防工事", "地下空间出入口", "房屋", "在建工地", "拆迁工地", "违章建筑", "空置地块", "围墙",
           "挡土墙"),
    "06": ("河道护栏", "水域附属设施", "泵站", "排水口", "闸门", "水位监测站", "重大危险源", "加油站",
           "防汛设施"),
}

CATEGORIES: list[dict[str, str]] = [
    {"code": f"{g}{i + 1:02d}", "group": g, "zh": name} for g, names in _NAMES.items() for i, name in enumerate(names)
]

# Relative abundance (synthetic): covers, lamps, trees, signs and bins are the bulk of any census.
_HEAVY = {"井盖": 9.0, "雨水箅子": 8.0, "路灯": 10.0, "行道树": 12.0, "垃圾箱": 4.0, "标志": 2.5, "护栏": 3.0,
          "路名牌": 1.5, "门牌": 6.0, "配电箱": 2.0, "消防栓": 2.0, "人行道板": 3.0, "监控": 1.5}


def weight(name: str) -> float:
    """Synthetic share of a category in the data set."""
    return next((w for key, w in _HEAVY.items() if key in name), 0.4)
