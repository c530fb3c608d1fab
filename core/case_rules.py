"""Where a case goes and how long the department has (config/case_rules.yaml): the dispatch table by GB/T 30428.2
category and district, and the time limits by category and urgency. Pure; the file is validated when loaded, the
message naming the bad entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.event_catalog import EVENT_CODES, EVENT_GROUPS
from core.furniture_catalog import CATEGORIES, GROUPS

H_MS = 3_600_000
_CATEGORY = re.compile(r"[0-9]{2}([0-9]{2})?")
_ADCODE = re.compile(r"[0-9]{6}")
KNOWN = {"category": frozenset({c["code"] for c in CATEGORIES} | set(GROUPS)),
         "event": frozenset(EVENT_CODES | set(EVENT_GROUPS))}
_VIDEO_TYPE = re.compile(r"[A-Za-z0-9_-]{1,32}")


EVENT = "e:"  # an event (事件) category's key in the tables: its code after this; a component's is the code alone
KINDS = ("component", "event")


def _key(category: str, kind: str) -> str:
    return EVENT + category if kind == "event" else category


@dataclass(frozen=True)
class CaseRules:
    """The parsed table: (category or group, district or None) -> department, an event's category keyed EVENT+code;
    limits in hours; a video-analytics event type -> the event category it opens."""

    default_department: str
    route: dict[tuple[str, str | None], str]
    limit_h: float
    urgent_h: float
    by_category: dict[str, float]
    warn_share: float
    video_events: dict[str, str] = field(default_factory=dict)

    def department(self, category: str, district: str | None = None, kind: str = "component") -> str:
        """The department for a case: category+district, category, group+district, group, then the default (a
        component's and an event's category are looked up apart: 0501 is a lamp's or a street vendor's)."""
        category, group = _key(category, kind), _key(category[:2], kind)
        for key in ((category, district), (category, None), (group, district), (group, None)):
            if key in self.route:
                return self.route[key]
        return self.default_department

    def limit_ms(self, category: str, urgent: bool = False, kind: str = "component") -> int:
        """Dispatch to due time, in ms: urgent cases the urgent limit, others their category's, group's or default."""
        if urgent:
            return int(self.urgent_h * H_MS)
        key, group = _key(category, kind), _key(category[:2], kind)
        hours = self.by_category.get(key, self.by_category.get(group, self.limit_h))
        return int(hours * H_MS)

    def due_soon(self, dispatched_ms: int, due_ms: int, now_ms: int) -> bool:
        """An open case past warn_share of its time but not yet due (the warning before the deadline)."""
        return due_soon(dispatched_ms, due_ms, now_ms, self.warn_share)


def due_soon(dispatched_ms: int, due_ms: int, now_ms: int, warn_share: float) -> bool:
    """Past `warn_share` of the time from dispatch to due, and not yet due."""
    return dispatched_ms + warn_share * (due_ms - dispatched_ms) <= now_ms <= due_ms


def _hours(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 366:
        raise ValueError(f"{where}: hours must be a number above 0 and at most a year, not {value!r}")
    return float(value)


def parse(doc: Mapping[str, Any]) -> CaseRules:
    """The table from the YAML document; ValueError naming the bad entry."""
    default = doc.get("default_department")
    if not isinstance(default, str) or not default.strip() or len(default.strip()) > 64:
        raise ValueError("case rules: default_department must be a department's name")
    if not isinstance(doc.get("route") or [], list):
        raise ValueError("case rules: route must be a list of entries")
    for section in ("limits_h",):
        if not isinstance(doc.get(section) or {}, Mapping):
            raise ValueError(f"case rules: {section} must be a mapping")
    for table in ("by_category", "by_event"):
        if not isinstance((doc.get("limits_h") or {}).get(table) or {}, Mapping):
            raise ValueError(f"case rules: limits_h.{table} must map codes to hours")
    route: dict[tuple[str, str | None], str] = {}
    for i, rule in enumerate(doc.get("route") or []):
        where = f"case rules: route entry {i + 1}"
        if not isinstance(rule, Mapping):
            raise ValueError(f"{where} must be a mapping with category and department")
        if ("category" in rule) == ("event" in rule):
            raise ValueError(f"{where} must name either a category (a component's) or an event, not both or neither")
        field_name = "event" if "event" in rule else "category"
        cat, dept, dist = str(rule[field_name]), rule.get("department"), rule.get("district")
        if not _CATEGORY.fullmatch(cat):
            raise ValueError(f"{where}: {field_name} must be a 2-digit group or 4-digit category code, not {cat!r}")
        known = KNOWN[field_name]
        if cat not in known:
            raise ValueError(f"{where}: there is no {field_name} {cat!r} (core/"
                             f"{'event_catalog' if field_name == 'event' else 'furniture_catalog'}.py)")
        cat = _key(cat, "event" if field_name == "event" else "component")
        if dist is not None and not _ADCODE.fullmatch(str(dist)):
            raise ValueError(f"{where}: district must be a 6-digit adcode, not {dist!r}")
        if not isinstance(dept, str) or not dept.strip() or len(dept.strip()) > 64:
            raise ValueError(f"{where}: department must be a name of at most 64 characters")
        key = (cat, None if dist is None else str(dist))
        if key in route:
            raise ValueError(f"{where}: {cat} {dist or ''} is routed twice")
        route[key] = dept.strip()
    limits = doc.get("limits_h") or {}
    by_category = {}
    for table, kind in (("by_category", "component"), ("by_event", "event")):
        for cat, hours in (limits.get(table) or {}).items():
            if not _CATEGORY.fullmatch(str(cat)) or str(cat) not in KNOWN["event" if kind == "event" else "category"]:
                raise ValueError(f"case rules: limits_h.{table} key must be a known category or group code, "
                                 f"not {cat!r}")
            by_category[_key(str(cat), kind)] = _hours(hours, f"case rules: limits_h.{table}.{cat}")
    video = doc.get("video_events") or {}
    if not isinstance(video, Mapping):
        raise ValueError("case rules: video_events must map a camera's event type to an event category")
    video_events = {}
    for name, code in video.items():
        if not _VIDEO_TYPE.fullmatch(str(name)) or str(code) not in EVENT_CODES:
            raise ValueError(f"case rules: video_events.{name}: an event type (letters, digits, _ or -, up to 32) "
                             f"maps to an event category of core/event_catalog.py, not {code!r}")
        video_events[str(name)] = str(code)
    share = doc.get("warn_share", 0.8)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise ValueError(f"case rules: warn_share must be between 0 and 1, not {share!r}")
    return CaseRules(default.strip(), route, _hours(limits.get("default", 48), "case rules: limits_h.default"),
                     _hours(limits.get("urgent", 4), "case rules: limits_h.urgent"), by_category, float(share),
                     video_events)
