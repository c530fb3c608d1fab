"""The command-centre wall: header, four KPI tiles and the one map; dark, no scrollbars, no inputs."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from layouts import ids
from layouts.i18n import t

ns = Namespace("onescreen", "map")
TILE_FEEDS = ("air", "traffic", "service", "water")
AQI_LEGEND = (("#00E400", "优", "Excellent"), ("#FFFF00", "良", "Good"), ("#FF7E00", "轻度", "Light"),
              ("#FF0000", "中度", "Moderate"), ("#99004C", "重度", "Heavy"), ("#7E0023", "严重", "Severe"))


def tile(feed: str, lang: str) -> html.Div:
    """One KPI tile: title, headline value, level, a secondary line and the data age."""
    return html.Div(
        id=ids.kpi_tile(feed), className="kpi-tile",
        children=[
            html.Div([html.Span(t(f"tile_{feed}", lang), className="kpi-title"),
                      html.Span(t("no_data", lang), id=ids.kpi_age(feed), className="kpi-age")], className="kpi-head"),
            html.Div([html.Div("—", id=ids.kpi_value(feed), className="kpi-value"),
                      html.Div("", id=ids.kpi_level(feed), className="kpi-level")], className="kpi-main"),
            html.Div("", id=ids.kpi_sub(feed), className="kpi-sub"),
        ],
    )


def legend(lang: str) -> html.Div:
    """AQI level colours with their names, always visible on the map."""
    items = [html.Span([html.I(style={"background": c}), zh if lang == "zh" else en], className="legend-item")
             for c, zh, en in AQI_LEGEND]
    return html.Div([html.Span(t("legend_aqi", lang), className="legend-title"), *items], id=ids.MAP_LEGEND,
                    className="map-legend")


def city_map(city: dict[str, Any], geo_urls: dict[str, str], bounds: list[list[float]], lang: str) -> dl.Map:
    """Boundaries, rivers and stations; geometry by URL, once. Only the stations' hideout changes per tick."""
    return dl.Map(
        id=ids.WALL_MAP, bounds=bounds, center=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoomControl=False, attributionControl=False, zoomSnap=0.1,
        className="wall-map", style={"height": "100%", "width": "100%"},
        children=[
            dl.GeoJSON(id=ids.MAP_DISTRICTS, url=geo_urls["districts"], style=ns("districtStyle"),
                       onEachFeature=ns("districtLabel"), hideout={"lang": lang}, interactive=False),
            dl.GeoJSON(id=ids.MAP_RIVERS, url=geo_urls["rivers"], style=ns("riverStyle"), interactive=False),
            dl.GeoJSON(id=ids.MAP_STATIONS, url=geo_urls["air_stations"], pointToLayer=ns("stationMarker"),
                       hideout={"v": {}, "lang": lang}),
            dl.AttributionControl(prefix=t("map_attr", lang), position="bottomright"),
        ],
    )


def header(city: dict[str, Any], lang: str) -> html.Header:
    """City, simulated-data badge, date and clock in the city's time zone, and data status."""
    name = city.get("name_zh") if lang == "zh" else city.get("name_en")
    return html.Header(className="wall-header", children=[
        html.Div([html.Span(name, className="city-name"), html.Span(t("wall_title", lang), className="wall-title")],
                 className="header-left"),
        html.Span(t("simulated", lang), id=ids.WALL_SIM_BADGE, className="sim-badge", style={"display": "none"}),
        html.Div(id=ids.WALL_STATUS, className="wall-status"),
        html.Div([html.Span("", id=ids.WALL_DATE, className="wall-date"),
                  html.Span("--:--", id=ids.WALL_CLOCK, className="wall-clock")], className="header-right"),
    ])


def layout(city: dict[str, Any], geo_urls: dict[str, str], bounds: list[list[float]], lang: str,
           tick_ms: int) -> html.Div:
    """The whole wall page."""
    return html.Div(className=f"wall-root lang-{lang}", children=[
        header(city, lang),
        html.Main(className="wall-main", children=[
            html.Section([tile(f, lang) for f in TILE_FEEDS], className="kpi-column"),
            html.Section([city_map(city, geo_urls, bounds, lang), legend(lang),
                          html.Div(id=ids.WALL_TAKEOVER, className="takeover", hidden=True)], className="map-panel"),
        ]),
        html.Footer(className="wall-ticker", children=[
            html.Div(id=ids.WALL_ALERT_COUNTS, className="tk-counts"),
            html.Div(t("no_alerts", lang), id=ids.WALL_ALERT_ITEMS, className="tk-items"),
        ]),
        html.Div(id=ids.WALL_CONN, className="conn-overlay", hidden=True, children=[
            html.Div(t("conn_lost", lang), className="conn-title"),
            html.Div(t("conn_lost_detail", lang), className="conn-detail"),
        ]),
        dcc.Store(id=ids.WALL_LANG, data=lang),
        dcc.Store(id=ids.WALL_LAST_OK, data=0),
        dcc.Interval(id=ids.WALL_TICK, interval=tick_ms),
        dcc.Interval(id=ids.WALL_CONN_WATCH, interval=1000),
    ])
