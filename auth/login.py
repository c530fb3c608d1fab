"""The login form, logout and /api/v1/me: server-rendered HTML (no Dash), bilingual, CSRF-protected, rate-limited."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template_string, request
from werkzeug.wrappers import Response

from auth import csrf
from auth import session as sess
from auth.principal import current
from store import audit, context, users
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.auth")
bp = Blueprint("login", __name__)
WINDOW_S = 300

TEXT = {
    "zh": {"title": "登录 · 一屏观城", "heading": "一屏观城", "sub": "城市运行指挥中心", "user": "用户名", "pw": "密码",
           "submit": "登录", "bad": "用户名或密码不正确。", "slow": "尝试次数过多，请 {s} 秒后再试。",
           "down": "数据服务暂不可用，请稍后再试。", "sso": "使用统一身份认证登录", "other": "English"},
    "en": {"title": "Sign in · OneScreen", "heading": "OneScreen", "sub": "City operations centre", "user": "Username",
           "pw": "Password", "submit": "Sign in", "bad": "Wrong username or password.",
           "slow": "Too many attempts: try again in {s} s.",
           "down": "The data store is unavailable: try again shortly.",
           "sso": "Sign in with the city's identity platform", "other": "中文"},
}

PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ tx.title }}</title>
<link rel="stylesheet" href="/assets/a11y.css"><link rel="stylesheet" href="/assets/login.css"></head>
<body class="login-body"><main class="login-card">
<h1 class="login-h1">{{ tx.heading }}</h1><p class="login-sub">{{ tx.sub }}</p>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login?lang={{ lang }}" class="login-form">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="next" value="{{ next }}">
<label class="login-label">{{ tx.user }}<input class="login-input" name="username" autocomplete="username" required
 autofocus value="{{ username }}" maxlength="64"></label>
<label class="login-label">{{ tx.pw }}<input class="login-input" name="password" type="password" required
 autocomplete="current-password" maxlength="1024"></label>
<button type="submit" class="login-button">{{ tx.submit }}</button></form>
{% if sso %}<p class="login-sso"><a class="login-link"
 href="/login/oidc?next={{ next|urlencode }}">{{ tx.sso }}</a></p>{% endif %}
<p class="login-lang"><a class="login-link"
 href="/login?lang={{ 'en' if lang == 'zh' else 'zh' }}&next={{ next|urlencode }}">{{ tx.other }}</a></p>
</main></body></html>"""


def _lang() -> str:
    """?lang=, else the app's default language."""
    lang = request.args.get("lang") or current_app.config.get("ONESCREEN_LANG", "zh")
    return lang if lang in TEXT else "zh"


def safe_next(target: Any) -> str:
    """Only a local path may follow a login (no open redirect to another site)."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target) or target.startswith("/login"):
        return "/"
    return target[:2000]


def _page(status: int = 200, error: str | None = None, username: str = "") -> Response:
    lang = _lang()
    html = render_template_string(PAGE, lang=lang, tx=TEXT[lang], error=error, csrf=csrf.token(),
                                  next=safe_next(request.values.get("next")), username=username[:64],
                                  sso=current_app.config.get("ONESCREEN_OIDC", False))
    resp = current_app.make_response((html, status))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _client(name: str) -> tuple[str, str]:
    """Rate-limit ids: the client address, and the address with the attempted name (hashed: no PII in keys)."""
    ip = request.remote_addr or "?"
    return (hashlib.sha256(ip.encode()).hexdigest()[:16],
            hashlib.sha256(f"{ip}\n{name}".encode("utf-8", "surrogatepass")).hexdigest()[:16])


@bp.get("/login")
def login_form() -> Response:
    """The sign-in form (already signed in: straight on)."""
    return _page()


@bp.post("/login")
def login_submit() -> Response:
    """Check the password; failures are counted per address and per address+name in Redis and audited."""
    ctx = context.get()
    r, limit = ctx.redis, ctx.settings.login_rate_per_5min
    name = request.form.get("username", "")
    name = name if isinstance(name, str) else ""
    ip_id, pair_id = _client(name)
    tx = TEXT[_lang()]
    try:
        now = time.time()
        # Count the attempt first (one atomic INCR each), then verify: concurrent guesses all see each other's
        # counts, so no more than the limit are ever checked against the hash. A sign-in that works is refunded.
        if users.hit_rate(r, "login", pair_id, WINDOW_S, now) > limit or \
                users.hit_rate(r, "login-ip", ip_id, WINDOW_S, now) > 5 * limit:
            wait = int(WINDOW_S - now % WINDOW_S) + 1
            audit.record(r, "login.throttled", name[:64] or "?", ip=request.remote_addr)
            resp = _page(429, tx["slow"].format(s=wait), name)
            resp.headers["Retry-After"] = str(wait)
            return resp
        user = users.verify(r, name, request.form.get("password", ""))
        if user is None:
            audit.record(r, "login.failed", name[:64] or "?", ip=request.remote_addr)
            return _page(401, tx["bad"], name)
        users.refund_rate(r, "login", pair_id, WINDOW_S, now)
        users.refund_rate(r, "login-ip", ip_id, WINDOW_S, now)
        sess.start(user, r, ctx.settings.session_hours)
        audit.record(r, "login", user["username"], ip=request.remote_addr, method="password")
    except UNAVAILABLE:
        return _page(503, tx["down"], name)
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (a form post with the CSRF token) and go back to the login form."""
    p, sid = current(), sess.session_id()
    r = context.get().redis
    try:
        sess.end(r)
        if p is not None:
            audit.record(r, "logout", p.name, ip=request.remote_addr)
    except UNAVAILABLE:  # the cookie is cleared; the server-side session ends with its sign-in period
        log.warning("logout of %s not recorded: store unavailable", p.name if p else "?")
    gate = current_app.extensions.get("onescreen_gate")
    if gate is not None:
        gate.forget_session(sid)
    return redirect("/login", code=303)


@bp.get("/api/v1/me")
def me() -> Response:
    """Who the caller is (name, role, district, kind, and a handler's department): for tools and tests."""
    p = current()
    assert p is not None  # the gate let only authenticated callers through
    return jsonify({"name": p.name, "role": p.role, "district": p.district, "kind": p.kind,
                    "department": p.department})
