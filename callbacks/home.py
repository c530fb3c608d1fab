"""Start page: the feed status table (state, and each source's own health), refreshed every few seconds."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback, html

from callbacks import context
from layouts import ids
from layouts.i18n import FEED_NAMES, t
from store.client import UNAVAILABLE
from store.writer import read_health
from views.wall import age_text

# Column heads of the source-health columns. TODO(lead): move into layouts/i18n.py TEXT (outside this change's scope).
HEALTH_HEADS = {
    "zh": ("数据源", "来源", "数据时效", "上次成功", "连续失败", "上次耗时", "最近错误"),
    "en": ("Feed", "Source", "Data age", "Last success", "Errors in a row", "Last latency", "Last error"),
}


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def health_cells(health: dict[str, Any] | None, now_ms: int, lang: str) -> list[Any]:
    """Last success (age), consecutive errors, last latency and last error of one feed's source."""
    h = health or {}
    ok = _num(h.get("last_ok_ms"))
    last_ok = age_text({"age_s": max(0.0, (now_ms - ok) / 1000), "state": "ok"}, lang) if ok else "—"
    errors = int(_num(h.get("consecutive_errors")) or 0)
    latency = _num(h.get("last_latency_ms"))
    error = str(h.get("last_error") or "")
    return [html.Td(last_ok), html.Td(str(errors), className="feed-errors" if errors else None),
            html.Td("—" if latency is None else f"{latency:,.0f} ms"),
            html.Td(error[:80] + ("…" if len(error) > 80 else "") or "—", title=error or None)]


def status_table(summary: dict[str, Any] | None, lang: str, health: dict[str, dict[str, Any]] | None = None,
                 now_ms: int = 0) -> Any:
    """One row per feed: name, source, data age, and the source's health when given."""
    if summary is None:
        return html.P(t("store_down", lang))
    heads = HEALTH_HEADS.get(lang, HEALTH_HEADS["en"])
    rows = []
    for f, s in summary["status"].items():
        cells = [html.Td(FEED_NAMES.get(f, {}).get(lang, f)), html.Td(s.get("source") or "—"),
                 html.Td(age_text(s, lang))]
        if health is not None:
            cells += health_cells(health.get(f), now_ms, lang)
        rows.append(html.Tr(cells))
    head = html.Thead(html.Tr([html.Th(h) for h in (heads if health is not None else heads[:3])]))
    return html.Table([head, html.Tbody(rows)])


def feed_health(now_ms: int) -> dict[str, dict[str, Any]] | None:
    """Every feed's health hash, read once per tick per process; None while the store is unreachable."""
    ctx = context.get()
    feeds = tuple(ctx.feeds)
    try:
        return ctx.memo("feed_health", ctx.tick_of(now_ms), lambda: read_health(ctx.redis, feeds))
    except UNAVAILABLE:
        return None


@callback(Output(ids.HOME_STATUS, "children"), Input(ids.HOME_TICK, "n_intervals"))
def home_status(_n: int | None) -> Any:
    """Thin wrapper around status_table."""
    ctx = context.get()
    now = context.now_ms()
    return status_table(ctx.summary(now), ctx.settings.lang or ctx.city.get("lang", "zh"), feed_health(now), now)
