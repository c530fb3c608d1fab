"""Wall tick: ONE server callback reads the cached snapshot and returns plain values; the map gets values only."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, clientside_callback, html, no_update

from callbacks import context
from layouts import ids
from layouts.i18n import t
from layouts.wall import TILE_FEEDS
from views import names
from views import wall as wall_view
from views import wall_alerts as alerts_view

TILE_PARTS = (("value", ids.kpi_value, "children"), ("level", ids.kpi_level, "children"),
              ("level_style", ids.kpi_level, "style"), ("sub", ids.kpi_sub, "children"),
              ("age", ids.kpi_age, "children"), ("class", ids.kpi_tile, "className"))

OUTPUTS = [Output(build(feed), prop) for feed in TILE_FEEDS for _, build, prop in TILE_PARTS] + [
    Output(ids.WALL_DATE, "children"), Output(ids.WALL_CLOCK, "children"),
    Output(ids.WALL_STATUS, "children"), Output(ids.WALL_STATUS, "className"),
    Output(ids.WALL_SIM_BADGE, "style"), Output(ids.MAP_STATIONS, "hideout"),
    Output(ids.WALL_ALERT_COUNTS, "children"), Output(ids.WALL_ALERT_ITEMS, "children"),
    Output(ids.WALL_TAKEOVER, "children"), Output(ids.WALL_TAKEOVER, "hidden"), Output(ids.WALL_LAST_OK, "data"),
]


def alert_strip(alerts: dict[str, Any], lang: str, tz: str, now_ms: int, takeover_s: float) -> tuple[Any, ...]:
    """Counts, ticker items and the red-alert takeover as components (values only; no geometry)."""
    chips = [html.Span([html.B(str(c["n"])), c["label"]], className=f"tk-count{' tk-zero' if not c['n'] else ''}",
                       style={"--lvl": c["color"]}) for c in alerts_view.counts(alerts, lang)]
    items = alerts_view.ticker(alerts, lang, tz, now_ms)
    spans = [html.Span(i["text"], className=i["cls"]) for i in items] or t("no_alerts", lang)
    red = alerts_view.takeover(alerts, lang, tz, now_ms, takeover_s)
    panel = None if red is None else [html.Div(red["title"], className="to-title"),
                                      html.Div(red["entity"], className="to-entity"),
                                      html.Div(red["rule"], className="to-rule"),
                                      html.Div([html.Span(red["value"], className="to-value"),
                                                html.Span(red["threshold"], className="to-threshold")]),
                                      html.Div(red["since"], className="to-since")]
    return chips, spans, panel, red is None


def wall_response(summary: dict[str, Any] | None, lang: str, now_ms: int, tz: str, tick_ms: int,
                  takeover_s: float = 30) -> tuple[Any, ...]:
    """Every wall output for one tick, in OUTPUTS order; a None summary means the store is unreachable."""
    date, clock = wall_view.clock(now_ms, tz, lang)
    if summary is None:
        kept = [no_update] * (len(TILE_FEEDS) * len(TILE_PARTS))
        return (*kept, date, clock, t("store_down", lang), "wall-status status-down", no_update, no_update,
                no_update, no_update, no_update, no_update, {"t": now_ms, "store": False, "tick": tick_ms})
    tiles = wall_view.tiles(summary, lang, names.for_lang(lang))
    flat = [tiles[feed][part] for feed in TILE_FEEDS for part, _, _ in TILE_PARTS]
    status, status_cls = wall_view.header_status(summary, lang)
    badge = {} if wall_view.simulated(summary) else {"display": "none"}
    strip = alert_strip(summary.get("alerts", {}), lang, tz, now_ms, takeover_s)
    return (*flat, date, clock, status, status_cls, badge, wall_view.station_hideout(summary, lang), *strip,
            {"t": now_ms, "store": True, "tick": tick_ms})


@callback(*OUTPUTS, Input(ids.WALL_TICK, "n_intervals"), State(ids.WALL_LANG, "data"))
def wall_tick(_n: int | None, lang: str | None) -> tuple[Any, ...]:
    """Thin wrapper: one cached summary per tick, one response per tick and language per process."""
    ctx = context.get()
    now = context.now_ms()
    lang = lang or "zh"
    tick = ctx.tick_of(now)
    return ctx.memo(f"wall:{lang}", tick, lambda: wall_response(
        ctx.summary(now), lang, now, ctx.city.get("timezone", "Asia/Shanghai"), ctx.settings.tick_ms,
        ctx.settings.wall_red_takeover_s))


clientside_callback(
    "function(_n, last) { return window.onescreen.conn.hidden(last); }",
    Output(ids.WALL_CONN, "hidden"), Input(ids.WALL_CONN_WATCH, "n_intervals"), State(ids.WALL_LAST_OK, "data"),
)
