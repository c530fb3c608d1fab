"""The leader overview (start page, laptops and tablets): indicator cards, today's alerts, the district ranking.

The skeleton is static; one server callback per tick fills it with values built by views/overview.py. The ranking's
rows travel as plain values and are drawn in the browser; each cell is a plain link to the one map filtered to the
district, so the drill-down needs no callback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from core import levels
from core.i18n import FEED_NAMES, t
from layouts import cases as cases_layout
from layouts import ids
from layouts.common import lang_switch, may_open
from views.overview import DEFAULT_SORT, KPIS, SORT_COLS, sort_note
from views.wall import age_text

CARD_PARTS = ("value", "level", "change", "spark", "sub", "age")
HEALTH_COLS = ("feed", "source", "age", "last_ok", "errors", "latency", "error", "rejected")


def card(kpi: str, lang: str) -> html.Div:
    """One indicator card: title and data age, value with its level, change against yesterday, sparkline, a line."""
    return html.Div(id=ids.ov_card(kpi), className="ov-card ov-none", children=[
        html.Div([html.Span(t(f"ov_card_{kpi}", lang), className="ov-card-title"),
                  html.Span(t("no_data", lang), id=ids.ov_card(kpi, "age"), className="ov-card-age")],
                 className="ov-card-head"),
        html.Div([html.Span("—", id=ids.ov_card(kpi, "value"), className="ov-card-value"),
                  html.Span("", id=ids.ov_card(kpi, "level"), className="ov-card-level", style={"display": "none"})],
                 className="ov-card-main"),
        html.Div("", id=ids.ov_card(kpi, "change"), className="ov-change ch-none"),
        html.Img(id=ids.ov_card(kpi, "spark"), className="ov-spark", alt=""),
        html.Div("", id=ids.ov_card(kpi, "sub"), className="ov-card-sub"),
    ])


def header(city_name: str, lang: str) -> html.Header:
    """City and title, simulated-data badge, data status, links to the other views, clock, language switch."""
    return html.Header(className="ov-header", children=[
        html.Div([html.Span(city_name, className="ov-city"), html.Span(t("ov_title", lang), className="ov-title")],
                 className="ov-brand"),
        html.Span(t("simulated", lang), id=ids.OV_SIM_BADGE, className="sim-badge", hidden=True),
        html.Span("", id=ids.OV_STATUS, className="ov-status"),
        html.Nav(className="ov-nav", children=[
            *(html.A(t(key, lang), href=f"{path}?lang={lang}") for key, path in
              (("wall_title", "/wall"), ("onemap_title", "/analyst"), ("console_title", "/alerts"),
               ("cases_title", "/cases")) if may_open(path)),
            html.A(t("feeds", lang), href=f"#{ids.OV_FEEDS_SECTION}"),
        ]),
        html.Span("", id=ids.OV_CLOCK, className="ov-clock"),
        lang_switch(lang),
    ])


def ranking(lang: str) -> html.Section:
    """The district table: static sortable headers, rows filled per tick."""
    heads = [html.Th(html.Button([t(f"ov_col_{col}", lang), html.Span(className="ov-arrow")], id=ids.ov_sort(col),
                                 n_clicks=0, className=sort_class(col, DEFAULT_SORT)),
                     className=f"col-{col}") for col in SORT_COLS]
    return html.Section(className="ov-panel ov-rank", children=[
        html.Div([html.H2(t("ov_rank_title", lang)),
                  html.Span(sort_note(DEFAULT_SORT["col"], DEFAULT_SORT["desc"], lang), id=ids.OV_SORT_NOTE,
                            className="ov-note")], className="ov-panel-head"),
        html.Div(className="ov-table-wrap", children=html.Table(className="ov-table", children=[
            html.Thead(html.Tr(heads)), html.Tbody(id=ids.OV_RANK_BODY)])),
        dcc.Store(id=ids.OV_RANK_DATA),
        html.Div(t("ov_rank_hint", lang), className="ov-hint"),
    ])


def sort_class(col: str, sort: Mapping[str, Any]) -> str:
    """Header button class: which column the table is sorted by, and which way."""
    if sort.get("col") != col:
        return "ov-sort"
    return "ov-sort ov-sorted " + ("ov-desc" if sort.get("desc") else "ov-asc")


def attention_panel(lang: str) -> html.Section:
    """The districts that need attention first (core/district_score.py): score, main cause, change over the hour."""
    return html.Section(className="ov-panel ov-attention", children=[
        html.Div([html.H2(t("ov_attention_title", lang))], className="ov-panel-head"),
        html.Ol(id=ids.OV_ATTENTION, className="ov-att-list"),
        html.Div(t("ov_attention_hint", lang), className="ov-hint"),
    ])


def attention_items(items: Sequence[Mapping[str, Any]] | None, lang: str) -> list[html.Li]:
    """One line per district: its score (in its band's colour), name, main cause and change, linking to the one map
    outlining the district; None (no figures at all yet) says so."""
    if items is None:
        return [html.Li(t("ov_attention_nodata", lang), className="ov-empty")]
    if not items:
        return [html.Li(t("ov_attention_none", lang), className="ov-empty")]
    return [html.Li(html.A([html.Span(i["score_text"], className="ov-chip ov-att-score", style=i["score_style"]),
                            html.Span(i["name"], className="ov-att-name"),
                            html.Span(i["trend"], className=f"ov-att-trend {i['trend_class']}"),
                            html.Span(i["cause"], className="ov-att-cause")], href=i["href"]),
                    className="ov-att", **{"data-adcode": i["adcode"]}) for i in items]


def alerts_panel(lang: str) -> html.Section:
    """Today's alerts by level, and the ones still waiting for acknowledgement."""
    return html.Section(className="ov-panel ov-alerts", children=[
        html.Div([html.H2(t("ov_alerts_title", lang)),
                  *([html.A(t("ov_console_link", lang), href=f"/alerts?lang={lang}", className="ov-more")]
                    if may_open("/alerts") else [])],
                 className="ov-panel-head"),
        html.Div(id=ids.OV_ALERT_COUNTS, className="ov-alert-counts"),
        html.H3("", id=ids.OV_UNACKED_TITLE, className="ov-h3"),
        html.Ul(id=ids.OV_UNACKED, className="ov-unacked"),
    ])


def layout(city_name: str, lang: str, tick_ms: int) -> html.Div:
    """The whole overview page; the first screen holds cards, alerts and the top of the ranking."""
    return html.Div(className=f"ov-root lang-{lang}", children=[
        html.Div(className="ov-screen", children=[
            header(city_name, lang),
            html.Section([card(kpi, lang) for kpi in KPIS], className="ov-cards"),
            html.Div([ranking(lang), html.Div([attention_panel(lang), alerts_panel(lang)], className="ov-side")],
                     className="ov-lower"),
        ]),
        *([cases_layout.departments_panel(lang)] if may_open("/cases") else []),
        html.Section(id=ids.OV_FEEDS_SECTION, className="ov-panel ov-feeds", children=[
            html.H2(t("feeds", lang)), html.Div(id=ids.OV_FEEDS)]),
        html.Div(t("conn_lost", lang), id=ids.OV_CONN, className="ov-conn", hidden=True),
        dcc.Store(id=ids.OV_LANG, data=lang),
        dcc.Store(id=ids.OV_SORT, data=dict(DEFAULT_SORT)),
        dcc.Store(id=ids.OV_SPARK_KEY, data=None),
        dcc.Store(id=ids.OV_LAST_OK, data=None),
        dcc.Interval(id=ids.OV_TICK, interval=max(tick_ms, 5000)),
        dcc.Interval(id=ids.OV_CONN_WATCH, interval=1000),
    ])


def alert_counts(chips: Sequence[Mapping[str, Any]], lang: str) -> list[html.Div]:
    """One box per level: active now (big) and fired today (small); zero boxes dim but stay, so nothing jumps."""
    return [html.Div([html.Span(c["label"], className="ov-lvl-name"), html.B(str(c["active"])),
                      html.Span(t("ov_today", lang, n=c["today"]), className="ov-lvl-today")],
                     className="ov-lvl" + ("" if c["active"] or c["today"] else " ov-zero"),
                     style={"--lvl": c["color"]}) for c in chips]


def unacked(items: Sequence[Mapping[str, Any]], more: str, lang: str) -> list[html.Li]:
    """The unacknowledged alerts (level, entity, rule and value, since), each linking to the console."""
    if not items:
        return [html.Li(t("ov_no_unacked", lang), className="ov-empty")]
    out = [html.Li(html.A([html.Span(i["label"], className="ov-item-lvl", style=levels.chip(i["color"])),
                           html.Span(i["entity"], className="ov-item-ent"),
                           html.Span(" · ".join(x for x in (i["rule"], i["value"]) if x), className="ov-item-rule"),
                           html.Span(i["since"], className="ov-item-since")], href=f"/alerts?lang={lang}"),
                   className="ov-item", style={"--lvl": i["color"]}) for i in items]
    if more:
        out.append(html.Li(html.A(more, href=f"/alerts?lang={lang}"), className="ov-empty"))
    return out


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def health_cells(health: Mapping[str, Any] | None, now_ms: int, lang: str, reasons: bool = True) -> list[Any]:
    """Last success (age), consecutive errors, last latency and last error of one feed's source."""
    h = health or {}
    ok = _num(h.get("last_ok_ms"))
    last_ok = age_text({"age_s": max(0.0, (now_ms - ok) / 1000), "state": "ok"}, lang) if ok else "—"
    errors = int(_num(h.get("consecutive_errors")) or 0)
    latency = _num(h.get("last_latency_ms"))
    error = str(h.get("last_error") or "")
    return [html.Td(last_ok), html.Td(str(errors), className="feed-errors" if errors else None),
            html.Td("—" if latency is None else f"{latency:,.0f} ms"),
            html.Td(error[:80] + ("…" if len(error) > 80 else "") or "—", title=error or None),
            rejected_cell(h, lang, reasons)]


def rejected_cell(h: Mapping[str, Any], lang: str, reasons: bool = True) -> Any:
    """Records refused, values dropped and readings flagged (pipeline), with the last reasons on hover.

    The reasons name entities (a case id, a station), so a district-scoped caller sees the counts only.
    """
    records, values, flags = (int(_num(h.get(k)) or 0) for k in ("rejected", "rejected_values", "flagged"))
    if not (records or values or flags):
        return html.Td("—")
    text = t("ov_rejected_counts", lang, records=f"{records:,}", values=f"{values:,}", flags=f"{flags:,}")
    last = [str(h[k]) for k in ("last_rejected", "last_flag") if h.get(k)] if reasons else []
    return html.Td([html.Span(text), html.Br(), html.Small("; ".join(last)[:120])] if last else text,
                   title="\n".join(last) or None, className="feed-rejected")


def status_table(summary: Mapping[str, Any] | None, lang: str, health: Mapping[str, Mapping[str, Any]] | None = None,
                 now_ms: int = 0, reasons: bool = True, tz: str = "Asia/Shanghai") -> Any:
    """One row per feed: name, source, data age (a stale feed's as of its newest data), and the source's health when
    given."""
    if summary is None:
        return html.P(t("store_down", lang))
    cols = HEALTH_COLS if health is not None else HEALTH_COLS[:3]
    rows = []
    for f, s in summary["status"].items():
        cells = [html.Td(FEED_NAMES.get(f, {}).get(lang, f)), html.Td(s.get("source") or "—"),
                 html.Td(age_text(s, lang, tz))]
        if health is not None:
            cells += health_cells(health.get(f), now_ms, lang, reasons)
        rows.append(html.Tr(cells, className="feed-stale" if s.get("state") == "stale" else None))
    fwd = (health or {}).get("forward")
    if fwd:  # the Open311 forwarding outbox (data_sources/providers/open311_forward.py), when it runs
        queue = t("ov_forward_queue", lang, pending=int(_num(fwd.get("pending")) or 0),
                  dead=int(_num(fwd.get("dead")) or 0), sent=int(_num(fwd.get("sent")) or 0))
        cells = [html.Td(t("ov_forward", lang)), html.Td(str(fwd.get("source") or "—")), html.Td(queue),
                 *health_cells(fwd, now_ms, lang, reasons)[:-1], html.Td("—")]
        rows.append(html.Tr(cells[:len(cols)], className="feed-forward" + (" feed-stale" if _num(fwd.get("dead"))
                                                                            else "")))
    head = html.Thead(html.Tr([html.Th(t(f"ov_h_{c}", lang)) for c in cols]))
    return html.Table([head, html.Tbody(rows)], className="ov-feed-table")
