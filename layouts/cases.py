"""The case console (/cases, issue #15): the queue, one case with its trail and the actions the caller's role may
take at its step, and (for those who report) a report form. Laid out for a laptop and, one column, for a phone
(390 px): inspectors and handlers use it in the street."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from core.furniture_catalog import CATEGORIES, GROUPS
from core.i18n import t
from layouts import ids
from layouts.common import lang_switch, live_region, row_pick
from store.photos import MAX_BYTES  # the browser refuses a bigger photo before sending it
from views import cases as case_view

COLUMNS = ("cs_col_id", "cs_col_category", "cs_col_district", "cs_col_state", "cs_col_department", "cs_col_due")


DEPT_COLUMNS = ("cs_dcol_department", "cs_dcol_on_time", "cs_dcol_closed", "cs_dcol_rework", "cs_dcol_hours",
                "cs_dcol_open", "cs_dcol_overdue")


def departments_panel(lang: str) -> html.Section:
    """The overview's department ranking (综合评价), best first; each department opens its cases in the console."""
    return html.Section(className="ov-panel ov-depts", children=[
        html.Div([html.H2(t("cs_depts_title", lang)),
                  html.A(t("cases_title", lang), href=f"/cases?lang={lang}", className="ov-more")],
                 className="ov-panel-head"),
        html.Div(id=ids.CS_OV_DEPTS, className="ov-table-wrap"),
        html.H3(t("cs_late_title", lang), className="ov-h3"),
        html.Div(id=ids.CS_OV_LATE, className="ov-table-wrap"),
        html.Div(id=ids.CS_OV_MSG, className="console-msg", role="status"),
        dcc.Store(id=ids.CS_OV_BUMP, data=0),
        dcc.Interval(id=ids.CS_OV_TICK, interval=30_000),
    ])


def overdue_table(rows: list[dict[str, Any]], lang: str, may_press: bool) -> Any:
    """The longest overdue cases; each opens in the console, and one who may act presses it (督办) here."""
    if not rows:
        return html.P(t("cs_late_none", lang), className="ov-hint")
    body = [html.Tr([html.Td(html.A(r["id"], href=r["href"]), className="cs-id"), html.Td(r["category"]),
                     html.Td(r["district"]), html.Td(r["department"]), html.Td(r["late"], className="cs-late-n"),
                     html.Td(t("cs_pressed_n", lang, n=r["presses"]) if r["presses"] else ""),
                     html.Td(html.Button(t("cs_press", lang), id=ids.case_press(r["id"]), n_clicks=0,
                                         className="btn btn-ack", title=f"{t('cs_press', lang)} {r['id']}")
                             if may_press else "")]) for r in rows]
    return html.Table(html.Tbody(body), className="ov-table cs-late-table")


def departments_table(rows: list[dict[str, Any]], lang: str) -> Any:
    """The ranking's rows (views.cases.department_rows), or a note when there is nothing yet."""
    if not rows:
        return html.P(t("cs_depts_none", lang), className="ov-hint")
    head = html.Thead(html.Tr([html.Th(t(c, lang)) for c in DEPT_COLUMNS]))
    body = [html.Tr([html.Td(html.A(r["department"], href=r["href"])), html.Td(r["on_time"]),
                     html.Td(r["closed"]), html.Td(r["rework"]), html.Td(r["hours"]), html.Td(r["open"]),
                     html.Td(r["overdue"], className="cs-late-n" if r["late"] else "")]) for r in rows]
    return html.Table([head, html.Tbody(body)], className="ov-table cs-depts")


def layout(city_name: str, lang: str, may_report: bool, department: str | None = None,
           selected: str | None = None, component: dict[str, Any] | None = None) -> html.Div:
    """The whole page; the list refreshes every few seconds."""
    i = 0 if lang == "zh" else 1
    categories = [{"label": f"{c['code']} {GROUPS[c['group']][i]} · {c['zh']}", "value": c["code"]}
                  for c in CATEGORIES]
    part = component or {}
    report = html.Details(className="cs-report", open=bool(component), hidden=not may_report, children=[
        html.Summary(t("cs_report", lang)),
        *([html.P(t("cs_component", lang, id=part["id"]), className="cs-comp")] if component else []),
        dcc.Dropdown(id=ids.CS_R_CAT, options=categories, placeholder=t("cs_category", lang), className="cs-cat",
                     value=part.get("code"), disabled=bool(component)),
        html.Div(className="cs-pos", children=[
            dcc.Input(id=ids.CS_R_LON, type="number", placeholder=t("cs_lon", lang), className="ctl-input",
                      min=-180, max=180, step="any", value=part.get("lon")),
            dcc.Input(id=ids.CS_R_LAT, type="number", placeholder=t("cs_lat", lang), className="ctl-input",
                      min=-90, max=90, step="any", value=part.get("lat")),
            html.Button(t("cs_gps", lang), id=ids.CS_R_GPS, n_clicks=0, className="btn"),
        ]),
        dcc.Textarea(id=ids.CS_R_DESC, placeholder=t("cs_desc", lang), maxLength=2000),
        photo_input(ids.CS_R_PHOTO, ids.CS_R_PHOTO_NAME, lang),
        html.Button(t("cs_send", lang), id=ids.CS_R_SEND, n_clicks=0, className="btn btn-ack"),
        html.Div(id=ids.CS_R_MSG, className="console-msg", role="status"),
    ])
    return html.Div(className=f"console-root cases-root lang-{lang}", children=[
        html.Header(className="onemap-header", children=[
            html.Span(f"{city_name} · {t('cases_title', lang)}", className="onemap-title"),
            lang_switch(lang),
            html.Div(className="onemap-controls", children=[
                dcc.RadioItems(id=ids.CS_VIEW, value="open", inline=True, className="ctl ctl-check",
                               options=[{"label": t("cs_queue", lang), "value": "open"},
                                        {"label": t("cs_all", lang), "value": "all"}]),
                *([html.A(t("cs_filtered", lang, dept=department), href=f"/cases?lang={lang}",
                          className="cs-filter")] if department else []),
            ]),
        ]),
        html.Main(className="console-body", children=[
            html.Section(className="console-list", children=[report, html.Div(id=ids.CS_TABLE)]),
            html.Section(className="console-detail", children=[
                html.Div(t("cs_pick", lang), id=ids.CS_DETAIL),
                html.Div(className="console-actions cs-actions", children=[
                    dcc.Dropdown(id=ids.CS_ACTION, options=[], placeholder=t("cs_action", lang), searchable=False),
                    dcc.Input(id=ids.CS_DEPT, type="text", maxLength=64, className="ctl-input",
                              placeholder=t("cs_department", lang)),
                    dcc.Input(id=ids.CS_INTO, type="text", maxLength=64, className="ctl-input",
                              placeholder=t("cs_into", lang)),
                    dcc.Checklist(id=ids.CS_URGENT, value=[], className="ctl ctl-check",
                                  options=[{"label": t("cs_urgent", lang), "value": "urgent"}]),
                    dcc.Textarea(id=ids.CS_COMMENT, placeholder=t("cs_comment", lang), maxLength=2000),
                    photo_input(ids.CS_PHOTO, ids.CS_PHOTO_NAME, lang),
                    html.Button(t("cs_do", lang), id=ids.CS_DO, n_clicks=0, className="btn btn-ack"),
                    html.Div(id=ids.CS_MSG, className="console-msg", role="status"),
                ]),
                html.H3(t("cs_trail", lang)),
                html.Div(id=ids.CS_TRAIL, className="console-history"),
            ]),
        ]),
        dcc.Store(id=ids.CS_SELECTED, data=selected),
        dcc.Store(id=ids.CS_REFRESH, data=0),
        dcc.Store(id=ids.CS_R_DONE, data=0),
        dcc.Store(id=ids.CS_R_COMP, data=part.get("id")),
        dcc.Store(id=ids.CS_DEPT_FILTER, data=department),
        dcc.Store(id=ids.CS_LANG, data=lang),
        dcc.Store(id=ids.CS_SEEN),
        live_region(ids.CS_LIVE),
        dcc.Interval(id=ids.CS_TICK, interval=5000),
    ])


def photo_input(upload_id: str, name_id: str, lang: str) -> html.Div:
    """A photo to send with a report or an action: the phone's camera or a file, checked again on the server."""
    return html.Div(className="cs-photo-in", children=[
        dcc.Upload(id=upload_id, accept="image/jpeg,image/png,image/webp", max_size=MAX_BYTES, multiple=False,
                   className="btn cs-upload", children=html.Span(t("cs_photo_pick", lang))),
        html.Span(id=name_id, className="cs-photo-name", role="status"),
    ])


def note(text: str) -> html.P:
    """A one-line message where the list would be."""
    return html.P(text)


def table(rows: list[dict[str, Any]], selected: str | None, lang: str) -> html.Table:
    """The queue; a row is clickable, the selected one highlighted, an overdue one marked."""
    head = html.Thead(html.Tr([html.Th(t(c, lang)) for c in COLUMNS]))
    body = [html.Tr(id=ids.case_row(r["id"]), n_clicks=0,
                    className=" ".join(x for x in ("sel" if r["id"] == selected else "",
                                                   "cs-late" if r["overdue"] else "",
                                                   "cs-soon" if r.get("due_soon") else "") if x),
                    children=[html.Td(row_pick(r["id"], r["id"] == selected), className="cs-id"),
                              html.Td(r["category"]), html.Td(r["district"]),
                              html.Td(r["state"]), html.Td(r["department"]), html.Td(r["due"])]) for r in rows]
    return html.Table([head, html.Tbody(body)], className="console-table cs-table")


def card(row: dict[str, Any], lang: str, shots: list[dict[str, str]] | None = None) -> html.Div:
    """One case's fields and its photos (each opens whole in a new tab)."""
    fields = [(t("cs_col_id", lang), row["id"]), *case_view.card_pairs(row, lang)]
    strip = [html.H4(t("cs_photos", lang)), html.Div(className="cs-photos", children=[
        html.A(html.Img(src=p["url"], alt=p["alt"], className="cs-photo"), href=p["url"],
               target="_blank", rel="noopener noreferrer", title=p["alt"]) for p in shots])] if shots else []
    return html.Div(className="detail-card cs-card", children=[
        html.Dl([x for label, value in fields for x in (html.Dt(label), html.Dd(value or "—"))]), *strip])


def trail_table(lines: list[dict[str, Any]]) -> html.Table:
    """Every step of one case, oldest first: when, what, who, the comment."""
    return html.Table(html.Tbody([html.Tr([html.Td(x["at"]), html.Td(x["action"]), html.Td(x["by"]),
                                           html.Td(x["comment"])]) for x in lines]),
                      className="console-table history")
