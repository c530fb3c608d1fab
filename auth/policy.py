"""Which permission each page, API route and Dash callback needs: one table, enforced by the gate, tested per role."""

from __future__ import annotations

import json
from typing import Any

AUTHENTICATED = "authenticated"  # any logged-in caller, kiosk included (the layouts check their own page)
NOBODY = "nobody"  # unknown callbacks: deny by default

# Page paths (full page loads and the Dash pages callback) -> permission.
PAGES: dict[str, str] = {"/": "overview", "/wall": "wall", "/analyst": "analyst", "/alerts": "alerts.read",
                         "/admin": "admin", "/cases": "cases.read"}

# Dash callbacks, by the id (or pattern-id "type") of their first output: exact ids first, then prefixes.
CALLBACK_EXACT: dict[str, str] = {"ac-msg": "alerts.act", "am-download": "export", "_pages_content": AUTHENTICATED,
                                  "_pages_dummy": AUTHENTICATED, "cs-msg": "cases.act", "cs-ov-msg": "cases.act",
                                  "cs-r-msg": "cases.report"}
CALLBACK_PREFIX: tuple[tuple[str, str], ...] = (("ac-", "alerts.read"), ("ov-", "overview"), ("am-", "analyst"),
                                                ("wall-", "wall"), ("kpi-", "wall"), ("cs-", "cases.read"))

# API routes: (path prefix, method or "*", permission); first match wins.
API: tuple[tuple[str, str, str], ...] = (
    ("/api/v1/me", "*", AUTHENTICATED),
    ("/api/v1/admin", "*", "admin"),
    ("/api/v1/alerts/log", "GET", "alerts.read"),
    ("/api/v1/alerts", "GET", "alerts.read"),
    ("/api/v1/alerts", "*", "alerts.act"),
    ("/api/v1/silences", "GET", "alerts.read"),
    ("/api/v1/silences", "*", "alerts.act"),
    ("/api/v1/entities/", "GET", "analyst"),
    ("/api/v1/history/", "GET", "export"),  # bulk history; one entity at one moment (replay popups): see api_perm
    ("/api/v1/cases/video", "POST", "cases.report"),  # a video-analytics event opens a case
    ("/api/v1/cases/", "POST", "cases.act"),  # /api/v1/cases/<id>/<action>
    ("/api/v1/cases", "POST", "cases.report"),
    ("/api/v1/cases", "GET", "cases.read"),
    ("/open311/v2/", "POST", "cases.report"),  # Open311 GeoReport v2: file a request
    ("/open311/v2/", "GET", "cases.read"),
    ("/api/v1/geo/", "GET", "wall"),
    ("/tiles/", "GET", "wall"),
)

# Routes that take an API token only (the Open311 spec's api_key, or a bearer header), never the session cookie.
TOKEN_ONLY = ("/open311/",)
# Routes that authenticate themselves (ingest tokens) or must work before login.
SELF_AUTH = ("/api/v1/ingest/", "/api/v1/ngsi-ld/")
PUBLIC = ("/login", "/healthz", "/assets/login.css", "/assets/a11y.css", "/favicon.ico", "/_favicon.ico")


def output_ids(output: str) -> list[str]:
    """Component ids (pattern ids by their "type") of a Dash callback's output spec, e.g. '..a.children...b.data..'."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    ids: list[str] = []
    for part in parts:
        cid = part.rsplit(".", 1)[0]
        if cid.startswith("{"):
            try:
                ids.append(str(json.loads(cid).get("type", "")))
            except (ValueError, AttributeError):
                ids.append(cid)
        else:
            ids.append(cid)
    return ids


def callback_perm(output: Any) -> str:
    """The permission a callback needs, from its output spec (unknown: nobody)."""
    if not isinstance(output, str) or not output:
        return NOBODY
    head = output[: output.find("...") + 2] if output.startswith("..") and "..." in output else output
    first = output_ids(head)[0].split("@", 1)[0]  # only the first output decides: no need to parse 40 ids a tick
    if first in CALLBACK_EXACT:
        return CALLBACK_EXACT[first]
    for prefix, perm in CALLBACK_PREFIX:
        if first.startswith(prefix):
            return perm
    return NOBODY


def api_perm(path: str, method: str) -> str | None:
    """The permission an API or tile route needs; None when the path is not an API route."""
    if path.startswith("/api/v1/history/") and "/at/" in path and method == "GET":
        return "analyst"
    for prefix, meth, perm in API:
        under = path.startswith(prefix) if prefix.endswith("/") else path == prefix or path.startswith(prefix + "/")
        if under and meth in ("*", method):
            return perm
    if path.startswith("/api/"):
        return NOBODY
    return None


def page_perm(path: str) -> str:
    """A page path's permission (unknown pages render Dash's 404 for any logged-in caller)."""
    if path.startswith("/admin/"):
        return "admin"
    return PAGES.get(path.rstrip("/") or "/", AUTHENTICATED)
