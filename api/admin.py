"""Admin operations (users, kiosk links, API tokens) and their JSON mirror at /api/v1/admin, for automation.

    GET    /api/v1/admin/users                 {"users": [...]} (no password hashes)
    POST   /api/v1/admin/users                 {"username", "role", "district"?, "password"?, "display_name"?}
                                               -> 201 {"user", "password"?}  (password only when generated)
    PATCH  /api/v1/admin/users/<name>          {"role"?, "district"?, "disabled"?, "password"?, "reset_password"?}
                                               -> {"user", "password"?}  (any change ends the user's sessions)
    DELETE /api/v1/admin/users/<name>          -> {"deleted": name}
    GET    /api/v1/admin/kiosks                {"kiosks": [...]}
    POST   /api/v1/admin/kiosks                {"name", "district"?} -> 201 {"id", "token", "url"} (shown once)
    DELETE /api/v1/admin/kiosks/<id>           -> {"revoked": id}
    GET    /api/v1/admin/tokens                {"tokens": [...]}
    POST   /api/v1/admin/tokens                {"username", "name"} -> 201 {"id", "token"} (shown once)
    DELETE /api/v1/admin/tokens/<id>           -> {"revoked": id}
    GET    /api/v1/admin/audit?count=N         {"entries": [...]} newest first (N 1..1000, default 200)

The operations below are shared with the HTML page (auth.admin): one place validates, guards the last admin and
writes the audit entry. Secrets are returned to the caller once and never logged or audited.
Errors are JSON {"error": "..."}: 400 bad input, 403 not an admin, 404 unknown, 409 conflict, 503 store unreachable.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request

from auth.principal import current
from core.geo import districts as load_districts
from core.roles import check_role
from store import audit, context, keys, users
from store.client import UNAVAILABLE

log = logging.getLogger("onescreen.admin")
bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
LOCK = f"{keys.USERS}:admin-lock"  # serialises user changes, so two admins cannot demote the last two admins at once
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
                display_name: Any = None) -> tuple[dict[str, Any], str | None]:
    """Create a user; (user, generated password or None). Everything is validated before anything is written."""
    users.check_username(username)
    check_role(role)
    district = check_district(district)
    generated = None if password not in (None, "") else new_password()
    if display_name is not None and not isinstance(display_name, str):
        raise ValueError("display_name must be text")
    if users.get_user(r, username) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = users.create_user(r, username, generated or password, role, district,
                             (display_name or "").strip() or None, created_by=actor)
    audit.record(r, "user.create", actor, username=username, role=user["role"], district=district)
    return user, generated


def update_user(r: redis.Redis, actor: str, username: Any, *, role: Any = None, district: Any = ...,
                disabled: Any = None, password: Any = None, reset_password: bool = False,
                ) -> tuple[dict[str, Any], str | None]:
    """Change role/district/disabled/password (ending the user's sessions); (user, generated password or None)."""
    if role is not None:
        check_role(role)
    if district is not ...:
        district = check_district(district)
    if disabled is not None and not isinstance(disabled, bool):
        raise ValueError("disabled must be true or false")
    if password is not None:
        users.check_password(password)
        if reset_password:
            raise ValueError("give a password or ask for a reset, not both")
    if role is None and district is ... and disabled is None and password is None and not reset_password:
        raise ValueError("nothing to change")
    generated = new_password() if reset_password else None
    with _locked(r):
        user = _user(r, username)
        _guard_last_admin(r, user, (role is not None and role != "admin") or disabled is True)
        updated = users.update_user(r, username, role=role, district=district, disabled=disabled,
                                    password=generated or password)
    changes = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
    if district is not ...:
        changes["district"] = district
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


# --- the JSON mirror -------------------------------------------------------------------------------------------


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map failures to JSON errors (400/403/404/409/503) and never a stack trace."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except PermissionError as exc:
            return _error(str(exc), 403)
        except NotFound as exc:
            return _error(str(exc), 404)
        except Conflict as exc:
            return _error(str(exc), 409)
        except UNREACHABLE as exc:  # before ValueError: redis's LockError is both
            log.warning("admin API: store unavailable: %s", exc)
            return _error("store unavailable", 503)
        except ValueError as exc:
            return _error(str(exc), 400)
        except Exception:
            log.exception("admin API failed")
            return _error("internal error", 500)
    return wrapper


def _body() -> dict[str, Any]:
    """The JSON object body; ValueError for anything else (forms are for the HTML page)."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object (Content-Type: application/json)")
    return data


@bp.get("/users")
@guarded
def api_users() -> Any:
    """Every user, without password hashes."""
    actor()
    return jsonify({"users": users.list_users(redis_client())})


@bp.post("/users")
@guarded
def api_create_user() -> Any:
    """Create a user; a generated password is in the response only."""
    who, body = actor(), _body()
    user, generated = create_user(redis_client(), who, body.get("username"), body.get("role"), body.get("district"),
                                  body.get("password"), body.get("display_name"))
    return jsonify({"user": user, **({"password": generated} if generated else {})}), 201


@bp.patch("/users/<name>")
@guarded
def api_update_user(name: str) -> Any:
    """Change a user; reset_password=true returns a generated password once."""
    who, body = actor(), _body()
    unknown = set(body) - {"role", "district", "disabled", "password", "reset_password"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    if not isinstance(body.get("reset_password", False), bool):
        raise ValueError("reset_password must be true or false")
    user, generated = update_user(redis_client(), who, name, role=body.get("role"),
                                  district=body.get("district", ...),
                                  disabled=body.get("disabled"), password=body.get("password"),
                                  reset_password=body.get("reset_password") is True)
    return jsonify({"user": user, **({"password": generated} if generated else {})})


@bp.delete("/users/<name>")
@guarded
def api_delete_user(name: str) -> Any:
    """Delete a user (and their API tokens)."""
    delete_user(redis_client(), actor(), name)
    return jsonify({"deleted": name})


@bp.get("/kiosks")
@guarded
def api_kiosks() -> Any:
    """Every kiosk link, without tokens."""
    actor()
    return jsonify({"kiosks": users.list_kiosks(redis_client())})


@bp.post("/kiosks")
@guarded
def api_issue_kiosk() -> Any:
    """Issue a wall link; the token and the full URL are in this response only."""
    who, body = actor(), _body()
    token, kid = issue_kiosk(redis_client(), who, body.get("name"), body.get("district"))
    return jsonify({"id": kid, "token": token, "url": f"{request.host_url.rstrip('/')}/wall?kiosk={token}"}), 201


@bp.delete("/kiosks/<kid>")
@guarded
def api_revoke_kiosk(kid: str) -> Any:
    """Revoke a wall link."""
    revoke_kiosk(redis_client(), actor(), kid)
    return jsonify({"revoked": kid})


@bp.get("/tokens")
@guarded
def api_tokens() -> Any:
    """Every personal API token, without secrets."""
    actor()
    return jsonify({"tokens": users.list_api_tokens(redis_client())})


@bp.post("/tokens")
@guarded
def api_issue_token() -> Any:
    """Issue a personal API token for a user; the token is in this response only."""
    who, body = actor(), _body()
    token, tid = issue_token(redis_client(), who, body.get("username"), body.get("name"))
    return jsonify({"id": tid, "token": token}), 201


@bp.delete("/tokens/<tid>")
@guarded
def api_revoke_token(tid: str) -> Any:
    """Revoke a personal API token."""
    revoke_token(redis_client(), actor(), tid)
    return jsonify({"revoked": tid})


@bp.get("/audit")
@guarded
def api_audit() -> Any:
    """The newest audit entries first."""
    actor()
    try:
        count = int(request.args.get("count", 200))
    except ValueError as exc:
        raise ValueError("count must be an integer") from exc
    if not 1 <= count <= 1000:
        raise ValueError("count must be within 1..1000")
    return jsonify({"entries": audit.read(redis_client(), count)})
