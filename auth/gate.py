"""The request gate: every request gets a principal (or is refused) and a permission check before any view runs."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import quote, urlsplit

import redis
from flask import Flask, g, jsonify, make_response, redirect, request
from werkzeug.wrappers import Response

from auth import csrf, policy
from auth import session as sess
from auth.principal import Principal
from auth.roles import KIOSK
from store import audit, users
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.auth")
CACHE_S = 2.0  # how long a worker trusts a looked-up user or kiosk before asking Redis again
STALE_OK_S = 600.0  # while Redis is down, a known caller stays known this long (the wall then shows "connection lost")


class Gate:
    """Authenticates each request (session cookie, kiosk link, bearer token) and enforces auth.policy."""

    def __init__(self, settings: Any, r: redis.Redis) -> None:
        self.settings, self.r = settings, r
        self.env_kiosks = {"env:" + users.token_id(t)[:16]: t for t in settings.kiosk_token_list}
        self._cache: dict[str, tuple[float, Any]] = {}

    # -- lookups, cached per worker ------------------------------------------------------------------------------
    def _cached(self, key: str, load: Any) -> Any:
        """A short per-process cache in front of Redis; on an outage the last known answer is kept a while."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit and now - hit[0] < CACHE_S:
            return hit[1]
        try:
            value = load()
        except UNAVAILABLE:
            if hit and now - hit[0] < STALE_OK_S:
                return hit[1]
            raise
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, value)
        return value

    def env_kiosk(self, token: str) -> str | None:
        """The id of an environment-provisioned kiosk token, compared in constant time."""
        for kid, tok in self.env_kiosks.items():
            if hmac.compare_digest(tok.encode(), token.encode("utf-8", "surrogatepass")):
                return kid
        return None

    def kiosk_principal(self, kid: str) -> Principal | None:
        """A wall session's principal while its link is valid (env tokens: while still configured)."""
        if kid in self.env_kiosks:
            return Principal(name=f"kiosk:{kid[4:12]}", role=KIOSK, kind="kiosk")
        doc = self._cached("k:" + kid, lambda: next((d for d in users.list_kiosks(self.r) if d.get("id") == kid),
                                                     None))
        if not doc:
            return None
        return Principal(name=f"kiosk:{doc.get('name')}", role=KIOSK, district=doc.get("district"), kind="kiosk")

    def user_principal(self) -> Principal | None:
        """The session user's principal, if the account is enabled, unchanged since login, and the login is recent."""
        name = sess.username()
        if not name:
            return None
        user = self._cached("u:" + name, lambda: users.get_user(self.r, name))
        if not user or user.get("disabled") or int(user.get("sv", 1)) != g.session_sv:
            return None
        if time.time() - g.session_t > self.settings.session_hours * 3600:
            return None
        return Principal(name=name, role=user["role"], district=user.get("district"),
                         kind=user.get("source", "user"))

    def bearer_principal(self, token: str) -> Principal | None:
        """ONESCREEN_API_TOKEN (admin, whole city) or a personal API token (its user's role and district)."""
        if self.settings.api_token and hmac.compare_digest(token.encode("utf-8", "surrogatepass"),
                                                           self.settings.api_token.encode()):
            return Principal(name="api-token", role="admin", kind="env")
        user = self._cached("t:" + users.token_id(token), lambda: users.api_token_user(self.r, token))
        if not user:
            return None
        return Principal(name=user["username"], role=user["role"], district=user.get("district"), kind="token")

    # -- the gate itself ----------------------------------------------------------------------------------------
    def resolve(self) -> Principal | None:
        """Who is asking: bearer (API routes), a kiosk link on /wall, else the session cookie."""
        from flask import session

        g.session_sv, g.session_t = session.get("sv", 0), session.get("t", 0)
        auth = request.headers.get("Authorization", "")
        if auth:
            if not request.path.startswith(("/api/", "/tiles/")):
                return None
            scheme, _, token = auth.partition(" ")
            return self.bearer_principal(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        kiosk = request.args.get("kiosk")
        if kiosk and request.path.rstrip("/") == "/wall" and request.method == "GET":
            return self.open_kiosk(kiosk)
        if sess.kiosk_id():
            return self.kiosk_principal(sess.kiosk_id())
        return self.user_principal()

    def open_kiosk(self, token: str) -> Principal | None:
        """A wall opened by its link: start (or keep) its read-only session."""
        kid = self.env_kiosk(token)
        if kid is None:
            doc = users.kiosk_for(self.r, token)
            kid = doc.get("id") if doc else None
        if kid is None:
            audit.record(self.r, "kiosk.refused", "anonymous", ip=request.remote_addr)
            return None
        if sess.kiosk_id() != kid:
            sess.start_kiosk(kid)
            audit.record(self.r, "kiosk.open", f"kiosk:{kid}", ip=request.remote_addr)
        return self.kiosk_principal(kid)

    def before(self) -> Response | None:
        """Flask before_request: refuse, redirect to login, or let through with g.principal set."""
        path = request.path
        g.principal = None
        if path.startswith(policy.SELF_AUTH):
            return None
        if csrf.is_form_post() and not csrf.valid():
            return _plain("The form expired or did not come from this site: reload the page and try again.", 400)
        if path in policy.PUBLIC or path.startswith("/login/"):
            return None
        try:
            principal = self.resolve()
        except UNAVAILABLE:
            return _unavailable()
        if principal is None:
            return self.unauthenticated()
        g.principal = principal
        if not csrf.is_form_post() and not _same_origin():  # form posts proved themselves with the CSRF token
            return _json_or_page("cross-site request refused", 403)
        perm = self.required(path)
        if perm != policy.AUTHENTICATED and not principal.can(perm):
            return _json_or_page(f"forbidden: your role ({principal.role}) may not use this", 403)
        return None

    def required(self, path: str) -> str:
        """The permission this request needs."""
        if path == "/_dash-update-component":
            body = request.get_json(silent=True) or {}
            perm = policy.callback_perm(body.get("output"))
            if perm == policy.AUTHENTICATED and body.get("output", "").startswith(".._pages_content"):
                return self.pages_callback_perm(body)
            return perm
        api = policy.api_perm(path, request.method)
        if api is not None:
            return api
        if path.startswith(("/_dash", "/assets/", "/_reload")):
            return policy.AUTHENTICATED
        return policy.page_perm(path)

    @staticmethod
    def pages_callback_perm(body: dict[str, Any]) -> str:
        """Dash pages renders a page through a callback: the page's own permission applies."""
        for item in body.get("inputs") or []:
            if isinstance(item, dict) and item.get("id") == "_pages_location" and item.get("property") == "pathname":
                return policy.page_perm(str(item.get("value") or "/"))
        return policy.NOBODY

    def unauthenticated(self) -> Response:
        """Pages go to the login form (coming back afterwards); API and callbacks get 401."""
        if request.method == "GET" and not request.path.startswith(("/api/", "/_dash", "/tiles/", "/assets/")):
            if request.args.get("kiosk"):
                return _plain("This wall link is not valid (revoked or mistyped). Ask an administrator for a new "
                              "kiosk link.", 401)
            target = request.full_path.rstrip("?")
            return redirect("/login?next=" + quote(target, safe="/?=&"))
        resp = jsonify({"error": "login required"})
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Bearer realm="onescreen"'
        return resp


def _same_origin() -> bool:
    """Unsafe methods with a cookie must come from this origin (JSON posts cannot be forged by a plain form)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("Authorization"):
        return True
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _plain(message: str, status: int) -> Response:
    """A small text page (no stack trace, no template)."""
    resp = make_response(message + "\n", status)
    resp.mimetype = "text/plain"
    return resp


def _json_or_page(message: str, status: int) -> Response:
    """JSON for API/callback paths, plain text for pages."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": message})
        resp.status_code = status
        return resp
    return _plain(message, status)


def _unavailable() -> Response:
    """The store is down and the caller is unknown: say so, and let pages retry by themselves."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": "store unavailable"})
        resp.status_code = 503
        resp.headers["Retry-After"] = "5"
        return resp
    resp = make_response('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
                         "<title>OneScreen</title><p>Data store unavailable — retrying every 5 s.</p>", 503)
    resp.headers["Retry-After"] = "5"
    return resp


def install(server: Flask, settings: Any, r: redis.Redis) -> Gate:
    """Configure the session cookie and put the gate in front of every route."""
    from datetime import timedelta

    if not settings.secret_key or len(settings.secret_key) < 16:
        raise RuntimeError("ONESCREEN_SECRET_KEY must be set (16+ characters) to sign sessions; "
                           "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    server.secret_key = settings.secret_key
    server.config.update(SESSION_COOKIE_NAME="onescreen_session", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=bool(settings.cookie_secure),
                         PERMANENT_SESSION_LIFETIME=timedelta(hours=max(settings.session_hours, 24 * 30)),
                         # no re-signed cookie on every tick: user sign-ins expire by their own clock (session_hours),
                         # and a wall whose cookie ran out signs in again from its kiosk link
                         SESSION_REFRESH_EACH_REQUEST=False,
                         MAX_CONTENT_LENGTH=32 * 1024 * 1024)
    gate = Gate(settings, r)
    server.before_request(gate.before)
    return gate
