"""core.case_rules and config/case_rules.yaml (issue #15): the most specific route wins, time limits by category and
urgency, the warning before the deadline, and a bad table refused with the entry named."""

from __future__ import annotations

import time

import pytest

from config.settings import load_case_rules
from core import case_rules
from core.event_catalog import EVENT_CODES, EVENT_GROUPS
from core.furniture_catalog import CATEGORIES, GROUPS

H = 3_600_000
TABLE = {"default_department": "城管", "route": [
    {"category": "01", "department": "市政"}, {"category": "0118", "department": "消防"},
    {"category": "01", "district": "440111", "department": "白云市政"},
    {"category": "0118", "district": "440111", "department": "白云消防"}],
    "limits_h": {"default": 48, "urgent": 4, "by_category": {"01": 24, "0118": 2}}, "warn_share": 0.75}


def test_the_most_specific_route_wins() -> None:
    rules = case_rules.parse(TABLE)
    assert rules.department("0118", "440111") == "白云消防"  # category + district
    assert rules.department("0118", "440106") == "消防"  # category
    assert rules.department("0101", "440111") == "白云市政"  # group + district
    assert rules.department("0101") == "市政"  # group
    assert rules.department("0401", "440111") == "城管"  # nothing matches: the default


def test_time_limits_and_the_warning_before_the_deadline() -> None:
    rules = case_rules.parse(TABLE)
    assert rules.limit_ms("0118") == 2 * H and rules.limit_ms("0101") == 24 * H and rules.limit_ms("0401") == 48 * H
    assert rules.limit_ms("0401", urgent=True) == 4 * H
    now = int(time.time() * 1000)
    due = now + 8 * H
    assert not rules.due_soon(now, due, now + 5 * H) and rules.due_soon(now, due, now + 6 * H)
    assert not rules.due_soon(now, due, due + 1)  # past due is overdue, not due soon


@pytest.mark.parametrize(("change", "words"), [
    ({"default_department": ""}, "default_department"),
    ({"route": [{"category": "1", "department": "x"}]}, "route entry 1"),
    ({"route": [{"category": "01", "district": "4401", "department": "x"}]}, "6-digit"),
    ({"route": [{"category": "01", "department": "x"}, {"category": "01", "department": "y"}]}, "twice"),
    ({"limits_h": {"default": 0}}, "limits_h.default"),
    ({"limits_h": {"by_category": {"0101": True}}}, "by_category.0101"),
    ({"warn_share": 1.5}, "warn_share"),
    ({"route": [{"category": "01", "event": "01", "department": "x"}]}, "not both"),
    ({"route": [{"event": "0699", "department": "x"}]}, "no event '0699'"),
    ({"route": [{"category": "0799", "department": "x"}]}, "no category '0799'"),
    ({"limits_h": {"by_event": {"0999": 2}}}, "by_event key"),
    ({"route": 5}, "route must be a list"),
    ({"limits_h": [1]}, "limits_h must be a mapping"),
    ({"limits_h": {"by_event": 5}}, "by_event must map"),
    ({"route": [{"category": "01", "department": "部" * 65}]}, "at most 64"),
    ({"route": [{"event": "5", "department": "x"}]}, "event must be"),
    ({"limits_h": {"by_event": {"05": -1}}}, "by_event.05"),
    ({"video_events": {"parking": "0101x"}}, "video_events.parking"),
    ({"video_events": {"<script>": "0505"}}, "video_events.<script>"),
    ({"video_events": ["parking"]}, "video_events must map"),
])
def test_a_bad_table_is_refused_naming_the_entry(change: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        case_rules.parse({**TABLE, **change})


def test_the_shipped_table_routes_only_real_categories() -> None:
    rules = load_case_rules()
    codes = {c["code"] for c in CATEGORIES} | set(GROUPS)
    codes |= {case_rules.EVENT + c for c in EVENT_CODES | set(EVENT_GROUPS)}
    assert {cat for cat, _ in rules.route} <= codes and set(rules.by_category) <= codes
    assert set(rules.video_events.values()) <= EVENT_CODES
    # an event's category is routed apart from the component with the same digits
    assert rules.department("0505", kind="event") == "公安交警支队" != rules.department("0505")
    assert rules.limit_ms("0406", kind="event") == 4 * 3_600_000 != rules.limit_ms("0406")
    assert rules.department("0118") == "消防救援支队" and rules.department("0101", "440111") == "白云区市政所"
