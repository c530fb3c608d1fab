"""OneScreen's own sensors open cases (issue #15, cases/from_alerts.py): a water section at 劣V for as long as its
rule's `case.after_s` opens one event case for the environment department, where the section is, saying what the
alert saw. Real Redis (the alert engine's state), SQLite case records, an injected clock. Once per firing: another
runner, or the next round, opens nothing more; a silenced alert opens nothing; a new firing opens a new case."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis

from alerts import actions
from alerts.rules import RuleSet, parse_rules
from alerts.service import Evaluator
from cases.from_alerts import AlertCases, case_id
from config.settings import load_case_rules
from core.derive import derive
from core.readings import Reading
from store import casebook
from store.writer import Writer

pytestmark = pytest.mark.integration
BAIYUN = "440111"
WHERE = (113.30, 23.25)
FEEDS = {f: {"stale_after_s": 86_400 * 3, "name_zh": f, "name_en": f} for f in ("air", "traffic", "water")}
H = 3_600_000


def ruleset(after_s: float = 7200) -> RuleSet:
    case = {"event": "0601", "after_s": after_s}
    return parse_rules({"rules": [
        {"id": "water_worst", "name_zh": "断面水质劣Ⅴ类", "name_en": "Worse than V", "scope": "section",
         "metric": "klass", "comparator": "==", "levels": [{"level": "orange", "threshold": "劣V"}], "for_s": 0,
         "clear": {"for_s": 0}, "case": case}]})


def section(r: redis.Redis, ts: int, nh3n: float) -> None:
    """NH3-N above 2.0 mg/L is worse than class V (GB 3838-2002 Table 1); 0.4 is class II."""
    rd = Reading("water", "BY-S1", ts, {"do": 6.0, "nh3n": nh3n, "codmn": 3.0, "tp": 0.1},
                 {"name": "流溪河·白云段", "district_adcode": BAIYUN, "lon": WHERE[0], "lat": WHERE[1]})
    Writer(r, source="test").write([(rd, derive(rd))], ts)


@pytest.fixture
def book(tmp_path: Path) -> Any:
    eng = casebook.engine_for(None, tmp_path)
    casebook.migrate(eng)
    return casebook.Casebook(eng)


def test_an_alert_active_long_enough_opens_one_case_for_its_department(r: redis.Redis, book: Any) -> None:
    t0 = int(time.time() * 1000) - 3 * H
    rules = ruleset()
    ev = Evaluator(r, rules, city={}, feeds_cfg=FEEDS)
    section(r, t0, 3.1)
    ev.evaluate(t0)
    [alert] = actions.active(r)
    assert alert["state"] == "firing" and alert["fired_ms"] == t0
    opener = AlertCases(r, book, rules)
    assert opener.step(t0 + 7_199_000) == []  # not yet two hours
    assert book.find() == []
    [cid] = opener.step(t0 + 7_200_000)
    assert cid == case_id(alert["id"], t0)
    rec = book.record(cid)
    assert (rec["kind"], rec["category"], rec["channel"], rec["district"], rec["state"]) == (
        "event", "0601", "alert", BAIYUN, "reported")
    assert (rec["lon"], rec["lat"]) == WHERE and "流溪河·白云段" in rec["description"] and "劣V" in rec["description"]
    assert book.trail(cid)[0]["by"] == "alert:water_worst"
    assert load_case_rules().department("0601", BAIYUN, "event") == "生态环境局"  # where dispatch will send it
    assert opener.step(t0 + 7_300_000) == []  # the next round
    assert AlertCases(r, book, rules).step(t0 + 7_300_000) == []  # another runner: the records say it exists
    assert len(book.find()) == 1

    section(r, t0 + 7_400_000, 0.4)  # back to class II: resolved
    ev.evaluate(t0 + 7_400_000)
    assert actions.active(r) == []
    section(r, t0 + 7_500_000, 2.6)  # worse than V again: a new firing, a new case in its time
    ev.evaluate(t0 + 7_500_000)
    assert opener.step(t0 + 7_500_000 + 7_200_000 - 1) == []
    [again] = opener.step(t0 + 7_500_000 + 7_200_000)
    assert again != cid and len(book.find()) == 2


def test_a_silenced_alert_opens_nothing_until_the_silence_ends(r: redis.Redis, book: Any) -> None:
    t0 = int(time.time() * 1000) - 3 * H
    section(r, t0, 3.1)
    rules = ruleset(after_s=60)
    ev = Evaluator(r, rules, city={}, feeds_cfg=FEEDS)
    ev.evaluate(t0)
    actions.silence(r, {"rule": "water_worst"}, "检修中", "ops", t0 + H, t0 + 1000)
    ev.evaluate(t0 + 2000)
    assert actions.active(r)[0]["silenced"] is True
    assert AlertCases(r, book, rules).step(t0 + 120_000) == []  # the centre muted it: no case behind its back
    assert book.find() == []
    ev.evaluate(t0 + H + 1000)  # the silence ends
    assert actions.active(r)[0]["silenced"] is False
    assert len(AlertCases(r, book, rules).step(t0 + H + 2000)) == 1


def test_a_case_waits_for_its_level(r: redis.Redis, book: Any) -> None:
    rules = parse_rules({"rules": [
        {"id": "aqi", "name_zh": "站点AQI超标", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
         "comparator": ">", "levels": [{"level": "blue", "threshold": 100}, {"level": "red", "threshold": 300}],
         "for_s": 0, "escalate_after_s": 60, "case": {"event": "0602", "after_s": 0, "level": "red"}}]})
    t0 = int(time.time() * 1000) - H
    ev = Evaluator(r, rules, city={}, feeds_cfg=FEEDS)

    def air(ts: int, pm25: float) -> None:
        meta = {"name": "白云站", "district_adcode": BAIYUN}
        rd = Reading("air", "1355A", ts, {"pm25_1h": pm25, "pm10_1h": 40}, meta)
        Writer(r, source="test").write([(rd, derive(rd))], ts)

    air(t0, 150)  # PM2.5 150 -> IAQI 200 (HJ 633-2026 Table 1): blue here
    ev.evaluate(t0)
    assert actions.active(r)[0]["level"] == "blue"
    assert AlertCases(r, book, rules).step(t0 + 1000) == []
    for k in (1, 2, 3, 4):  # nobody acknowledges: it is escalated up to red, but the air never reached red
        ev.evaluate(t0 + k * 61_000)
    assert actions.active(r)[0]["level"] == "red"
    assert AlertCases(r, book, rules).step(t0 + 250_000) == []
    air(t0 + 300_000, 400)  # PM2.5 400 -> IAQI above 300: red
    ev.evaluate(t0 + 300_000)
    assert actions.active(r)[0]["level"] == "red"
    [cid] = AlertCases(r, book, rules).step(t0 + 301_000)
    assert book.record(cid)["category"] == "0602" and book.record(cid)["lon"] is None  # no position sent: none made up


def test_a_case_spec_is_checked_when_the_rules_are_read() -> None:
    base = {"id": "w", "name_zh": "w", "name_en": "w", "scope": "section", "metric": "klass", "comparator": "==",
            "levels": [{"level": "orange", "threshold": "劣V"}]}
    with pytest.raises(ValueError, match="case.event"):
        parse_rules({"rules": [{**base, "case": {"event": "9999"}}]})
    with pytest.raises(ValueError, match="case.level"):
        parse_rules({"rules": [{**base, "case": {"event": "0601", "level": "red"}}]})
    with pytest.raises(ValueError, match="case"):
        parse_rules({"rules": [{"id": "s", "name_zh": "s", "name_en": "s", "kind": "stale", "scope": "feed",
                                "case": {"event": "0601"}}]})
