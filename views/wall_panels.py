"""The wall's themed panels beyond the headline: top-3 worst entities, sparklines, and the map carousel."""

from __future__ import annotations

from typing import Any

from views import sparkline

THEMES = ("air", "traffic", "service", "water")
# Short congestion names for the narrow top-3 chips (the full GB/T 33171 names are in indicators.traffic.LEVELS).
SHORT_TRAFFIC = {1: ("畅通", "Smooth"), 2: ("基本畅通", "Fair"), 3: ("轻度", "Light"), 4: ("中度", "Moderate"),
                 5: ("严重", "Severe")}
DAY_MS = 24 * 3600 * 1000
# Which KPI each panel's sparkline draws, its colour, and the threshold lines worth seeing behind it.
SPARK = {"air": ("aqi", "#ffd400", ((100.0, "#FF7E00"), (150.0, "#FF0000"))),
         "traffic": ("tpi", "#FDAE61", ((6.0, "#FDAE61"), (8.0, "#D7191C"))),
         "service": ("overdue", "#ff7e00", ()),
         "water": ("water_good", "#00CCFF", ())}


def theme_at(now_ms: int, period_s: float, pinned: str | None = None) -> str:
    """The map's theme: pinned by ?theme=, else the carousel position (the same on every wall at the same moment)."""
    if pinned in THEMES:
        return str(pinned)
    if period_s <= 0:
        return THEMES[0]
    return THEMES[int(now_ms // (period_s * 1000)) % len(THEMES)]


def overdue_by_district(cases: list[dict[str, Any]], now_ms: int) -> dict[str, int]:
    """Overdue open cases per district adcode."""
    out: dict[str, int] = {}
    for doc in cases:
        due = doc.get("d", {}).get("due_ms")
        adcode = str(doc.get("v", {}).get("district_adcode") or doc.get("m", {}).get("district_adcode") or "")
        if adcode and due is not None and due < now_ms:
            out[adcode] = out.get(adcode, 0) + 1
    return out


def top_lists(summary: dict[str, Any], overdue: dict[str, int], districts: dict[str, tuple[str, str]], lang: str,
              names: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each panel's three worst entities: label, value text and the level colour of the value."""
    i = 0 if lang == "zh" else 1
    worst_districts = sorted(((n, a) for a, n in overdue.items() if n), reverse=True)[:3]
    return {
        "air": [{"label": s["name"], "value": str(s["aqi"]), "color": s["color"]} for s in summary["air"]["top"]],
        "traffic": [{"label": s["name"], "value": SHORT_TRAFFIC.get(s["level"], ("—", "—"))[i],
                     "color": names["tpi_color"](s["level"])} for s in summary["traffic"]["top"]],
        "service": [{"label": districts.get(a, (a, a))[i], "value": str(n), "color": "#FF7E00"}
                    for n, a in worst_districts],
        "water": [{"label": s["name"], "value": names["water_name"](s["klass"]) if lang == "zh" else s["klass"],
                   "color": names["water_color"](s["klass"])} for s in summary["water"]["top"]],
    }


def sparklines(series: dict[str, list[tuple[int, float]]], now_ms: int, empty_text: str) -> dict[str, str]:
    """A 24 h sparkline (data URI) per panel; a 'no history yet' note where the KPI has fewer than two samples."""
    out = {}
    for panel, (kpi, color, bands) in SPARK.items():
        points = series.get(kpi, [])
        out[panel] = sparkline.svg(points, now_ms - DAY_MS, now_ms, color=color, bands=bands) \
            if len(points) > 1 else sparkline.note(empty_text)
    return out
