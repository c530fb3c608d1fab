"""Leader overview: ONE server callback per tick (cached summary + small memoized reads), values only.

The sort buttons flip a store in the browser; the rows arrive sorted as plain values and are drawn in the browser."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from dash import ALL, Input, Output, State, callback, clientside_callback, no_update

from alerts import actions as alerts_api
from auth import principal
from core import district_score
from core.geo import district_names
from core.i18n import norm_lang, t
from layouts import ids
from layouts import overview as layout
from store import context, kpi
from store import scope as scope_mod
from store.client import UNAVAILABLE
from store.writer import read_health
from views import map as map_view
from views import names as level_names
from views import overview as view
from views import wall as wall_view

CARD_OUTPUTS = (("value", "children"), ("level", "children"), ("level", "style"), ("change", "children"),
                ("change", "className"), ("sub", "children"), ("age", "children"), ("card", "className"))
CARD_KEYS = ("value", "level", "level_style", "change", "change_class", "sub", "age", "class")
OUTPUTS = [Output(ids.ov_card(k, part), prop) for k in view.KPIS for part, prop in CARD_OUTPUTS] + [
    Output(ids.OV_CLOCK, "children"), Output(ids.OV_STATUS, "children"), Output(ids.OV_STATUS, "className"),
    Output(ids.OV_SIM_BADGE, "hidden"), Output(ids.OV_RANK_DATA, "data"), Output(ids.OV_SORT_NOTE, "children"),
    Output(ids.OV_ATTENTION, "children"), Output(ids.OV_ALERT_COUNTS, "children"),
    Output(ids.OV_UNACKED_TITLE, "children"),
    Output(ids.OV_UNACKED, "children"), Output(ids.OV_FEEDS, "children"), Output(ids.OV_LAST_OK, "data"),
]
SPARK_OUTPUTS = [Output(ids.ov_card(k, "spark"), "src") for k in view.KPIS] + [Output(ids.OV_SPARK_KEY, "data")]
_fired: dict[str, Any] = {"day": None, "since": 0, "levels": {}, "where": {}}
_fired_lock = threading.Lock()


def fired_today(ctx: context.Context, now_ms: int, tz: str, scope: str | None = None) -> dict[str, str]:
    """Alert id -> most severe level fired today (city time), folding in only the log entries new since last time;
    for a district scope, only the alerts that district may see."""
    day = view.day_start_ms(now_ms, tz)
    with _fired_lock:
        if _fired["day"] != day:
            _fired.update(day=day, since=day, levels={}, where={})
        since, levels, where = _fired["since"], dict(_fired["levels"]), dict(_fired["where"])
    while True:
        batch = alerts_api.log(ctx.redis, since, limit=1000)
        view.fold_fired(levels, batch, day)
        where.update({str(e.get("alert")): {"scope": e.get("scope"), "district": e.get("district")}
                      for e in batch if e.get("alert")})
        last = int(str(batch[-1]["log_id"]).split("-")[0]) if batch else since
        if len(batch) < 1000 or last == since:
            break
        since = last
    with _fired_lock:
        if _fired["day"] == day:
            _fired.update(since=last, levels=levels, where=where)
    if scope is None:
        return levels
    return {aid: lvl for aid, lvl in levels.items() if scope_mod.alert_visible(where.get(aid, {}), scope)}


def kpi_series(ctx: context.Context, now_ms: int, scope: str | None = None) -> dict[str, list[tuple[int, float]]]:
    """The six KPIs' last 24.5 h (sparklines and yesterday's value), one pipeline, read once a minute per process.

    The KPI history is the city's: a district scope gets no series (no sparkline, no change vs yesterday)."""
    if scope is not None:
        return {}
    return ctx.memo("overview-kpi", now_ms // kpi.MINUTE_MS,
                    lambda: kpi.series(ctx.redis, view.KPIS, now_ms - view.DAY_MS - view.WINDOW_MS))


def scores_hour_ago(ctx: context.Context, now_ms: int, adcodes: list[str]) -> dict[str, float]:
    """adcode -> the district's attention score recorded nearest to an hour ago (within 5 minutes), where there is
    one (the feed runner records them once a minute: core/district_score.py)."""
    target = now_ms - 3_600_000
    names = [district_score.KPI_PREFIX + ad for ad in adcodes]
    series = kpi.series(ctx.redis, names, target - 300_000, target + 300_000)
    out = {}
    for ad, name in zip(adcodes, names, strict=True):
        pts = series.get(name) or []
        if pts:
            out[ad] = min(pts, key=lambda p: abs(p[0] - target))[1]
    return out


def feed_health(now_ms: int) -> dict[str, dict[str, Any]] | None:
    """Every feed's health hash, read once per tick per process; None while the store is unreachable."""
    ctx = context.get()
    feeds = (*ctx.feeds, "forward")  # and the Open311 forwarding outbox's, when it runs
    try:
        return ctx.memo("feed_health", ctx.tick_of(now_ms), lambda: read_health(ctx.redis, feeds))
    except UNAVAILABLE:
        return None


def view_model(ctx: context.Context, now: int, lang: str, scope: str | None = None) -> dict[str, Any] | None:
    """Everything of one tick for one language except the ranking's order; None while the store is unreachable."""
    summary = ctx.summary(now, scope)
    if summary is None:
        return None
    tick, tz = ctx.tick_of(now), ctx.city.get("timezone", "Asia/Shanghai")
    try:
        series = kpi_series(ctx, now, scope)
        fired = ctx.memo(scope_mod.key("overview-fired", scope), tick, lambda: fired_today(ctx, now, tz, scope))
    except UNAVAILABLE:
        return None
    names = level_names.for_lang(lang)
    date, clock = wall_view.clock(now, tz, lang)
    status, status_cls = view.header_status(summary, lang)
    rows = view.district_rows(summary, map_view.district_values(summary),
                              scope_mod.names(district_names(ctx.city["geo"]["districts"]), scope), lang, names)
    try:
        before = ctx.memo(scope_mod.key("overview-scores-1h", scope), now // kpi.MINUTE_MS,
                          lambda: scores_hour_ago(ctx, now, [r["adcode"] for r in rows]))
    except UNAVAILABLE:
        before = {}
    al = view.alert_panel(summary.get("alerts", {}), fired, lang, tz, now)
    try:
        firsts = {} if scope is not None else ctx.memo("overview-kpi-firsts", now // kpi.MINUTE_MS,
                                                       lambda: kpi.firsts(ctx.redis, view.KPIS))
    except UNAVAILABLE:
        firsts = {}
    cards = view.cards(summary, series, now, lang, names, tz, firsts)
    return {"head": [cards[k][key] for k in view.KPIS for key in CARD_KEYS] + [
                f"{date} {clock}", status, status_cls, not wall_view.simulated(summary)],
            "rows": rows,
            "tail": [layout.attention_items(view.attention(rows, before, lang), lang),
                     layout.alert_counts(al["chips"], lang), al["title"], layout.unacked(al["items"], al["more"], lang),
                     layout.status_table(summary, lang, feed_health(now), now, reasons=scope is None, tz=tz)]}


def overview_response(ctx: context.Context, now: int, lang: str, sort: Mapping[str, Any],
                      scope: str | None = None) -> tuple[Any, ...]:
    """Every output but the sparklines, in OUTPUTS order; a store outage keeps the values and says so."""
    tick = ctx.tick_of(now)
    vm = ctx.memo(scope_mod.key(f"overview:{lang}", scope), tick, lambda: view_model(ctx, now, lang, scope))
    if vm is None:
        n = len(view.KPIS) * len(CARD_OUTPUTS)
        return (*[no_update] * n, no_update, t("store_down", lang), "ov-status status-down", no_update, no_update,
                no_update, no_update, no_update, no_update, no_update, no_update, {"t": now, "store": False})
    col = str(sort.get("col")) if sort.get("col") in view.SORT_COLS else view.DEFAULT_SORT["col"]
    desc = bool(sort.get("desc"))
    rows = ctx.memo(scope_mod.key(f"overview-rows:{lang}:{col}:{desc}", scope), tick,
                    lambda: view.rank_payload(view.sort_rows(vm["rows"], col, desc)))
    return (*vm["head"], rows, view.sort_note(col, desc, lang), *vm["tail"], {"t": now, "store": True})


def spark_response(ctx: context.Context, now: int, sent: Any, scope: str | None = None) -> tuple[Any, ...]:
    """The sparklines once a minute (they change only when a KPI sample lands), else nothing at all."""
    minute = now // kpi.MINUTE_MS
    if sent == minute:
        return tuple([no_update] * len(SPARK_OUTPUTS))
    try:
        srcs = ctx.memo(scope_mod.key("overview-sparks", scope), minute,
                        lambda: view.sparks(kpi_series(ctx, now, scope), now))
    except UNAVAILABLE:
        return tuple([no_update] * len(SPARK_OUTPUTS))
    return (*[srcs[k] for k in view.KPIS], minute)


@callback(*OUTPUTS, *SPARK_OUTPUTS, Input(ids.OV_TICK, "n_intervals"), Input(ids.OV_SORT, "data"),
          State(ids.OV_LANG, "data"), State(ids.OV_SPARK_KEY, "data"))
def overview_tick(_n: int | None, sort: dict[str, Any] | None, lang: str | None, sent: Any) -> tuple[Any, ...]:
    """Thin wrapper: one cached summary per tick, one view model per tick and language per process."""
    ctx, now, scope = context.get(), context.now_ms(), principal.current_scope()
    lang = norm_lang(lang, ctx.settings.lang or ctx.city.get("lang", "zh"))  # bounded: it keys the memo
    return (*overview_response(ctx, now, lang, sort or view.DEFAULT_SORT, scope),
            *spark_response(ctx, now, sent, scope))


clientside_callback(
    """function(_clicks, sort, ids) {
        var hit = window.dash_clientside.callback_context.triggered_id;
        var cur = sort || {col: "overdue", desc: true};
        var next = cur;
        if (hit && hit.col) { next = hit.col === cur.col ? {col: cur.col, desc: !cur.desc}
                                                         : {col: hit.col, desc: hit.col !== "name"}; }
        var cls = ids.map(function (i) {
            return i.col !== next.col ? "ov-sort" : "ov-sort ov-sorted " + (next.desc ? "ov-desc" : "ov-asc"); });
        return [next === cur ? window.dash_clientside.no_update : next, cls];
    }""",
    Output(ids.OV_SORT, "data"), Output(ids.ov_sort(ALL), "className"),
    Input(ids.ov_sort(ALL), "n_clicks"), State(ids.OV_SORT, "data"), State(ids.ov_sort(ALL), "id"),
    prevent_initial_call=True,
)

clientside_callback(
    """function(rows) {
        function el(type, props, children) {
            if (children !== undefined) { props.children = children; }
            return {type: type, namespace: "dash_html_components", props: props};
        }
        function chip(text, style) {
            return style && style.background ? el("Span", {className: "ov-chip", style: style}, text) : text;
        }
        return (rows || []).map(function (r) {
            function cell(col, content, first) {
                var link = {href: r.href, className: "ov-row-link"};
                if (!first) { link.tabIndex = "-1"; }
                var td = {className: "col-" + col};
                if (col === "score") { td.title = r.cause; }  // the main cause, on hover
                return el("Td", td, el("A", link, content));
            }
            var tpi = r.has_tpi ? [chip(r.tpi_text, r.tpi_style), el("Span", {className: "ov-level-name"}, r.tpi_level)]
                                : r.tpi_text;
            return el("Tr", {className: "ov-row", "data-adcode": r.adcode}, [
                cell("name", r.name, true), cell("score", chip(r.score_text, r.score_style)),
                cell("aqi", chip(r.aqi_text, r.aqi_style)), cell("tpi", tpi),
                cell("open", r.open_text), cell("overdue", r.overdue_text),
                cell("water", chip(r.water_text, r.water_style))]);
        });
    }""",
    Output(ids.OV_RANK_BODY, "children"), Input(ids.OV_RANK_DATA, "data"),
)

clientside_callback(
    """function(_n, last) {
        var c = window._ovConn = window._ovConn || {seen: null, at: Date.now()};
        if (!last || !last.t) { return Date.now() - c.at < 20000; }
        if (c.seen !== last.t) { c.seen = last.t; c.at = Date.now(); }
        return Boolean(last.store) && Date.now() - c.at < 20000;
    }""",
    Output(ids.OV_CONN, "hidden"), Input(ids.OV_CONN_WATCH, "n_intervals"), State(ids.OV_LAST_OK, "data"),
)
