"""What a caller may see of the case records and the actions they take, whoever asks (api/cases.py, api/open311.py,
callbacks/cases.py): one rule for every door.

A caller is anything with name, role, district (None: the whole city) and department (a handler's). A
district-bound caller sees only their district's cases, a handler only the cases with their department; any other
case is NotFound, exactly like an unknown id. Actions go through store.casebook (core.case_flow decides what each
role may do at each step); dispatch without a department takes the dispatch table's, and the due time is the
category's limit (or the urgent one)."""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from functools import cache
from typing import Any

import yaml

from config.settings import CONFIG_DIR, load_case_rules
from core import case_flow as cf
from core import case_rules
from core.case_rules import CaseRules
from core.roles import LOOP_ROLES
from store import photos

RULES_FILE = CONFIG_DIR / "case_rules.yaml"
MAX_RULES_TEXT = 100_000


class NotFound(LookupError):
    """An unknown case, or one the caller may not see (the same answer)."""


RULES_CHECK_S = 5.0  # how often a process looks for a newer saved dispatch table
_held: weakref.WeakKeyDictionary[Any, tuple[float, int, CaseRules]] = weakref.WeakKeyDictionary()  # book -> rules
_held_lock = threading.Lock()
log = logging.getLogger("onescreen.cases")


@cache
def file_rules() -> CaseRules:
    """The shipped dispatch table and time limits (config/case_rules.yaml), read once."""
    return load_case_rules()


def rules(book: Any = None) -> CaseRules:
    """The dispatch table in force: the newest an admin saved in these case records (`book`), else the file's.
    A process looks for a newer one at most every RULES_CHECK_S; without records, the file's. A saved table that
    no longer reads (a code the catalogue dropped since) is logged and the last good one stays in force."""
    if book is None:
        return file_rules()
    now = time.monotonic()
    held = _held.get(book)
    if held is not None and now - held[0] < RULES_CHECK_S:
        return held[2]
    stored = book.rules_doc()
    version = 0 if stored is None else int(stored["version"])
    if held is not None and held[1] == version:
        current = held[2]
    elif stored is None:
        current = file_rules()
    else:
        try:
            current = case_rules.parse(yaml.safe_load(stored["doc"]) or {})
        except (ValueError, yaml.YAMLError, AttributeError, TypeError):
            log.exception("saved dispatch table version %s does not read: the last good one stays", version)
            current = held[2] if held is not None else file_rules()
    with _held_lock:
        if (_held.get(book) or (0.0, -1, None))[1] <= version:  # never put back an older one read meanwhile
            _held[book] = (now, version, current)
    return current


def rules_text(book: Any) -> tuple[int, str]:
    """(version, YAML text) of the dispatch table in force: 0 and the file's text when none was saved."""
    stored = book.rules_doc()
    if stored is None:
        return 0, RULES_FILE.read_text(encoding="utf-8")
    return int(stored["version"]), str(stored["doc"])


def save_rules(book: Any, text: str, by: str, now_ms: int, expected_version: int | None = None) -> int:
    """Check and save a new dispatch table (YAML, as config/case_rules.yaml is written); its version. ValueError
    naming the bad entry; Refused 409 when someone saved since `expected_version`."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_RULES_TEXT:
        raise ValueError(f"the dispatch table must be YAML text of at most {MAX_RULES_TEXT:,} characters")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"the dispatch table is not YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise ValueError("the dispatch table must be a YAML mapping (default_department, route, limits_h …)")
    try:
        case_rules.parse(doc)  # ValueError naming the entry
    except (AttributeError, TypeError) as exc:  # a section of the wrong shape the parser did not expect
        raise ValueError(f"the dispatch table is not shaped as config/case_rules.yaml: {exc}") from None
    version = book.save_rules_doc(text, by, now_ms, expected_version)
    with _held_lock:
        _held.pop(book, None)  # this process sees it at once; the others within RULES_CHECK_S
    return version


def number_in(value: Any, lo: float, hi: float) -> float | None:
    """A JSON or form number within [lo, hi] as a float (None: not a number, out of range, or too big to be one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        x = float(value)
    except OverflowError:
        return None
    return x if math.isfinite(x) and lo <= x <= hi else None


def visible(rec: dict[str, Any] | None, who: Any) -> dict[str, Any]:
    """The case if this caller may see it, else NotFound."""
    if rec is None or (who.district is not None and rec.get("district") != who.district) or (
            who.role == cf.HANDLER and rec.get("department") != who.department):
        raise NotFound("no such case")
    return rec


def queue(book: Any, who: Any, states: tuple[str, ...] = (), department: str | None = None,
          limit: int = 200) -> list[dict[str, Any]]:
    """The caller's visible cases in these states, longest waiting first."""
    if who.role == cf.HANDLER:
        department = who.department
    return book.find(states=states, district=who.district, department=department, limit=limit)


def overdue(book: Any, who: Any, now_ms: int, limit: int = 8) -> list[dict[str, Any]]:
    """The caller's visible open cases past their due time, the longest overdue first (what a leader presses: 督办)."""
    return book.overdue(now_ms, district=who.district, department=who.department if who.role == cf.HANDLER else None,
                        limit=limit)


def ranking(book: Any, who: Any, now_ms: int, days: int = 30) -> list[dict[str, Any]]:
    """The departments' evaluation (综合评价) over the last `days`, as this caller may see it (a district-bound
    caller: their district's cases; a handler: their own department), best first: on-time closure rate, then fewer
    overdue, then the shorter mean time; departments with nothing closed last."""
    rows = book.departments(now_ms - days * 86_400_000, now_ms, who.district)
    if who.role == cf.HANDLER:
        rows = [x for x in rows if x["department"] == who.department]
    return sorted(rows, key=lambda x: (x["on_time_rate"] is None, -(x["on_time_rate"] or 0), x["overdue"],
                                       x["mean_hours"] or 0, x["department"]))


def take(book: Any, who: Any, case_id: str, action: str, now_ms: int, *, comment: str = "",
         department: str = "", into: str = "", urgent: bool = False, expected_version: int | None = None,
         request_id: str | None = None) -> tuple[dict[str, Any], bool]:
    """Take an action on a visible case as this caller; (the case's record after it, whether it was applied now).
    cf.Refused with the reason when the loop does not allow it, NotFound when the caller cannot see the case (or
    the case to merge into)."""
    if who.role not in LOOP_ROLES:
        raise cf.Refused(403, f"a {who.role} takes no part in the case loop")
    rec = visible(book.record(case_id), who)
    args: dict[str, Any] = {}
    if action in ("dispatch", "redispatch"):
        kind = rec.get("kind") or "component"
        args["department"] = department or (rules(book).department(rec["category"], rec["district"], kind)
                                            if action == "dispatch" else "")
        if action == "dispatch" and urgent:
            args["urgent"] = True
    if action == "merge":
        if into:
            visible(book.record(into), who)
        args["into"] = into
    _, applied = book.act(case_id, action, cf.Actor(who.name, who.role, who.department), now_ms, comment=comment,
                          args=args, expected_version=expected_version, request_id=request_id,
                          limit_ms=rules(book).limit_ms(rec["category"], urgent, rec.get("kind") or "component"))
    return book.record(case_id), applied


def add_photo(book: Any, kept: Any, who: Any, case_id: str, data: bytes, now_ms: int,
              reporting: bool = False) -> tuple[dict[str, Any], bool]:
    """A photo of a visible, open case from someone on the loop (or from its reporter as they report it): checked
    (store.photos.check: BadPhoto says why not), kept in `kept` (store.photos.PhotoDir), recorded with the step the
    case is at. (Its record, whether it is new.)"""
    if who.role not in LOOP_ROLES and not reporting:
        raise cf.Refused(403, f"a {who.role} adds no photos to cases")
    visible(book.record(case_id), who)
    info = photos.check(data)
    kept.put(data, info)
    return book.add_photo(case_id, info, who.name, who.role, now_ms)
