"""One map: a server callback sends values (and clusters for the view) per tick; clientside code restyles in place."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy.exc
from dash import Input, Output, State, callback, clientside_callback

from auth import principal
from core import case_flow as cf
from core import roles
from core import summary as summary_mod
from core.loop_points import EMPTY as LOOP_EMPTY
from core.summary import ENTITY_LAYERS
from layouts import analyst_panel, ids
from store import context, history, snapshot
from store import scope as scope_mod
from views import delta, geometry, replay
from views import map as map_view

FURNITURE_REFRESH_MS = 10_000
DB_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
LEGEND_LAYERS = ("air", "roads", "water", "cases", "loop", "furniture", "grid")
ENTITY_OVERLAY = {"air": "air", "traffic": "roads", "water": "water"}  # feed -> the one map's layer


def _bbox(bbox: Any, center: Any, zoom: float) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) the browser reported, or, before it has, estimated from centre and zoom."""
    try:
        w, s, e, n = (float(x) for x in bbox)
        return w, s, e, n
    except (TypeError, ValueError):
        pass
    try:
        lat, lon = (center["lat"], center["lng"]) if isinstance(center, dict) else center
        half_w = 1600 * 360.0 / (256 * 2**zoom)  # half of a 3200-px-wide view, generous for any screen
        half_h = half_w * 0.6 * math.cos(math.radians(float(lat)))
        return float(lon) - half_w, float(lat) - half_h, float(lon) + half_w, float(lat) + half_h
    except (TypeError, ValueError, KeyError):
        return None


def _zoom(*candidates: Any) -> float:
    """The view's zoom (the browser's report, else the map's), within Leaflet's 0-22; 12 for anything else."""
    for z in candidates:
        if isinstance(z, int | float) and not isinstance(z, bool) and math.isfinite(z):
            return min(22.0, max(0.0, float(z)))
    return 12.0


def cell_px(view: dict[str, Any] | None) -> float:
    """Cluster cell size so a view holds about 150 clusters whatever the screen (a 4K wall gets bigger cells)."""
    try:
        return max(80.0, math.sqrt(float(view["w"]) * float(view["h"]) / 150.0))  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return 110.0


def replay_summary(ctx: context.Context, now: int, live: dict[str, Any], at: int,
                   scope: str | None = None) -> dict[str, Any]:
    """The map's part of the summary as of a past minute, read once per minute asked for (history does not change);
    `live` is the caller's scoped summary, so only its entities are replayed."""
    def build() -> dict[str, Any]:
        wanted = {"air": list(live["air"]["stations"]), "traffic": list(live["traffic"]["segments"]),
                  "water": list(live["water"]["sections"])}
        raw = snapshot.read(ctx.redis, now, scope)  # the entities' metadata (district, road class, length) as now
        meta = {feed: {eid: doc.get("m", {}) for eid, doc in raw[feed].items()} for feed in wanted}
        slack = history.stale_allowance_ms(at, now) / 1000  # a downsampled hour's sample may be up to 10 min older
        return replay.summary_as_of(history.as_of(ctx.redis, wanted, at), meta, at,
                                    lambda feed: float(ctx.feeds.get(feed, {}).get("stale_after_s", 60)) + slack,
                                    aqi_setting=str(ctx.city.get("aqi_standard", "auto")), cfg=ctx.traffic_cfg)
    return ctx.memo(scope_mod.key("replay-summary", scope), at, build)


def map_values(ctx: context.Context, now: int, view: dict[str, Any] | None, center: Any, zoom: Any, on: list[str],
               cats: list[str] | None, only_bad: bool, mode: str, sent: dict[str, Any], at: int | None = None,
               district: str | None = None, scope: str | None = None,
               held: dict[str, Any] | None = None, loop_for: tuple[str | None] | None = None,
               lang: str = "zh") -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Values for every layer that is on (as of `at` when replaying); clusters for the view; furniture on a view
    change or every 10 s. Cases are filtered to the chosen district here; the other layers in the browser.
    Everything is limited to the caller's scope first (a district user's map knows only their district).
    The entity layers' values are only those the page can draw (views.geometry) on the layers that are on and near
    its view (an area a little larger than the view, snapped to tiles), and a delta from what the page holds (`held`:
    the version, area and layers of its values, views.delta): whole after a load, when the page holds a version no
    longer kept, and while replaying (a moment's values are not a version). What came into view arrives whole; what
    left it is listed gone. The loop's cases only for a caller who may read them (`loop_for`: (their department, a
    handler's, else None); None: not for this caller), now only."""
    summary = ctx.summary(now, scope)
    if summary is None:
        return None, sent
    tick = ctx.tick_of(now)
    z = _zoom((view or {}).get("zoom"), zoom)
    bbox = _bbox((view or {}).get("bbox"), center, z)
    area = geometry.area_of(bbox, z) if bbox and all(map(math.isfinite, bbox)) else None  # a browser's: hostile
    feeds = [feed for feed in ENTITY_LAYERS if ENTITY_OVERLAY[feed] in on]
    texts = {feed: geometry.layer_text(ctx.city, ctx.settings.sim_seed, geometry.ENTITY_GEO[feed])
             for feed in ENTITY_LAYERS}
    if at is None:
        key = scope_mod.key("map-layers", scope)
        values = ctx.shared(key, tick, lambda: map_view.with_levels(summary_mod.entity_values(summary), summary))
        had = held if isinstance(held, dict) else {}
        base, version = ctx.held(key, tick, had.get("v"))
        had_on = [f for f in ENTITY_LAYERS if f in (had.get("on") if isinstance(had.get("on"), list) else [])]
        had_area = geometry.parse_area(had.get("area"))
        base = None if base is None else geometry.limit(base, texts, had_area, had_on, cached=False)
        layers = delta.message(geometry.limit(values, texts, area, feeds), ENTITY_LAYERS, tick, base, version)
        if base is not None:  # what the delta is taken against, so the page applies it only to that
            layers.update(base_area=None if had_area is None else list(had_area), base_on=had_on)
        shown = summary
    else:
        shown = {**summary, **replay_summary(ctx, now, summary, at, scope)}
        values = map_view.with_levels(summary_mod.entity_values(shown), shown)
        layers = {**delta.message(geometry.limit(values, texts, area, feeds), ENTITY_LAYERS, 0, None, None),
                  "v": None}
    layers.update(area=None if area is None else list(area), on=feeds)
    stale = summary_mod.stale_layers(summary) if at is None else []
    out: dict[str, Any] = {"t": now, "at": at, "mode": mode, **layers, "stale": stale}
    if at is None:  # LIVE turns STALE while a feed is (the page sets the badge: assets/onemap.js)
        out["badge"] = analyst_panel.mode_badge(None, "", lang, bool(stale))
    out["districts"] = map_view.district_values(shown)
    cell = cell_px(view)
    if bbox and "cases" in on:
        cases = ctx.case_points(tick, scope).in_district(district)
        out["cases"] = map_view.case_clusters(cases, bbox, z, now, cell_px=cell)
    if bbox and "loop" in on and loop_for is not None and at is None:
        try:
            seen = ctx.loop_points(tick).seen_by(scope or district, loop_for[0])
        except DB_DOWN:
            seen = None  # the records are away: the layer keeps what it shows
        if seen is not None:
            out["loop"] = map_view.loop_clusters(seen, bbox, z, now, cell_px=cell)
    out["grid"] = None
    if bbox and "grid" in on and at is None:
        gkey = f"{bbox}|{z}"
        due = not isinstance(sent.get("gat"), int) or now - int(sent["gat"]) >= FURNITURE_REFRESH_MS
        if gkey != sent.get("gkey") or due:
            out["grid"] = grid_values(ctx, now, tick, bbox, z, scope, loop_for)
            sent = {**sent, "gkey": gkey, "gat": now}
    out["furniture"] = None
    if bbox and "furniture" in on:
        key = f"{bbox}|{z}|{sorted(cats or [])}|{only_bad}"
        sent_at = sent.get("at")
        due = not isinstance(sent_at, int) or now - sent_at >= FURNITURE_REFRESH_MS
        if key != sent.get("key") or due:
            parts = ctx.components()
            status = ctx.memo("furniture-status", tick, lambda: map_view.furniture_status_array(
                len(map_view.furniture_index(parts)[0]), snapshot.read_furniture_status(ctx.redis)))
            within = None if scope is None else map_view.furniture_in_district(parts, ctx.city["geo"]["districts"],
                                                                               scope)
            out["furniture"] = map_view.furniture_clusters(parts, status, bbox, z, cats, only_bad, cell_px=cell,
                                                           within=within)
            sent = {**sent, "key": key, "at": now}
    return out, sent


def grid_values(ctx: context.Context, now: int, tick: int, bbox: tuple[float, float, float, float], z: float,
                scope: str | None, loop_for: tuple[str | None] | None) -> dict[str, Any]:
    """The unit grid's cells in view with their open and overdue loop cases (those the caller may read) and damaged
    components (views.map.grid_cells)."""
    seen = LOOP_EMPTY
    if loop_for is not None:
        try:
            seen = ctx.loop_points(tick).seen_by(scope, loop_for[0])
        except DB_DOWN:
            seen = LOOP_EMPTY
    parts = ctx.components()
    data, _ = map_view.furniture_index(parts)
    status = ctx.memo("furniture-status", tick, lambda: map_view.furniture_status_array(
        len(data), snapshot.read_furniture_status(ctx.redis)))
    bad = status > 0
    if scope is not None:  # a district user counts only their district's components (and sees only its cases)
        bad &= map_view.furniture_in_district(parts, ctx.city["geo"]["districts"], scope)
    return map_view.grid_cells(ctx.unit_grid(), bbox, z, seen, now, data.lon[bad], data.lat[bad],
                               ctx.city["geo"]["districts"])


@callback(Output(ids.AM_VALUES, "data"), Output(ids.AM_FURN_SENT, "data"),
          Input(ids.AM_TICK, "n_intervals"), Input(ids.AM_VIEW, "data"), State(ids.AM_MAP, "zoom"),
          Input(ids.AM_LAYERS, "overlays"), Input(ids.AM_CATS, "value"), Input(ids.AM_ONLY_BAD, "value"),
          Input(ids.AM_CHORO, "value"), Input(ids.AM_AT, "data"), Input(ids.AM_DISTRICT, "value"),
          State(ids.AM_MAP, "center"), State(ids.AM_META, "data"), State(ids.AM_FURN_SENT, "data"),
          State(ids.AM_VER, "data"))
def onemap_tick(_n: Any, view: dict[str, Any] | None, zoom: Any, overlays: list[str] | None, cats: list[str] | None,
                only_bad: list[str] | None, mode: str | None, at: dict[str, Any] | None, district: str | None,
                center: Any, meta: dict[str, Any] | None, sent: dict[str, Any] | None,
                held: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Thin wrapper around map_values."""
    names = (meta or {}).get("names", {})
    on = [names.get(n, n) for n in overlays] if overlays is not None else (meta or {}).get("initial", [])
    now = context.now_ms()
    at_ms = replay.at_of(at, now)
    who = principal.current()
    loop_for = ((who.department if who.role == cf.HANDLER else None,)
                if who is not None and roles.allowed(who.role, "cases.read") else None)
    return map_values(context.get(), now, view, center, zoom, on, cats, bool(only_bad),
                      mode or "none", sent or {}, at=at_ms,
                      district=None if district in (None, "", "all") else district, scope=principal.current_scope(),
                      held=held, loop_for=loop_for, lang=(meta or {}).get("lang", "zh"))


clientside_callback(
    "function(data, at) { return window.onescreen.onemap.apply('am', data, at); }",
    Output(ids.map_layer("cases"), "data"), Output(ids.map_layer("loop"), "data"),
    Output(ids.map_layer("furniture"), "data"), Output(ids.map_layer("grid"), "data"), Output(ids.AM_APPLIED, "data"),
    Output(ids.AM_VER, "data"), Input(ids.AM_VALUES, "data"), State(ids.AM_AT, "data"),
)

clientside_callback(
    "function(head) { return window.onescreen.onemap.panelHead(head); }",
    Output(ids.AM_PANEL_HEAD_SHOWN, "data"), Input(ids.AM_PANEL_HEAD, "data"),
)

clientside_callback(
    "function(c, z, o, cats, bad, mode, meta) {"
    " return window.onescreen.onemap.syncUrl(c, z, o, cats, bad, mode, meta); }",
    Output(ids.AM_URL_SYNC, "data"),
    Input(ids.AM_MAP, "center"), Input(ids.AM_MAP, "zoom"), Input(ids.AM_LAYERS, "overlays"),
    Input(ids.AM_CATS, "value"), Input(ids.AM_ONLY_BAD, "value"), Input(ids.AM_CHORO, "value"),
    State(ids.AM_META, "data"),
)

clientside_callback(
    "function(mode, meta) { return window.onescreen.onemap.choroLegend(mode, meta); }",
    Output(ids.map_legend("choro"), "hidden"), Output(ids.AM_CHORO_LEGEND_TITLE, "children"),
    Input(ids.AM_CHORO, "value"), State(ids.AM_META, "data"),
)

clientside_callback(
    "function(o, meta) { return window.onescreen.onemap.legendHidden(o, meta); }",
    *[Output(ids.map_legend(layer), "hidden") for layer in LEGEND_LAYERS],
    Input(ids.AM_LAYERS, "overlays"), State(ids.AM_META, "data"),
)

import callbacks.analyst_panel  # noqa: E402, F401  (the analyst's side panel, compare, CSV and replay callbacks)
