"""Admin operations on accounts, kiosk links and API tokens, shared by the admin page (layouts/admin.py) and its JSON
mirror (api/admin.py): one place validates, guards the last admin and writes the audit entry. Secrets are returned
to the caller once and never logged or audited.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from auth.principal import current
from cases import service
from core.case_flow import Refused
from core.geo import districts as load_districts
from core.roles import check_department, check_role
from store import audit, context, keys, users
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.admin")
LOCK = keys.ADMIN_LOCK
UNREACHABLE = (*UNAVAILABLE, redis.RedisError)


class Conflict(Exception):
    """A valid request the current state forbids (the last admin, deleting yourself, a taken name): 409."""


class NotFound(Exception):
    """An unknown user, kiosk link or token: 404."""


def redis_client() -> redis.Redis:
    """The app's client; an app that was not set up counts as a store we cannot reach."""
    try:
        return context.get().redis
    except RuntimeError as exc:
        raise redis.ConnectionError("app context not initialised") from exc


def city_districts() -> dict[str, dict[str, Any]]:
    """adcode -> {zh, en} of the city's districts (the only districts a user or wall may be bound to)."""
    return load_districts(context.get().city["geo"]["districts"])


def new_password() -> str:
    """A random 20-character password for an admin to hand over (shown once)."""
    return secrets.token_urlsafe(15)


def check_district(value: Any) -> str | None:
    """None (whole city) or one of the city's district adcodes; ValueError otherwise."""
    district = users.check_district(value)
    if district is not None and district not in city_districts():
        raise ValueError(f"district {district!r} is not a district of this city")
    return district


@contextmanager
def _locked(r: redis.Redis) -> Iterator[None]:
    """Hold the admin lock for a check-then-write on users."""
    with r.lock(LOCK, timeout=10, blocking_timeout=5):
        yield


def _user(r: redis.Redis, username: Any) -> dict[str, Any]:
    user = users.get_user(r, username) if isinstance(username, str) else None
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _guard_last_admin(r: redis.Redis, user: dict[str, Any], loses_admin: bool) -> None:
    """Refuse a change that would leave no enabled admin (nobody could manage users any more)."""
    if not loses_admin or user.get("role") != "admin" or user.get("disabled"):
        return
    admins = [u for u in users.list_users(r) if u.get("role") == "admin" and not u.get("disabled")]
    if len(admins) <= 1:
        raise Conflict(f"{user['username']!r} is the last enabled admin: make another admin first")


def create_user(r: redis.Redis, actor: str, username: Any, role: Any, district: Any = None, password: Any = None,
                display_name: Any = None, department: Any = None) -> tuple[dict[str, Any], str | None]:
    """Create a user; (user, generated password or None). Everything is validated before anything is written."""
    users.check_username(username)
    check_role(role)
    district = check_district(district)
    department = check_department(role, department)
    generated = None if password not in (None, "") else new_password()
    if display_name is not None and not isinstance(display_name, str):
        raise ValueError("display_name must be text")
    if users.get_user(r, username) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = users.create_user(r, username, generated or password, role, district,
                             (display_name or "").strip() or None, created_by=actor, department=department)
    audit.record(r, "user.create", actor, username=username, role=user["role"], district=district,
                 **({"department": department} if department else {}))
    return user, generated


def update_user(r: redis.Redis, actor: str, username: Any, *, role: Any = None, district: Any = ...,
                disabled: Any = None, password: Any = None, reset_password: bool = False, department: Any = ...,
                ) -> tuple[dict[str, Any], str | None]:
    """Change role/district/department/disabled/password (ending the user's sessions); (user, generated password
    or None)."""
    if role is not None:
        check_role(role)
    if department is not ... and department not in (None, ""):
        check_department("", department)
    if district is not ...:
        district = check_district(district)
    if disabled is not None and not isinstance(disabled, bool):
        raise ValueError("disabled must be true or false")
    if password is not None:
        users.check_password(password)
        if reset_password:
            raise ValueError("give a password or ask for a reset, not both")
    if role is None and district is ... and department is ... and disabled is None and password is None \
            and not reset_password:
        raise ValueError("nothing to change")
    generated = new_password() if reset_password else None
    with _locked(r):
        user = _user(r, username)
        _guard_last_admin(r, user, (role is not None and role != "admin") or disabled is True)
        updated = users.update_user(r, username, role=role, district=district, disabled=disabled,
                                    password=generated or password, department=department)
    changes = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
    if district is not ...:
        changes["district"] = district
    if department is not ...:
        changes["department"] = updated.get("department")
    if generated or password:
        changes["password"] = "reset" if generated else "set"  # that it changed, never the secret
    event = "user.password_reset" if set(changes) == {"password"} else "user.update"  # as `python -m auth passwd`
    audit.record(r, event, actor, username=username, **changes)
    return updated, generated


def delete_user(r: redis.Redis, actor: str, username: Any) -> None:
    """Delete a user and their API tokens; not yourself, not the last enabled admin."""
    if username == actor:
        raise Conflict("you cannot delete yourself")
    with _locked(r):
        user = _user(r, username)
        _guard_last_admin(r, user, True)
        users.delete_user(r, username)
    audit.record(r, "user.delete", actor, username=username, role=user.get("role"))


def issue_kiosk(r: redis.Redis, actor: str, name: Any, district: Any = None) -> tuple[str, str]:
    """A read-only wall link token; (token shown once, id)."""
    token, kid = users.issue_kiosk(r, name, check_district(district), created_by=actor)
    audit.record(r, "kiosk.issue", actor, kiosk_id=kid, name=str(name).strip(), district=users.check_district(district))
    return token, kid


def _find(docs: list[dict[str, Any]], short_id: Any, what: str) -> dict[str, Any]:
    for doc in docs:
        if doc.get("id") == short_id:
            return doc
    raise NotFound(f"no {what} {short_id!r}")


def revoke_kiosk(r: redis.Redis, actor: str, kid: Any) -> None:
    """Revoke a wall link; the wall using it is logged out on its next request."""
    doc = _find(users.list_kiosks(r), kid, "kiosk link")
    if not users.revoke_kiosk(r, kid):
        raise NotFound(f"no kiosk link {kid!r}")
    audit.record(r, "kiosk.revoke", actor, kiosk_id=kid, name=doc.get("name"))


def issue_token(r: redis.Redis, actor: str, username: Any, name: Any) -> tuple[str, str]:
    """A personal API token with the user's role and district; (token shown once, id)."""
    _user(r, username)
    token, tid = users.issue_api_token(r, username, name, created_by=actor)
    audit.record(r, "token.issue", actor, token_id=tid, username=username, name=str(name).strip())
    return token, tid


def revoke_token(r: redis.Redis, actor: str, tid: Any) -> None:
    """Revoke a personal API token."""
    doc = _find(users.list_api_tokens(r), tid, "API token")
    if not users.revoke_api_token(r, tid):
        raise NotFound(f"no API token {tid!r}")
    audit.record(r, "token.revoke", actor, token_id=tid, username=doc.get("username"), name=doc.get("name"))


def actor() -> str:
    """The acting admin's name (the gate already checked the role; this fails closed if it did not run)."""
    p = current()
    if p is None or p.role != "admin":
        raise PermissionError("admin only")
    return p.name


def case_rules(book: Any) -> dict[str, Any]:
    """The dispatch table in force, as its YAML text and version (0: the shipped file's)."""
    version, text = service.rules_text(book)
    stored = book.rules_doc()
    return {"version": version, "yaml": text, "by": (stored or {}).get("by"), "at_ms": (stored or {}).get("at_ms")}


def save_case_rules(book: Any, text: Any, expected_version: Any, actor_name: str, now_ms: int) -> int:
    """Check and save a new dispatch table (ValueError naming the bad entry, Conflict when someone saved since
    `expected_version`), and audit it; its version."""
    if expected_version is not None and (isinstance(expected_version, bool) or not isinstance(expected_version, int)):
        raise ValueError("expected_version must be a whole number")
    try:
        version = service.save_rules(book, text, actor_name, now_ms, expected_version)
    except Refused as exc:
        raise Conflict(exc.reason) from None
    audit.record(redis_client(), "case_rules.save", actor_name, version=version)
    return version
