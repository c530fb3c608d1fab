"""Pieces every page shares: the language switch with the signed-in user, and the forbidden page."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from auth import csrf
from auth.policy import page_perm
from auth.principal import current
from core.i18n import LANGS, t

LABELS = {"zh": "中文", "en": "EN"}


def lang_switch(lang: str) -> html.Div:
    """中文 | EN: switches ?lang= and keeps every other URL parameter (assets/onescreen.js handles the click).

    A signed-in person also sees who they are and a log-out button here (a kiosk wall does not)."""
    links = [html.A(LABELS[code], href=f"?lang={code}", className="lang-link" + (" lang-on" if code == lang else ""),
                    **{"data-lang": code}) for code in LANGS]
    return html.Div(className="lang-switch", children=[*links, *user_chip(lang)])


def user_chip(lang: str) -> list[Any]:
    """Name, role, the admin link for admins, and a log-out form (POST with the session's CSRF token)."""
    p = current()
    if p is None or p.kind == "kiosk":
        return []
    admin = [html.A(t("admin_link", lang), href="/admin", className="user-admin")] if p.can("admin") else []
    return [html.Form(action="/logout", method="POST", className="user-chip", children=[
        html.Span(p.name, title=t("role_" + p.role, lang), className="user-name"), *admin,
        dcc.Input(type="hidden", name=csrf.FIELD, value=csrf.token()),
        html.Button(t("logout", lang), type="submit", className="user-logout"),
    ])]


def row_pick(label: str, selected: bool) -> html.Button:
    """What selects a row of a console's list, from the keyboard as by click: a button in the row (the row itself,
    clickable but not focusable, could not be reached by Tab). Its click reaches the row's n_clicks."""
    return html.Button(label, type="button", className="row-pick", **{"aria-current": "true" if selected else "false"})


def live_region(id_: str) -> html.Div:
    """A polite live region (WCAG 4.1.3): a screen reader reads out what is put in it, without taking the focus.
    Shown on the consoles, never on the wall."""
    return html.Div(id=id_, role="status", className="sr-only", **{"aria-live": "polite", "aria-atomic": "true"})


def may_open(path: str) -> bool:
    """Whether the caller may open a page: links to pages a role cannot open are not shown."""
    p = current()
    return p is not None and p.can(page_perm(path))


def forbidden(lang: str) -> html.Div:
    """What a page shows to a role that may not open it (the data callbacks refuse it on the server too)."""
    return html.Div(className="forbidden-page", children=[html.P(t("forbidden", lang)), lang_switch(lang)])


def map_attribution(city: dict[str, Any], lang: str) -> str:
    """Where the map's boundaries and rivers come from: the profile's `attribution` ({zh, en}), else the shipped
    Guangzhou data's."""
    own = city.get("attribution")
    if isinstance(own, dict) and isinstance(own.get(lang) or own.get("zh"), str):
        return str(own.get(lang) or own["zh"])
    return t("map_attr", lang)
