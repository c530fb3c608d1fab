"""Login sessions in Flask's signed cookie: who (username + session version) or which wall (kiosk id), and when."""

from __future__ import annotations

import secrets
import time
from typing import Any

import redis
from flask import g, session

from store import users


def start(user: dict[str, Any], r: redis.Redis, hours: float) -> None:
    """Start a fresh session for a user (old session data, including its CSRF token, is dropped: no fixation),
    registered server-side under a random id so that logout ends it for every copy of the cookie."""
    session.clear()
    session.permanent = True
    g.drop_kiosk_cookie = True  # a person uses this browser now: it stops being a wall
    sid = secrets.token_urlsafe(18)
    users.open_session(r, sid, users.session_owner(user), int(hours * 3600))
    session["u"] = user["username"]
    session["sid"] = sid
    session["sv"] = int(user.get("sv", 1))
    session["t"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(24)


def start_kiosk(kiosk_id: str) -> None:
    """Start a read-only wall session from a kiosk link (renewed by every tick, ended when the link is revoked)."""
    session.clear()
    session.permanent = True
    session["k"] = kiosk_id
    session["t"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(24)


def end(r: redis.Redis) -> None:
    """Log out: the server forgets the session (a saved copy of the cookie is worthless) and the cookie is cleared."""
    sid = session_id()
    session.clear()
    g.drop_kiosk_cookie = True  # signing out never turns the browser into a wall it once was
    if sid:
        users.end_session(r, sid)


def session_id() -> str | None:
    """The server-side id of a person's session, if any."""
    s = session.get("sid")
    return s if isinstance(s, str) else None


def username() -> str | None:
    """The logged-in username, if any."""
    u = session.get("u")
    return u if isinstance(u, str) else None


def kiosk_id() -> str | None:
    """The kiosk id of a wall session, if any."""
    k = session.get("k")
    return k if isinstance(k, str) else None
