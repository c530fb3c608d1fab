"""The JSON mirror of the admin page at /api/v1/admin (users, kiosk links, API tokens), for automation.

    GET    /api/v1/admin/users                 {"users": [...]} (no password hashes)
    POST   /api/v1/admin/users                 {"username", "role", "district"?, "department"? (a handler's: needed),
                                                "password"?, "display_name"?}
                                               -> 201 {"user", "password"?}  (password only when generated)
    PATCH  /api/v1/admin/users/<name>          {"role"?, "district"?, "department"?, "disabled"?, "password"?,
                                                "reset_password"?}
                                               -> {"user", "password"?}  (any change ends the user's sessions)
    DELETE /api/v1/admin/users/<name>          -> {"deleted": name}
    GET    /api/v1/admin/kiosks                {"kiosks": [...]}
    POST   /api/v1/admin/kiosks                {"name", "district"?} -> 201 {"id", "token", "url"} (shown once)
    DELETE /api/v1/admin/kiosks/<id>           -> {"revoked": id}
    GET    /api/v1/admin/tokens                {"tokens": [...]}
    POST   /api/v1/admin/tokens                {"username", "name"} -> 201 {"id", "token"} (shown once)
    DELETE /api/v1/admin/tokens/<id>           -> {"revoked": id}
    GET    /api/v1/admin/audit?count=N         {"entries": [...]} newest first (N 1..1000, default 200)
    GET    /api/v1/admin/case-rules            {"version", "yaml", "by", "at_ms"}: the dispatch table in force
                                               (version 0: config/case_rules.yaml, never edited)
    PUT    /api/v1/admin/case-rules            {"yaml", "expected_version"?} -> {"version"}: checked as the file is;
                                               applies in every process within 5 s

The operations are auth.accounts (shared with the admin page): secrets are returned to the caller once and never
logged or audited.
Errors are JSON {"error": "..."}: 400 bad input, 403 not an admin, 404 unknown, 409 conflict, 503 store unreachable.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy.exc
from flask import Blueprint, jsonify, request

from api.errors import guarded_by
from auth import accounts as ops
from store import audit, context, users

log = logging.getLogger("onescreen.admin")
bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")


# in this order: redis's LockError is both unreachable and a ValueError
guarded = guarded_by(log, "admin API", ((PermissionError, 403, None), (ops.NotFound, 404, None),
                                        (ops.Conflict, 409, None), (ops.UNREACHABLE, 503, "store unavailable"),
                                        ((sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError), 503,
                                         "case records unavailable"),
                                        (ValueError, 400, None)))


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
    ops.actor()
    return jsonify({"users": users.list_users(ops.redis_client())})


@bp.post("/users")
@guarded
def api_create_user() -> Any:
    """Create a user; a generated password is in the response only."""
    who, body = ops.actor(), _body()
    user, generated = ops.create_user(ops.redis_client(), who, body.get("username"), body.get("role"),
                                      body.get("district"), body.get("password"), body.get("display_name"),
                                      body.get("department"))
    return jsonify({"user": user, **({"password": generated} if generated else {})}), 201


@bp.patch("/users/<name>")
@guarded
def api_update_user(name: str) -> Any:
    """Change a user; reset_password=true returns a generated password once."""
    who, body = ops.actor(), _body()
    unknown = set(body) - {"role", "district", "department", "disabled", "password", "reset_password"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    if not isinstance(body.get("reset_password", False), bool):
        raise ValueError("reset_password must be true or false")
    user, generated = ops.update_user(ops.redis_client(), who, name, role=body.get("role"),
                                      district=body.get("district", ...),
                                      department=body.get("department", ...),
                                      disabled=body.get("disabled"), password=body.get("password"),
                                      reset_password=body.get("reset_password") is True)
    return jsonify({"user": user, **({"password": generated} if generated else {})})


@bp.delete("/users/<name>")
@guarded
def api_delete_user(name: str) -> Any:
    """Delete a user (and their API tokens)."""
    ops.delete_user(ops.redis_client(), ops.actor(), name)
    return jsonify({"deleted": name})


@bp.get("/kiosks")
@guarded
def api_kiosks() -> Any:
    """Every kiosk link, without tokens."""
    ops.actor()
    return jsonify({"kiosks": users.list_kiosks(ops.redis_client())})


@bp.post("/kiosks")
@guarded
def api_issue_kiosk() -> Any:
    """Issue a wall link; the token and the full URL are in this response only."""
    who, body = ops.actor(), _body()
    token, kid = ops.issue_kiosk(ops.redis_client(), who, body.get("name"), body.get("district"))
    return jsonify({"id": kid, "token": token, "url": f"{request.host_url.rstrip('/')}/wall?kiosk={token}"}), 201


@bp.delete("/kiosks/<kid>")
@guarded
def api_revoke_kiosk(kid: str) -> Any:
    """Revoke a wall link."""
    ops.revoke_kiosk(ops.redis_client(), ops.actor(), kid)
    return jsonify({"revoked": kid})


@bp.get("/tokens")
@guarded
def api_tokens() -> Any:
    """Every personal API token, without secrets."""
    ops.actor()
    return jsonify({"tokens": users.list_api_tokens(ops.redis_client())})


@bp.post("/tokens")
@guarded
def api_issue_token() -> Any:
    """Issue a personal API token for a user; the token is in this response only."""
    who, body = ops.actor(), _body()
    token, tid = ops.issue_token(ops.redis_client(), who, body.get("username"), body.get("name"))
    return jsonify({"id": tid, "token": token}), 201


@bp.delete("/tokens/<tid>")
@guarded
def api_revoke_token(tid: str) -> Any:
    """Revoke a personal API token."""
    ops.revoke_token(ops.redis_client(), ops.actor(), tid)
    return jsonify({"revoked": tid})


@bp.get("/audit")
@guarded
def api_audit() -> Any:
    """The newest audit entries first."""
    ops.actor()
    try:
        count = int(request.args.get("count", 200))
    except ValueError as exc:
        raise ValueError("count must be an integer") from exc
    if not 1 <= count <= 1000:
        raise ValueError("count must be within 1..1000")
    return jsonify({"entries": audit.read(ops.redis_client(), count)})


@bp.get("/case-rules")
@guarded
def api_case_rules() -> Any:
    """The dispatch table and time limits in force."""
    ops.actor()
    return jsonify(ops.case_rules(context.get().casebook()))


@bp.put("/case-rules")
@guarded
def api_save_case_rules() -> Any:
    """A new dispatch table (YAML text, as config/case_rules.yaml), checked before it is saved."""
    who, body = ops.actor(), _body()
    unknown = set(body) - {"yaml", "expected_version"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    version = ops.save_case_rules(context.get().casebook(), body.get("yaml"), body.get("expected_version"), who,
                                  int(time.time() * 1000))
    return jsonify({"version": version})
