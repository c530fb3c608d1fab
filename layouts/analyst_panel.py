"""The analyst's parts of the one map: district and level filters, the side panel (details, history, compare, CSV)
and the replay bar. Every initial value comes from the URL (layouts.analyst.parse_view)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from core.i18n import t
from indicators import aqi_cn, traffic, water
from layouts import ids
from views import history as hist
from views import replay
from views.analyst import parse_selection

PANEL_REFRESH_MS = 30_000  # the chart gains one sample a minute: a refresh every 30 s is plenty


def level_options(lang: str) -> list[dict[str, Any]]:
    """'All levels', then '>= n' with what n means for each layer (AQI level, congestion level, water class)."""
    opts: list[dict[str, Any]] = [{"label": t("am_minlevel_all", lang), "value": 0}]
    for n in range(2, 7):
        aqi = aqi_cn.LEVELS[n - 1][lang]
        tpi = traffic.LEVELS[n - 1][lang] if n <= len(traffic.LEVELS) else "—"
        wc = water.CLASSES[n - 1]
        opts.append({"label": t("am_minlevel_n", lang, n=n, aqi=aqi), "value": n,
                     "title": t("am_minlevel_full", lang, n=n, aqi=aqi, tpi=tpi,
                                water=wc["name_zh"] if lang == "zh" else wc["klass"])})
    return opts


def filters(lang: str, view: dict[str, Any], districts: dict[str, dict[str, Any]]) -> list[Any]:
    """District and minimum-level dropdowns for the header."""
    return [
        html.Label([t("am_district", lang), dcc.Dropdown(
            id=ids.AM_DISTRICT, value=view.get("district") or "all", clearable=False, searchable=False,
            options=[{"label": t("am_district_all", lang), "value": "all"}]
            + [{"label": d[lang], "value": code} for code, d in districts.items()])], className="ctl"),
        html.Label([t("am_minlevel", lang), dcc.Dropdown(
            id=ids.AM_MINLEVEL, value=view.get("minlevel") or 0, clearable=False, searchable=False,
            options=level_options(lang))], className="ctl ctl-level", title=t("am_minlevel_hint", lang)),
    ]


def mode_badge(at_ms: int | None, tz: str, lang: str, stale: bool = False) -> tuple[str, str]:
    """(text, class) of the header's LIVE / STALE / REPLAY badge (STALE: live, but a layer's feed is stale)."""
    if at_ms is None:
        return (t("stale", lang), "am-mode am-stale") if stale else (t("am_live", lang), "am-mode am-live")
    return t("am_replay", lang, at=replay.at_label(at_ms, tz, lang)), "am-mode am-replay"


def replay_bar(lang: str, view: dict[str, Any], now_ms: int) -> html.Div:
    """Replay: a slider of minutes back (its start is set from the available history on load) and a LIVE button."""
    at = view.get("at")
    value = replay.slider_value(at, now_ms)
    return html.Div(className="am-replay-bar", children=[
        html.Span(t("am_replay_title", lang), className="am-replay-title", title=t("am_replay_hint", lang)),
        html.Button(t("am_back_live", lang), id=ids.AM_LIVE, className="btn am-live-btn", disabled=at is None),
        html.Div(dcc.Slider(id=ids.AM_SLIDER, min=min(-60, value), max=0, step=1, value=value, updatemode="mouseup",
                            marks={0: t("am_now", lang)}, included=False, allow_direct_input=False),
                 className="am-slider",
                 title=t("am_replay_hint", lang)),
        html.Span("", id=ids.AM_SLIDER_LABEL, className="am-slider-label"),
        html.Span("", id=ids.AM_HISTORY_FROM, className="am-history-from"),
        html.Span(t("am_replay_live_note", lang), id=ids.AM_REPLAY_NOTE, className="am-replay-note",
                  hidden=at is None),
    ])


def chart(figure: dict[str, Any]) -> dcc.Graph:
    """The history chart (a plain-dict figure)."""
    return dcc.Graph(id=ids.AM_CHART, className="am-chart", figure=figure,
                     style={"height": "clamp(15rem, 36vh, 30rem)"},
                     config={"displayModeBar": False, "responsive": True})


def side_panel(lang: str, view: dict[str, Any]) -> html.Aside:
    """Details and history of the selected entity, compare, CSV; opened by a click on the map (or `sel=` in the URL)."""
    is_open = bool(parse_selection(view.get("sel")) or view.get("cmp"))
    return html.Aside(id=ids.AM_PANEL, className="am-panel" + (" open" if is_open else "")
                      + ("" if view.get("panel", True) else " collapsed"), children=[
        html.Div(className="am-panel-head", children=[
            html.Button("›", id=ids.AM_PANEL_TOGGLE, className="am-icon-btn", title=t("am_collapse", lang),
                        **{"aria-label": t("am_collapse", lang), "data-expand": t("am_expand", lang),
                           "data-collapse": t("am_collapse", lang)}),
            html.H2("", id=ids.AM_PANEL_TITLE, className="am-panel-title"),
            html.Button("×", id=ids.AM_PANEL_CLOSE, className="am-icon-btn", title=t("am_close", lang),
                        **{"aria-label": t("am_close", lang)}),
        ]),
        html.Div(className="am-panel-body", children=[
            html.Div(id=ids.AM_PANEL_NOTE, className="am-panel-note"),
            html.Div(className="am-chart-controls", children=[
                dcc.RadioItems(id=ids.AM_RANGE, value=view.get("range", hist.DEFAULT_RANGE), inline=True,
                               className="am-range",
                               options=[{"label": t(f"am_range_{k}", lang), "value": k} for k in hist.RANGES]),
                html.Label([t("am_item", lang), dcc.Dropdown(
                    id=ids.AM_ITEM, value=view.get("item", hist.DEFAULT_ITEM), clearable=False, searchable=False,
                    options=[{"label": hist.ITEM_NAMES[k], "value": k} for k in hist.WATER_ITEMS])],
                    id=ids.AM_ITEM_WRAP, className="ctl am-item", hidden=True),
            ]),
            # the chart is created when there is something to chart: plotly.js (a ~1 s parse) loads only then
            html.Div(id=ids.AM_CHART_WRAP, className="am-chart-wrap"),
            html.Div(className="am-cmp-row", children=[
                html.Button(t("am_cmp_add", lang), id=ids.AM_CMP_ADD, className="btn"),
                html.Button(t("am_cmp_clear", lang), id=ids.AM_CMP_CLEAR, className="btn"),
                html.Button(t("am_csv", lang), id=ids.AM_CSV, className="btn", title=t("am_csv_hint", lang)),
            ]),
            html.Div("", id=ids.AM_CMP_MSG, className="am-cmp-msg", role="status"),
            html.Div(id=ids.AM_CMP_CHIPS, className="am-chips"),
            html.Table(id=ids.AM_PANEL_ROWS, className="am-rows"),
            dcc.Download(id=ids.AM_DOWNLOAD),
        ]),
    ])


def stores(view: dict[str, Any], tz: str) -> list[Any]:
    """The analyst state the callbacks and the URL sync share."""
    at = view.get("at")
    return [
        dcc.Store(id=ids.AM_SELECTED, data=parse_selection(view.get("sel"))),
        dcc.Store(id=ids.AM_CMP, data=list(view.get("cmp") or [])),
        dcc.Store(id=ids.AM_AT, data=None if at is None else {"ms": at, "q": replay.at_query(at, tz)}),
        dcc.Store(id=ids.AM_PANEL_OPEN, data=bool(view.get("panel", True))),
        dcc.Store(id=ids.AM_PANEL_POKE), dcc.Store(id=ids.AM_PANEL_HEAD), dcc.Store(id=ids.AM_PANEL_HEAD_SHOWN),
        dcc.Store(id=ids.AM_STATE_SYNC),
        dcc.Store(id=ids.AM_FILTER_SYNC),
        dcc.Store(id=ids.AM_SEL_SYNC),
        dcc.Interval(id=ids.AM_PANEL_TICK, interval=PANEL_REFRESH_MS),
    ]


def case_timeline(steps: list[dict[str, Any]], lang: str, console_href: str) -> html.Div:
    """A loop case's steps, oldest first, each with the photos taken at it (each opens whole in a new tab), and the
    way to the case console. Every text came from outside and stays text (Dash renders it so)."""
    items = [html.Li(className="ct-step", children=[
        html.Div([html.Span(s["at"], className="ct-at"), " ", html.Strong(s["action"]), " · ", s["by"]],
                 className="ct-head"),
        html.Div(s["comment"], className="ct-comment") if s["comment"] else None,
        html.Div(className="ct-photos", children=[
            html.A(html.Img(src=p["url"], alt=p["alt"], className="ct-photo"), href=p["url"], target="_blank",
                   rel="noopener noreferrer", title=p["alt"]) for p in s["shots"]]) if s["shots"] else None,
    ]) for s in steps]
    return html.Div(className="case-timeline", children=[
        html.H3(t("cs_trail", lang), className="ct-title"), html.Ol(items, className="ct-steps"),
        html.A(t("cs_open_console", lang), href=console_href, className="btn ct-open"),
    ])


def rows(pairs: list[tuple[str, str]]) -> list[html.Tr]:
    """The selected entity's details as label / value rows."""
    return [html.Tr([html.Th(k), html.Td(v)]) for k, v in pairs]


def compare_chips(chips: list[dict[str, Any]], lang: str) -> list[html.Span]:
    """One chip per compared entity, each with its remove button."""
    return [html.Span([chip["name"], html.Button("×", id=ids.cmp_remove(chip["key"]), className="am-chip-x",
                                                 title=t("am_cmp_remove", lang))], className="am-chip")
            for chip in chips]


def notes(lines: list[str], is_open: bool, lang: str) -> Any:
    """The panel's notes, or the hint to pick an entity when nothing is selected."""
    return [html.Div(n) for n in lines] or ("" if is_open else t("am_pick", lang))
