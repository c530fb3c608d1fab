"""The request gate: every request gets a principal (or is refused) and a permission check before any view runs."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import quote

import redis
from flask import Flask, g, jsonify, redirect, request
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from auth import answers, callback_check, csrf, policy
from auth import session as sess
from auth.principal import Principal
from auth.safe_json import SafeJSONProvider
from core.roles import KIOSK
from store import audit, users
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.auth")
CACHE_S = 2.0  # how long a worker trusts a looked-up user or kiosk before asking Redis again
KIOSK_COOKIE = "onescreen_kiosk"  # a wall's link token, HttpOnly: the wall signs in again with it after a restart
STALE_OK_S = 600.0  # while Redis is down, a known caller stays known this long (the wall then shows "connection lost")


class Gate:
    """Authenticates each request (session cookie, kiosk link, bearer token) and enforces auth.policy."""

    def __init__(self, settings: Any, r: redis.Redis) -> None:
        self.settings, self.r = settings, r
        self.env_kiosks = {"env:" + users.token_id(t)[:16]: t for t in settings.kiosk_token_list}
        self._cache: dict[str, tuple[float, Any]] = {}
        self.callbacks: Any = None  # the Dash app's callback map, once it is built (create_app sets it)

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

    def forget_session(self, sid: str | None) -> None:
        """Drop this worker's cached answer for a session (a logout takes effect here at once, elsewhere within
        CACHE_S)."""
        if sid:
            self._cache.pop("s:" + sid, None)

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
        sid = sess.session_id()  # ended by logout (any copy of the cookie), or past its sign-in period
        if not sid or self._cached("s:" + sid, lambda: users.session_user(self.r, sid)) != users.session_owner(user):
            return None
        if time.time() - g.session_t > self.settings.session_hours * 3600:
            return None
        return Principal(name=name, role=user["role"], district=user.get("district"),
                         kind=user.get("source", "user"), department=user.get("department"))

    def bearer_principal(self, token: str) -> Principal | None:
        """ONESCREEN_API_TOKEN (admin, whole city) or a personal API token (its user's role and district)."""
        if self.settings.api_token and hmac.compare_digest(token.encode("utf-8", "surrogatepass"),
                                                           self.settings.api_token.encode()):
            return Principal(name="api-token", role="admin", kind="env")
        user = self._cached("t:" + users.token_id(token), lambda: users.api_token_user(self.r, token))
        if not user:
            return None
        return Principal(name=user["username"], role=user["role"], district=user.get("district"), kind="token",
                         department=user.get("department"))

    # -- the gate itself ----------------------------------------------------------------------------------------
    def resolve(self) -> Principal | None:
        """Who is asking: bearer (API routes), a kiosk link on /wall, else the session cookie."""
        _load_session()
        auth = request.headers.get("Authorization", "")
        if auth:
            if not request.path.startswith(("/api/", "/tiles/")):
                return None
            scheme, _, token = auth.partition(" ")
            return self.bearer_principal(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if sess.kiosk_id():
            wall = self.kiosk_principal(sess.kiosk_id())
            if wall is not None:
                return wall
        remembered = request.cookies.get(KIOSK_COOKIE)
        if remembered and not sess.username():  # a wall whose session was lost signs in again by its own link
            wall = self.open_kiosk(remembered, audit_refusal=False)
            if wall is None:
                g.drop_kiosk_cookie = True  # revoked: forget it (no lookup on every later request)
            return wall
        return self.user_principal()

    def kiosk_id_for(self, token: str) -> str | None:
        """The kiosk a link's token belongs to (environment-provisioned or issued at /admin), or None."""
        kid = self.env_kiosk(token)
        if kid is None:
            doc = users.kiosk_for(self.r, token)
            kid = doc.get("id") if doc else None
        return kid

    def open_kiosk(self, token: str, *, audit_refusal: bool = True) -> Principal | None:
        """A wall opened by its link: start (or keep) its read-only session."""
        kid = self.kiosk_id_for(token)
        if kid is None:
            if audit_refusal:
                audit.record(self.r, "kiosk.refused", "anonymous", ip=request.remote_addr)
            return None
        if sess.kiosk_id() != kid:
            sess.start_kiosk(kid)
            audit.record(self.r, "kiosk.open", f"kiosk:{kid}", ip=request.remote_addr)
        return self.kiosk_principal(kid)

    def kiosk_link(self, token: str) -> Response:
        """GET /wall?kiosk=<token>: the token becomes an HttpOnly cookie and the wall goes on at a clean URL (no
        token in the address bar or in later request logs). A person already signed in is asked, never switched."""
        _load_session()
        person = None if sess.kiosk_id() else self.user_principal()
        if person is not None:
            return answers.kiosk_question(person.name, token, answers.without_kiosk())
        if self.open_kiosk(token) is None:
            return answers.page("kiosk_invalid", 401)
        return self.remember_kiosk(redirect(answers.without_kiosk(), code=303), token)

    def kiosk_switch(self) -> Response:
        """POST /wall/kiosk (a person chose to turn this browser into the wall): sign out, then open the link."""
        if not csrf.valid():  # whatever the request's headers say: this ends a session
            return answers.page("form_expired", 400)
        token = request.form.get("kiosk", "")
        if not isinstance(token, str) or self.kiosk_id_for(token) is None:
            return answers.page("kiosk_invalid", 400)
        target = request.form.get("next", "")
        if not isinstance(target, str) or not (target == "/wall" or target.startswith("/wall?")):
            target = "/wall"
        sid = sess.session_id()
        sess.end(self.r)
        self.forget_session(sid)
        self.open_kiosk(token)
        g.drop_kiosk_cookie = False
        return self.remember_kiosk(redirect(target, code=303), token)

    def remember_kiosk(self, resp: Response, token: str) -> Response:
        """The link's token in an HttpOnly cookie, so the wall signs itself in again after losing its session."""
        resp.set_cookie(KIOSK_COOKIE, token, max_age=400 * 86_400, httponly=True, samesite="Lax",
                        secure=bool(self.settings.cookie_secure), path="/")
        return resp

    def before(self) -> Response | None:
        """Flask before_request: refuse, redirect to login, or let through with g.principal set."""
        path = request.path
        g.principal = None
        if path.startswith(policy.SELF_AUTH):
            return None
        if path.startswith(policy.TOKEN_ONLY):
            return self.token_only(path)
        if csrf.is_form_post() and not csrf.valid():
            return answers.page("form_expired", 400)
        if path in policy.PUBLIC or path.startswith("/login/"):
            return None
        try:
            if request.method == "GET" and path.rstrip("/") == "/wall" and "kiosk" in request.args:
                return self.kiosk_link(request.args.get("kiosk", ""))
            if request.method == "POST" and path == "/wall/kiosk":
                return self.kiosk_switch()
            principal = self.resolve()
        except UNAVAILABLE:
            return answers.unavailable()
        if principal is None:
            return self.unauthenticated()
        g.principal = principal
        if not csrf.is_form_post() and not answers.same_origin():  # form posts proved themselves with the CSRF token
            return answers.json_or_page("cross-site request refused", 403, "cross_site")
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.is_json:
            try:  # parsed once here (routes read the cached body): NaN or a lone surrogate is a 400 saying so
                request.get_json()
            except BadRequest:
                return answers.json_or_page(f"bad JSON body: {answers.json_error()}", 400)
        try:
            perm = self.required(path)
        except callback_check.BadCallback as exc:
            return answers.json_or_page(f"bad callback request: {exc}", 400)
        if perm != policy.AUTHENTICATED and not principal.can(perm):
            return answers.json_or_page(f"forbidden: your role ({principal.role}) may not use this", 403,
                                        "forbidden_role", role=principal.role)
        if path == "/_dash-update-component" and g.get("callback") is not None and not g.get("callback_checked"):
            try:  # allowed to call it: now its inputs must be what the callback takes
                callback_check.check(request.get_json(silent=True), g.callback)
            except callback_check.BadCallback as exc:
                return answers.json_or_page(f"bad callback request: {exc}", 400)
        return None

    def token_only(self, path: str) -> Response | None:
        """A route that takes an API token only (Open311: the spec's api_key in the query or form, or a bearer
        header) and never the session cookie, so a cross-site form cannot act with a user's session and no CSRF
        token is asked for. Refusals in the Open311 error shape."""
        error_response = answers.open311_error
        fmt = "xml" if path.endswith(".xml") else "json"
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if not token:
            key = request.values.get("api_key", "")
            token = key if isinstance(key, str) else ""
        try:
            principal = self.bearer_principal(token) if token else None
        except UNAVAILABLE:
            return error_response(fmt, 503, "store unavailable")
        if principal is None:
            return error_response(fmt, 401, "an API token is required (api_key, or Authorization: Bearer)")
        perm = policy.api_perm(path, request.method) or policy.NOBODY
        if not principal.can(perm):
            return error_response(fmt, 403, f"your role ({principal.role}) may not use this")
        g.principal = principal
        return None

    def required(self, path: str) -> str:
        """The permission this request needs."""
        if path == "/_dash-update-component":
            body = request.get_json(silent=True)
            g.callback = callback_check.known(body, self.callbacks)
            perm = policy.callback_perm(body["output"])
            if perm == policy.AUTHENTICATED and body["output"].startswith(".._pages_content"):
                if g.callback is not None:  # the page is read from the inputs: they must be what Dash reads
                    callback_check.check(body, g.callback)
                    g.callback_checked = True
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
        """Dash pages renders a page through a callback: the page's own permission applies, read from the input Dash
        renders from (the first, by position)."""
        path = callback_check.page_path(body)
        return policy.NOBODY if path is None else policy.page_perm(path or "/")

    def unauthenticated(self) -> Response:
        """Pages go to the login form (coming back afterwards); API and callbacks get 401."""
        if request.method == "GET" and not request.path.startswith(("/api/", "/_dash", "/tiles/", "/assets/")):
            target = request.full_path.rstrip("?")
            return redirect("/login?next=" + quote(target, safe="/?=&"))
        resp = jsonify({"error": "login required"})
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Bearer realm="onescreen"'
        return resp


def _load_session() -> None:
    """The session's version and sign-in time, for user_principal."""
    from flask import session

    g.session_sv, g.session_t = session.get("sv", 0), session.get("t", 0)


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
    server.json = SafeJSONProvider(server)  # a lone surrogate in any JSON body is a 400 before a route runs
    gate = Gate(settings, r)
    server.extensions["onescreen_gate"] = gate
    server.before_request(gate.before)

    @server.after_request
    def _drop_kiosk_cookie(resp: Response) -> Response:
        """A person signed in or out, or the wall's remembered link was revoked: the browser forgets the link."""
        if g.get("drop_kiosk_cookie"):
            resp.delete_cookie(KIOSK_COOKIE, path="/")
        return resp

    return gate
