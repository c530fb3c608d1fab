"""Pieces every page shares: the language switch."""

from __future__ import annotations

from dash import html

from layouts.i18n import LANGS

LABELS = {"zh": "中文", "en": "EN"}


def lang_switch(lang: str) -> html.Div:
    """中文 | EN: switches ?lang= and keeps every other URL parameter (assets/onescreen.js handles the click)."""
    return html.Div(className="lang-switch", children=[
        html.A(LABELS[code], href=f"?lang={code}", className="lang-link" + (" lang-on" if code == lang else ""),
               **{"data-lang": code}) for code in LANGS
    ])
