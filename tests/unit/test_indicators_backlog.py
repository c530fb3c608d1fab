"""Backlog KPIs from Open311 GeoReport v2 cases (standards.md §5), with an injected clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from indicators import backlog

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def case(status: str, requested_h_ago: float, expected_in_h: float | None = None, updated_h_ago: float | None = None,
         district: str | None = "440106", service: str | None = "Noise", **extra: object) -> dict:
    """An Open311 request relative to NOW (negative expected_in_h = deadline already past)."""
    out: dict = {"status": status, "requested_datetime": NOW - timedelta(hours=requested_h_ago),
                 "district_adcode": district, "service_name": service, **extra}
    if expected_in_h is not None:
        out["expected_datetime"] = NOW + timedelta(hours=expected_in_h)
    if updated_h_ago is not None:
        out["updated_datetime"] = NOW - timedelta(hours=updated_h_ago)
    return out


def test_kpis_definitions() -> None:
    # standards.md §5 KPIs: backlog = open; age = now - requested; overdue = open and now > expected;
    # time to close = updated - requested; on-time rate = closed by expected / closed.
    cases = [
        case("open", 10, expected_in_h=5),
        case("open", 30, expected_in_h=-1),  # overdue
        case("open", 50, expected_in_h=0),  # now == expected: not yet overdue
        case("closed", 48, expected_in_h=-10, updated_h_ago=20),  # closed before the deadline
        case("closed", 48, expected_in_h=-30, updated_h_ago=20, district="440104", service=None,
             service_code="041"),  # late
        case("closed", 48, expected_in_h=-20, updated_h_ago=20),  # updated == expected: on time
    ]
    kpis = backlog.kpis(cases, NOW)
    assert (kpis.open, kpis.overdue, kpis.closed, kpis.closed_on_time, kpis.invalid) == (3, 1, 3, 2, 0)
    assert kpis.on_time_rate == pytest.approx(2 / 3)
    assert kpis.median_open_age_h == 30 and kpis.max_open_age_h == 50
    assert kpis.median_close_time_h == 28
    assert kpis.by_district == {"440106": {"open": 3, "overdue": 1, "closed": 2},
                                "440104": {"open": 0, "overdue": 0, "closed": 1}}
    assert kpis.by_category == {"Noise": {"open": 3, "overdue": 1, "closed": 2},
                                "041": {"open": 0, "overdue": 0, "closed": 1}}
    assert json.loads(json.dumps(kpis.to_dict()))["by_district"]["440106"]["overdue"] == 1


def test_iso_strings_with_time_zones() -> None:
    # standards.md §5: Open311 datetimes are ISO 8601 with a time zone.
    cases = [
        {"status": "open", "requested_datetime": "2026-05-01T10:00:00+08:00",
         "expected_datetime": "2026-05-01T03:00:00Z", "district_adcode": 440106, "service_code": "pothole"},
        {"status": "CLOSED", "requested_datetime": "2026-04-30T12:00:00Z", "updated_datetime": "2026-04-30T18:00Z",
         "expected_datetime": "2026-05-01T00:00:00+00:00"},
    ]
    kpis = backlog.kpis(cases, NOW)
    assert (kpis.open, kpis.overdue, kpis.closed, kpis.closed_on_time, kpis.on_time_rate) == (1, 1, 1, 1, 1.0)
    assert kpis.median_open_age_h == 10  # 02:00Z -> 12:00Z
    assert kpis.median_close_time_h == 6
    assert kpis.by_district == {"440106": {"open": 1, "overdue": 1, "closed": 0},
                                "unknown": {"open": 0, "overdue": 0, "closed": 1}}
    assert kpis.by_category["pothole"]["overdue"] == 1


def test_bad_cases_are_counted_not_fatal() -> None:
    cases = [
        case("open", 5),
        {"status": "pending", "requested_datetime": NOW},  # not an Open311 status
        {"status": "open", "requested_datetime": "yesterday"},
        {"status": "open", "requested_datetime": "2026-05-01T10:00:00"},  # no time zone
        {"status": "open"},  # no requested_datetime
        {"status": "closed", "requested_datetime": NOW, "updated_datetime": 12345},
        None,
    ]
    kpis = backlog.kpis(cases, NOW)  # type: ignore[arg-type]
    assert (kpis.open, kpis.invalid) == (1, 6)


def test_nothing_closed_or_open() -> None:
    kpis = backlog.kpis([], NOW)
    assert (kpis.open, kpis.closed, kpis.on_time_rate, kpis.median_open_age_h, kpis.median_close_time_h) == (
        0, 0, None, None, None)
    # closed without a deadline: counted closed, not judged for the on-time rate (assumption, see module docstring)
    no_deadline = backlog.kpis([case("closed", 10, updated_h_ago=1)], NOW)
    assert (no_deadline.closed, no_deadline.closed_on_time, no_deadline.on_time_rate) == (1, 0, None)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        backlog.kpis([], datetime(2026, 5, 1))


def test_parse_datetime() -> None:
    assert backlog.parse_datetime("2026-05-01T12:00:00Z") == NOW
    assert backlog.parse_datetime(None) is None and backlog.parse_datetime("") is None
    with pytest.raises(ValueError):
        backlog.parse_datetime("2026-05-01 12:00")
