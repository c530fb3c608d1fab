"""The alert console for laptops: a filterable list, one alert's details and history, acknowledge and silence."""

from __future__ import annotations

from dash import dcc, html

from core.i18n import t
from layouts import ids
from layouts.common import lang_switch
from views.wall_alerts import LEVELS


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
                              options=[{"label": t(f"alert_{lv}", lang), "value": lv} for lv in LEVELS]),
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
                    html.Button(t("ack_button", lang), id=ids.AC_ACK, n_clicks=0, className="btn btn-ack"),
                    html.Div(className="silence-row", children=[
                        dcc.Dropdown(id=ids.AC_SIL_HOURS, value=2, clearable=False, searchable=False,
                                     options=[{"label": str(h), "value": h} for h in (1, 2, 4, 8, 24, 72)],
                                     className="sil-hours"),
                        dcc.Input(id=ids.AC_SIL_REASON, type="text", placeholder=t("silence_reason", lang),
                                  maxLength=200, className="ctl-input"),
                        html.Button(t("silence_button", lang), id=ids.AC_SILENCE, n_clicks=0, className="btn"),
                    ]),
                    html.Div(id=ids.AC_MSG, className="console-msg"),
                ]),
                html.H3(t("history", lang)),
                html.Div(id=ids.AC_HISTORY, className="console-history"),
            ]),
        ]),
        dcc.Store(id=ids.AC_SELECTED),
        dcc.Store(id=ids.AC_REFRESH, data=0),
        dcc.Store(id="ac-lang", data=lang),
        dcc.Interval(id=ids.AC_TICK, interval=3000),
    ])
