"""The wall's themed panels beyond the headline: top-3 worst entities, sparklines, and the map carousel."""

from __future__ import annotations

from typing import Any

from core import levels, romanize
from core.i18n import t
from core.levels import TRAFFIC_SHORT
from views import sparkline

THEMES = ("air", "traffic", "service", "water")
DAY_MS = 24 * 3600 * 1000
# Which KPI each panel's sparkline draws, its colour, and the threshold lines worth seeing behind it.
SPARK = {"air": ("aqi", "#ffd400", ((100.0, levels.color("aqi", 3)), (150.0, levels.color("aqi", 4)))),
         "traffic": ("tpi", levels.color("traffic", 4), ((6.0, levels.color("traffic", 4)),
                                                        (8.0, levels.color("traffic", 5)))),
         "service": ("overdue", levels.color("alert", "orange"), ()),
         "water": ("water_good", levels.color("water", "II"), ())}


def theme_at(now_ms: int, period_s: float, pinned: str | None = None) -> str:
    """The map's theme: pinned by ?theme=, else the carousel position (the same on every wall at the same moment)."""
    if pinned in THEMES:
        return str(pinned)
    if period_s <= 0:
        return THEMES[0]
    return THEMES[int(now_ms // (period_s * 1000)) % len(THEMES)]


def overdue_by_district(summary: dict[str, Any]) -> dict[str, int]:
    """Overdue open cases per district adcode (districts with some only), from the summary's per-district counts."""
    return {ad: c[1] for ad, c in summary.get("service", {}).get("by_district", {}).items() if c[1]}


def top_lists(summary: dict[str, Any], overdue: dict[str, int], districts: dict[str, tuple[str, str]], lang: str,
              names: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each panel's three worst entities: label, value text and the level colour of the value."""
    i = 0 if lang == "zh" else 1

    def label(s: dict[str, Any]) -> str:
        return romanize.display(s["name"], lang, s.get("name_en"))

    worst_districts = sorted(((n, a) for a, n in overdue.items() if n), reverse=True)[:3]
    return {
        "air": [{"label": label(s), "value": str(s["aqi"]), "color": s["color"]} for s in summary["air"]["top"]],
        "traffic": [{"label": label(s), "value": TRAFFIC_SHORT.get(s["level"], ("—", "—"))[i],
                     "color": names["tpi_color"](s["level"])} for s in summary["traffic"]["top"]],
        "service": [{"label": districts.get(a, (a, a))[i], "value": str(n), "color": levels.color("aqi", 3)}
                    for n, a in worst_districts],
        "water": [{"label": label(s), "value": names["water_name"](s["klass"]) if lang == "zh"
                   else levels.water_name(s["klass"], lang),
                   "color": names["water_color"](s["klass"])} for s in summary["water"]["top"]],
    }


def sparklines(series: dict[str, list[tuple[int, float]]], now_ms: int, lang: str,
               tz: str = "Asia/Shanghai", firsts: dict[str, int | None] | None = None) -> dict[str, tuple[str, str]]:
    """Per panel, a 24 h sparkline (data URI) and the words beside it: '24 h trend', and on a second line where the
    history starts when that is within the day (`firsts`: each KPI's first sample ever, store.kpi.firsts; without
    them, the first in the day); a 'no history yet' note where the KPI has fewer than two samples."""
    out = {}
    for panel, (kpi, color, bands) in SPARK.items():
        points = series.get(kpi, [])
        if len(points) < 2:
            out[panel] = (sparkline.note(t("no_history", lang)), t("trend_24h", lang))
            continue
        first = points[0][0] if firsts is None else firsts.get(kpi)
        since = sparkline.history_start(first, now_ms - DAY_MS, now_ms, tz)
        out[panel] = (sparkline.svg(points, now_ms - DAY_MS, now_ms, color=color, bands=bands),
                      t("trend_24h", lang) + ("" if since is None else "\n" + t("since", lang, at=since)))
    return out
