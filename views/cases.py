"""What the case console shows (pure): the queue's rows, one case's fields and trail, and the actions the caller's
role may take at the case's step (core.case_flow's table, so the page offers only what the server would allow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from core import case_flow as cf
from core import case_rules
from core.event_catalog import NAMES as EVENT_NAMES
from core.furniture_catalog import CATEGORIES
from core.i18n import t

NAMES = {c["code"]: c["zh"] for c in CATEGORIES}


def when(ms: int | None, tz: str) -> str:
    """A moment as the centre reads it: month-day hour:minute, local time."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime("%m-%d %H:%M")


def category_name(code: str, kind: str | None) -> str:
    """A category's name (GB/T 30428.2; the event catalogue's for an event case), empty when unknown."""
    return (EVENT_NAMES if kind == "event" else NAMES).get(code, "")


def label(rec: dict[str, Any]) -> str:
    """A case's category as the screens show it: code and name."""
    return f"{rec['category']} {category_name(rec['category'], rec.get('kind'))}".strip()


def state_name(state: str, lang: str) -> str:
    return t(f"cs_st_{state}", lang) if state in cf.STATES else state


def due_soon(rec: dict[str, Any], now_ms: int, warn_share: float) -> bool:
    """An open case past `warn_share` of its time since dispatch but not yet due: the warning before the deadline."""
    due, sent = rec.get("due_ms"), rec.get("dispatched_ms")
    return (rec.get("state") in cf.OPEN_STATES and due is not None and sent is not None and due > sent
            and case_rules.due_soon(int(sent), int(due), now_ms, warn_share))


def row(rec: dict[str, Any], now_ms: int, lang: str, tz: str, districts: dict[str, tuple[str, str]],
        warn_share: float = 0.8, grid_code: str | None = None) -> dict[str, Any]:
    """One case as the queue and the card show it (every text from outside stays text: Dash renders it so): its due
    time says overdue, or due soon once `warn_share` of its time is gone."""
    i = 0 if lang == "zh" else 1
    case = cf.Case(rec["id"], rec["state"], rec["category"], due_ms=rec.get("due_ms"))
    late = cf.overdue(case, now_ms)
    soon = not late and due_soon(rec, now_ms, warn_share)
    due = when(rec.get("due_ms"), tz)
    if soon:
        due = f"{due} · {t('cs_due_soon', lang)}"
    return {"id": rec["id"], "category": label(rec),
            "district": districts.get(rec.get("district") or "", (rec.get("district") or "",) * 2)[i],
            "state": state_name(rec["state"], lang), "department": rec.get("department") or "",
            "due": f"{due} · {t('cs_overdue', lang)}" if late else due, "overdue": late, "due_soon": soon,
            "reported": when(rec.get("reported_ms"), tz), "description": rec.get("description") or "",
            "grid": grid_code or ""}


def announce(recs: list[dict[str, Any]], rows: list[dict[str, Any]], seen: dict[str, Any] | None, lang: str,
             now_ms: int) -> tuple[str | None, dict[str, Any]]:
    """What the case console's live region reads out (issue #21): an open case that came into this queue since the
    page's first look, and how many more did; nothing on the first look. `seen` is {"ids": the open cases' ids at
    the last look, "since": the first look's time}: a case counts only if it changed after that (the queue shows
    its longest-waiting cases, so an old case that comes into view as another closes is not news). `rows` are
    `recs` as shown. Returns the text (None: nothing new) and what to keep for the next look."""
    ids = [rec["id"] for rec in recs if rec.get("state") in cf.OPEN_STATES]
    if not seen:
        return None, {"ids": ids, "since": now_ms}
    known, since = set(seen.get("ids") or ()), int(seen.get("since") or 0)
    new = [row for rec, row in zip(recs, rows, strict=True) if rec.get("state") in cf.OPEN_STATES
           and rec["id"] not in known and int(rec.get("updated_ms") or rec.get("reported_ms") or 0) > since]
    now = {"ids": ids, "since": since}
    if not new:
        return None, now
    x = new[0]
    text = t("cs_live_new", lang, id=x["id"], category=x["category"], district=x["district"], state=x["state"])
    return text + (t("cs_live_more", lang, n=len(new) - 1) if len(new) > 1 else ""), now


def actions(role: str, state: str) -> list[str]:
    """The actions this role may take on a case at this state, in the loop's order."""
    return [a for a, (sources, _, roles, _) in cf.ACTIONS.items()
            if state in sources and (role == cf.ADMIN or role in roles)]


def trail(events: list[dict[str, Any]], lang: str, tz: str) -> list[dict[str, Any]]:
    """A case's steps, oldest first."""
    return [{"at": when(e.get("at_ms"), tz), "action": t(f"cs_ac_{e['action']}", lang)
             if f"cs_ac_{e['action']}" in _KNOWN else str(e["action"]), "by": str(e.get("by") or ""),
             "comment": str(e.get("comment") or "")} for e in events]


_KNOWN = {f"cs_ac_{a}" for a in (*cf.ACTIONS, "report")}


def timeline(events: list[dict[str, Any]], shots: list[dict[str, Any]], case_id: str, lang: str,
             tz: str) -> list[dict[str, Any]]:
    """A case's steps, oldest first, each with the photos taken while the case stood at that step: a photo's
    `version` is the case's version when it came, the version of the last step at or before it."""
    steps = [{**s, "shots": []} for s in trail(events, lang, tz)]
    if not steps:
        return []
    versions = [e.get("version") for e in events]
    for rec, pic in zip(shots, photos(shots, case_id, lang, tz), strict=True):
        v = rec.get("version")
        at = max((i for i, sv in enumerate(versions) if sv is not None and v is not None and sv <= v),
                 default=len(steps) - 1)
        steps[at]["shots"].append(pic)
    return steps


def card_pairs(row: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """A case's fields as label / value pairs, in the console card's order (its id is the title)."""
    keys = (("cs_col_category", "category"), ("cs_col_district", "district"), ("cs_col_grid", "grid"),
            ("cs_col_state", "state"), ("cs_col_department", "department"), ("cs_col_due", "due"),
            ("cs_col_reported", "reported"), ("cs_desc", "description"))
    return [(t(k, lang), str(row.get(f) or "—")) for k, f in keys]


def department_rows(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The departments' evaluation as the overview shows it (cases.service.ranking's order)."""
    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}%"

    return [{"department": r["department"], "on_time": pct(r["on_time_rate"]), "closed": str(r["closed"]),
             "rework": pct(r["rework_rate"]),
             "hours": "—" if r["mean_hours"] is None else t("cs_hours", lang, h=f"{r['mean_hours']:.1f}"),
             "open": str(r["open"]), "overdue": str(r["overdue"]), "late": bool(r["overdue"]),
             "href": f"/cases?lang={lang}&department={quote(r['department'])}"} for r in rows]


def photos(recs: list[dict[str, Any]], case_id: str, lang: str, tz: str) -> list[dict[str, str]]:
    """A case's photos as the card shows them: the image's address and what it is (who, when) for its alt text."""
    return [{"url": f"/api/v1/cases/{quote(case_id, safe='')}/photos/{p['sha256']}",
             "alt": t("cs_photo_alt", lang, by=str(p.get("by") or ""), at=when(p.get("at_ms"), tz))} for p in recs]


def overdue_rows(recs: list[dict[str, Any]], now_ms: int, lang: str, districts: dict[str, tuple[str, str]]
                 ) -> list[dict[str, Any]]:
    """The longest overdue cases as the overview lists them: how late, where, with whom, how often pressed."""
    i = 0 if lang == "zh" else 1
    out = []
    for rec in recs:
        late_h = max(0.0, (now_ms - int(rec["due_ms"])) / 3_600_000)
        out.append({"id": rec["id"], "category": label(rec),
                    "district": districts.get(rec.get("district") or "", (rec.get("district") or "",) * 2)[i],
                    "department": rec.get("department") or "", "late": t("cs_late_by", lang, h=f"{late_h:.1f}"),
                    "presses": int(rec.get("escalations") or 0), "state": state_name(rec["state"], lang),
                    "href": f"/cases?lang={lang}&case={quote(rec['id'])}"})
    return out
