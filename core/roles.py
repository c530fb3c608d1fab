"""Roles and what each may do; one table, read by the request gate, the page guards and the tests."""

from __future__ import annotations

# Least to most trusted: a single sign-on user whose groups name several roles gets the last of them (auth.oidc).
# The closed loop's roles (issue #15, core.case_flow): the inspector in the street reports and verifies, the
# department's handler (bound to a department) handles what is sent to it, the centre's dispatcher registers and
# dispatches (and acts on alerts as an operator does); a leader presses (督办).
ROLES: tuple[str, ...] = ("viewer", "inspector", "handler", "leader", "analyst", "dispatcher", "operator", "admin")
KIOSK = "kiosk"  # a wall's read-only link: the wall and nothing else
LOOP_ROLES = frozenset({"inspector", "handler", "dispatcher", "leader", "admin"})  # who may act on a case
NEEDS_DEPARTMENT = frozenset({"handler"})

# permission -> roles holding it. Pages and callbacks each name one permission (auth.policy).
PERMS: dict[str, frozenset[str]] = {
    "wall": frozenset({KIOSK, *ROLES}),                            # the wall and its ticks
    "overview": frozenset(ROLES),                                  # the leader overview
    "alerts.read": frozenset({"leader", "analyst", "dispatcher", "operator", "admin"}),  # alert console and API
    "analyst": frozenset({"leader", "analyst", "dispatcher", "operator", "admin"}),  # one map, an entity's history
    "export": frozenset({"analyst", "operator", "admin"}),         # CSV download, bulk history API
    "alerts.act": frozenset({"dispatcher", "operator", "admin"}),  # acknowledge, silence, unsilence
    "admin": frozenset({"admin"}),                                 # users, kiosk links, API tokens, audit
    # the closed loop: read cases (a handler its department's only), report one, act on one (core.case_flow
    # decides which action each role may take)
    "cases.read": frozenset({"inspector", "handler", "leader", "analyst", "dispatcher", "operator", "admin"}),
    "cases.report": frozenset({"inspector", "dispatcher", "operator", "admin"}),
    "cases.act": LOOP_ROLES,
}


def allowed(role: str | None, perm: str) -> bool:
    """True when the role holds the permission (unknown permissions are held by nobody)."""
    return role is not None and role in PERMS.get(perm, frozenset())


def check_department(role: str, department: object) -> str | None:
    """The department a user of this role is bound to: required for a handler (1-64 characters), else optional."""
    if department in (None, ""):
        if role in NEEDS_DEPARTMENT:
            raise ValueError(f"a {role} must be bound to a department")
        return None
    if not isinstance(department, str) or not department.strip() or len(department.strip()) > 64:
        raise ValueError("department: 1-64 characters")
    try:
        department.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("department: not valid Unicode (a lone surrogate)") from None
    return department.strip()


def check_role(role: str) -> str:
    """A valid human role, or a ValueError naming the valid ones."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role
