"""The alert engine, injected clock: duration, hysteresis, staleness, escalation, silences, restart continuity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.engine import Engine
from alerts.rules import Rule, RuleSet, load_rules
from core import alerts as lc
from core.alerts import Observation, alert_id, counts_of

T0 = 1_790_000_000_000
AQI_LEVELS = [{"level": "blue", "threshold": 100}, {"level": "yellow", "threshold": 150},
              {"level": "orange", "threshold": 200}, {"level": "red", "threshold": 300}]


def rule(**kw: Any) -> Rule:
    base = {"id": "aqi", "name_zh": "站点AQI", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
            "comparator": ">", "levels": AQI_LEVELS, "for_s": 60, "clear": {"threshold": 90, "for_s": 120},
            "escalate_after_s": None}
    return Rule.model_validate({**base, **kw})


def stale_rule(**kw: Any) -> Rule:
    base = {"id": "stale", "name_zh": "数据源中断", "name_en": "Feed stale", "kind": "stale", "scope": "feed",
            "for_s": 30, "clear": {"for_s": 0}}
    return Rule.model_validate({**base, **kw})


class Harness:
    """Engine + states persisted as JSON (as Redis holds them) + an injected clock; collects every transition."""

    def __init__(self, *rules: Rule, keep_resolved_s: float = 86_400) -> None:
        self.engine = Engine(RuleSet(rules=rules, keep_resolved_s=keep_resolved_s))
        self.states: dict[str, dict[str, Any]] = {}
        self.silences: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []
        self.now = T0

    def at(self, seconds: float) -> Harness:
        self.now = T0 + int(seconds * 1000)
        return self

    def feed(self, *obs: Observation) -> list[dict[str, Any]]:
        out = self.engine.evaluate(self.states, obs, self.now, self.silences)
        for aid, doc in out.changes.items():
            if doc is None:
                self.states.pop(aid, None)
            else:
                self.states[aid] = json.loads(json.dumps(doc, ensure_ascii=False))
        self.log += out.transitions
        return out.transitions

    def value(self, v: Any, *, fresh: bool = True, entity: str = "S1", district: str | None = "440106") -> list[Any]:
        return self.feed(Observation("station", entity, "aqi", v, self.now, fresh, "站", "Station", district))

    def events(self, kinds: Iterable[str] | None = None) -> list[str]:
        return [t["event"] for t in self.log if kinds is None or t["event"] in kinds]

    def doc(self, entity: str = "S1", rule_id: str = "aqi") -> dict[str, Any]:
        return self.states[alert_id(rule_id, entity)]


def run(h: Harness, series: Sequence[tuple[float, Any]]) -> Harness:
    for t, v in series:
        h.at(t).value(v)
    return h


@pytest.mark.parametrize(("series", "events", "state"), [
    # below the duration: pending only, then cancelled when the value drops
    ([(0, 120), (30, 130), (59, 125), (61, 80)], ["pending", "cancelled"], None),
    # held for for_s: fires once, at the level held that long
    ([(0, 120), (30, 130), (60, 125), (90, 140)], ["pending", "firing"], "firing"),
    # a higher level needs its own for_s before the alert moves up to it
    ([(0, 120), (60, 160), (100, 170), (119, 170), (121, 170)], ["pending", "firing", "level_up"], "firing"),
    # a dip below the first threshold restarts the duration
    ([(0, 120), (40, 95), (50, 120), (100, 120), (110, 120)], ["pending", "cancelled", "pending", "firing"],
     "firing"),
], ids=["short-breach", "duration-met", "level-duration", "restart-after-dip"])
def test_duration(series: list[tuple[float, Any]], events: list[str], state: str | None) -> None:
    h = run(Harness(rule()), series)
    assert h.events() == events
    assert (h.states.get(alert_id("aqi", "S1")) or {}).get("state") == state


def test_duration_fires_at_exactly_for_s_and_names_the_level() -> None:
    h = Harness(rule())
    h.at(0).value(160)
    assert h.at(59.999).value(160) == []
    [tr] = h.at(60).value(160)
    assert tr["event"] == "firing" and tr["level"] == "yellow" and tr["threshold"] == 150
    assert h.doc()["since_ms"] == T0 + 60_000 and h.doc()["fired_ms"] == T0 + 60_000


def test_zero_duration_fires_on_the_first_breach_without_pending() -> None:
    h = Harness(rule(for_s=0))
    [tr] = h.at(0).value(250)
    assert (tr["event"], tr["from"], tr["to"], tr["level"]) == ("firing", None, "firing", "orange")


def test_oscillating_value_fires_once_and_does_not_flap() -> None:
    h = Harness(rule(for_s=0))
    for i in range(200):  # 10 s period around the limit, never below the clear threshold (90) for 120 s
        h.at(i * 5).value(105 if i % 2 == 0 else 95)
    assert h.events() == ["firing"]
    for i in range(200, 300):  # oscillating below and above the clear threshold restarts the clear timer
        h.at(i * 5).value(85 if i % 2 == 0 else 99)
    assert h.events() == ["firing"]
    for t in range(1500, 1621, 10):
        h.at(t).value(80)
    assert h.events() == ["firing", "resolved"] and h.doc()["state"] == "resolved"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=90.01, max_value=140, allow_nan=False), min_size=1, max_size=60))
def test_no_value_above_the_clear_threshold_ever_resolves_or_refires(values: list[float]) -> None:
    h = Harness(rule(for_s=0))
    h.at(0).value(120)
    for i, v in enumerate(values, start=1):
        h.at(i * 30).value(v)
    assert h.events(["firing", "resolved", "pending"]) == ["firing"]


def test_clear_duration_without_clear_threshold_uses_the_first_level() -> None:
    h = Harness(rule(for_s=0, clear={"for_s": 60}))
    run(h, [(0, 120), (10, 100), (40, 101), (50, 100), (109, 100)])
    assert h.events() == ["firing"]
    h.at(110).value(100)
    assert h.events() == ["firing", "resolved"]


def test_new_breach_after_resolve_starts_a_new_episode_with_the_same_id() -> None:
    h = Harness(rule(for_s=0, clear={"for_s": 0}))
    run(h, [(0, 150.5), (10, 50), (20, 120)])
    assert h.events() == ["firing", "resolved", "firing"]
    assert h.log[-1]["from"] == "resolved" and h.doc()["level"] == "blue" and h.doc()["since_ms"] == T0 + 20_000


def test_resolved_alert_is_forgotten_after_keep_resolved_s() -> None:
    h = Harness(rule(for_s=0, clear={"for_s": 0}), keep_resolved_s=600)
    run(h, [(0, 150), (10, 50), (600, 50)])
    assert h.doc()["state"] == "resolved"
    h.at(611).value(50)
    assert h.states == {}


def test_stale_values_hold_a_threshold_rule() -> None:
    h = Harness(rule(for_s=60))
    h.at(0).value(120)
    assert h.at(100).value(120, fresh=False) == []  # stale: no firing on old data
    assert h.doc()["state"] == "pending" and h.doc()["held"] is True
    h.at(110).value(130)  # fresh again: the duration restarts, the stale gap proves nothing
    h.at(169).value(130)
    assert h.events() == ["pending"]
    h.at(170).value(130)
    assert h.events() == ["pending", "firing"]
    h.at(200).value(10, fresh=False)  # a stale low value does not resolve it either
    h.at(1000).value(10, fresh=False)
    assert h.doc()["state"] == "firing" and h.doc()["held"] is True
    h.at(1001).value(None)  # a missing value is held too
    assert h.events() == ["pending", "firing"]


def test_stale_value_never_creates_an_alert() -> None:
    h = Harness(rule(for_s=0))
    assert h.at(0).value(500, fresh=False) == [] and h.states == {}


def feed_age(h: Harness, feed: str, age_s: float, fresh: bool) -> list[Any]:
    return h.feed(Observation("feed", feed, "age_s", age_s, h.now - int(age_s * 1000), fresh, feed, feed))


def test_stale_feed_raises_a_stale_class_alert_after_its_duration_and_resolves_when_fresh() -> None:
    h = Harness(stale_rule(for_s=30))
    feed_age(h.at(0), "air", 2, True)
    feed_age(h.at(10), "air", 31, False)
    assert h.events() == ["pending"]
    [tr] = feed_age(h.at(40), "air", 61, False)
    assert (tr["event"], tr["level"], tr["value"]) == ("firing", "stale", 61)
    [tr] = feed_age(h.at(50), "air", 1, True)
    assert tr["event"] == "resolved"


def test_escalation_climbs_one_colour_per_period_then_renotifies_at_red() -> None:
    h = Harness(rule(for_s=0, escalate_after_s=600, levels=AQI_LEVELS[1:]))
    h.at(0).value(160)
    assert h.doc()["level"] == "yellow"
    for t in (599, 600, 1199, 1200, 1800, 2400):
        h.at(t).value(160)
    assert h.events() == ["firing", "escalated", "escalated", "renotified", "renotified"]
    assert h.doc()["level"] == "red" and h.doc()["escalations"] == 4
    assert [t["level"] for t in h.log] == ["yellow", "orange", "red", "red", "red"]


def test_acknowledged_alert_does_not_escalate_but_a_worse_value_realerts() -> None:
    h = Harness(rule(for_s=0, escalate_after_s=600))
    h.at(0).value(120)
    aid = alert_id("aqi", "S1")
    h.states[aid], tr = lc.acknowledge(h.states[aid], "张工", "派人核查", h.now)
    assert tr["event"] == "acknowledged" and h.states[aid]["ack_by"] == "张工"
    h.at(5000).value(120)
    assert h.events() == ["firing"] and h.doc()["state"] == "acknowledged"
    h.at(5001).value(210)
    assert h.events() == ["firing", "level_up"]
    assert h.doc()["state"] == "firing" and h.doc()["level"] == "orange" and h.doc()["ack_by"] is None


@pytest.mark.parametrize("state", ["pending", "acknowledged", "resolved"])
def test_only_a_firing_alert_can_be_acknowledged(state: str) -> None:
    doc = {"id": "aqi:S1", "state": state}
    with pytest.raises(lc.Conflict):
        lc.acknowledge(doc, "op", "", T0)


@pytest.mark.parametrize(("by", "comment"), [("", ""), ("  ", ""), ("x" * 65, ""), (None, ""), ("op", "c" * 501),
                                             ("op", 5)])
def test_acknowledge_rejects_bad_operator_or_comment(by: Any, comment: Any) -> None:
    with pytest.raises(lc.AlertError):
        lc.acknowledge({"id": "a", "state": "firing"}, by, comment, T0)


def test_silence_marks_without_escalating_and_expires_by_the_clock() -> None:
    h = Harness(rule(for_s=0, escalate_after_s=600))
    h.silences = [{"id": "s-1", "scope": {"district": "440106"}, "until_ms": T0 + 1000_000}]
    h.at(0).value(120)
    assert h.doc()["silenced"] is True and h.events() == ["firing"] and h.log[0]["silenced"] is True
    h.at(900).value(120)  # past escalate_after_s, but silenced
    assert h.events() == ["firing"]
    h.at(1000).value(120)  # the silence expires (until is exclusive): unsilenced, escalation timer restarts
    assert h.events() == ["firing", "unsilenced"] and h.doc()["silenced"] is False
    h.at(1599).value(120)
    assert h.events() == ["firing", "unsilenced"]
    h.at(1600).value(120)
    assert h.events() == ["firing", "unsilenced", "escalated"]


@pytest.mark.parametrize(("scope", "applies"), [
    ({"rule": "aqi"}, True), ({"entity_id": "S1"}, True), ({"district": "440106"}, True),
    ({"rule": "aqi", "entity_id": "S2"}, False), ({"district": "440103"}, False), ({}, False),
])
def test_silence_scope_matching(scope: dict[str, str], applies: bool) -> None:
    doc = {"rule": "aqi", "entity_id": "S1", "district": "440106"}
    assert lc.silence_applies({"scope": scope, "until_ms": T0 + 1}, doc, T0) is applies
    assert lc.silence_applies({"scope": scope, "until_ms": T0}, doc, T0) is False


def test_restart_continuity_new_engine_continues_from_persisted_state() -> None:
    first = Harness(rule(for_s=60))
    first.at(0).value(120)
    first.at(30).value(120)
    persisted = json.loads(json.dumps(first.states))
    second = Harness(rule(for_s=60))  # a new process: a new engine, the states from Redis
    second.states = persisted
    second.at(59).value(120)
    assert second.events() == []
    second.at(60).value(120)
    assert second.events() == ["firing"] and second.doc()["since_ms"] == T0 + 60_000
    second.at(61).value(120)
    assert second.events() == ["firing"]


def test_evaluation_is_deterministic() -> None:
    def go() -> list[dict[str, Any]]:
        return run(Harness(rule(for_s=10, escalate_after_s=60)),
                   [(i * 7, 80 + (i * 37) % 160) for i in range(60)]).log
    assert go() == go()


@pytest.mark.parametrize(("comparator", "levels", "values", "fired"), [
    ("==", [{"level": "orange", "threshold": "劣V"}], ["V", "劣V"], [None, "orange"]),
    ("in", [{"level": "yellow", "threshold": ["V"]}, {"level": "red", "threshold": ["劣V"]}], ["IV", "V", "劣V"],
     [None, "yellow", "red"]),
    ("<", [{"level": "yellow", "threshold": 2}, {"level": "orange", "threshold": 1}], [2.0, 1.9, 0.5],
     [None, "yellow", "orange"]),
    ("<=", [{"level": "yellow", "threshold": 2}], ["n/a", 2], [None, "yellow"]),
])
def test_comparators(comparator: str, levels: list[dict[str, Any]], values: list[Any], fired: list[Any]) -> None:
    clear = {"for_s": 0}
    h = Harness(rule(id="w", scope="section", metric="m", comparator=comparator, levels=levels, for_s=0, clear=clear))
    got = []
    for i, v in enumerate(values):
        h.at(i).feed(Observation("section", "W1", "m", v, h.now))
        doc = h.states.get(alert_id("w", "W1"))
        got.append(doc["level"] if doc and doc["state"] == "firing" else None)
    assert got == fired


def test_entity_and_district_filters() -> None:
    h = Harness(rule(for_s=0, entities=["S1", "S2"], districts=["440106"]))
    h.at(0).value(150, entity="S1")
    h.at(0).value(150, entity="S2", district="440103")
    h.at(0).value(150, entity="S3")
    assert list(h.states) == ["aqi:S1"]


def test_removed_rule_resolves_its_active_alerts() -> None:
    h = Harness(rule(for_s=0))
    h.at(0).value(150)
    other = Harness(rule(id="other"))
    other.states = h.states
    other.at(1).feed()
    assert other.events() == ["resolved"] and other.log[0]["comment"] == "rule no longer configured"


def test_alert_id_is_deterministic_and_url_safe() -> None:
    assert alert_id("aqi", "1345A") == "aqi:1345A" == alert_id("aqi", "1345A")
    odd = alert_id("aqi", "站/1")
    assert odd == alert_id("aqi", "站/1") and "/" not in odd and odd.startswith("aqi:h")


def test_counts_by_level_and_unacknowledged() -> None:
    recs = [{"state": "firing", "level": "red"}, {"state": "acknowledged", "level": "red"},
            {"state": "firing", "level": "stale", "silenced": True}, {"state": "pending", "level": "blue"}]
    c = counts_of(recs)
    assert c["red"] == 2 and c["stale"] == 1 and c["blue"] == 0
    assert (c["total"], c["unacknowledged"], c["silenced"]) == (3, 1, 1)


def test_shipped_defaults_evaluate() -> None:
    h = Harness(*load_rules().rules)
    h.at(0).value(301)
    assert h.doc(rule_id="station_aqi")["level"] == "red"


def test_a_silent_entity_raises_its_own_stale_alert() -> None:
    h = Harness(stale_rule(id="station_silent", scope="station", for_s=0))
    h.at(0).feed(Observation("station", "S1", "age_s", 5.0, h.now, True, "站"))
    [tr] = h.at(40).feed(Observation("station", "S1", "age_s", 45.0, h.now - 45_000, False, "站"))
    assert (tr["alert"], tr["event"], tr["level"]) == ("station_silent:S1", "firing", "stale")


def test_nan_is_held_not_evaluated() -> None:
    h = Harness(rule(for_s=0))
    h.at(0).value(150)
    h.at(10).value(float("nan"))
    assert h.events() == ["firing"] and h.doc()["held"] is True
    assert Harness(rule(for_s=0)).value(float("nan")) == []
