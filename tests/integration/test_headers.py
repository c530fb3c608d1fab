"""Security headers on every response of the real app (Flask test client): CSP, framing, referrer, caching, HSTS."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import dash
import pytest
import redis
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import app as app_module
from auth import headers
from config.settings import Settings
from store import users
from tests.conftest import ADMIN_PW, SECRET, client_login

pytestmark = pytest.mark.integration
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin",
          "Cross-Origin-Opener-Policy": "same-origin"}


def build(settings: Settings) -> dash.Dash:
    """The app as create_app builds it (it installs the headers itself)."""
    return app_module.create_app(settings)


def make_settings(redis_url: str, **extra: Any) -> Settings:
    return Settings(redis_url=redis_url, simulator=False, secret_key=SECRET, admin_password=ADMIN_PW, **extra)


@pytest.fixture
def client(redis_server: Any, r: redis.Redis) -> Iterator[FlaskClient]:
    yield build(make_settings(redis_server.url)).server.test_client()


def csp(resp: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive -> sources."""
    value = resp.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in value.split(";") if d.strip()}


def assert_hardened(resp: TestResponse, *, private: bool = True) -> None:
    """The headers every response carries by default (no extra frame hosts, no TLS)."""
    policy = csp(resp)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["base-uri"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert all(h.startswith("'sha256-") for h in policy["script-src"][1:])
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert all(resp.headers.get(k) == v for k, v in COMMON.items()), dict(resp.headers)
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in resp.headers
    if private:
        assert resp.headers["Cache-Control"] == "no-store"


def inline_script_hashes(page: str) -> set[str]:
    """sha256 CSP sources of the inline scripts a browser would run in a served page."""
    page = re.sub(r"<!--.*?-->", "", page, flags=re.S)  # Dash's IE-only notice sits in a conditional comment
    out = set()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S):
        if "src=" in attrs or "application/json" in attrs:
            continue
        out.add("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'")
    return out


def test_every_kind_of_response_is_hardened(client: FlaskClient, r: redis.Redis) -> None:
    redirect = client.get("/wall")
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith("/login")
    unauthenticated = client.get("/api/v1/me")
    assert unauthenticated.status_code == 401
    form = client.get("/login")
    assert form.status_code == 200
    for resp in (redirect, unauthenticated, form, client.get("/healthz")):
        assert_hardened(resp)
    client_login(client)
    missing = client.get("/assets/no-such-file.css")
    assert missing.status_code == 404
    assert_hardened(missing, private=False)
    users.create_user(r, "viewer1", "viewer-password-1", "viewer")
    client_login(client, "viewer1", "viewer-password-1")
    forbidden = client.get("/api/v1/history/air?ids=1345A&range=1h")
    assert forbidden.status_code == 403
    assert_hardened(forbidden)


def test_a_crash_is_hardened_too(redis_server: Any, r: redis.Redis) -> None:
    app = build(make_settings(redis_server.url))
    app.server._got_first_request = False  # noqa: SLF001 - a failing route, for this test only
    app.server.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client = app.server.test_client()
    client_login(client)
    resp = client.get("/boom")
    assert resp.status_code == 500 and "ZeroDivisionError" not in resp.get_data(as_text=True)
    assert_hardened(resp)


def test_pages_run_under_the_csp(client: FlaskClient) -> None:
    client_login(client)
    for path in ("/", "/wall", "/analyst", "/alerts"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.mimetype == "text/html"
        assert_hardened(resp)
        page = resp.get_data(as_text=True)
        needed = inline_script_hashes(page)
        assert len(needed) >= 2, "expected Dash's renderer and clientside callbacks inline"
        assert needed <= set(csp(resp)["script-src"]), f"{path}: an inline script is not allowed by the CSP"


def test_dash_data_is_private_but_fingerprinted_files_stay_cacheable(client: FlaskClient) -> None:
    client_login(client)
    page = client.get("/").get_data(as_text=True)
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', page)
    asset = re.search(r'href="(/assets/[^"]+\.css[^"]*)"', page)
    assert suite and asset
    for url in (suite.group(1), asset.group(1)):
        resp = client.get(url)
        assert resp.status_code in (200, 304) and resp.headers.get("Cache-Control") != "no-store"
        assert "Content-Security-Policy" in resp.headers and resp.headers["X-Content-Type-Options"] == "nosniff"
    for url in ("/_dash-layout", "/_dash-dependencies", "/api/v1/me"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"


def test_configured_wall_hosts_tiles_sso_and_tls(redis_server: Any, r: redis.Redis) -> None:
    settings = make_settings(redis_server.url, cookie_secure=True,
                             frame_ancestors="https://wall.example.gov.cn, https://hall.example:8443", basemap="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
                             oidc_issuer="https://sso.example.gov.cn/realms/city", oidc_client_id="onescreen",
                             oidc_client_secret="s3cret")
    resp = build(settings).server.test_client().get("/login")
    policy = csp(resp)
    assert policy["frame-ancestors"] == ["'self'", "https://wall.example.gov.cn", "https://hall.example:8443"]
    assert "X-Frame-Options" not in resp.headers  # it cannot name other hosts: frame-ancestors decides
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.tile.openstreetmap.org"]
    assert policy["form-action"] == ["'self'", "https://sso.example.gov.cn"]
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_frame_ancestor_values() -> None:
    assert headers.frame_ancestors(None) == ["'self'"]
    assert headers.frame_ancestors("'self' https://a.example http://b.example:8080/") == \
        ["'self'", "https://a.example", "http://b.example:8080"]
    assert headers.frame_ancestors("https://*.wall.example") == ["'self'", "https://*.wall.example"]
    assert headers.frame_ancestors("'none'") == ["'none'"]
    for bad in ("javascript:alert(1)", "https://a.example/path", "*", "https://a.example;script-src *",
                "none https://a"):
        with pytest.raises(ValueError, match="ONESCREEN_FRAME_ANCESTORS"):
            headers.frame_ancestors(bad)


def test_no_framing_at_all_is_deny(redis_server: Any, r: redis.Redis) -> None:
    resp = build(make_settings(redis_server.url, frame_ancestors="none")).server.test_client().get("/login")
    assert csp(resp)["frame-ancestors"] == ["'none'"] and resp.headers["X-Frame-Options"] == "DENY"


def test_a_bad_frame_host_fails_at_start(redis_server: Any, r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="ONESCREEN_FRAME_ANCESTORS"):
        build(make_settings(redis_server.url, frame_ancestors="wall.example"))


@pytest.mark.parametrize(("url", "origin"), [
    ("https://tiles.example.gov.cn/{z}/{x}/{y}.png", "https://tiles.example.gov.cn"),
    ("http://10.1.2.3:8080/osm/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
    ("https://{s}.basemaps.example/{z}/{x}/{y}.png", "https://*.basemaps.example"),
    ("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}", "https://*.tianditu.gov.cn"),
    ("/tiles/{z}/{x}/{y}", None), (None, None)])
def test_tile_origins(url: str | None, origin: str | None) -> None:
    assert headers.url_origin(url) == origin


def test_an_unreadable_tile_host_fails_at_start(redis_server: Any, r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="cannot tell which host"):
        build(make_settings(redis_server.url, basemap="https://{host}/{z}/{x}/{y}.png"))
