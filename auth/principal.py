"""Who is asking: set once per request by the gate (auth.gate), read by callbacks and the API for scoping."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context

from core.roles import allowed


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. district: an adcode the caller is bound to (None = the whole city); department: the
    department a handler works for (the closed loop shows and lets them act on its cases only)."""

    name: str
    role: str
    district: str | None = None
    kind: str = "user"  # user | kiosk | token (personal API token) | env (ONESCREEN_API_TOKEN) | oidc
    department: str | None = None

    def can(self, perm: str) -> bool:
        """Whether this caller's role holds the permission."""
        return allowed(self.role, perm)


def current() -> Principal | None:
    """The caller of the current request (None outside a request or before the gate ran)."""
    if not has_request_context():
        return None
    return g.get("principal")


def current_scope() -> str | None:
    """The current caller's district scope (None = whole city); what every data read must filter by.

    Fails closed: inside a request that no principal was established for, it raises instead of meaning "all"."""
    if not has_request_context():
        return None
    p = g.get("principal")
    if p is None:
        raise PermissionError("no authenticated caller for this request")
    return p.district


def operator() -> str:
    """Who is acting (acknowledge, silence): the signed-in user, never a name the browser or the body sends."""
    p = current()
    if p is None:
        raise PermissionError("no authenticated caller for this request")
    return p.name
