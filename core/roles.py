"""Roles and what each may do; one table, read by the request gate, the page guards and the tests."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("viewer", "leader", "analyst", "operator", "admin")
KIOSK = "kiosk"  # a wall's read-only link: the wall and nothing else

# permission -> roles holding it. Pages and callbacks each name one permission (auth.policy).
PERMS: dict[str, frozenset[str]] = {
    "wall": frozenset({KIOSK, *ROLES}),                            # the wall and its ticks
    "overview": frozenset(ROLES),                                  # the leader overview
    "alerts.read": frozenset({"leader", "analyst", "operator", "admin"}),  # alert console, alerts API (read)
    "analyst": frozenset({"leader", "analyst", "operator", "admin"}),  # one map drill-down, an entity's history
    "export": frozenset({"analyst", "operator", "admin"}),         # CSV download, bulk history API
    "alerts.act": frozenset({"operator", "admin"}),                # acknowledge, silence, unsilence
    "admin": frozenset({"admin"}),                                 # users, kiosk links, API tokens, audit
}


def allowed(role: str | None, perm: str) -> bool:
    """True when the role holds the permission (unknown permissions are held by nobody)."""
    return role is not None and role in PERMS.get(perm, frozenset())


def check_role(role: str) -> str:
    """A valid human role, or a ValueError naming the valid ones."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role
