"""Login sessions in Flask's signed cookie: who (username + session version) or which wall (kiosk id), and when."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import session


def start(user: dict[str, Any]) -> None:
    """Start a fresh session for a user (old session data, including its CSRF token, is dropped: no fixation)."""
    session.clear()
    session.permanent = True
    session["u"] = user["username"]
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


def end() -> None:
    """Log out: nothing of the session survives."""
    session.clear()


def username() -> str | None:
    """The logged-in username, if any."""
    u = session.get("u")
    return u if isinstance(u, str) else None


def kiosk_id() -> str | None:
    """The kiosk id of a wall session, if any."""
    k = session.get("k")
    return k if isinstance(k, str) else None
