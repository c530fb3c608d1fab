"""config/alerts.yaml: the shipped defaults load, and every kind of mistake names the file, the rule and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.rules import DEFAULT_PATH, load_rules, parse_rules


def good(**kw: Any) -> dict[str, Any]:
    rule = {"id": "r1", "name_zh": "规则", "name_en": "Rule", "scope": "station", "metric": "aqi", "comparator": ">",
            "levels": [{"level": "blue", "threshold": 100}, {"level": "red", "threshold": 300}]}
    return {**rule, **kw}


def test_shipped_defaults_cover_the_issue() -> None:
    rs = load_rules()
    by = rs.by_id()
    assert [lv.threshold for lv in by["station_aqi"].levels] == [100, 150, 200, 300]
    assert [lv.threshold for lv in by["city_aqi"].levels] == [100, 150, 200, 300]
    cong = by["district_congestion"]
    assert (cong.scope, cong.metric, cong.comparator, cong.for_s) == ("district", "tpi", ">=", 600)
    assert [lv.threshold for lv in cong.levels] == [6, 8]
    assert (by["segment_severe"].metric, by["segment_severe"].for_s) == ("level", 900)
    assert by["service_overdue"].metric == "overdue" and by["service_on_time"].levels[0].threshold == 90
    assert by["water_class_worst"].levels[0].threshold == "劣V" and by["water_do_low"].levels[0].threshold == 2
    assert by["water_black_odorous"].levels[0].threshold == "heavy"
    assert by["feed_stale"].kind == "stale" and by["feed_stale"].scope == "feed"
    assert all(r.escalate_after_s for r in rs.rules)  # the default applies where a rule sets none
    assert rs.timer_s == 1


@pytest.mark.parametrize(("rule", "field"), [
    (good(metric=""), "needs metric"),
    (good(comparator="~"), "comparator"),
    (good(levels=[{"level": "red", "threshold": 300}, {"level": "blue", "threshold": 100}]), "ordered"),
    (good(levels=[{"level": "blue", "threshold": 300}, {"level": "red", "threshold": 100}]), "increase"),
    (good(comparator="<"), "decrease"),
    (good(levels=[{"level": "purple", "threshold": 1}]), "levels.0.level"),
    (good(levels=[{"level": "blue", "threshold": True}]), "levels.0.threshold"),
    (good(levels=[{"level": "blue", "threshold": "high"}]), "numeric thresholds"),
    (good(clear={"threshold": 150}), "safe side"),
    (good(clear={"for": 10}), "clear.for"),
    (good(for_s=-1), "for_s"),
    (good(comparator="in", levels=[{"level": "blue", "threshold": "V"}]), "lists"),
    (good(comparator="==", clear={"threshold": 1}), "ordered comparator"),
    (good(thresold=1), "thresold"),
    (good(scope="planet"), "scope"),
    (good(kind="stale", scope="feed"), "stale rule"),
    (good(escalate_after_s=0), "escalate_after_s"),
    (good(id="Bad Id"), "id"),
])
def test_bad_rule_names_file_rule_and_field(rule: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_rules({"rules": [good(id="ok"), rule]}, "alerts.yaml")
    msg = str(exc.value)
    assert msg.startswith("alerts.yaml: rule ") and field in msg
    if rule.get("id") != "Bad Id":
        assert "'r1'" in msg


@pytest.mark.parametrize(("document", "fragment"), [
    ({"rules": [good(), good()]}, "duplicate rule id"),
    ({"rules": []}, "non-empty list"),
    ({"rule": [good()]}, "unknown top-level keys"),
    ({"rules": [good()], "settings": {"timer_s": 0}}, "settings: timer_s"),
    ({"rules": [good()], "defaults": {"levels": []}}, "defaults may set"),
    ({"rules": ["x"]}, "rule #1: must be a mapping"),
    ([1, 2], "expected a mapping"),
])
def test_bad_document(document: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_rules(document, "alerts.yaml")


def test_load_rules_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "alerts.yaml"
    bad.write_text(yaml.safe_dump({"rules": [good(for_s="soon")]}), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{bad}: rule 'r1': for_s: "):
        load_rules(bad)
    (tmp_path / "broken.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.yaml: cannot read"):
        load_rules(tmp_path / "broken.yaml")


def test_rules_are_frozen() -> None:
    rule = load_rules(DEFAULT_PATH).rules[0]
    with pytest.raises(ValueError):
        rule.for_s = 5  # type: ignore[misc]


def test_defaults_are_overridden_per_rule() -> None:
    rs = parse_rules({"defaults": {"escalate_after_s": 600, "for_s": 30},
                      "rules": [good(), good(id="r2", escalate_after_s=60, for_s=0)]})
    assert [(r.escalate_after_s, r.for_s) for r in rs.rules] == [(600, 30), (60, 0)]
