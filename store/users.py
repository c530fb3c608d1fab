"""Users, kiosk links and personal API tokens in Redis. Passwords are scrypt hashes; tokens are stored as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from core.roles import check_department, check_role
from store import keys, lua

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ADCODE = re.compile(r"^\d{6}$")
MIN_PASSWORD = 10
KDF = "scrypt:32768:8:1"  # werkzeug's scrypt (RFC 7914), n=2^15, r=8, p=1: a memory-hard KDF
_DUMMY = generate_password_hash("not-a-password-at-all", method=KDF)  # verify() hashes this for unknown users


def _now() -> int:
    return int(time.time() * 1000)


def token_id(token: str) -> str:
    """The stored identity of a secret token: its SHA-256 (a leaked database does not leak usable tokens)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_username(username: Any) -> str:
    """A valid username or a ValueError saying what is allowed."""
    if not isinstance(username, str) or not USERNAME.match(username):
        raise ValueError("username: 1-64 characters of letters, digits, _ . @ -")
    return username


def check_district(district: Any) -> str | None:
    """None (the whole city) or a six-digit administrative code."""
    if district in (None, ""):
        return None
    if not isinstance(district, str) or not ADCODE.match(district):
        raise ValueError("district must be a six-digit adcode (or empty for the whole city)")
    return district


def check_password(password: Any) -> str:
    """A password long enough to resist guessing (length beats composition rules)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 1024:
        raise ValueError(f"password must be {MIN_PASSWORD} to 1024 characters")
    return password


def check_label(value: Any, what: str, *, required: bool = True) -> str | None:
    """A name people will read (kiosk, token, display name): 1-64 characters of valid Unicode, trimmed."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValueError(f"{what}: 1-64 characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what}: not valid Unicode (a lone surrogate)") from None
    return value.strip()


def _claimed_name(name: str) -> str:
    """A name an identity platform sent, as text that can be stored and shown (64 characters, no lone surrogate)."""
    return name[:64].encode("utf-8", "replace").decode("utf-8")


def public(user: dict[str, Any]) -> dict[str, Any]:
    """A user record without its password hash (what the admin page and API show)."""
    return {k: v for k, v in user.items() if k != "pw"}


def get_user(r: redis.Redis, username: str) -> dict[str, Any] | None:
    """The stored user, or None."""
    raw = r.hget(keys.USERS, username)
    return json.loads(raw) if raw else None


def list_users(r: redis.Redis) -> list[dict[str, Any]]:
    """Every user without password hashes, by name."""
    return [public(json.loads(v)) for _, v in sorted(r.hgetall(keys.USERS).items())]


def count_users(r: redis.Redis) -> int:
    """How many users exist (first start creates the admin when this is 0)."""
    return int(r.hlen(keys.USERS))


def create_user(r: redis.Redis, username: str, password: str, role: str, district: str | None = None,
                display_name: str | None = None, created_by: str = "system",
                department: str | None = None) -> dict[str, Any]:
    """Create a user (a handler with the department they work for); ValueError on bad input or a taken name."""
    user = {"username": check_username(username), "pw": generate_password_hash(check_password(password), method=KDF),
            "role": check_role(role), "district": check_district(district),
            "department": check_department(role, department),
            "display_name": check_label(display_name or username, "display name"), "disabled": False, "sv": 1,
            "created_ms": _now(), "created_by": created_by}
    if not r.hsetnx(keys.USERS, username, json.dumps(user)):
        raise ValueError(f"user {username!r} already exists")
    return public(user)


def update_user(r: redis.Redis, username: str, *, role: str | None = None, district: Any = ...,
                disabled: bool | None = None, password: str | None = None, department: Any = ...) -> dict[str, Any]:
    """Change a user's role, district, department, disabled flag or password; any change ends their open
    sessions. A handler must keep a department."""
    user = get_user(r, username)
    if user is None:
        raise KeyError(username)
    if role is not None:
        user["role"] = check_role(role)
    if role is not None or department is not ...:
        user["department"] = check_department(user["role"], user.get("department") if department is ... else
                                              department)
    if district is not ...:
        user["district"] = check_district(district)
    if disabled is not None:
        user["disabled"] = bool(disabled)
    if password is not None:
        user["pw"] = generate_password_hash(check_password(password), method=KDF)
    user["sv"] = int(user.get("sv", 1)) + 1  # session version: sessions carrying the old one are refused
    r.hset(keys.USERS, username, json.dumps(user))
    return public(user)


def delete_user(r: redis.Redis, username: str) -> bool:
    """Remove a user and their personal API tokens."""
    for tid, doc in r.hgetall(keys.API_TOKENS).items():
        if json.loads(doc).get("username") == username:
            r.hdel(keys.API_TOKENS, tid)
    return bool(r.hdel(keys.USERS, username))


def verify(r: redis.Redis, username: Any, password: Any) -> dict[str, Any] | None:
    """The user when the password matches and the account is enabled; the same work is done for unknown names."""
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
        return None
    user = get_user(r, username) if USERNAME.match(username) else None
    usable = bool(user) and user["pw"].startswith(("scrypt:", "pbkdf2:"))  # SSO accounts have no password
    ok = check_password_hash(user["pw"] if usable else _DUMMY, password) and usable  # same work either way
    if not user or not ok or user.get("disabled"):
        return None
    return user


def _issue(r: redis.Redis, key: str, doc: dict[str, Any]) -> tuple[str, str]:
    """A fresh random token stored by its hash; returns (token shown once, id)."""
    token = secrets.token_urlsafe(32)
    tid = token_id(token)
    r.hset(key, tid, json.dumps({**doc, "id": tid[:16], "created_ms": _now()}))
    return token, tid[:16]


def _find(r: redis.Redis, key: str, token: Any) -> dict[str, Any] | None:
    if not isinstance(token, str) or not 8 <= len(token) <= 256:
        return None
    raw = r.hget(key, token_id(token))
    return json.loads(raw) if raw else None


def _revoke(r: redis.Redis, key: str, short_id: str) -> bool:
    for tid in r.hkeys(key):
        if hmac.compare_digest(tid[:16], str(short_id)[:16]) and len(str(short_id)) == 16:
            return bool(r.hdel(key, tid))
    return False


def issue_kiosk(r: redis.Redis, name: str, district: str | None = None, created_by: str = "system") -> tuple[str, str]:
    """A read-only wall link token for one wall (optionally bound to a district); (token, id)."""
    name = check_label(name, "kiosk name")
    return _issue(r, keys.KIOSKS, {"name": name, "district": check_district(district),
                                   "created_by": created_by})


def kiosk_for(r: redis.Redis, token: Any) -> dict[str, Any] | None:
    """The kiosk a token belongs to, or None (revoked or unknown)."""
    return _find(r, keys.KIOSKS, token)


def list_kiosks(r: redis.Redis) -> list[dict[str, Any]]:
    """Every kiosk link (without tokens), newest first."""
    docs = [json.loads(v) for v in r.hvals(keys.KIOSKS)]
    return sorted(docs, key=lambda d: -d.get("created_ms", 0))


def revoke_kiosk(r: redis.Redis, short_id: str) -> bool:
    """Revoke a kiosk link by id; the wall using it is logged out on its next request."""
    return _revoke(r, keys.KIOSKS, short_id)


def issue_api_token(r: redis.Redis, username: str, name: str, created_by: str = "system") -> tuple[str, str]:
    """A personal API token carrying the user's role and district; (token, id)."""
    if get_user(r, username) is None:
        raise ValueError(f"no user {username!r}")
    name = check_label(name, "token name")
    return _issue(r, keys.API_TOKENS, {"username": username, "name": name, "created_by": created_by})


def api_token_user(r: redis.Redis, token: Any) -> dict[str, Any] | None:
    """The enabled user a personal API token belongs to, or None."""
    doc = _find(r, keys.API_TOKENS, token)
    if not doc:
        return None
    user = get_user(r, doc["username"])
    return None if not user or user.get("disabled") else user


def list_api_tokens(r: redis.Redis) -> list[dict[str, Any]]:
    """Every personal API token (without the secret), newest first."""
    docs = [json.loads(v) for v in r.hvals(keys.API_TOKENS)]
    return sorted(docs, key=lambda d: -d.get("created_ms", 0))


def revoke_api_token(r: redis.Redis, short_id: str) -> bool:
    """Revoke a personal API token by id."""
    return _revoke(r, keys.API_TOKENS, short_id)


def hit_rate(r: redis.Redis, kind: str, client_id: str, window_s: int, now_s: float | None = None) -> int:
    """Count one attempt in the client's fixed window (shared by every worker) and return the count so far."""
    window = int((now_s if now_s is not None else time.time()) // window_s)
    key = keys.auth_rate(kind, client_id, window)
    pipe = r.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, window_s + 5)
    return int(pipe.execute()[0])


def refund_rate(r: redis.Redis, kind: str, client_id: str, window_s: int, now_s: float | None = None) -> None:
    """Take back one attempt counted in the client's window (a sign-in that succeeded is not a guess)."""
    window = int((now_s if now_s is not None else time.time()) // window_s)
    r.eval(lua.source("refund"), 1, keys.auth_rate(kind, client_id, window))


def session_owner(user: dict[str, Any]) -> str:
    """Who a session belongs to: the account, not only its name (a user deleted and created again under the same
    name is another account, and the old account's sessions do not sign it in)."""
    return f"{user['username']}\n{user.get('created_ms', 0)}"


def open_session(r: redis.Redis, sid: str, owner: str, ttl_s: int) -> None:
    """Register a person's new session server-side: it lives until logout or the end of the sign-in period."""
    r.set(keys.auth_session(sid), owner, ex=max(1, int(ttl_s)))


def session_user(r: redis.Redis, sid: str) -> str | None:
    """Whose session this is (session_owner), while it is open (None once ended by logout or expiry)."""
    return r.get(keys.auth_session(sid))


def end_session(r: redis.Redis, sid: str) -> None:
    """End one session (logout): a copy of its cookie no longer signs anybody in."""
    r.delete(keys.auth_session(sid))


UNUSABLE_PW = "!"  # not a werkzeug hash: check_password_hash() is always False, so no password login is possible


def upsert_external_user(r: redis.Redis, username: str, role: str, district: str | None, source: str = "oidc",
                         display_name: str | None = None, department: str | None = None) -> dict[str, Any]:
    """Create or refresh a user vouched for by an identity platform; sv changes only when role, district or
    department did.

    ValueError on bad input or when the name belongs to a local (password) account, which SSO must never take over."""
    check_username(username)
    check_role(role)
    district = check_district(district)
    department = check_department(role, department)
    for _ in range(3):  # creation races with a concurrent first login of the same person: re-read and update
        user = get_user(r, username)
        if user is None:
            user = {"username": username, "pw": UNUSABLE_PW, "role": role, "district": district,
                    "department": department, "display_name": _claimed_name(display_name or username),
                    "disabled": False, "sv": 1, "created_ms": _now(), "created_by": source, "source": source}
            if r.hsetnx(keys.USERS, username, json.dumps(user)):
                return user
            continue
        if user.get("source") != source:
            raise ValueError(f"user {username!r} is a local account, not one from {source}")
        changed = (user.get("role"), user.get("district"), user.get("department")) != (role, district, department)
        fresh = {**user, "role": role, "district": district, "department": department,
                 "display_name": _claimed_name(display_name or user.get("display_name") or username),
                 "last_login_ms": _now()}
        if changed:
            fresh["sv"] = int(user.get("sv", 1)) + 1  # a new role, district or department ends the old sessions
        r.hset(keys.USERS, username, json.dumps(fresh))
        return fresh
    raise ValueError(f"user {username!r} could not be stored")
