"""Security headers on every response: a hash-based CSP Dash works under, frame rules, no caching of private data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import dash
from flask import Response, request

from auth.oidc import enabled as oidc_enabled
from config.settings import load_city

# An origin a CSP source list may hold: scheme://host[:port], the host optionally "*."-prefixed.
ORIGIN = re.compile(r"^(https?)://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")
# Paths Dash fingerprints (?v=...) or serves as static files: caching them is safe and saves every wall a download.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)"
HSTS = "max-age=31536000"


def frame_ancestors(value: str | None) -> list[str]:
    """The frame-ancestors source list from ONESCREEN_FRAME_ANCESTORS ('self' always; ValueError on a bad entry)."""
    tokens = [t.strip().strip("'").rstrip("/") for t in re.split(r"[\s,]+", value or "") if t.strip()]
    if any(t.lower() == "none" for t in tokens):
        if len(tokens) > 1:
            raise ValueError("ONESCREEN_FRAME_ANCESTORS: 'none' cannot be combined with origins")
        return ["'none'"]
    out = ["'self'"]
    for tok in tokens:
        if tok.lower() == "self":
            continue
        if not ORIGIN.match(tok):
            raise ValueError(f"ONESCREEN_FRAME_ANCESTORS: {tok!r} is not an origin like https://wall.example.org:8443")
        if tok not in out:
            out.append(tok)
    return out


def url_origin(url: str | None) -> str | None:
    """The CSP source for an absolute http(s) URL ("{s}."-style subdomain templates become "*."); None for relative."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.rsplit("@", 1)[-1].split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label or "}" in label]
    host = ".".join(["*", *labels[templated[-1] + 1:]]) if templated else ".".join(labels)
    origin = f"{parts.scheme}://{host}"
    if not ORIGIN.match(origin):
        raise ValueError(f"base map URL {url!r}: cannot tell which host the tiles come from (for the CSP)")
    return origin


def tile_origin(settings: Any) -> str | None:
    """Where XYZ base-map tiles come from (as config.settings.basemap_config picks them: MBTiles, else
    ONESCREEN_BASEMAP, else the city profile's xyz URL), when that is another origin."""
    if settings.basemap_mbtiles:
        return None  # served by this app at /tiles/
    url = settings.basemap
    if not url:
        try:
            bm = load_city(settings.city).get("basemap") or {}
        except ValueError:
            bm = {}
        url = bm.get("url") if bm.get("type") == "xyz" else None
    return url_origin(url)


def policy(script_hashes: list[str], settings: Any) -> str:
    """The Content-Security-Policy value; each relaxation is explained in the README's security section."""
    img = ["'self'", "data:", "blob:"] + [o for o in (tile_origin(settings),) if o]
    form = ["'self'"] + [o for o in (url_origin(settings.oidc_issuer),) if o and oidc_enabled(settings)]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],  # plotly.js and Dash components inject <style> elements
        "img-src": img,
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": form,
        "frame-ancestors": frame_ancestors(settings.frame_ancestors),
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def _cacheable(resp: Response) -> bool:
    """Static, fingerprinted files and responses that chose their own caching keep it; everything else is private."""
    return request.path.startswith(STATIC_PREFIXES) or "Cache-Control" in resp.headers


def install(app: dash.Dash, settings: Any) -> None:
    """Add the headers to every response of app.server (idempotent; call after the callbacks are registered)."""
    server = app.server
    if server.extensions.get("onescreen_headers"):
        return
    server.extensions["onescreen_headers"] = True
    ancestors = frame_ancestors(settings.frame_ancestors)
    policy([], settings)  # a bad frame host or base-map URL fails the start, not the first request
    state: dict[str, Any] = {"key": None, "csp": ""}

    def csp() -> str:
        """The policy, rebuilt only when Dash's inline scripts change (clientside callbacks registered late)."""
        hashes = list(app.csp_hashes())
        key = tuple(hashes)
        if key != state["key"]:
            state["key"], state["csp"] = key, policy(hashes, settings)
        return state["csp"]

    @server.after_request
    def _security_headers(resp: Response) -> Response:
        h = resp.headers
        if "Content-Security-Policy" not in h:  # a route's own, stricter policy stands (a case photo: sandboxed)
            h["Content-Security-Policy"] = csp()
        if ancestors == ["'self'"]:
            h["X-Frame-Options"] = "SAMEORIGIN"  # for old browsers; it cannot name other hosts, so only then
        elif ancestors == ["'none'"]:
            h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        # the origin only, never the path: kiosk tokens travel in wall URLs; tile servers (OSM) still see a Referer,
        # and a form post still carries its Origin (no-referrer would make it "null")
        h["Referrer-Policy"] = "strict-origin"
        h["Permissions-Policy"] = PERMISSIONS
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if not _cacheable(resp):
            h["Cache-Control"] = "no-store"
        if settings.cookie_secure:
            h["Strict-Transport-Security"] = HSTS
        return resp
