"""The one map (一张图): every feed as a layer, a layer control, filters; initial state from the URL.

Geometry comes by URL, once. Per tick a Store receives values only and a clientside function restyles the existing
Leaflet layers in place (no re-creation, so nothing flickers and open popups stay open).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Collection
from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from core import case_flow as cf
from core import levels
from core.furniture_catalog import CATEGORIES, GROUPS
from core.geo import districts
from core.i18n import t
from core.loop_points import STEPS
from indicators import aqi_cn, traffic, water
from layouts import analyst_panel, ids
from layouts.common import lang_switch
from views.analyst import parse_refs, parse_selection, ref_key
from views.history import DEFAULT_ITEM, DEFAULT_RANGE, RANGES, WATER_ITEMS
from views.map import CHOROPLETH, LAYERS
from views.replay import parse_at

ns = Namespace("onescreen", "onemap")
STEP_COLORS = ("#ffd60a", "#bf5af2", "#0a84ff", "#30d158")  # assets/onemap.js STEP_COLOR: reported .. handled
DEFAULT_ON = ("districts", "rivers", "air", "roads", "water", "cases")
GRID_PANE = "osGrid"


def parse_view(query: dict[str, Any], default_center: list[float], default_zoom: float, *,
               districts: Collection[str] = (), tz: str = "Asia/Shanghai", now_ms: int | None = None) -> dict[str, Any]:
    """The map state a shared URL asks for (bad values fall back to defaults, never an error page)."""
    layers = [x for x in str(query.get("layers") or "").split(",") if x in LAYERS] or list(DEFAULT_ON)
    try:
        lat, lon = (float(v) for v in str(query.get("c")).split(","))
        center = [lat, lon] if -90 <= lat <= 90 and -180 <= lon <= 180 else None
    except (TypeError, ValueError):
        center = None
    try:
        zoom = min(max(float(query.get("z")), 3.0), 19.0)
    except (TypeError, ValueError):
        zoom = default_zoom
    cats = [c for c in str(query.get("cats") or "").split(",") if c]
    mode = query.get("mode") if query.get("mode") in CHOROPLETH else "none"
    district = str(query.get("district") or "")
    district = district if re.fullmatch(r"\d{6}", district) and (not districts or district in districts) else None
    try:
        minlevel = int(str(query.get("minlevel")))
    except ValueError:
        minlevel = 0
    sel = parse_selection(query.get("sel"))
    rng = query.get("range") if query.get("range") in RANGES else DEFAULT_RANGE
    item = query.get("item") if query.get("item") in WATER_ITEMS else DEFAULT_ITEM
    at = parse_at(query.get("at"), tz, int(time.time() * 1000) if now_ms is None else now_ms)
    return {"layers": layers, "center": center or default_center, "zoom": zoom, "cats": cats,
            "bad": query.get("bad") == "1", "mode": mode, "district": district,
            "minlevel": minlevel if 2 <= minlevel <= 6 else 0, "sel": None if sel is None else ref_key(sel),
            "cmp": parse_refs(query.get("cmp")), "range": rng, "item": item, "at": at,
            "panel": query.get("panel") != "0", "fit": bool(district and center is None)}


def tile_layers(basemap: dict[str, Any]) -> list[Any]:
    """The configured base map: none (default: boundaries on a dark background), an XYZ URL, or app-served MBTiles."""
    kind = basemap.get("type", "none")
    attribution = basemap.get("attribution", "")
    if kind == "xyz" and basemap.get("url"):
        return [dl.TileLayer(url=basemap["url"], attribution=attribution, maxZoom=basemap.get("max_zoom", 18))]
    if kind == "mbtiles":
        return [dl.TileLayer(url="/tiles/{z}/{x}/{y}", attribution=attribution, maxZoom=basemap.get("max_zoom", 18))]
    return []


def loop_words(lang: str) -> dict[str, Any]:
    """What the loop layer's pins and popups say (core/loop_points.py STEPS), in the page's language."""
    return {"steps": [t(f"cs_st_{s}", lang) for s in STEPS], "overdue": t("cs_overdue", lang),
            "states": {s: t(f"cs_st_{s}", lang) for s in cf.STATES},
            "actions": {a: t(f"cs_ac_{a}", lang) for a in (*cf.ACTIONS, "report")},
            "state": t("cs_col_state", lang), "department": t("cs_col_department", lang), "due": t("cs_col_due", lang),
            "reported": t("cs_col_reported", lang), "what": t("cs_desc", lang), "photo": t("cs_photos", lang),
            "grid": t("cs_col_grid", lang),
            "open": t("cs_open_console", lang), "gone": t("cs_gone", lang), "panel": t("cs_panel_details", lang)}


def _layer(layer: str, urls: dict[str, str], coords: Any, lang: str, tz: str = "Asia/Shanghai") -> Any:
    """One overlay's Leaflet layer; entity layers register themselves for in-place restyling."""
    hide: dict[str, Any] = {"map": "am", "layer": layer, "lang": lang}
    if layer == "loop":
        hide.update(words=loop_words(lang), tz=tz)
    if layer == "grid":
        hide.update(words={"grid": t("layer_grid", lang), "open": t("cases_open", lang),
                           "late": t("cs_overdue", lang), "bad": t("furn_damaged", lang)})
    common = {"id": ids.map_layer(layer), "hideout": hide, "coordsToLatLng": coords}
    if layer == "districts":
        return dl.GeoJSON(url=urls["districts"], style=ns("districtStyle"), onEachFeature=ns("register"), **common)
    if layer == "rivers":
        return dl.GeoJSON(url=urls["rivers"], style=ns("riverStyle"), interactive=False, **common)
    if layer == "air":
        return dl.GeoJSON(url=urls["air_stations"], pointToLayer=ns("point"), onEachFeature=ns("register"), **common)
    if layer == "roads":
        return dl.GeoJSON(url=urls["roads"], style=ns("roadStyle"), onEachFeature=ns("register"), **common)
    if layer == "water":
        return dl.GeoJSON(url=urls["water_sections"], pointToLayer=ns("point"), onEachFeature=ns("register"),
                          **common)
    if layer == "grid":
        return dl.GeoJSON(data={"type": "FeatureCollection", "features": []}, style=ns("gridStyle"),
                          onEachFeature=ns("gridCell"), pane=GRID_PANE, **common)
    return dl.GeoJSON(data={"type": "FeatureCollection", "features": []}, pointToLayer=ns("clusterPoint"),
                      onEachFeature=ns("register"), **common)


def _swatches(items: list[tuple[str, str]]) -> list[Any]:
    return [html.Span([html.I(style={"background": c}), label], className="legend-item") for c, label in items]


def legends(lang: str, on: list[str]) -> html.Div:
    """A legend block per layer, in the standard level colours and names; hidden while its layer is off."""
    blocks = {
        "air": (t("legend_aqi", lang), [(lv["color"], lv[lang]) for lv in aqi_cn.LEVELS]),
        "roads": (t("legend_traffic", lang), [(lv["color"], lv[lang]) for lv in traffic.LEVELS]),
        "water": (t("legend_water", lang), [(c["color"], c["name_zh"] if lang == "zh" else
                                             levels.WORSE_THAN_V if c["klass"] == "劣V" else c["klass"])
                                            for c in water.CLASSES]),
        "cases": (t("legend_cases", lang), [("#49c6ff", t("cases_open", lang)), ("#ff3b30", t("cases_overdue", lang)),
                                            ("#2b3f5e", t("cluster", lang))]),
        "loop": (t("legend_loop", lang), [*zip(STEP_COLORS, (t(f"cs_st_{s}", lang) for s in STEPS), strict=True),
                                          ("#ff3b30", t("cs_overdue", lang))]),
        "furniture": (t("legend_furniture", lang), [("#7f8ea6", t("furn_normal", lang)),
                                                    ("#ff9f0a", t("furn_damaged", lang)),
                                                    ("#ff3b30", t("furn_missing", lang))]),
        "grid": (t("legend_grid", lang), [("#ff3b30", t("cs_overdue", lang)), ("#ff9f0a", t("cases_open", lang)),
                                          ("#5ac8fa", t("furn_damaged", lang))]),
    }
    seq = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
    choro = html.Div([html.Span("", id=ids.AM_CHORO_LEGEND_TITLE, className="legend-title"), t("few", lang),
                      html.Span([html.I(style={"background": c}) for c in seq], className="legend-scale"),
                      t("many", lang)], id=ids.map_legend("choro"), className="legend-row", hidden=True)
    rows = [html.Div([html.Span(title, className="legend-title"), *_swatches(items)], id=ids.map_legend(layer),
                     className="legend-row", hidden=layer not in on) for layer, (title, items) in blocks.items()]
    return html.Details(open=True, className="map-legend onemap-legend",
                        children=[html.Summary(t("legend", lang)), choro, *rows])


def controls(lang: str, view: dict[str, Any], district_list: dict[str, dict[str, Any]] | None = None) -> html.Div:
    """District and level filters, choropleth mode, component category filter and the damaged-only switch."""
    cat_options = [{"label": f"{GROUPS[g][0] if lang == 'zh' else GROUPS[g][1]} ({g})", "value": g} for g in GROUPS]
    cat_options += [{"label": f"{c['zh']} {c['code']}", "value": c["code"]} for c in CATEGORIES]
    return html.Div(className="onemap-controls", children=[
        *analyst_panel.filters(lang, view, district_list or {}),
        html.Label([t("choro_label", lang), dcc.Dropdown(
            id=ids.AM_CHORO, value=view["mode"], clearable=False, searchable=False,
            options=[{"label": t(f"choro_{m}", lang), "value": m} for m in CHOROPLETH])], className="ctl"),
        html.Label([t("cats_label", lang), dcc.Dropdown(
            id=ids.AM_CATS, value=view["cats"], multi=True, options=cat_options,
            placeholder=t("cats_placeholder", lang))], className="ctl ctl-wide"),
        dcc.Checklist(id=ids.AM_ONLY_BAD, options=[{"label": t("only_bad", lang), "value": "bad"}],
                      value=["bad"] if view["bad"] else [], className="ctl ctl-check"),
    ])


def layout(city: dict[str, Any], urls: dict[str, str], basemap: dict[str, Any], view: dict[str, Any], lang: str,
           tick_ms: int, attribution: str, *, simulated: bool = True, now_ms: int | None = None) -> html.Div:
    """The whole one-map page: header with filters, the map with the replay bar under it, the side panel."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    tz = city.get("timezone", "Asia/Shanghai")
    coords = ns("toGcj") if basemap.get("crs") == "gcj02" else None
    names = {t(f"layer_{layer}", lang): layer for layer in LAYERS}
    overlays = [dl.Overlay(_layer(layer, urls, coords, lang, tz), name=t(f"layer_{layer}", lang),
                           checked=layer in view["layers"]) for layer in LAYERS]
    name = city.get("name_zh") if lang == "zh" else city.get("name_en")
    district_list = districts(city["geo"]["districts"]) if city.get("geo", {}).get("districts") else {}
    mode_text, mode_class = analyst_panel.mode_badge(view.get("at"), tz, lang)
    return html.Div(className=f"onemap-root lang-{lang}", children=[
        html.Header(className="onemap-header", children=[
            html.Span(f"{name} · {t('onemap_title', lang)}", className="onemap-title"),
            html.Span(t("simulated", lang), className="sim-badge", hidden=not simulated),
            html.Span(mode_text, id=ids.AM_MODE, className=mode_class),
            controls(lang, view, district_list),
            lang_switch(lang),
        ]),
        html.Div(id=ids.AM_BODY, className="onemap-body" + ("" if view.get("panel", True) else " panel-collapsed"),
                 children=[
            html.Div(className="am-map-wrap", **{"data-layer-order": json.dumps(
                [t(f"layer_{x}", lang) for x in LAYERS], ensure_ascii=False)}, children=[
                dl.Map(id=ids.AM_MAP, center=view["center"], zoom=view["zoom"], zoomSnap=0.5, preferCanvas=False,
                       attributionControl=False, className="onemap-map", style={"height": "100%", "width": "100%"},
                       children=[*tile_layers(basemap),
                                 # the unit grid's cells above the district polygons (so a cell answers the pointer),
                                 # below the pins
                                 dl.Pane(name=GRID_PANE, style={"zIndex": 450}),
                                 dl.LayersControl(overlays, id=ids.AM_LAYERS, collapsed=False, position="topright",
                                                  overlays=[t(f"layer_{x}", lang) for x in LAYERS
                                                            if x in view["layers"]]),
                                 dl.ScaleControl(position="bottomright", imperial=False),
                                 dl.AttributionControl(prefix=attribution, position="bottomright")]),
                legends(lang, view["layers"]),
            ]),
            analyst_panel.replay_bar(lang, view, now_ms),
            analyst_panel.side_panel(lang, view),
        ]),
        dcc.Store(id=ids.AM_META, data={"names": names, "lang": lang, "initial": view["layers"], "tz": tz,
                                        "choro": {m: t(f"choro_{m}", lang) for m in ("open", "overdue")},
                                        "bounds": {k: d["bounds"] for k, d in district_list.items()},
                                        "fit": view.get("district") if view.get("fit") else None}),
        dcc.Store(id=ids.AM_VALUES),
        dcc.Store(id=ids.AM_FURN_SENT, data={}),
        dcc.Store(id=ids.AM_URL_SYNC),
        dcc.Store(id=ids.AM_APPLIED),
        dcc.Store(id=ids.AM_VER),
        dcc.Store(id=ids.AM_VIEW),
        *analyst_panel.stores(view, tz),
        dcc.Interval(id=ids.AM_TICK, interval=tick_ms),
    ])
