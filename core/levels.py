"""The one table of levels every screen draws: AQI, water class, congestion and alert levels, each with its colour,
its zh/en names and the text colour that reads on it. Python views read it here; the browser gets the same table as
`/levels.js` (`window.onescreen.levels`), so no JS file carries a copy.

The AQI, water and congestion colours are the standards' own (indicators/); the short names are for narrow chips
and legends, the full names stay with the indicators.
"""

from __future__ import annotations

import json
from typing import Any

from indicators import aqi_cn, traffic, water

DARK_TEXT, LIGHT_TEXT = "#101010", "#ffffff"
NO_LEVEL_TEXT = "#8a97ab"  # a chip with no level: greyed text on nothing
# Alert levels, most severe first (the console's and the wall's order), and their colours.
ALERT_LEVELS: tuple[str, ...] = ("red", "orange", "yellow", "blue", "stale")
ALERT_COLORS: dict[str, str] = {"red": "#e0201b", "orange": "#ff7e00", "yellow": "#ffd400", "blue": "#1e7bff",
                                "stale": "#7f8ea6"}
AQI_SHORT: dict[int, tuple[str, str]] = {1: ("优", "Excellent"), 2: ("良", "Good"), 3: ("轻度", "Light"),
                                         4: ("中度", "Moderate"), 5: ("重度", "Heavy"), 6: ("严重", "Severe")}
TRAFFIC_SHORT: dict[int, tuple[str, str]] = {1: ("畅通", "Smooth"), 2: ("基本畅通", "Fair"), 3: ("轻度", "Light"),
                                             4: ("中度", "Moderate"), 5: ("严重", "Severe")}
def _luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(color: str) -> str:
    """The text colour that reads best on a level colour (WCAG 2.1 1.4.3): of dark and white, the one with the higher
    contrast. On the AQI chart's red (#FF0000) that is dark (4.8:1; white is 4.0:1)."""
    try:
        return DARK_TEXT if contrast(DARK_TEXT, color) >= contrast(LIGHT_TEXT, color) else LIGHT_TEXT
    except (ValueError, IndexError, TypeError):
        return LIGHT_TEXT


HELD_LEVEL_TEXT = "#c9d3e0"  # a stale feed's level word: no level colour, still above 4.5:1 on its greyed card


def held_chip() -> dict[str, str]:
    """Style of a stale feed's level chip: its last level in words, without the level's colour (WCAG 1.4.3 holds
    through the card's greying: the chip's #8a97ab did not)."""
    return {"background": "transparent", "color": HELD_LEVEL_TEXT}


def feed_chip(color: str | None, state: str) -> dict[str, str]:
    """A tile's or card's level chip by its feed's state: the level colour when current, the held grey when stale,
    nothing when never heard."""
    return chip(color) if state == "ok" else held_chip() if state == "stale" else chip(None)


def chip(color: str | None) -> dict[str, str]:
    """Style of a level chip: the level colour as background, text that stays readable on it."""
    if not color:
        return {"background": "transparent", "color": NO_LEVEL_TEXT}
    return {"background": color, "color": text_on(color)}


def color(scale: str, key: int | str) -> str:
    """One level's colour: color("aqi", 3), color("traffic", 5), color("water", "II"), color("alert", "red")."""
    return for_browser()[scale][str(key)]


def aqi_legend(lang: str) -> list[tuple[str, str]]:
    """(colour, short name) per AQI level, in order."""
    i = 0 if lang == "zh" else 1
    return [(lv["color"], AQI_SHORT[lv["level"]][i]) for lv in aqi_cn.LEVELS]


def traffic_legend(lang: str) -> list[tuple[str, str]]:
    """(colour, short name) per congestion level, in order."""
    i = 0 if lang == "zh" else 1
    return [(lv["color"], TRAFFIC_SHORT[lv["level"]][i]) for lv in traffic.LEVELS]


ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ", "劣V": "劣Ⅴ"}
WORSE_THAN_V = "worse than V"  # GB 3838's 劣Ⅴ类 in English, on every page


def water_name(klass: str | None, lang: str) -> str:
    """A GB 3838 class as every page names it: 'Ⅳ类' / 'class IV', '劣Ⅴ类' / 'worse than V' (the English pages
    showed '劣V' in the legend and 'below V' on the wall); '—' for none."""
    if not klass or klass not in ROMAN:
        return "—"
    if lang == "zh":
        return ROMAN[klass] + "类"
    return WORSE_THAN_V if klass == "劣V" else f"class {klass}"


def water_legend(lang: str) -> list[tuple[str, str]]:
    """(colour, class name) per GB 3838 class, in order: the Roman numeral, or in words for the one beyond V."""
    return [(c["color"], c["name_zh"] if lang == "zh" else (WORSE_THAN_V if c["klass"] == "劣V" else c["klass"]))
            for c in water.CLASSES]


def for_browser() -> dict[str, Any]:
    """Level -> colour per scale, and colour -> readable text colour, as the browser's map code reads them."""
    scales = {"aqi": {str(lv["level"]): lv["color"] for lv in aqi_cn.LEVELS},
              "traffic": {str(lv["level"]): lv["color"] for lv in traffic.LEVELS},
              "water": {c["klass"]: c["color"] for c in water.CLASSES},
              "alert": dict(ALERT_COLORS)}
    colors = {c for scale in scales.values() for c in scale.values()}
    return {**scales, "text": {c: text_on(c) for c in sorted(colors)}}


def browser_script() -> str:
    """`/levels.js`: the table as a script the pages load before their own (allowed by the CSP: same origin)."""
    table = json.dumps(for_browser(), ensure_ascii=True, sort_keys=True)
    return f"window.onescreen = window.onescreen || {{}};\nwindow.onescreen.levels = {table};\n"
