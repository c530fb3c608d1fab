"""First start: with no users, create the admin (ONESCREEN_ADMIN_PASSWORD or a random password, shown once)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import redis

from store import audit, users

log = logging.getLogger("onescreen.auth")


def ensure_admin(r: redis.Redis, settings: Any, username: str = "admin") -> str | None:
    """Create the first admin when there are no users; returns the password only to the caller that created it."""
    if users.count_users(r):
        return None
    password = settings.admin_password or secrets.token_urlsafe(12)
    try:
        users.create_user(r, username, password, "admin", created_by="first-start")
    except ValueError as exc:
        if "already exists" in str(exc):
            return None  # another worker won the race: it prints the password
        raise ValueError(f"ONESCREEN_ADMIN_PASSWORD: {exc}") from exc
    audit.record(r, "user.create", "first-start", username=username, role="admin")
    log.warning("created the first admin %r (%s)", username,
                "password from ONESCREEN_ADMIN_PASSWORD" if settings.admin_password else "random password printed once")
    return password


def first_kiosk_link(r: redis.Redis, base_url: str) -> str | None:
    """make run's first start: one kiosk link for the wall, printed once (later ones come from /admin)."""
    if users.list_kiosks(r):
        return None
    token, _ = users.issue_kiosk(r, "wall (make run)", created_by="first-start")
    audit.record(r, "kiosk.issue", "first-start", name="wall (make run)")
    return f"{base_url}/wall?kiosk={token}"
