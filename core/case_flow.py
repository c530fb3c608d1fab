"""The closed loop of a case (数字化城市管理's seven steps): its states, the actions that move it, who may take each,
and what each records. Pure: a case and an action in, the case after it (or a refusal with the reason) out; the
store (store/casebook.py) persists it with optimistic concurrency, the pages and API call it.

    reported → registered → dispatched → accepted → handled → closed   (and rejected, merged: final)

- register / reject / merge (立案 / 不予立案 / 合并): the supervision centre's dispatcher, on a new report; a duplicate
  merges into another case, which keeps its report.
- dispatch (派遣) to a department; the case's clock starts: due = dispatch time + the category's time limit.
  redispatch (改派) to another department, with a reason; the clock keeps running.
- return (退回): the department sends it back to the dispatcher, with a reason (not ours, wrong place).
- accept (受理) and handle (处理完毕, reporting back with notes and photos): the department's handler.
- close (核查结案) after the inspector checks on site, or rework (返工) back to the same department, with a reason.
- escalate (督办): a leader or dispatcher presses an open case; its state stays, the escalation is recorded.
Every action records who, when, the comment and photos; an action that the state or the role does not allow is
refused with the reason (the API's 409 and 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

REPORTED, REGISTERED, DISPATCHED, ACCEPTED, HANDLED = "reported", "registered", "dispatched", "accepted", "handled"
CLOSED, REJECTED, MERGED = "closed", "rejected", "merged"
STATES = (REPORTED, REGISTERED, DISPATCHED, ACCEPTED, HANDLED, CLOSED, REJECTED, MERGED)
OPEN_STATES = frozenset({REPORTED, REGISTERED, DISPATCHED, ACCEPTED, HANDLED})
FINAL_STATES = frozenset({CLOSED, REJECTED, MERGED})
WITH_DEPARTMENT = frozenset({DISPATCHED, ACCEPTED, HANDLED})  # a department holds the case

# The loop's roles (beside core.roles' screen roles): the centre's dispatcher, a department's handler, the
# inspector in the street, the leader who presses (督办); an admin may act as any of them.
DISPATCHER, HANDLER, INSPECTOR, LEADER = "dispatcher", "handler", "inspector", "leader"

# action -> (states it starts from, the state it leads to (None: stays), roles that may take it, needs a comment)
ACTIONS: dict[str, tuple[frozenset[str], str | None, frozenset[str], bool]] = {
    "register": (frozenset({REPORTED}), REGISTERED, frozenset({DISPATCHER}), False),
    "reject": (frozenset({REPORTED}), REJECTED, frozenset({DISPATCHER}), True),
    "merge": (frozenset({REPORTED, REGISTERED}), MERGED, frozenset({DISPATCHER}), False),
    "dispatch": (frozenset({REGISTERED}), DISPATCHED, frozenset({DISPATCHER}), False),
    "redispatch": (frozenset({DISPATCHED, ACCEPTED}), DISPATCHED, frozenset({DISPATCHER}), True),
    "return": (frozenset({DISPATCHED, ACCEPTED}), REGISTERED, frozenset({HANDLER}), True),
    "accept": (frozenset({DISPATCHED}), ACCEPTED, frozenset({HANDLER}), False),
    "handle": (frozenset({DISPATCHED, ACCEPTED}), HANDLED, frozenset({HANDLER}), False),
    "close": (frozenset({HANDLED}), CLOSED, frozenset({INSPECTOR, DISPATCHER}), False),
    "rework": (frozenset({HANDLED}), DISPATCHED, frozenset({INSPECTOR, DISPATCHER}), True),
    "escalate": (OPEN_STATES, None, frozenset({LEADER, DISPATCHER}), False),
}
ADMIN = "admin"  # acts in every role


class Refused(Exception):
    """An action the case's state, the actor's role or its arguments do not allow; `status` is the HTTP answer
    (409: the state, 403: the role or department, 400: the arguments) and the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    """Who acts: their name, role in the loop, and the department a handler belongs to."""

    name: str
    role: str
    department: str | None = None


@dataclass(frozen=True)
class Case:
    """A case as the loop sees it. Times are UTC epoch ms; `version` counts the actions applied (the store's
    compare-and-set)."""

    id: str
    state: str
    category: str
    district: str | None = None
    department: str | None = None
    due_ms: int | None = None
    reported_ms: int = 0
    closed_ms: int | None = None
    merged_into: str | None = None
    reworks: int = 0
    escalations: int = 0
    urgent: bool = False  # dispatched with the urgent time limit
    dispatched_ms: int | None = None  # the last dispatch (a redispatch keeps it)
    version: int = 0


@dataclass(frozen=True)
class Step:
    """One applied action: the case after it and the audit record of the transition."""

    case: Case
    event: dict[str, Any] = field(default_factory=dict)


def may(actor: Actor, action: str) -> bool:
    """Whether the actor's role may take the action at all (whatever the case's state)."""
    spec = ACTIONS.get(action)
    return spec is not None and (actor.role == ADMIN or actor.role in spec[2])


def apply(case: Case, action: str, actor: Actor, now_ms: int, *, comment: str = "",
          args: Mapping[str, Any] | None = None, limit_ms: int | None = None) -> Step:
    """The case after `action` by `actor` at `now_ms`, and its audit event; Refused when not allowed.

    args: dispatch/redispatch {"department"}, dispatch also {"urgent"} (a redispatch keeps the case's), merge
    {"into"}. limit_ms: the category's handling time limit (the urgent one for an urgent case), which dispatch turns
    into the due time (none: no due time)."""
    args = dict(args or {})
    spec = ACTIONS.get(action)
    if spec is None:
        raise Refused(400, f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    sources, target, roles, needs_comment = spec
    if actor.role != ADMIN and actor.role not in roles:
        raise Refused(403, f"a {actor.role} may not {action} a case (only {', '.join(sorted(roles))})")
    if case.state not in sources:
        raise Refused(409, f"cannot {action} a case that is {case.state} (only one that is "
                           f"{' or '.join(s for s in STATES if s in sources)})")
    if actor.role == HANDLER and case.department != actor.department:
        raise Refused(403, f"case {case.id} is with {case.department!r}, not with {actor.department!r}")
    comment = comment.strip()
    if needs_comment and not comment:
        raise Refused(400, f"{action} needs a reason (comment)")
    after = case
    if action in ("dispatch", "redispatch"):
        dept = str(args.get("department") or "").strip()
        if not dept:
            raise Refused(400, f"{action} needs a department")
        if action == "redispatch" and dept == case.department:
            raise Refused(409, f"case {case.id} is already with {dept!r}")
        if action == "redispatch":  # the clock, and its urgency, go with the case
            after = replace(case, department=dept)
        else:
            after = replace(case, department=dept, due_ms=None if limit_ms is None else now_ms + int(limit_ms),
                            urgent=bool(args.get("urgent")), dispatched_ms=now_ms)
    elif action == "merge":
        into = str(args.get("into") or "").strip()
        if not into or into == case.id:
            raise Refused(400, "merge needs another case to merge into")
        after = replace(case, merged_into=into)
    elif action == "return":
        after = replace(case, department=None)
    elif action == "rework":
        after = replace(case, reworks=case.reworks + 1)
    elif action == "escalate":
        after = replace(case, escalations=case.escalations + 1)
    elif action == "close":
        after = replace(case, closed_ms=now_ms)
    after = replace(after, state=target or case.state, version=case.version + 1)
    event = {"case": case.id, "action": action, "from": case.state, "to": after.state, "by": actor.name,
             "role": actor.role, "at_ms": now_ms, "comment": comment, "department": after.department,
             "version": after.version, **({"into": after.merged_into} if action == "merge" else {}),
             **({"urgent": True} if action == "dispatch" and after.urgent else {})}
    return Step(after, event)


def overdue(case: Case, now_ms: int) -> bool:
    """An open case past its due time."""
    return case.state in OPEN_STATES and case.due_ms is not None and now_ms > case.due_ms


def on_time(case: Case) -> bool | None:
    """Whether a closed case closed by its due time (None: not closed, or no due time)."""
    if case.state != CLOSED or case.due_ms is None or case.closed_ms is None:
        return None
    return case.closed_ms <= case.due_ms
