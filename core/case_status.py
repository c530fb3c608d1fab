"""Case statuses of real Open311 servers and 12345 systems -> open / closed, through one table.

GeoReport v2 allows only `open` and `closed`, but servers in the wild send more: `in_progress` and `acknowledged`
(SeeClickFix, Chicago, Bonn), FixMyStreet's `confirmed`, `investigating`, `action_scheduled`, `fixed`,
`unable_to_fix`, `not_responsible`, `duplicate`, `internal_referral`, and the Chinese hotline platforms' 受理 /
办理中 / 已办结. A status is normalized (case, spaces, hyphens) and looked up; a source's `status_map` option adds or
overrides entries. An unknown status is kept as **open** and flagged (the health panel shows it), never dropped:
a case that silently disappears is worse than one counted open for a while.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

OPEN, CLOSED = "open", "closed"
DEFAULT_STATUSES: dict[str, str] = {
    # GeoReport v2 and common extensions
    "open": OPEN, "new": OPEN, "submitted": OPEN, "received": OPEN, "acknowledged": OPEN, "accepted": OPEN,
    "in_progress": OPEN, "inprogress": OPEN, "in_process": OPEN, "processing": OPEN, "assigned": OPEN,
    "pending": OPEN, "on_hold": OPEN, "reopened": OPEN, "planned": OPEN, "scheduled": OPEN, "work_in_progress": OPEN,
    "closed": CLOSED, "resolved": CLOSED, "completed": CLOSED, "complete": CLOSED, "done": CLOSED,
    "cancelled": CLOSED, "canceled": CLOSED, "rejected": CLOSED, "invalid": CLOSED, "archived": CLOSED,
    # FixMyStreet (open, fixed and closed states)
    "unconfirmed": OPEN, "confirmed": OPEN, "investigating": OPEN, "action_scheduled": OPEN,
    "fixed": CLOSED, "fixed_user": CLOSED, "fixed_council": CLOSED, "unable_to_fix": CLOSED,
    "not_responsible": CLOSED, "duplicate": CLOSED, "internal_referral": CLOSED, "no_further_action": CLOSED,
    "not_councils_responsibility": CLOSED,  # mySociety open311-adapter (Bexley)
    # 12345 / digital city management platforms
    "待受理": OPEN, "受理": OPEN, "已受理": OPEN, "立案": OPEN, "已立案": OPEN, "派遣": OPEN, "已派遣": OPEN,
    "派单": OPEN, "已派单": OPEN, "转办": OPEN, "已转办": OPEN, "待处理": OPEN, "处理中": OPEN, "办理中": OPEN,
    "待办理": OPEN, "处置中": OPEN, "待核查": OPEN, "核查中": OPEN, "退回": OPEN, "重办": OPEN,
    "办结": CLOSED, "已办结": CLOSED, "结案": CLOSED, "已结案": CLOSED, "已完成": CLOSED, "已解决": CLOSED,
    "已关闭": CLOSED, "已回访": CLOSED, "不予受理": CLOSED, "不予立案": CLOSED, "作废": CLOSED,
}  # fmt: skip
_SEP = re.compile(r"[\s\-/]+")


def normalize(status: str) -> str:
    """'In Progress' / 'in-progress' / ' IN_PROGRESS ' -> 'in_progress'; 'fixed - council' -> 'fixed_council'."""
    return _SEP.sub("_", status.strip().lower()).strip("_")


def table(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default table with a source's `status_map` applied; ValueError names a bad entry."""
    out = dict(DEFAULT_STATUSES)
    for raw, value in (overrides or {}).items():
        if value not in (OPEN, CLOSED):
            raise ValueError(f"status_map.{raw}: must map to open or closed, not {value!r}")
        out[normalize(str(raw))] = value
    return out


def classify(status: object, statuses: Mapping[str, str] = DEFAULT_STATUSES) -> tuple[str, bool]:
    """(open or closed, whether the table knew it); unknown and empty statuses are kept open."""
    key = normalize(str(status)) if status is not None else ""
    found = statuses.get(key)
    return (found, True) if found else (OPEN, False)
