"""Optional sign-in through the city's OpenID Connect identity platform (authlib; code flow, PKCE S256, nonce)."""

from __future__ import annotations

import html
import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, make_response, redirect, request, session, url_for
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from auth import session as sess
from auth.login import safe_next
from core.roles import NEEDS_DEPARTMENT, PERMS, ROLES
from store import audit, context, users
from store.client import UNAVAILABLE
from store.users import USERNAME

log = logging.getLogger("onescreen.auth")
NEXT_KEY = "oidc_next"
TIMEOUT_S = 10.0
UNREACHABLE = ("The identity platform cannot be reached right now: try again shortly, or sign in with a password. "
               "统一身份认证平台暂时无法访问，请稍后再试。")


def enabled(settings: Any) -> bool:
    """SSO is on only when issuer, client id and client secret are all configured."""
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def check_config(settings: Any) -> None:
    """Refuse to start on a configuration that would fail (or leak the client secret) at the first sign-in."""
    if settings.oidc_default_role in NEEDS_DEPARTMENT:
        raise ValueError("ONESCREEN_OIDC_DEFAULT_ROLE cannot be a handler: a handler needs a department")
    if settings.oidc_default_role not in ROLES:
        raise ValueError(f"ONESCREEN_OIDC_DEFAULT_ROLE must be one of {', '.join(ROLES)}, "
                         f"not {settings.oidc_default_role!r}")
    parts = urlsplit(settings.oidc_issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"ONESCREEN_OIDC_ISSUER must be an https URL, not {settings.oidc_issuer!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError("ONESCREEN_OIDC_ISSUER must use https (the client secret and tokens travel to it)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def map_claims(claims: dict[str, Any], settings: Any) -> tuple[str, str, str | None]:
    """(username, role, district) from ID-token claims; ValueError when the district claim is malformed.

    A list-valued role claim (groups) grants the known role holding the most permissions (one role per user: a
    person in analyst and dispatcher groups is a dispatcher, without the analyst's export); a handler only with a
    department claim; an unknown role falls back to the default.
    A malformed district is refused rather than widened to the whole city."""
    names = [n for n in (claims.get("preferred_username"), claims.get("sub")) if isinstance(n, str)]
    username = next((n for n in names if USERNAME.match(n)), None)  # e.g. a Chinese display-style name: use sub
    if username is None:
        raise ValueError("the ID token names no usable user (preferred_username or sub: letters, digits, _ . @ -)")
    raw = claims.get(settings.oidc_role_claim)
    values = raw if isinstance(raw, list) else [raw]
    department = claims.get(settings.oidc_department_claim)
    known = [v for v in values if isinstance(v, str) and v in ROLES
             and (v not in NEEDS_DEPARTMENT or (isinstance(department, str) and department.strip()))]
    # one role per user: the one that may do the most (then the later in ROLES); a handler needs its department
    role = max(known, key=lambda v: (sum(v in roles for roles in PERMS.values()), ROLES.index(v))) if known \
        else settings.oidc_default_role
    district = claims.get(settings.oidc_district_claim)
    if isinstance(district, int) and not isinstance(district, bool):
        district = str(district)
    if district not in (None, "") and not (isinstance(district, str) and len(district) == 6 and district.isdigit()):
        raise ValueError(f"claim {settings.oidc_district_claim} must be a six-digit district code")
    return username, role, district or None


def _page(status: int, message: str) -> Response:
    """A small HTML error page: what went wrong and a way back (never a stack trace)."""
    body = (f'<!doctype html><meta charset="utf-8"><title>OneScreen · sign-in</title>'
            f"<h1>统一身份认证登录失败 · Sign-in failed</h1><p>{html.escape(message)}</p>"
            f'<p><a href="/login">返回登录 · Back to sign-in</a></p>')
    resp = make_response(body, status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _off() -> Response:
    """SSO is not configured: say so plainly."""
    return _page(404, "Single sign-on is not configured on this server: sign in with a password.")


def _audit(actor: str, ok: bool, reason: str | None = None) -> None:
    """Record the attempt (a store outage must not turn a sign-in answer into a 500)."""
    try:
        audit.record(context.get().redis, "login" if ok else "login.failed", actor[:64], method="oidc", ok=ok,
                     reason=reason, ip=request.remote_addr)
    except UNAVAILABLE:
        log.warning("OIDC sign-in of %s not audited: store unavailable", actor[:64])


def register(server: Flask, settings: Any) -> bool:
    """Mount /login/oidc and /login/oidc/callback when SSO is configured; False (the paths answer 404) otherwise."""
    if not enabled(settings):
        for path, endpoint in (("/login/oidc", "oidc_off"), ("/login/oidc/callback", "oidc_off_callback")):
            server.add_url_rule(path, endpoint, _off)  # else Dash's catch-all would answer with the app shell
        return False
    check_config(settings)
    issuer = settings.oidc_issuer.rstrip("/")
    client = OAuth(server).register(
        name="city", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256", "default_timeout": TIMEOUT_S})
    claims_options = {"iss": {"essential": True, "values": [issuer, issuer + "/"]},
                      "aud": {"essential": True, "value": settings.oidc_client_id}}
    bp = Blueprint("oidc", __name__)

    @bp.get("/login/oidc")
    def login() -> Response:
        """Send the browser to the identity platform (authlib keeps state, nonce and PKCE verifier in the session)."""
        session[NEXT_KEY] = safe_next(request.args.get("next"))
        callback = url_for("oidc.callback", _external=True, _scheme="https" if settings.cookie_secure else None)
        try:
            return client.authorize_redirect(callback)
        except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
            log.warning("OIDC discovery at %s failed: %s", issuer, exc)
            return _page(502, UNREACHABLE)

    @bp.get("/login/oidc/callback")
    def callback() -> Response:
        """Check the answer (state, code + PKCE, ID-token signature, issuer, audience, nonce), then start a session."""
        try:
            token = client.authorize_access_token(claims_options={k: dict(v) for k, v in claims_options.items()})
        except MismatchingStateError:
            _audit("anonymous", False, "state mismatch")
            return _page(401, "This sign-in expired or was not started here: start again from the sign-in page.")
        except OAuthError as exc:
            if exc.error in ("server_error", "temporarily_unavailable"):
                log.warning("OIDC provider %s failed: %s", issuer, exc)
                return _page(502, UNREACHABLE)
            _audit("anonymous", False, f"provider error: {exc.error}")
            return _page(401, f"The identity platform refused the sign-in ({exc.error}).")
        except JoseError as exc:
            _audit("anonymous", False, f"invalid ID token: {exc.error}")
            return _page(401, "The identity platform's answer could not be verified (invalid ID token).")
        except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
            log.warning("OIDC token exchange with %s failed: %s", issuer, exc)
            return _page(502, UNREACHABLE)
        claims = token.get("userinfo")
        if not claims:
            _audit("anonymous", False, "no ID token")
            return _page(502, "The identity platform returned no ID token (is the openid scope allowed?).")
        try:
            username, role, district = map_claims(dict(claims), settings)
        except ValueError as exc:
            _audit(str(claims.get("sub", "anonymous")), False, str(exc))
            return _page(401, f"Your identity could not be used here: {exc}.")
        r = context.get().redis
        try:
            existing = users.get_user(r, username)
            if existing and existing.get("disabled"):
                _audit(username, False, "account disabled")
                return _page(403, "This account is disabled in OneScreen: ask an administrator.")
            name, department = claims.get("name"), claims.get(settings.oidc_department_claim)
            user = users.upsert_external_user(r, username, role, district, source="oidc",
                                              display_name=name if isinstance(name, str) else None,
                                              department=department if role in NEEDS_DEPARTMENT else None)
        except ValueError as exc:
            _audit(username, False, str(exc))
            return _page(403, f"Your identity could not be used here: {exc}.")
        except UNAVAILABLE:
            return _page(503, "The data store is unavailable: try again shortly.")
        target = session.get(NEXT_KEY) or "/"
        try:
            sess.start(user, r, settings.session_hours)
        except UNAVAILABLE:
            return _page(503, "The data store is unavailable: try again shortly.")
        _audit(username, True)
        return redirect(target, code=303)

    server.register_blueprint(bp)
    server.config["ONESCREEN_OIDC"] = True
    log.info("OIDC sign-in enabled with %s", issuer)
    return True
