"""The start page: where each view lives and whether each feed is current (the leader overview comes later)."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.i18n import t


def layout(city_name: str, lang: str) -> html.Div:
    """Links to the views and a live feed-status table."""
    return html.Div(className="home", children=[
        html.H1(f"{t('app_title', lang)} · {city_name}"),
        html.H2(t("views", lang)),
        html.Ul([html.Li(html.A(t("wall_title", lang), href=f"/wall?lang={lang}")),
                 html.Li(html.A(t("onemap_title", lang), href=f"/analyst?lang={lang}")),
                 html.Li(html.A(t("console_title", lang), href=f"/alerts?lang={lang}"))]),
        html.H2(t("feeds", lang)),
        html.Div(id=ids.HOME_STATUS),
        dcc.Interval(id=ids.HOME_TICK, interval=5000),
    ])
