"""The admin page (/admin): users, kiosk links, API tokens and the audit stream, as plain server-rendered HTML.

Plain HTML with forms (no Dash, no scripts) so it works under a strict CSP and with nothing but a browser. Every
form carries the CSRF token (checked by the gate); changes are POST-redirect-GET, except the pages that show a new
secret once, which are served with Cache-Control: no-store. The operations themselves live in auth.accounts (shared
with the JSON mirror, api.admin), so both paths validate, guard the last admin and audit the same way.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy.exc
from flask import Blueprint, Response, flash, get_flashed_messages, redirect, render_template_string, request, url_for

from auth import accounts as ops
from auth import csrf
from config.settings import ROOT
from core.i18n import ADMIN_TEXT as TEXT
from core.i18n import norm_lang
from core.roles import ROLES
from store import audit, context, users

log = logging.getLogger("onescreen.admin")
bp = Blueprint("admin", __name__)
AUDIT_ROWS = 200
DB_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
CONFIRM = {"delete-user": "admin.delete_user", "reset-password": "admin.reset_password",
           "revoke-kiosk": "admin.revoke_kiosk", "revoke-token": "admin.revoke_token"}
PAGE = (Path(__file__).with_name("admin.html")).read_text(encoding="utf-8")  # the one template, Jinja


def _lang() -> str:
    """?lang= (or the form's lang field), else the deployment's or the city profile's language."""
    ctx = context.get()
    return norm_lang(request.values.get("lang"), norm_lang(ctx.settings.lang or ctx.city.get("lang")))


def _fmt(ms: Any) -> str:
    """Epoch ms as local time in the city's time zone (what the command centre's clocks show)."""
    try:
        tz = ZoneInfo(context.get().city.get("timezone", "Asia/Shanghai"))
        return datetime.fromtimestamp(int(ms) / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError):
        return ""


def _css_url(name: str) -> str:
    """A stylesheet's URL with its mtime, so a redeploy is not hidden by a browser cache."""
    try:
        return f"/assets/{name}?v={int((ROOT / 'assets' / name).stat().st_mtime)}"
    except OSError:
        return f"/assets/{name}"


def _render(view: str, status: int = 200, **extra: Any) -> Response:
    """One page template for every view (main, secret, confirm, unavailable)."""
    lang = _lang()
    ctx = context.get()
    p = ops.current()
    body = render_template_string(
        PAGE, view=view, lang=lang, t=TEXT[lang], csrf=csrf.token(), me=p.name if p else "",
        css=[_css_url("a11y.css"), _css_url("admin.css")],
        city=ctx.city.get("name_zh" if lang == "zh" else "name_en", ""), roles=ROLES, fmt=_fmt,
        notices=get_flashed_messages(with_categories=True) if view == "main" else [],
        form=request.form if status >= 400 else {}, failed=request.endpoint,
        **extra)
    resp = Response(body, status=status, mimetype="text/html")
    if view == "secret":
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Pragma"] = "no-cache"
        resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _main(status: int = 200, error: str | None = None) -> Response:
    """The admin page with every section read fresh from Redis."""
    r = ops.redis_client()
    lang = _lang()
    dist = {code: d[lang] for code, d in ops.city_districts().items()}
    entries = []
    for e in audit.read(r, AUDIT_ROWS):
        details = ", ".join(f"{k}={dist.get(v, v) if k == 'district' else v}" for k, v in e.items()
                            if k not in ("id", "ts", "event", "actor"))
        entries.append({"ts": e.get("ts"), "event": e.get("event", ""), "actor": e.get("actor", ""),
                        "details": details})
    try:
        rules = ops.case_rules(context.get().casebook())
    except DB_DOWN:
        rules = None
    # wall links from ONESCREEN_KIOSK_TOKENS: listed so they can be seen (by a fingerprint, never the token), revoked
    # only where they are set (the environment)
    env_kiosks = ["env:" + users.token_id(tok)[:16] for tok in context.get().settings.kiosk_token_list]
    return _render("main", status, error=error, districts=dist, users=users.list_users(r),
                   kiosks=users.list_kiosks(r), env_kiosks=env_kiosks, tokens=users.list_api_tokens(r),
                   entries=entries, rules=rules)


def handled(view: Callable[..., Any]) -> Callable[..., Any]:
    """Admins only; bad input re-renders the page with the message (400/404/409); a store outage is a 503 page."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                ops.actor()  # before reading any input: a non-admin must not even see a re-rendered page
                return view(*args, **kwargs)
            except PermissionError:
                return _render("denied", 403)
            except ops.NotFound as exc:
                return _main(404, str(exc))
            except ops.Conflict as exc:
                return _main(409, str(exc))
            except ops.UNREACHABLE:
                raise  # (redis's LockError is also a ValueError)
            except ValueError as exc:
                return _main(400, str(exc))
        except ops.UNREACHABLE as exc:
            log.warning("admin page: store unavailable: %s", exc)
            return _render("unavailable", 503)
    return wrapper


def _done(message_key: str, anchor: str, **fmt: Any) -> Response:
    """Post-redirect-get back to the section, with a one-time notice."""
    lang = _lang()
    flash(TEXT[lang][message_key].format(**fmt), anchor)  # shown at the top of that section, where the page lands
    return redirect(url_for("admin.page", lang=lang) + f"#{anchor}", code=303)


def _secret(title_key: str, secret: str, anchor: str, **fmt: Any) -> Response:
    """The one page that shows a new secret; never cached, never a redirect target."""
    return _render("secret", title=TEXT[_lang()][title_key].format(**fmt), secret=secret, anchor=anchor)


@bp.get("/admin")
@handled
def page() -> Any:
    """The admin page."""
    return _main()


@bp.get("/admin/confirm/<action>/<target>")
@handled
def confirm(action: str, target: str) -> Any:
    """A confirmation step for destructive actions (no scripts, so no confirm() dialog)."""
    if action not in CONFIRM:
        raise ops.NotFound(f"no action {action!r}")
    r = ops.redis_client()
    if action in ("delete-user", "reset-password"):
        if users.get_user(r, target) is None:
            raise ops.NotFound(f"no user {target!r}")
        label, arg = target, "name"
    else:
        docs = users.list_kiosks(r) if action == "revoke-kiosk" else users.list_api_tokens(r)
        doc = next((d for d in docs if d.get("id") == target), None)
        if doc is None:
            raise ops.NotFound(f"no such link or token {target!r}")
        label, arg = f"{doc.get('username', '')} {doc.get('name', '')}".strip(), "item_id"
    return _render("confirm", action=action, label=label, post_url=url_for(CONFIRM[action], **{arg: target}))


@bp.post("/admin/users")
@handled
def create_user() -> Any:
    """Create a user; a blank password means generate one and show it once."""
    f = request.form
    user, generated = ops.create_user(ops.redis_client(), ops.actor(), f.get("username", "").strip(),
                                      f.get("role", ""), f.get("district", ""), f.get("password", ""),
                                      f.get("display_name", ""), f.get("department", ""))
    if generated:
        return _secret("pw_for", generated, "users", name=user["username"])
    return _done("created_user", "users", name=user["username"])


@bp.post("/admin/users/<name>/update")
@handled
def update_user(name: str) -> Any:
    """Change a user's role, district and department (their sessions end); an unchanged row changes nothing."""
    r = ops.redis_client()
    user = users.get_user(r, name)
    if user is None:
        raise ops.NotFound(f"no user {name!r}")
    role, district = request.form.get("role", ""), request.form.get("district", "")
    changes: dict[str, Any] = {}
    if role != user.get("role"):
        changes["role"] = role
    if (district or None) != user.get("district"):
        changes["district"] = district
    department = request.form.get("department", "").strip()
    if (department or None) != user.get("department"):
        changes["department"] = department
    if not changes:
        return _done("unchanged", "users", name=name)
    ops.update_user(r, ops.actor(), name, **changes)
    return _done("updated_user", "users", name=name)


@bp.post("/admin/users/<name>/disabled")
@handled
def set_disabled(name: str) -> Any:
    """Disable (sessions end at once) or re-enable a user."""
    value = request.form.get("disabled")
    if value not in ("0", "1"):
        raise ValueError("disabled must be 0 or 1")
    ops.update_user(ops.redis_client(), ops.actor(), name, disabled=value == "1")
    return _done("disabled_user" if value == "1" else "enabled_user", "users", name=name)


@bp.post("/admin/users/<name>/password")
@handled
def reset_password(name: str) -> Any:
    """Give a user a new random password, shown once (their sessions end)."""
    _, generated = ops.update_user(ops.redis_client(), ops.actor(), name, reset_password=True)
    return _secret("pw_for", generated or "", "users", name=name)


@bp.post("/admin/users/<name>/delete")
@handled
def delete_user(name: str) -> Any:
    """Delete a user and their API tokens."""
    ops.delete_user(ops.redis_client(), ops.actor(), name)
    return _done("deleted_user", "users", name=name)


@bp.post("/admin/case-rules")
@handled
def save_case_rules() -> Any:
    """Check and save the dispatch table; a mistake re-renders the page with the text as typed and the reason."""
    expected = request.form.get("expected_version", "")
    version = ops.save_case_rules(context.get().casebook(), request.form.get("yaml", ""),
                                  int(expected) if expected.isdigit() else None, ops.actor(), int(time.time() * 1000))
    return _done("rules_saved", "rules", v=version)


@bp.post("/admin/kiosks")
@handled
def issue_kiosk() -> Any:
    """Issue a wall link and show the full URL once."""
    name = request.form.get("name", "")
    token, _ = ops.issue_kiosk(ops.redis_client(), ops.actor(), name, request.form.get("district", ""))
    return _secret("kiosk_for", f"{request.host_url.rstrip('/')}/wall?kiosk={token}", "kiosks", name=name.strip())


@bp.post("/admin/kiosks/<item_id>/revoke")
@handled
def revoke_kiosk(item_id: str) -> Any:
    """Revoke a wall link (the wall shows the login page on its next request)."""
    ops.revoke_kiosk(ops.redis_client(), ops.actor(), item_id)
    return _done("revoked", "kiosks", name=item_id)


@bp.post("/admin/tokens")
@handled
def issue_token() -> Any:
    """Issue a personal API token for a user and show it once."""
    username = request.form.get("username", "")
    token, _ = ops.issue_token(ops.redis_client(), ops.actor(), username, request.form.get("name", ""))
    return _secret("token_for", token, "tokens", name=username)


@bp.post("/admin/tokens/<item_id>/revoke")
@handled
def revoke_token(item_id: str) -> Any:
    """Revoke a personal API token."""
    ops.revoke_token(ops.redis_client(), ops.actor(), item_id)
    return _done("revoked", "tokens", name=item_id)

