"""The command-centre wall: header, four themed panels around the one map, the loop under it, the alert strip; dark,
no inputs.

Laid out in viewport units (not CSS-scaled) for 1366×768 up to 5760×3240. On a 3×3 video wall of 1080p screens the
side columns (24 %) sit inside the outer tile columns, so bezels cross only the map.
"""

from __future__ import annotations

import json
from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from core import levels
from core.i18n import t
from layouts import ids
from layouts.common import lang_switch, map_attribution
from views import wall as wall_view

ns = Namespace("onescreen", "wallmap")
TILE_FEEDS = ("air", "traffic", "service", "water")
LEFT, RIGHT = ("air", "traffic"), ("service", "water")


def tile(feed: str, lang: str) -> html.Section:
    """One themed panel: title and data age, headline value with its level, a line, a 24 h sparkline, the worst 3."""
    return html.Section(id=ids.kpi_tile(feed), className="kpi-tile", children=[
        html.Div([html.Span(t(f"tile_{feed}", lang), className="kpi-title"),
                  html.Span(t("no_data", lang), id=ids.kpi_age(feed), className="kpi-age")], className="kpi-head"),
        html.Div([html.Div("—", id=ids.kpi_value(feed), className="kpi-value"),
                  html.Div("", id=ids.kpi_level(feed), className="kpi-level")], className="kpi-main"),
        html.Div("", id=ids.kpi_sub(feed), className="kpi-sub"),
        html.Div([html.Span(t("trend_24h", lang), id=ids.kpi_spark_label(feed), className="spark-label"),
                  html.Img(id=ids.kpi_spark(feed), className="kpi-spark", alt="")], className="spark-row"),
        html.Div(t(f"top_{feed}", lang), className="top-title"),
        html.Ol(id=ids.kpi_top(feed), className="kpi-top"),
    ])


def loop_panel(lang: str) -> html.Section:
    """The closed loop under the map: the open cases at each step, the overdue ones, closings in 24 h and their
    on-time share, new urgent cases (flashing) and the departments with the most overdue; each tick fills the
    numbers and lines only (callbacks.wall)."""
    def step(name: str) -> html.Div:
        return html.Div([html.Span("0", id=ids.loop_step(name), className="loop-n"),
                         html.Span(t(f"loop_step_{name}", lang), className="loop-label"),
                         *([html.Span("", id=ids.WALL_LOOP_RATE, className="loop-rate")]
                           if name == "closed_24h" else [])],
                        className=f"loop-step loop-step-{name.replace('_', '-')}")
    return html.Section(id=ids.WALL_LOOP, className="loop-panel", children=[
        html.Div([html.Span(t("loop_title", lang), className="loop-title"),
                  html.Span(t("loop_title_sub", lang), className="loop-sub")], className="loop-head"),
        html.Div([step(name) for name in wall_view.LOOP_STEPS], className="loop-steps"),
        html.Div([html.Span("", id=ids.WALL_LOOP_URGENT, className="loop-urgent-text"),
                  html.Span("", id=ids.WALL_LOOP_SLOW, className="loop-slow")], className="loop-notes"),
    ])


def legend(lang: str) -> html.Div:
    """One legend per map theme in the standard colours and names; the carousel shows the current theme's."""
    themes = {
        "air": (t("legend_aqi", lang), levels.aqi_legend(lang)),
        "traffic": (t("legend_traffic", lang), levels.traffic_legend(lang)),
        "service": (t("legend_cases", lang),
                    [("#49c6ff", t("cases_open", lang)), ("#ff3b30", t("cases_overdue", lang)),
                     ("#bd0026", t("legend_district_overdue", lang))]),
        "water": (t("legend_water", lang), levels.water_legend(lang)),
    }
    return html.Div(id=ids.MAP_LEGEND, className="map-legend", children=[
        html.Div([html.Span(title, className="legend-title"),
                  *[html.Span([html.I(style={"background": c}), label], className="legend-item")
                    for c, label in items]],
                 className=f"legend-theme legend-{theme}", hidden=theme != "air")
        for theme, (title, items) in themes.items()])


def city_map(geo_urls: dict[str, str], bounds: list[list[float]], lang: str, attribution: str = "") -> dl.Map:
    """Every theme's layers, loaded once; the carousel only restyles them (assets/wall_map.js)."""
    hide = {"lang": lang}
    return dl.Map(
        id=ids.WALL_MAP, bounds=bounds, center=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoomControl=False, attributionControl=False, zoomSnap=0.1, dragging=False, scrollWheelZoom=False,
        doubleClickZoom=False, keyboard=False, className="wall-map", style={"height": "100%", "width": "100%"},
        children=[
            dl.GeoJSON(id=ids.MAP_DISTRICTS, url=geo_urls["districts"], style=ns("districtStyle"),
                       onEachFeature=ns("register"), hideout={**hide, "layer": "districts"}, interactive=False),
            dl.GeoJSON(id=ids.MAP_RIVERS, url=geo_urls["rivers"], style=ns("riverStyle"), interactive=False),
            dl.GeoJSON(url=geo_urls["roads"], style=ns("roadStyle"), onEachFeature=ns("register"),
                       hideout={**hide, "layer": "traffic"}, interactive=False),
            dl.GeoJSON(url=geo_urls["water_sections"], pointToLayer=ns("point"), onEachFeature=ns("register"),
                       hideout={**hide, "layer": "water"}, interactive=False),
            dl.GeoJSON(id=ids.WALL_CASES, data={"type": "FeatureCollection", "features": []},
                       pointToLayer=ns("cluster"), hideout={**hide, "layer": "service"}, interactive=False),
            dl.GeoJSON(id=ids.MAP_STATIONS, url=geo_urls["air_stations"], pointToLayer=ns("point"),
                       onEachFeature=ns("register"), hideout={**hide, "layer": "air"}, interactive=False),
            dl.AttributionControl(prefix=attribution or t("map_attr", lang), position="bottomright"),
        ],
    )


def header(city: dict[str, Any], lang: str) -> html.Header:
    """City, simulated-data badge, data status, date and clock in the city's time zone, language."""
    name = city.get("name_zh") if lang == "zh" else city.get("name_en")
    return html.Header(className="wall-header", children=[
        html.Div([html.Span(name, className="city-name"), html.Span(t("wall_title", lang), className="wall-title")],
                 className="header-left"),
        html.Span(t("simulated", lang), id=ids.WALL_SIM_BADGE, className="sim-badge", style={"display": "none"}),
        html.Div(id=ids.WALL_STATUS, className="wall-status"),
        html.Div([html.Span("", id=ids.WALL_DATE, className="wall-date"),
                  html.Span("--:--", id=ids.WALL_CLOCK, className="wall-clock"), lang_switch(lang)],
                 className="header-right"),
    ])


def inset(geo_urls: dict[str, str], city_bounds: list[list[float]], frame: list[list[float]], lang: str) -> html.Div:
    """The whole city, small, in the map's corner, with the main map's frame outlined: the wall frames the urban
    core (the profile's wall_frame), and this says where that is and that there is more. The outlines only (geometry
    from the same URL as the main map's, so the browser has it already); the main map and the lists carry values."""
    return html.Div(className="wall-inset", title=t("wall_inset", lang), **{"data-frame": json.dumps(frame)}, children=[
        dl.Map(id=ids.WALL_INSET, bounds=city_bounds, trackViewport=False, zoomControl=False, attributionControl=False,
               center=[(city_bounds[0][0] + city_bounds[1][0]) / 2, (city_bounds[0][1] + city_bounds[1][1]) / 2],
               zoomSnap=0.1,
               dragging=False, scrollWheelZoom=False, doubleClickZoom=False, keyboard=False, boxZoom=False,
               touchZoom=False, className="wall-inset-map", style={"height": "100%", "width": "100%"}, children=[
                   dl.GeoJSON(url=geo_urls["districts"], interactive=False,
                              style={"color": "#6f86ad", "weight": 1, "fillColor": "#16233a", "fillOpacity": 1}),
                   dl.Rectangle(bounds=frame, interactive=False, color="#ffd60a", weight=2, fill=False),
               ]),
        html.Span(t("wall_inset", lang), className="wall-inset-label"),
    ])


def layout(city: dict[str, Any], geo_urls: dict[str, str], bounds: list[list[float]], lang: str, tick_ms: int,
           theme: str | None = None, city_bounds: list[list[float]] | None = None) -> html.Div:
    """The whole wall page; `theme` pins the map's theme (?theme=air|traffic|service|water). `bounds` is what the
    map frames; `city_bounds`, when the frame is a part of the city, is the whole city's, shown in an inset."""
    return html.Div(className=f"wall-root lang-{lang}", children=[
        header(city, lang),
        html.Main(className="wall-main", children=[
            html.Div([tile(f, lang) for f in LEFT], className="kpi-column"),
            html.Div(className="map-column", children=[
                html.Section(className="map-panel", children=[
                    city_map(geo_urls, bounds, lang, map_attribution(city, lang)), legend(lang),
                    *([inset(geo_urls, city_bounds, bounds, lang)] if city_bounds else []),
                    html.Div(id=ids.WALL_THEME, className="theme-label"),
                    html.Div(id=ids.WALL_TAKEOVER, className="takeover", hidden=True)]),
                loop_panel(lang)]),
            html.Div([tile(f, lang) for f in RIGHT], className="kpi-column"),
        ]),
        html.Footer(className="wall-ticker", children=[
            html.Div(id=ids.WALL_ALERT_COUNTS, className="tk-counts"),
            html.Div(t("no_alerts", lang), id=ids.WALL_ALERT_ITEMS, className="tk-items"),
            html.Span(id=ids.WALL_RAIL_PAGE, className="tk-page"),  # "2/3" when the alerts take turns (onescreen.js)
        ]),
        html.Div(id=ids.WALL_CONN, className="conn-overlay", hidden=True, children=[
            html.Div(t("conn_lost", lang), className="conn-title"),
            html.Div(t("conn_lost_detail", lang), className="conn-detail"),
        ]),
        dcc.Store(id=ids.WALL_LANG, data=lang),
        dcc.Store(id=ids.WALL_PIN, data=theme),
        dcc.Store(id=ids.WALL_VIEW),
        dcc.Store(id=ids.WALL_MAP_VALUES),
        dcc.Store(id=ids.WALL_MAP_VER),
        dcc.Store(id=ids.WALL_LAST_OK, data=0),
        dcc.Store(id=ids.WALL_RELOAD),
        dcc.Interval(id=ids.WALL_TICK, interval=tick_ms),
        dcc.Interval(id=ids.WALL_SLOW_TICK, interval=60_000),
        dcc.Interval(id=ids.WALL_CONN_WATCH, interval=1000),
    ])


def alert_strip(counts: list[dict[str, Any]], items: list[dict[str, Any]], red: dict[str, Any] | None,
                lang: str) -> tuple[Any, ...]:
    """The alert strip's counts, ticker items and red-alert takeover as components, from the view's values."""
    chips = [html.Span([html.B(str(c["n"])), c["label"]], className=f"tk-count{' tk-zero' if not c['n'] else ''}",
                       style={"--lvl": c["color"]}) for c in counts]
    spans = [html.Span(i["text"], className=i["cls"]) for i in items] or t("no_alerts", lang)
    panel = None if red is None else [html.Div(red["title"], className="to-title"),
                                      html.Div(red["entity"], className="to-entity"),
                                      html.Div(red["rule"], className="to-rule"),
                                      html.Div([html.Span(red["value"], className="to-value"),
                                                html.Span(red["threshold"], className="to-threshold")]),
                                      html.Div(red["since"], className="to-since")]
    return chips, spans, panel, red is None


def top_items(rows: list[dict[str, Any]]) -> list[Any]:
    """A panel's worst-three list (value chips coloured by level, text contrasting)."""
    return [html.Li([html.Span(r["label"], className="top-name"),
                     html.Span(r["value"], className="top-value", style=levels.chip(r["color"]))]) for r in rows]
