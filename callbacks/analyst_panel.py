"""The analyst's callbacks on the one map: side panel, compare, CSV, replay; thin wrappers around views/ functions.

None of these run per tick: the panel refreshes on a selection, a choice, or every 30 s (one sample a minute).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from auth import principal
from cases import service
from core.geo import district_names
from core.i18n import t
from layouts import analyst_panel as panel_layout
from layouts import ids
from layouts.analyst_panel import chart, mode_badge
from store import context, history
from store.client import UNAVAILABLE
from views import analyst, entity, replay, sparkline
from views import cases as case_view

PANEL_OUTPUTS = (Output(ids.AM_PANEL, "className"), Output(ids.AM_PANEL_TITLE, "children"),
                 Output(ids.AM_PANEL_ROWS, "children"), Output(ids.AM_PANEL_NOTE, "children"),
                 Output(ids.AM_CHART_WRAP, "children"), Output(ids.AM_ITEM_WRAP, "hidden"),
                 Output(ids.AM_CMP_CHIPS, "children"), Output(ids.AM_PANEL_HEAD, "data"))


DB_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


def case_panel(c: context.Context, now: int, case_id: str, lang: str, who: Any) -> tuple[Any, ...]:
    """A loop case in the side panel (PANEL_OUTPUTS order): its card's fields, then its timeline with the photos of
    each step. Only a case the caller may see (cases.service.visible); another is "no such case"."""
    tz = c.city.get("timezone", "Asia/Shanghai")
    shut = ("am-panel open case-open", case_id, [], t("cs_gone_panel", lang), None, True, [], None)
    if who is None:
        return shut
    try:
        book = c.casebook()
        rec = service.visible(book.record(case_id), who)
        events, shots = book.trail(case_id), book.photos(case_id)
        row = case_view.row(rec, now, lang, tz, district_names(c.city["geo"]["districts"]),
                            service.rules(book).warn_share, c.grid_code(rec))
    except service.NotFound:
        return shut
    except (*DB_DOWN, *UNAVAILABLE):
        return (no_update,) * len(PANEL_OUTPUTS)
    href = f"/cases?lang={lang}&case={quote(str(rec['id']), safe='')}"
    return ("am-panel open case-open", f"{rec['id']} · {row['category']}",
            panel_layout.rows(case_view.card_pairs(row, lang)), None,
            panel_layout.case_timeline(case_view.timeline(events, shots, str(rec["id"]), lang, tz), lang, href),
            True, [], None)


def history_start(c: context.Context, feed: str | None, series: dict[str, list[Any]], since: int,
                  until: int) -> int | None:
    """Where the charted entities' history begins, when that is within the chart: their first sample in it comes
    late and none of them has one in the hours before (store.history.as_of); None otherwise (a gap is no start)."""
    firsts = [pts[0]["m"] for pts in series.values() if pts]
    if feed is None or not firsts or not sparkline.starts_late([(min(firsts), 0.0)], since, until):
        return None
    before = history.as_of(c.redis, {feed: list(series)}, since - 1).get(feed, {})
    return None if any(p is not None for p in before.values()) else min(firsts)


def panel_response(c: context.Context, now: int, sel: Any, cmp: list[str] | None, range_key: str | None,
                   item: str | None, at_ms: int | None, lang: str, scope: str | None = None) -> tuple[Any, ...]:
    """Read the panel's data in one round trip and lay it out (PANEL_OUTPUTS order); entities outside the caller's
    district show as unknown."""
    case_id = analyst.parse_case(sel)
    if case_id is not None:
        return case_panel(c, now, case_id, lang, principal.current())
    tz = c.city.get("timezone", "Asia/Shanghai")
    feed, series_ids, doc_keys = analyst.wanted(sel, cmp or [])
    since, until = analyst.window(range_key or "", now, at_ms)
    try:
        series, docs = analyst.scoped(feed, *history.read_panel(c.redis, feed, series_ids, since, until, doc_keys),
                                      scope)
        starts = history_start(c, feed, series, since, until)
    except UNAVAILABLE:
        return (no_update,) * len(PANEL_OUTPUTS)
    view = analyst.panel(sel, cmp or [], series, docs, range_key=range_key or "", item=item, at_ms=at_ms, now_ms=now,
                         lang=lang, tz=tz, districts=district_names(c.city["geo"]["districts"]), cfg=c.traffic_cfg,
                         aqi_setting=str(c.city.get("aqi_standard", "auto")), starts_ms=starts)
    ref = analyst.parse_ref(sel)
    head = None if ref is None or not view["rows"] else {  # one value: the entity's popup shows these rows
        "key": analyst.ref_key(ref), "title": view["title"], "rows": entity.headline(ref["feed"], view),
        "more": t("am_more_in_panel", lang)}
    return ("am-panel open" if view["open"] else "am-panel", view["title"], panel_layout.rows(view["rows"]),
            panel_layout.notes(view["notes"], view["open"], lang), chart(view["figure"]) if view["open"] else None,
            view["feed"] != "water", panel_layout.compare_chips(view["chips"], lang), head)


@callback(*PANEL_OUTPUTS, Input(ids.AM_SELECTED, "data"), Input(ids.AM_CMP, "data"), Input(ids.AM_RANGE, "value"),
          Input(ids.AM_ITEM, "value"), Input(ids.AM_AT, "data"), Input(ids.AM_PANEL_TICK, "n_intervals"),
          Input(ids.AM_PANEL_POKE, "data"), State(ids.AM_META, "data"))
def analyst_panel(sel: Any, cmp: list[str] | None, range_key: str | None, item: str | None,
                  at: dict[str, Any] | None, _n: Any, _poke: Any, meta: dict[str, Any] | None) -> tuple[Any, ...]:
    """Thin wrapper around panel_response."""
    now = context.now_ms()
    return panel_response(context.get(), now, sel, cmp, range_key, item, replay.at_of(at, now),
                          (meta or {}).get("lang", "zh"), principal.current_scope())


@callback(Output(ids.AM_CMP, "data"), Output(ids.AM_CMP_MSG, "children"),
          Input(ids.AM_CMP_ADD, "n_clicks"), Input(ids.AM_CMP_CLEAR, "n_clicks"),
          Input(ids.cmp_remove(ALL), "n_clicks"), State(ids.AM_SELECTED, "data"), State(ids.AM_CMP, "data"),
          State(ids.AM_META, "data"), prevent_initial_call=True)
def analyst_compare(_add: Any, _clear: Any, removes: list[Any] | None, sel: Any, cmp: list[str] | None,
                    meta: dict[str, Any] | None) -> tuple[Any, Any]:
    """Add the selected entity (at most four, one feed), remove one, or clear; says why when it refuses."""
    lang = (meta or {}).get("lang", "zh")
    trig = ctx.triggered_id
    if trig == ids.AM_CMP_ADD:
        return analyst.add_compare(cmp or [], sel, lang)
    if trig == ids.AM_CMP_CLEAR:
        return [], ""
    if isinstance(trig, dict) and any(removes or []):
        return [k for k in cmp or [] if k != trig.get("key")], ""
    return no_update, no_update


@callback(Output(ids.AM_DOWNLOAD, "data"), Input(ids.AM_CSV, "n_clicks"), State(ids.AM_SELECTED, "data"),
          State(ids.AM_CMP, "data"), State(ids.AM_RANGE, "value"), State(ids.AM_AT, "data"),
          prevent_initial_call=True)
def analyst_csv(_n: Any, sel: Any, cmp: list[str] | None, range_key: str | None, at: dict[str, Any] | None) -> Any:
    """The shown entities' samples over the shown range, as a CSV download (other districts' entities: no rows)."""
    c, now, scope = context.get(), context.now_ms(), principal.current_scope()
    feed, ids_, _ = analyst.chart_entities(sel, cmp or [])
    if feed is None:
        return no_update
    since, until = analyst.window(range_key or "", now, replay.at_of(at, now))
    try:
        series, docs = analyst.scoped(feed, *history.read_panel(c.redis, feed, ids_, since, until,
                                                                [f"{feed}:{e}" for e in ids_]), scope)
    except UNAVAILABLE:
        return no_update
    return analyst.csv_download(sel, cmp or [], series, docs, c.city.get("timezone", "Asia/Shanghai"), now,
                                range_key or "")


@callback(Output(ids.AM_AT, "data"), Output(ids.AM_SLIDER, "value"),
          Input(ids.AM_SLIDER, "value"), Input(ids.AM_LIVE, "n_clicks"), prevent_initial_call=True)
def analyst_replay(value: Any, _live: Any) -> tuple[Any, Any]:
    """A slider position (minutes back) becomes the replayed minute; LIVE goes back to now."""
    if ctx.triggered_id == ids.AM_LIVE:
        return None, 0
    at = replay.at_from_slider(value, context.now_ms())
    tz = context.get().city.get("timezone", "Asia/Shanghai")
    return (None if at is None else {"ms": at, "q": replay.at_query(at, tz)}), no_update


@callback(Output(ids.AM_MODE, "children"), Output(ids.AM_MODE, "className"), Output(ids.AM_REPLAY_NOTE, "hidden"),
          Output(ids.AM_LIVE, "disabled"), Input(ids.AM_AT, "data"), State(ids.AM_META, "data"))
def analyst_mode(at: dict[str, Any] | None, meta: dict[str, Any] | None) -> tuple[Any, ...]:
    """LIVE, or REPLAY and the replayed minute in the city's time, in the page's language."""
    at_ms = replay.at_of(at, context.now_ms())
    text, cls = mode_badge(at_ms, context.get().city.get("timezone", "Asia/Shanghai"), (meta or {}).get("lang", "zh"))
    return text, cls, at_ms is None, at_ms is None


@callback(Output(ids.AM_SLIDER, "min"), Output(ids.AM_SLIDER, "marks"), Output(ids.AM_HISTORY_FROM, "children"),
          Input(ids.AM_META, "data"), State(ids.AM_SLIDER, "value"))
def analyst_slider(meta: dict[str, Any] | None, value: Any) -> tuple[Any, ...]:
    """Once per page: the slider reaches back to the oldest sample kept (at most 7 days), with readable marks."""
    c, now = context.get(), context.now_ms()
    lang = (meta or {}).get("lang", "zh")
    summary = c.summary(now, principal.current_scope()) or {}
    wanted = {"air": list(summary.get("air", {}).get("stations", {})),
              "water": list(summary.get("water", {}).get("sections", {}))}
    try:
        first = history.oldest(c.redis, wanted, now)
    except UNAVAILABLE:
        first = None
    return replay.slider_bounds(first, now, lang, c.city.get("timezone", "Asia/Shanghai"), value)


clientside_callback(
    "function(d, m, meta) { return window.onescreen.onemap.setFilter('am', d, m, meta); }",
    Output(ids.AM_FILTER_SYNC, "data"), Input(ids.AM_DISTRICT, "value"), Input(ids.AM_MINLEVEL, "value"),
    State(ids.AM_META, "data"),
)

clientside_callback(
    "function(sel, cmp) { return window.onescreen.onemap.setSelection('am', sel, cmp); }",
    Output(ids.AM_SEL_SYNC, "data"), Input(ids.AM_SELECTED, "data"), Input(ids.AM_CMP, "data"),
)

clientside_callback(
    "function(s, c, r, i, d, m, a, p) { return window.onescreen.onemap.syncState(s, c, r, i, d, m, a, p); }",
    Output(ids.AM_STATE_SYNC, "data"), Input(ids.AM_SELECTED, "data"), Input(ids.AM_CMP, "data"),
    Input(ids.AM_RANGE, "value"), Input(ids.AM_ITEM, "value"), Input(ids.AM_DISTRICT, "value"),
    Input(ids.AM_MINLEVEL, "value"), Input(ids.AM_AT, "data"), Input(ids.AM_PANEL_OPEN, "data"),
)

clientside_callback(
    "function(n, open, meta) { return window.onescreen.onemap.togglePanel(n, open, meta); }",
    Output(ids.AM_PANEL_OPEN, "data"), Output(ids.AM_BODY, "className"), Output(ids.AM_PANEL_TOGGLE, "children"),
    Input(ids.AM_PANEL_TOGGLE, "n_clicks"), State(ids.AM_PANEL_OPEN, "data"), State(ids.AM_META, "data"),
)

clientside_callback(
    "function(n) { return n ? [null, []] : [window.dash_clientside.no_update, window.dash_clientside.no_update]; }",
    Output(ids.AM_SELECTED, "data"), Output(ids.AM_CMP, "data", allow_duplicate=True),
    Input(ids.AM_PANEL_CLOSE, "n_clicks"), prevent_initial_call=True,
)

clientside_callback(
    "function(v, value, meta) { return window.onescreen.onemap.sliderLabel(v, value, meta); }",
    Output(ids.AM_SLIDER_LABEL, "children"), Input(ids.AM_SLIDER, "drag_value"), Input(ids.AM_SLIDER, "value"),
    State(ids.AM_META, "data"),
)
