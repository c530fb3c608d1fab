"""Service-request backlog KPIs from Open311 GeoReport v2 cases (standards.md §5), for the 12345 tiles.

Definitions (standards.md §5): open = status "open"; age = now - requested_datetime; overdue = open and now >
expected_datetime; time to close = updated_datetime - requested_datetime for closed cases; on time = closed with
updated_datetime <= expected_datetime.
Assumptions (the lead should know):
- on_time_rate = closed_on_time / closed cases that carry an expected_datetime (Open311 makes it optional; a case
  without a deadline cannot be late or on time). It is None when no such case is closed.
- a case is skipped and counted in `invalid` when it is not a mapping, when its status is not open/closed
  (case-insensitive), when requested_datetime is missing, or when any datetime is unparseable or has no time zone
  (Open311 requires one). One bad case never hides the others.
- by_district keys on district_adcode (as a string), by_category on service_name, else service_code; a case without
  one is filed under "unknown".
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Kpis", "kpis", "parse_datetime"]

UNKNOWN = "unknown"
_HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Kpis:
    """Backlog figures of one moment; ages and durations in hours, None where there is nothing to measure."""

    open: int
    overdue: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None
    median_open_age_h: float | None
    max_open_age_h: float | None
    median_close_time_h: float | None
    invalid: int
    by_district: dict[str, dict[str, int]] = field(default_factory=dict)
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able copy for the store."""
        return {
            "open": self.open,
            "overdue": self.overdue,
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "on_time_rate": self.on_time_rate,
            "median_open_age_h": self.median_open_age_h,
            "max_open_age_h": self.max_open_age_h,
            "median_close_time_h": self.median_close_time_h,
            "invalid": self.invalid,
            "by_district": {k: dict(v) for k, v in self.by_district.items()},
            "by_category": {k: dict(v) for k, v in self.by_category.items()},
        }


def parse_datetime(value: object) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string ('Z' allowed); None if absent; ValueError if bad."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise ValueError(f"not a datetime: {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime without a time zone: {value!r}")
    return value


def _hours(later: datetime, earlier: datetime) -> float:
    """Signed duration in hours."""
    return (later - earlier).total_seconds() / _HOUR_S


def _bucket(groups: dict[str, dict[str, int]], key: object) -> dict[str, int]:
    """The counter dict of one district or category, created on first use."""
    name = UNKNOWN if key is None or key == "" else str(key)
    return groups.setdefault(name, {"open": 0, "overdue": 0, "closed": 0})


def kpis(cases: Iterable[Mapping[str, Any]], now: datetime) -> Kpis:
    """Backlog KPIs at `now` (an aware datetime, passed in so screens and tests share one clock)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    n_open = overdue = closed = on_time = judged = invalid = 0
    open_ages: list[float] = []
    close_times: list[float] = []
    by_district: dict[str, dict[str, int]] = {}
    by_category: dict[str, dict[str, int]] = {}
    for case in cases:
        if not isinstance(case, Mapping):
            invalid += 1
            continue
        status = str(case.get("status") or "").strip().lower()
        try:
            requested = parse_datetime(case.get("requested_datetime"))
            expected = parse_datetime(case.get("expected_datetime"))
            updated = parse_datetime(case.get("updated_datetime"))
        except (TypeError, ValueError):
            invalid += 1
            continue
        if status not in ("open", "closed") or requested is None:
            invalid += 1
            continue
        district = _bucket(by_district, case.get("district_adcode"))
        category = _bucket(by_category, case.get("service_name") or case.get("service_code"))
        if status == "open":
            n_open += 1
            open_ages.append(_hours(now, requested))
            late = expected is not None and now > expected
            overdue += late
            for bucket in (district, category):
                bucket["open"] += 1
                bucket["overdue"] += late
            continue
        closed += 1
        district["closed"] += 1
        category["closed"] += 1
        if updated is not None:
            close_times.append(_hours(updated, requested))
        if expected is not None and updated is not None:
            judged += 1
            on_time += updated <= expected
    return Kpis(
        open=n_open,
        overdue=overdue,
        closed=closed,
        closed_on_time=on_time,
        on_time_rate=on_time / judged if judged else None,
        median_open_age_h=statistics.median(open_ages) if open_ages else None,
        max_open_age_h=max(open_ages) if open_ages else None,
        median_close_time_h=statistics.median(close_times) if close_times else None,
        invalid=invalid,
        by_district=by_district,
        by_category=by_category,
    )
