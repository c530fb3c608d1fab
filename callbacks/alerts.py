"""Alert console callbacks: thin wrappers over alerts.actions and views.alerts."""

from __future__ import annotations

from typing import Any

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from alerts import actions as alerts_api
from auth import principal
from callbacks import PICKED_ROW
from core.i18n import t
from layouts import alerts as alerts_layout
from layouts import ids
from store import context
from store import scope as scope_mod
from store.client import UNAVAILABLE
from views import alerts as alerts_view

DAY_MS = 24 * 3600 * 1000


def _tz() -> str:
    return context.get().city.get("timezone", "Asia/Shanghai")



def visible(r: Any, state: str, scope: str | None) -> list[dict[str, Any]]:
    """Active (or all) alerts the caller may see: a district user only their district's and the feed alerts."""
    records = alerts_api.all_alerts(r) if state == "all" else alerts_api.active(r)
    return scope_mod.alerts(records, scope)


def find(r: Any, alert_id: str | None, scope: str | None) -> dict[str, Any] | None:
    """One alert by id if the caller may see it (another district's is as unknown as a wrong id)."""
    if not alert_id:
        return None
    return next((a for a in visible(r, "all", scope) if a["id"] == alert_id), None)


@callback(Output(ids.AC_TABLE, "children"), Output(ids.AC_LIVE, "children"), Output(ids.AC_SEEN, "data"),
          Input(ids.AC_TICK, "n_intervals"), Input(ids.AC_STATE, "value"), Input(ids.AC_LEVELS, "value"),
          Input(ids.AC_SEARCH, "value"), Input(ids.AC_REFRESH, "data"), Input(ids.AC_SELECTED, "data"),
          State("ac-lang", "data"), State(ids.AC_SEEN, "data"))
def refresh(_n: Any, state: str | None, levels: list[str] | None, query: str | None, _r: Any, selected: str | None,
            lang: str | None, seen: Any = None) -> tuple[Any, Any, Any]:
    """Fetch active (or all) alerts and render the filtered list; an alert that fired since the last look is read
    out by the live region, whatever the filters show."""
    try:
        records = visible(context.get().redis, "all" if state == "all" else "active", principal.current_scope())
    except UNAVAILABLE:
        return alerts_layout.note(t("store_down", lang)), no_update, no_update
    rows = alerts_view.rows(records, levels, query, lang, _tz())
    known = [x for x in seen if isinstance(x, str)] if isinstance(seen, list) else None
    said, mark = alerts_view.announce(records, known, lang, _tz())
    table = alerts_layout.table(rows, selected, lang) if rows else alerts_layout.note(t("no_alerts", lang))
    return table, no_update if said is None else said, mark


# The row that was clicked, chosen in the browser (callbacks.PICKED_ROW says why)
clientside_callback(PICKED_ROW, Output(ids.AC_SELECTED, "data"), Input({"type": "alert-row", "id": ALL}, "n_clicks"),
                    prevent_initial_call=True)


@callback(Output(ids.AC_DETAIL, "children"), Output(ids.AC_HISTORY, "children"), Output(ids.AC_ACK, "disabled"),
          Output(ids.AC_SILENCE, "disabled"),
          Input(ids.AC_SELECTED, "data"), Input(ids.AC_TICK, "n_intervals"), Input(ids.AC_REFRESH, "data"),
          State("ac-lang", "data"))
def detail(selected: str | None, _n: Any, _r: Any, lang: str | None) -> tuple[Any, Any, bool, bool]:
    """The selected alert's fields and its history (or everyone's last day of history when none is selected); the
    buttons are live only for what they can act on (acknowledge: a firing alert; silence: any alert)."""
    r = context.get().redis
    now, scope = context.now_ms(), principal.current_scope()
    try:
        everything = alerts_api.all_alerts(r)
        rec = next((a for a in scope_mod.alerts(everything, scope) if a["id"] == selected), None) if selected else None
        known = None if scope is None else {a["id"]: a.get("district") for a in everything}
        log = scope_mod.log(alerts_api.log(r, now - DAY_MS), scope, known)
    except UNAVAILABLE:
        return t("store_down", lang), no_update, True, True
    lines = alerts_view.history(log, selected, lang, _tz())
    hist = alerts_layout.history_table(lines, lang or "zh")
    if rec is None:
        return t("pick_alert", lang), hist, True, True
    row = alerts_view.rows([rec], None, None, lang, _tz())[0]
    return (alerts_layout.detail_card(row, rec.get("level"), rec.get("ack_comment")), hist, not row["can_ack"],
            False)


@callback(Output(ids.AC_MSG, "children"), Output(ids.AC_REFRESH, "data"), Output(ids.AC_COMMENT, "value"),
          Input(ids.AC_ACK, "n_clicks"), Input(ids.AC_SILENCE, "n_clicks"),
          State(ids.AC_SELECTED, "data"), State(ids.AC_COMMENT, "value"),
          State(ids.AC_SIL_HOURS, "value"), State(ids.AC_SIL_REASON, "value"), State(ids.AC_REFRESH, "data"),
          State("ac-lang", "data"), prevent_initial_call=True)
def act(_a: int | None, _s: int | None, selected: str | None, comment: str | None, hours: float | None,
        reason: str | None, bump: int | None, lang: str | None) -> tuple[Any, Any, Any]:
    """Acknowledge or silence the selected alert as the signed-in user; every error is shown, nothing else changes."""
    if not selected:
        return t("pick_alert", lang), no_update, no_update
    r, now, scope, operator = context.get().redis, context.now_ms(), principal.current_scope(), principal.operator()
    try:
        rec = find(r, selected, scope)
        if rec is None:  # unknown, or another district's: the same answer
            return t("pick_alert", lang), no_update, no_update
        if ctx.triggered_id == ids.AC_ACK:
            if not (comment or "").strip():
                return t("need_comment", lang), no_update, no_update
            alerts_api.acknowledge(r, selected, operator, comment.strip(), now)
            row = alerts_view.rows([rec], None, None, lang, _tz())[0]
            return t("acked_ok", lang, what=f"{row['entity']} · {row['rule']}"), (bump or 0) + 1, ""
        alerts_api.silence(r, scope_mod.silence_scope({"rule": rec["rule"], "entity_id": rec["entity_id"]}, scope),
                           (reason or "").strip(), operator, now + int((hours or 0) * 3600 * 1000), now)
        return t("silenced_ok", lang, h=hours), (bump or 0) + 1, no_update
    except UNAVAILABLE:
        return t("store_down", lang), no_update, no_update
    except ValueError as exc:  # AlertError, NotFound, Conflict: a clear message, nothing else changes
        return str(exc), no_update, no_update
