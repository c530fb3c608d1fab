"""The alert console for laptops: a filterable list, one alert's details and history, acknowledge and silence."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from core.i18n import t
from core.levels import ALERT_COLORS, ALERT_LEVELS
from layouts import ids
from layouts.common import lang_switch, live_region, row_pick

COLUMNS = ("col_level", "col_state", "col_entity", "col_rule", "col_value", "col_since", "col_ack")


def layout(city_name: str, lang: str) -> html.Div:
    """The whole page; the list refreshes every few seconds."""
    return html.Div(className=f"console-root lang-{lang}", children=[
        html.Header(className="onemap-header", children=[
            html.Span(f"{city_name} · {t('console_title', lang)}", className="onemap-title"),
            lang_switch(lang),
            html.Div(className="onemap-controls", children=[
                dcc.RadioItems(id=ids.AC_STATE, value="active", inline=True, className="ctl ctl-check",
                               options=[{"label": t("show_active", lang), "value": "active"},
                                        {"label": t("show_all", lang), "value": "all"}]),
                dcc.Checklist(id=ids.AC_LEVELS, value=[], inline=True, className="ctl ctl-check",
                              options=[{"label": t(f"alert_{lv}", lang), "value": lv} for lv in ALERT_LEVELS]),
                dcc.Input(id=ids.AC_SEARCH, type="search", placeholder=t("search", lang), debounce=True,
                          className="ctl-input"),
            ]),  # who acknowledges or silences is the signed-in user (session), never a name typed or stored here
        ]),
        html.Main(className="console-body", children=[
            html.Section(html.Div(id=ids.AC_TABLE), className="console-list"),
            html.Section(className="console-detail", children=[
                html.Div(t("pick_alert", lang), id=ids.AC_DETAIL),
                html.Div(className="console-actions", children=[
                    dcc.Textarea(id=ids.AC_COMMENT, placeholder=t("comment", lang), maxLength=500),
                    html.Button(t("ack_button", lang), id=ids.AC_ACK, n_clicks=0, className="btn btn-ack",
                                disabled=True),
                    html.Div(className="silence-row", children=[
                        html.Div(dcc.Dropdown(id=ids.AC_SIL_HOURS, value=2, clearable=False, searchable=False,
                                              options=[{"label": t("n_hours", lang, n=h), "value": h}
                                                       for h in (1, 2, 4, 8, 24, 72)], className="sil-hours"),
                                 title=t("silence_hours", lang)),
                        dcc.Input(id=ids.AC_SIL_REASON, type="text", placeholder=t("silence_reason", lang),
                                  maxLength=200, className="ctl-input"),
                        html.Button(t("silence_button", lang), id=ids.AC_SILENCE, n_clicks=0, className="btn",
                                    disabled=True),
                    ]),
                    html.Div(id=ids.AC_MSG, className="console-msg"),
                ]),
                html.H3(t("history", lang)),
                html.Div(id=ids.AC_HISTORY, className="console-history"),
            ]),
        ]),
        dcc.Store(id=ids.AC_SELECTED),
        dcc.Store(id=ids.AC_REFRESH, data=0),
        dcc.Store(id=ids.AC_SEEN),
        live_region(ids.AC_LIVE),
        dcc.Store(id="ac-lang", data=lang),
        dcc.Interval(id=ids.AC_TICK, interval=3000),
    ])


def note(text: str) -> html.P:
    """A one-line message where the list would be (store down, nothing to show)."""
    return html.P(text)


def table(rows: list[dict[str, Any]], selected: str | None, lang: str) -> html.Table:
    """The alert list; a row is clickable and the selected one is highlighted."""
    head = html.Thead(html.Tr([html.Th(t(c, lang)) for c in COLUMNS]))
    body = [html.Tr(id=ids.alert_row(r["id"]), n_clicks=0, className="sel" if r["id"] == selected else "",
                    children=[html.Td(html.Span(r["level_text"], className="lvl", style={"--lvl": r["color"]})),
                              html.Td(r["state"]),
                              html.Td(row_pick(r["entity"], r["id"] == selected)), html.Td(r["rule"]),
                              html.Td(r["value"]),
                              html.Td(r["since"]), html.Td(r["ack"])]) for r in rows]
    return html.Table([head, html.Tbody(body)], className="console-table")


HISTORY_COLUMNS = ("col_at", "col_event", "col_entity", "col_value_only", "col_by", "col_comment")


def history_table(lines: list[dict[str, Any]], lang: str) -> html.Table:
    """One alert's (or everyone's) recent history, newest first, under its column names."""
    head = html.Thead(html.Tr([html.Th(t(c, lang)) for c in HISTORY_COLUMNS]))
    return html.Table([head, html.Tbody([html.Tr([html.Td(x["at"], className="nowrap"),
                                                  html.Td(x["event"], className="nowrap"), html.Td(x["entity"]),
                                                  html.Td(x["value"], className="nowrap"), html.Td(x["by"]),
                                                  html.Td(x["comment"])]) for x in lines])],
                      className="console-table history")


def detail_card(row: dict[str, Any], level: str | None, comment: str | None) -> html.Div:
    """The selected alert's fields, edged in its level's colour."""
    return html.Div(className="detail-card", style={"--lvl": ALERT_COLORS.get(level or "", "#7f8ea6")},
                    children=[html.Div(f"{row['level_text']} · {row['state']}", className="detail-level"),
                              html.Div(row["entity"], className="detail-entity"), html.Div(row["rule"]),
                              html.Div(f"{row['value']} · {row['since']}"), html.Div(row["ack"]),
                              html.Div(comment or "", className="detail-comment")])
