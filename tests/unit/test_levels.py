"""The one table of levels (core/levels.py): the standards' colours, served to the browser, copied nowhere else."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core import levels
from indicators import aqi_cn, traffic, water

ROOT = Path(__file__).resolve().parents[2]


def test_browser_table_is_the_indicators_own_colours() -> None:
    table = json.loads(levels.browser_script().split("levels = ", 1)[1].rstrip(";\n"))
    # HJ 633-2026 Table 3 (AQI), GB 3838 legend (water.CLASSES), congestion levels (traffic.LEVELS)
    assert table["aqi"] == {str(lv["level"]): lv["color"] for lv in aqi_cn.LEVELS}
    assert table["aqi"]["1"] == "#00E400" and table["aqi"]["6"] == "#7E0023"
    assert table["water"] == {c["klass"]: c["color"] for c in water.CLASSES}
    assert table["traffic"] == {str(lv["level"]): lv["color"] for lv in traffic.LEVELS}
    assert table["alert"]["red"] == levels.ALERT_COLORS["red"]
    # the text with the higher WCAG contrast on each level's colour: dark up to the red of level 4 (4.8:1 against
    # white's 4.0:1), white on purple and maroon
    assert [table["text"][table["aqi"][str(i)]] for i in range(1, 7)] == ["#101010"] * 4 + ["#ffffff"] * 2
    assert all(levels.contrast(table["text"][c], c) >= 4.5 for c in table["text"])


def test_no_asset_or_module_above_the_ground_floor_carries_a_copy_of_a_level_colour() -> None:
    colours = {c.upper() for scale in ("aqi", "traffic", "water") for c in levels.for_browser()[scale].values()}
    offenders = []
    for path in [*ROOT.glob("assets/*.js"), *ROOT.glob("layouts/*.py"), *ROOT.glob("views/*.py"),
                 *ROOT.glob("callbacks/*.py")]:
        found = {c.upper() for c in re.findall(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8"))} & colours
        if found:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(found)}")
    assert offenders == []


def test_chip_text_reads_on_its_colour() -> None:
    assert levels.chip("#FFFF00") == {"background": "#FFFF00", "color": "#101010"}
    assert levels.chip("#99004C")["color"] == "#ffffff" and levels.chip(None)["background"] == "transparent"


def test_the_one_maps_legends_speak_english_in_english() -> None:
    """#17 item 7: the water legend showed '劣V' on the English one map; every legend is in the page's language."""
    import json
    import re

    from layouts.analyst import legends
    from views.map import LAYERS

    text = json.dumps(legends("en", list(LAYERS)).to_plotly_json(), default=lambda o: o.to_plotly_json(),
                      ensure_ascii=False)
    assert "worse than V" in text
    assert not re.search(r"[\u3400-\u9fff]", text)
    assert "劣Ⅴ类" in json.dumps(legends("zh", list(LAYERS)).to_plotly_json(), default=lambda o: o.to_plotly_json(),
                                 ensure_ascii=False)
