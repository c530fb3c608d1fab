"""History chart and CSV for the analyst's side panel: pure functions from samples to a plain figure dict and bytes.

The chart draws the standard's threshold bands behind the line (AQI levels; the road class's congestion speeds; the
chosen water item's GB 3838 class limits), breaks the line where samples are missing, and says "no data" rather than
drawing a zero. Times are shown as wall-clock time in the city's time zone.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.i18n import t
from indicators import aqi_cn, traffic, water
from indicators.water import _AT_LEAST, _AT_MOST  # GB 3838 Table 1: one copy of the limits, in indicators/
from store.history import FIELDS, Point
from views import sparkline

RANGES = {"1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000}
DEFAULT_RANGE = "24h"
WATER_ITEMS = ("do", "codmn", "nh3n", "tp", "ph", "cod", "bod5", "tn")  # the items GB 3838 gives limits for
DEFAULT_ITEM = "do"
LINE_COLORS = ("#ffffff", "#49c6ff", "#ff79c6", "#c3a6ff")  # readable over every band colour on the dark panel
MAX_POINTS = 1500  # per trace; longer series keep each bucket's min and max (peaks and troughs survive)
GAP_MS = 5 * 60_000
BAND_OPACITY = 0.32
UNITS = {"aqi": "", "speed_kmh": "km/h", "ph": "", "do": "mg/L", "codmn": "mg/L", "nh3n": "mg/L", "tp": "mg/L",
         "cod": "mg/L", "bod5": "mg/L", "tn": "mg/L"}
ITEM_NAMES = {"do": "DO", "codmn": "CODMn", "nh3n": "NH₃-N", "tp": "TP", "ph": "pH", "cod": "COD", "bod5": "BOD₅",
              "tn": "TN"}

Band = dict[str, Any]


def metric(feed: str, item: str | None = None) -> str:
    """The value a feed's chart plots: AQI, speed, or the chosen water item."""
    if feed == "air":
        return "aqi"
    if feed == "traffic":
        return "speed_kmh"
    return item if item in WATER_ITEMS else DEFAULT_ITEM


def metric_label(feed: str, item: str | None, lang: str) -> str:
    """Axis title: the metric and its unit."""
    key = metric(feed, item)
    name = {"aqi": "AQI", "speed_kmh": "车速" if lang == "zh" else "Speed"}.get(key) or ITEM_NAMES[key]
    return f"{name} ({UNITS[key]})" if UNITS.get(key) else name


def air_bands(lang: str) -> list[Band]:
    """HJ 633 AQI levels: [0, 50], (50, 100] ... (300, 500], in the standard's colours."""
    edges = [0, *[lv["hi"] for lv in aqi_cn.LEVELS]]
    return [{"y0": edges[i], "y1": edges[i + 1], "color": lv["color"], "label": lv[lang]}
            for i, lv in enumerate(aqi_cn.LEVELS)]


def traffic_bands(road_class: str | None, lang: str, cfg: traffic.TrafficConfig | None = None) -> list[Band]:
    """Speed bands of the road class's congestion levels: level 1 above the first threshold, level 5 below the last."""
    cfg = cfg or traffic.DEFAULT_CONFIG
    bounds = cfg.speed_thresholds_kmh.get(road_class or "", cfg.speed_thresholds_kmh.get("arterial"))
    edges = [math.inf, *bounds, 0.0]  # descending: level 1 is (b1, inf)
    return [{"y0": edges[i + 1], "y1": edges[i], "color": lv["color"], "label": lv[lang]}
            for i, lv in enumerate(traffic.LEVELS)]


def water_bands(item: str, lang: str, waterbody: str = "river") -> list[Band]:
    """GB 3838 class bands of one item: DO is 'at least', pH is 6-9 for every class, the others 'at most'."""
    def name(c: dict[str, Any]) -> str:
        return c["name_zh"] if lang == "zh" else c["klass"]

    classes = water.CLASSES
    if item == "ph":
        return [{"y0": 0.0, "y1": 6.0, "color": classes[5]["color"], "label": name(classes[5])},
                {"y0": 6.0, "y1": 9.0, "color": classes[0]["color"], "label": "Ⅰ–Ⅴ类" if lang == "zh" else "I–V"},
                {"y0": 9.0, "y1": 14.0, "color": classes[5]["color"], "label": name(classes[5])}]
    if item in _AT_LEAST:
        edges = [math.inf, *_AT_LEAST[item], 0.0]
        return [{"y0": edges[i + 1], "y1": edges[i], "color": c["color"], "label": name(c)}
                for i, c in enumerate(classes)]
    limits = _AT_MOST["lake" if waterbody in ("lake", "reservoir") else "river"].get(item)
    if limits is None:
        return []
    edges = [0.0, *limits, math.inf]
    bands = [{"y0": edges[i], "y1": edges[i + 1], "color": c["color"], "label": name(c)}
             for i, c in enumerate(classes)]
    return [b for b in bands if b["y1"] > b["y0"]]  # COD and BOD5 share the I/II limit: II has no band of its own


def _local(ms: int, tz: ZoneInfo) -> str:
    """Wall-clock time in the city (Plotly would otherwise show the browser's zone)."""
    return datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")


def thin(points: Sequence[Point], key: str, limit: int = MAX_POINTS) -> tuple[list[Point], int]:
    """(points with a value, bucket ms): every point, or each bucket's min and max in time order when too many."""
    pts = [p for p in points if isinstance(p.get(key), int | float)]
    if len(pts) <= limit or len(pts) < 2:
        return pts, 60_000
    span = pts[-1]["t"] - pts[0]["t"]
    bucket = max(60_000, math.ceil(span / (limit // 2) / 60_000) * 60_000)
    out: list[Point] = []
    group: list[Point] = []
    for p in pts + [{"t": math.inf}]:
        if group and p["t"] // bucket != group[0]["t"] // bucket:
            lo, hi = min(group, key=lambda q: q[key]), max(group, key=lambda q: q[key])
            out += sorted({id(lo): lo, id(hi): hi}.values(), key=lambda q: q["t"])
            group = []
        group.append(p)
    return out, bucket


def _trace(points: Sequence[Point], key: str, name: str, color: str, tz: ZoneInfo, unit: str) -> dict[str, Any]:
    """One line; a gap longer than GAP_MS (or two buckets) breaks it instead of drawing across missing data."""
    pts, bucket = thin(points, key)
    gap = max(GAP_MS, 2 * bucket)
    x: list[str | None] = []
    y: list[float | None] = []
    for i, p in enumerate(pts):
        if i and p["t"] - pts[i - 1]["t"] > gap:
            x.append(None)
            y.append(None)
        x.append(_local(p["t"], tz))
        y.append(p[key])
    return {"type": "scatter", "mode": "lines+markers" if len(pts) < 60 else "lines", "name": name, "x": x, "y": y,
            "connectgaps": False, "line": {"color": color, "width": 2}, "marker": {"size": 4, "color": color},
            "hovertemplate": f"%{{y}}{' ' + unit if unit else ''}<extra>{name}</extra>"}


def _y_range(feed: str, key: str, ys: list[float], bands: list[Band]) -> list[float]:
    """Y axis: the data with headroom, and at least the bands an analyst compares against."""
    hi, lo = max(ys, default=0.0), min(ys, default=0.0)
    edges = sorted(b[e] for b in bands for e in ("y0", "y1") if math.isfinite(b[e]) and b[e] > 0)
    if feed == "air":
        floor = 110.0  # good and excellent, and the start of "lightly polluted"
    elif key == "ph":
        return [min(5.5, lo - 0.3), max(9.5, hi + 0.3)]
    elif feed == "traffic" or key in _AT_LEAST:
        floor = edges[-1] * 1.2 if edges else 1.0  # above the smooth / class I threshold
    else:
        floor = edges[3] if len(edges) > 3 else (edges[-1] if edges else 1.0)  # classes I to IV
    return [0, max(floor, hi * 1.12)]


def figure(feed: str, series: Mapping[str, Sequence[Point]], names: Mapping[str, str], *, item: str | None,
           lang: str, tz: str, since_ms: int, until_ms: int, bands: list[Band], at_ms: int | None = None,
           texts: Mapping[str, str] | None = None, starts_ms: int | None = None) -> dict[str, Any]:
    """The history chart as a plain figure dict: one line per entity over the threshold bands, or a 'no data' note;
    `starts_ms`: where the entities' history begins when that is within the chart (shaded before, and said)."""
    zone = ZoneInfo(tz)
    key = metric(feed, item)
    texts = texts or {}
    unit = UNITS.get(key, "")
    traces = [_trace(pts, key, names.get(eid, eid), LINE_COLORS[i % len(LINE_COLORS)], zone, unit)
              for i, (eid, pts) in enumerate(series.items())]
    traces = [tr for tr in traces if any(v is not None for v in tr["y"])]
    ys = [v for tr in traces for v in tr["y"] if v is not None]
    y_range = _y_range(feed, key, ys, bands)
    shapes = [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": max(b["y0"], y_range[0]),
               "y1": min(b["y1"], y_range[1]), "fillcolor": b["color"], "opacity": BAND_OPACITY,
               "line": {"width": 0}, "layer": "below"} for b in bands if b["y0"] < y_range[1] and b["y1"] > y_range[0]]
    notes = [{"xref": "paper", "x": 0.005, "xanchor": "left", "yref": "y", "y": (s["y0"] + s["y1"]) / 2,
              "text": b["label"], "showarrow": False, "font": {"size": 10, "color": "#dfe7f3"},
              "bgcolor": "rgba(7,13,24,0.55)", "borderpad": 1}
             for s, b in zip(shapes, [b for b in bands if b["y0"] < y_range[1] and b["y1"] > y_range[0]], strict=True)
             if (s["y1"] - s["y0"]) / (y_range[1] - y_range[0]) > 0.06]
    if at_ms is not None:
        shapes.append({"type": "line", "xref": "x", "x0": _local(at_ms, zone), "x1": _local(at_ms, zone),
                       "yref": "paper", "y0": 0, "y1": 1, "line": {"color": "#ffd76a", "width": 2, "dash": "dot"}})
    start = sparkline.history_start(starts_ms, since_ms, until_ms, tz) if traces else None
    if start is not None and starts_ms is not None:  # the history begins within the range: shade before, say when
        shapes.append({"type": "rect", "xref": "x", "x0": _local(since_ms, zone), "x1": _local(starts_ms, zone),
                       "yref": "paper", "y0": 0, "y1": 1, "fillcolor": "#8a97ab", "opacity": 0.18,
                       "line": {"width": 0}, "layer": "above"})
        notes.append({"xref": "x", "x": _local(starts_ms, zone), "xanchor": "right", "yref": "paper", "y": 0.98,
                      "yanchor": "top", "showarrow": False, "text": t("am_history_from", lang, at=start),
                      "font": {"size": 12, "color": "#ffffff"}, "bgcolor": "rgba(7,13,24,0.85)", "borderpad": 3})
    if not traces:
        notes.append({"xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
                      "text": texts.get("empty", "no data in this range"),
                      "font": {"size": 15, "color": "#ffffff"}, "bgcolor": "rgba(7,13,24,0.85)",
                      "borderpad": 6})
    span = until_ms - since_ms
    tick = "%H:%M" if span <= 6 * 3_600_000 else ("%H:%M<br>%m-%d" if lang == "zh" else "%H:%M<br>%d %b")
    return {"data": traces, "layout": {
        "autosize": True, "margin": {"l": 48, "r": 12, "t": 8, "b": 44},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#0b1424", "font": {"color": "#eef3fb", "size": 12},
        "xaxis": {"type": "date", "range": [_local(since_ms, zone), _local(until_ms, zone)], "tickformat": tick,
                  "gridcolor": "#22324d", "hoverformat": "%Y-%m-%d %H:%M"},
        "yaxis": {"range": y_range, "title": {"text": metric_label(feed, item, lang)}, "gridcolor": "#22324d",
                  "zeroline": False},
        "showlegend": len(traces) > 1, "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hovermode": "x unified", "shapes": shapes, "annotations": notes,
        "uirevision": f"{feed}:{key}:{since_ms // 60_000 if at_ms else ''}",
    }}


def _cell(text: str) -> str:
    """Pushed text as a CSV cell a spreadsheet shows, never runs: a leading = + - @ or control character is quoted
    with an apostrophe (OWASP, CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def csv_bytes(feed: str, series: Mapping[str, Sequence[Point]], names: Mapping[str, str], tz: str) -> bytes:
    """The chart's samples as CSV: UTF-8 with a BOM (Excel reads the Chinese names), times ISO 8601 with offset."""
    zone = ZoneInfo(tz)
    fields = FIELDS[feed]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(["entity_id", "name", "time", *fields])
    for eid, pts in series.items():
        for p in pts:
            when = datetime.fromtimestamp(p["t"] / 1000, zone).isoformat(timespec="seconds")
            out.writerow([_cell(eid), _cell(names.get(eid, eid)), when,
                          *("" if p.get(k) is None else p[k] for k in fields)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
