"""Start page: the feed status table, refreshed every few seconds."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback, html

from callbacks import context
from layouts import ids
from layouts.i18n import FEED_NAMES, t
from views.wall import age_text


def status_table(summary: dict[str, Any] | None, lang: str) -> Any:
    """One row per feed: name, source, age and state."""
    if summary is None:
        return html.P(t("store_down", lang))
    rows = [html.Tr([html.Td(FEED_NAMES[f][lang]), html.Td(s.get("source") or "—"), html.Td(age_text(s, lang))])
            for f, s in summary["status"].items()]
    return html.Table(html.Tbody(rows))


@callback(Output(ids.HOME_STATUS, "children"), Input(ids.HOME_TICK, "n_intervals"))
def home_status(_n: int | None) -> Any:
    """Thin wrapper around status_table."""
    ctx = context.get()
    return status_table(ctx.summary(context.now_ms()), ctx.settings.lang or ctx.city.get("lang", "zh"))
