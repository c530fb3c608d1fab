"""Where a case goes and how long the department has (config/case_rules.yaml): the dispatch table by GB/T 30428.2
category and district, and the time limits by category and urgency. Pure; the file is validated when loaded, the
message naming the bad entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

H_MS = 3_600_000
_CATEGORY = re.compile(r"[0-9]{2}([0-9]{2})?")
_ADCODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class CaseRules:
    """The parsed table: (category or group, district or None) -> department; limits in hours."""

    default_department: str
    route: dict[tuple[str, str | None], str]
    limit_h: float
    urgent_h: float
    by_category: dict[str, float]
    warn_share: float

    def department(self, category: str, district: str | None = None) -> str:
        """The department for a case: category+district, category, group+district, group, then the default."""
        group = category[:2]
        for key in ((category, district), (category, None), (group, district), (group, None)):
            if key in self.route:
                return self.route[key]
        return self.default_department

    def limit_ms(self, category: str, urgent: bool = False) -> int:
        """Dispatch to due time, in ms: urgent cases the urgent limit, others their category's, group's or default."""
        if urgent:
            return int(self.urgent_h * H_MS)
        hours = self.by_category.get(category, self.by_category.get(category[:2], self.limit_h))
        return int(hours * H_MS)

    def due_soon(self, dispatched_ms: int, due_ms: int, now_ms: int) -> bool:
        """An open case past warn_share of its time but not yet due (the warning before the deadline)."""
        return dispatched_ms + self.warn_share * (due_ms - dispatched_ms) <= now_ms <= due_ms


def _hours(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 366:
        raise ValueError(f"{where}: hours must be a number above 0 and at most a year, not {value!r}")
    return float(value)


def parse(doc: Mapping[str, Any]) -> CaseRules:
    """The table from the YAML document; ValueError naming the bad entry."""
    default = doc.get("default_department")
    if not isinstance(default, str) or not default.strip():
        raise ValueError("case rules: default_department must be a department's name")
    route: dict[tuple[str, str | None], str] = {}
    for i, rule in enumerate(doc.get("route") or []):
        where = f"case rules: route entry {i + 1}"
        if not isinstance(rule, Mapping):
            raise ValueError(f"{where} must be a mapping with category and department")
        cat, dept, dist = str(rule.get("category", "")), rule.get("department"), rule.get("district")
        if not _CATEGORY.fullmatch(cat):
            raise ValueError(f"{where}: category must be a 2-digit group or 4-digit category code, not {cat!r}")
        if dist is not None and not _ADCODE.fullmatch(str(dist)):
            raise ValueError(f"{where}: district must be a 6-digit adcode, not {dist!r}")
        if not isinstance(dept, str) or not dept.strip():
            raise ValueError(f"{where}: department must be a name")
        key = (cat, None if dist is None else str(dist))
        if key in route:
            raise ValueError(f"{where}: {cat} {dist or ''} is routed twice")
        route[key] = dept.strip()
    limits = doc.get("limits_h") or {}
    by_category = {}
    for cat, hours in (limits.get("by_category") or {}).items():
        if not _CATEGORY.fullmatch(str(cat)):
            raise ValueError(f"case rules: limits_h.by_category key must be a category or group code, not {cat!r}")
        by_category[str(cat)] = _hours(hours, f"case rules: limits_h.by_category.{cat}")
    share = doc.get("warn_share", 0.8)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise ValueError(f"case rules: warn_share must be between 0 and 1, not {share!r}")
    return CaseRules(default.strip(), route, _hours(limits.get("default", 48), "case rules: limits_h.default"),
                     _hours(limits.get("urgent", 4), "case rules: limits_h.urgent"), by_category, float(share))
