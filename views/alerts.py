"""The alert console's rows and history: filtering and formatting, pure (the callbacks only fetch and call these)."""

from __future__ import annotations

from typing import Any

from core.i18n import t
from core.levels import ALERT_COLORS
from views.wall_alerts import _fmt, hhmm, with_unit

STATES = ("pending", "firing", "acknowledged", "resolved")


def matches(rec: dict[str, Any], levels: list[str] | None, query: str | None) -> bool:
    """Level filter and a free-text search over entity, rule and ids."""
    if levels and rec.get("level") not in levels:
        return False
    if query:
        hay = " ".join(str(rec.get(k) or "") for k in ("entity_name", "entity_name_en", "entity_id", "rule",
                                                       "rule_name_zh", "rule_name_en", "district")).lower()
        return all(word in hay for word in query.lower().split())
    return True


def rows(records: list[dict[str, Any]], levels: list[str] | None, query: str | None, lang: str, tz: str
         ) -> list[dict[str, Any]]:
    """Display rows, most severe and unacknowledged first (the store's order)."""
    out = []
    for rec in records:
        if not matches(rec, levels, query):
            continue
        name = (rec.get("entity_name_en") or rec.get("entity_name")) if lang == "en" else rec.get("entity_name")
        ack = t("acked_by", lang, by=rec["ack_by"], at=hhmm(rec.get("ack_ms"), tz)) if rec.get("ack_by") else ""
        out.append({
            "id": rec["id"], "level": rec.get("level"), "color": ALERT_COLORS.get(rec.get("level") or "", "#7f8ea6"),
            "level_text": t(f"alert_{rec.get('level')}", lang) if rec.get("level") in ALERT_COLORS else "—",
            "state": t(f"state_{rec.get('state')}", lang) if rec.get("state") in STATES else str(rec.get("state")),
            "entity": str(name or rec.get("entity_id")),
            "rule": str(rec.get("rule_name_en") if lang == "en" else rec.get("rule_name_zh")),
            "value": f"{with_unit(rec.get('value'), rec.get('metric'), lang)} / "
                     f"{with_unit(rec.get('threshold'), rec.get('metric'), lang)}",
            "since": hhmm(rec.get("fired_ms") or rec.get("since_ms"), tz),
            "ack": ack + (f" · {t('silenced', lang)}" if rec.get("silenced") else ""),
            "can_ack": rec.get("state") == "firing",
        })
    return out


def announce(records: list[dict[str, Any]], seen: list[str] | None, lang: str, tz: str
             ) -> tuple[str | None, list[str]]:
    """What the console's live region reads out (issue #21): the newest alert firing now that was not firing at the
    page's last look (`seen`: the firing alerts' ids then), and how many more; nothing on the first look, when what
    is firing is on screen anyway. By id, not by a time watermark: evaluators in several processes may commit an
    earlier-stamped alert after a later one. Returns the text (None: nothing new) and the firing ids now."""
    firing = [rec for rec in records if rec.get("state") == "firing"]
    ids = sorted(rec["id"] for rec in firing)
    if seen is None:
        return None, ids
    known = set(seen)
    new = sorted(((int(rec.get("fired_ms") or rec.get("since_ms") or 0), i) for i, rec in enumerate(firing)
                  if rec["id"] not in known))
    if not new:
        return None, ids
    row = rows([firing[new[-1][1]]], None, None, lang, tz)[0]
    text = t("live_new_alert", lang, level=row["level_text"], entity=row["entity"], rule=row["rule"],
             value=row["value"], since=row["since"])
    return text + (t("live_more", lang, n=len(new) - 1) if len(new) > 1 else ""), ids


def history(entries: list[dict[str, Any]], alert_id: str | None, lang: str, tz: str, limit: int = 50
            ) -> list[dict[str, str]]:
    """Audit lines, newest first, for one alert (or all): time, event, who, comment, value."""
    out = []
    for e in reversed(entries):
        if alert_id and e.get("alert") != alert_id:
            continue
        event = str(e.get("event"))
        out.append({"at": hhmm(e.get("at_ms"), tz), "event": t(f"event_{event}", lang) if f"event_{event}" in
                    _EVENTS else event, "entity": str(e.get("entity_name") or e.get("entity_id") or ""),
                    "by": str(e.get("by") or ""), "comment": str(e.get("comment") or e.get("reason") or ""),
                    "value": _fmt(e.get("value"))})
        if len(out) >= limit:
            break
    return out


_EVENTS = {"event_pending", "event_firing", "event_acknowledged", "event_resolved", "event_escalated",
           "event_level_up", "event_renotified", "event_cancelled", "event_silenced", "event_unsilenced",
           "event_silence_created", "event_silence_deleted"}
