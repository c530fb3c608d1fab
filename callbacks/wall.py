"""Wall: ONE server callback per tick (cached summary, plain values, map values only); sparklines once a minute."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from dash import Input, Output, State, callback, clientside_callback, no_update

from auth import principal
from core import case_points
from core.case_points import CasePoints
from core.geo import district_names
from core.i18n import norm_lang, t
from core.summary import ENTITY_LAYERS
from layouts import ids
from layouts import wall as wall_layout
from layouts.wall import TILE_FEEDS
from store import context, kpi
from store import scope as scope_mod
from views import delta, names
from views import wall as wall_view
from views import wall_alerts as alerts_view
from views import wall_panels as panels

TILE_PARTS = (("value", ids.kpi_value, "children"), ("level", ids.kpi_level, "children"),
              ("level_style", ids.kpi_level, "style"), ("sub", ids.kpi_sub, "children"),
              ("age", ids.kpi_age, "children"), ("class", ids.kpi_tile, "className"))

OUTPUTS = [Output(build(feed), prop) for feed in TILE_FEEDS for _, build, prop in TILE_PARTS] + [
    *[Output(ids.kpi_top(feed), "children") for feed in TILE_FEEDS],
    Output(ids.WALL_DATE, "children"), Output(ids.WALL_CLOCK, "children"),
    Output(ids.WALL_STATUS, "children"), Output(ids.WALL_STATUS, "className"),
    Output(ids.WALL_SIM_BADGE, "style"), Output(ids.WALL_MAP_VALUES, "data"), Output(ids.WALL_THEME, "children"),
    Output(ids.WALL_ALERT_COUNTS, "children"), Output(ids.WALL_ALERT_ITEMS, "children"),
    Output(ids.WALL_TAKEOVER, "children"), Output(ids.WALL_TAKEOVER, "hidden"),
    *[Output(ids.loop_step(step), "children") for step in wall_view.LOOP_STEPS],
    Output(ids.WALL_LOOP_RATE, "children"), Output(ids.WALL_LOOP_URGENT, "children"),
    Output(ids.WALL_LOOP_SLOW, "children"), Output(ids.WALL_LOOP, "className"),
    Output(ids.WALL_LAST_OK, "data"),
]





DB_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


def wall_response(summary: dict[str, Any] | None, lang: str, now_ms: int, tz: str, tick_ms: int, *,
                  takeover_s: float = 30, theme: str = "air", cases: CasePoints | None = None,
                  view: dict[str, Any] | None = None, districts: dict[str, tuple[str, str]] | None = None,
                  meta: dict[str, Any] | None = None, layers: dict[str, Any] | None = None,
                  slowest: list[tuple[str, int]] | None = None) -> tuple[Any, ...]:
    """Every wall output for one tick, in OUTPUTS order; a None summary means the store is unreachable."""
    date, clock = wall_view.clock(now_ms, tz, lang)
    last_ok = {"t": now_ms, "tick": tick_ms, **(meta or {})}
    if summary is None:
        kept = [no_update] * (len(TILE_FEEDS) * (len(TILE_PARTS) + 1))
        return (*kept, date, clock, t("store_down", lang), "wall-status status-down", no_update, no_update,
                no_update, no_update, no_update, no_update, no_update, *[no_update] * (len(wall_view.LOOP_STEPS) + 4),
                {**last_ok, "store": False})
    nm = names.for_lang(lang)
    tiles = wall_view.tiles(summary, lang, nm, tz)
    for feed in TILE_FEEDS:
        if feed == theme:
            tiles[feed]["class"] += " kpi-active"
    flat = [tiles[feed][part] for feed in TILE_FEEDS for part, _, _ in TILE_PARTS]
    tops = panels.top_lists(summary, panels.overdue_by_district(summary), districts or {}, lang, nm)
    loop = wall_view.loop_panel(summary, lang, slowest or [])
    status, status_cls = wall_view.header_status(summary, lang)
    badge = {} if wall_view.simulated(summary) else {"display": "none"}
    alerts = summary.get("alerts", {})
    strip = wall_layout.alert_strip(alerts_view.counts(alerts, lang), alerts_view.ticker(alerts, lang, tz, now_ms),
                                    alerts_view.takeover(alerts, lang, tz, now_ms, takeover_s), lang)
    return (*flat, *[wall_layout.top_items(tops[f]) for f in TILE_FEEDS], date, clock, status, status_cls, badge,
            wall_view.map_values(summary, cases or case_points.EMPTY, theme, now_ms, view, layers),
            t(f"theme_{theme}", lang), *strip,
            *[loop["counts"][step] for step in wall_view.LOOP_STEPS], loop["on_time"], loop["urgent"], loop["slow"],
            loop["class"], {**last_ok, "store": True})


@callback(*OUTPUTS, Input(ids.WALL_TICK, "n_intervals"), State(ids.WALL_LANG, "data"), State(ids.WALL_PIN, "data"),
          State(ids.WALL_VIEW, "data"), State(ids.WALL_MAP_VER, "data"))
def wall_tick(_n: int | None, lang: str | None, pinned: str | None, view: dict[str, Any] | None,
              held: int | None = None) -> tuple[Any, ...]:
    """Thin wrapper: one cached summary per tick, one response per tick, language and view size per process; the
    map's entity values as a delta from the version the wall holds (`held`), or whole when it holds none."""
    ctx = context.get()
    now = context.now_ms()
    scope = principal.current_scope()  # a district-bound wall shows its district only (kiosk links and users alike)
    lang = norm_lang(lang if isinstance(lang, str) else None)
    view = view if isinstance(view, dict) and isinstance(view.get("bbox"), list) else None  # browser-sent: check
    pinned = pinned if isinstance(pinned, str) else None
    tick = ctx.tick_of(now)
    s = ctx.settings
    theme = panels.theme_at(now, s.wall_carousel_s, pinned)
    lag = tick - held if type(held) is int else None
    if lag is not None and not 0 <= lag <= ctx.keep_ticks():
        lag = None  # a version from the future or long gone: everything again (and no memo per made-up lag)
    key = scope_mod.key(f"wall:{lang}:{theme}:{(view or {}).get('w')}x{(view or {}).get('h')}:"
                        f"{(view or {}).get('zoom')}:{lag}", scope)
    ctx.ahead("wall-map", map_delta_ahead)

    def build() -> tuple[Any, ...]:
        summary = ctx.summary(now, scope)
        slow = slowest(ctx, now, scope) if summary and (summary.get("loop") or {}).get("overdue") else []
        cases = ctx.case_points(tick, scope) if summary and theme == "service" else None  # the case layer only
        layers = None if summary is None else map_delta(ctx, summary, tick, scope, lag)
        return wall_response(summary, lang, now, ctx.city.get("timezone", "Asia/Shanghai"), s.tick_ms,
                             takeover_s=s.wall_red_takeover_s, theme=theme, cases=cases, view=view,
                             districts=scope_mod.names(district_names(ctx.city["geo"]["districts"]), scope),
                             meta={"cfg": ctx.config_version, "hour": wall_view.city_hour(now, ctx.city),
                                   "reload_hour": s.wall_reload_hour}, layers=layers, slowest=slow)
    return ctx.memo(key, tick, build)


def slowest(ctx: context.Context, now_ms: int, scope: str | None, n: int = 2) -> list[tuple[str, int]]:
    """The departments with the most overdue cases now (the wall's "slowest"), read from the case records once a
    minute per process and scope; none while the records are unreachable."""
    def read() -> list[tuple[str, int]]:
        try:
            rows = ctx.casebook().departments(now_ms - 30 * 86_400_000, now_ms, scope)
        except DB_DOWN:
            return []
        late = sorted((r for r in rows if r["overdue"]), key=lambda r: (-r["overdue"], r["department"]))
        return [(r["department"], int(r["overdue"])) for r in late[:n]]
    return ctx.memo(scope_mod.key("wall-slowest", scope), now_ms // 60_000, read)


def map_delta(ctx: context.Context, summary: dict[str, Any], tick: int, scope: str | None,
              lag: int | None) -> dict[str, Any]:
    """The wall map's entity values for a wall `lag` ticks behind (views.delta; everything when it holds none or a
    version no longer kept), made once per tick and lag for every worker (the first stores it, the others read it)."""
    values_key = scope_mod.key("wall-layers", scope)

    def message() -> dict[str, Any]:
        values = ctx.shared(values_key, tick, lambda: wall_view.layer_values(summary))
        base, held = ctx.held(values_key, tick, None if lag is None else tick - lag)
        return delta.message(values, ENTITY_LAYERS, tick, base, held)
    return ctx.shared(f"{values_key}:delta:{lag}", tick, message)


def map_delta_ahead(ctx: context.Context, now_ms: int, scope: str | None) -> None:
    """Run after each summary made ahead (store.context.Context.ahead): the next tick's message for a wall that
    holds this tick's version, the common case, so a wall's request finds it made."""
    summary = ctx.summary(now_ms, scope, ahead=True)
    if summary is not None:
        map_delta(ctx, summary, ctx.tick_of(now_ms), scope, 1)


@callback(*[Output(ids.kpi_spark(feed), "src") for feed in TILE_FEEDS],
          *[Output(ids.kpi_spark_label(feed), "children") for feed in TILE_FEEDS],
          Input(ids.WALL_SLOW_TICK, "n_intervals"), State(ids.WALL_LANG, "data"))
def wall_sparklines(_n: int | None, lang: str | None) -> tuple[str, ...]:
    """Once a minute: each panel's 24 h sparkline from the KPI history (city-wide: a district wall shows none), and
    the words beside it (where the history starts, when that is within the day)."""
    ctx = context.get()
    now = context.now_ms()
    scope = principal.current_scope()
    lang = norm_lang(lang if isinstance(lang, str) else None)

    def build() -> tuple[str, ...]:
        names = [k for k, _, _ in panels.SPARK.values()]
        series = {} if scope is not None else kpi.series(ctx.redis, names, now - panels.DAY_MS)
        firsts = {} if scope is not None else kpi.firsts(ctx.redis, names)
        lines = panels.sparklines(series, now, lang, ctx.city.get("timezone", "Asia/Shanghai"), firsts)
        return tuple(lines[f][0] for f in TILE_FEEDS) + tuple(lines[f][1] for f in TILE_FEEDS)
    try:
        return ctx.memo(scope_mod.key(f"wall-spark:{lang}", scope), now // 60_000, build)
    except Exception:  # noqa: BLE001 - a missing sparkline must never break the wall
        return tuple(no_update for _ in range(2 * len(TILE_FEEDS)))


clientside_callback(
    "function(data) { return window.onescreen.wallmap.apply(data); }",
    Output(ids.WALL_CASES, "data"), Output(ids.WALL_MAP_VER, "data"), Input(ids.WALL_MAP_VALUES, "data"),
)
clientside_callback(
    "function(_n, last) { return window.onescreen.conn.hidden(last); }",
    Output(ids.WALL_CONN, "hidden"), Input(ids.WALL_CONN_WATCH, "n_intervals"), State(ids.WALL_LAST_OK, "data"),
)
clientside_callback(
    "function(last) { return window.onescreen.conn.maybeReload(last); }",
    Output(ids.WALL_RELOAD, "data"), Input(ids.WALL_LAST_OK, "data"),
)
