"""CSRF protection for form posts: a per-session random token, checked by the gate on every form POST."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"


def token() -> str:
    """This session's CSRF token (created on first use); put it in a hidden form field named csrf_token."""
    tok = session.get("csrf")
    if not tok:
        tok = session["csrf"] = secrets.token_urlsafe(24)
    return tok


def is_form_post() -> bool:
    """A state-changing request whose body a cross-site HTML form could send (and a cookie would authorise)."""
    if request.method != "POST" or request.headers.get("Authorization"):
        return False  # forms only POST; a bearer token is not sent by a cross-site form
    ctype = (request.mimetype or "").lower()
    return ctype in ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "")


def valid() -> bool:
    """Whether the posted form carries this session's token (constant-time comparison)."""
    sent = request.form.get(FIELD, "")
    expected = session.get("csrf", "")
    # bytes, not str: compare_digest refuses non-ASCII strings, and a form may send anything
    return bool(expected) and hmac.compare_digest(str(sent).encode("utf-8", "surrogatepass"),
                                                  str(expected).encode("utf-8", "surrogatepass"))
