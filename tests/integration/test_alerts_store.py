"""Alerts against a real server: atomic commits, the evaluator from ingested data, restarts, races, ack, silences."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from alerts import actions
from alerts.rules import RuleSet, parse_rules
from alerts.service import Evaluator
from config.settings import Settings
from core.derive import derive
from core.readings import Reading
from data_sources import runner
from store import alerts as store
from store import keys
from store.client import connect
from store.embedded import EmbeddedServer
from store.writer import Writer
from tests.conftest import free_port

pytestmark = pytest.mark.integration
T0 = 1_790_000_000_000
FEEDS = {f: {"stale_after_s": 30, "name_zh": f, "name_en": f} for f in ("air", "traffic", "water")}
CITY = {"name_zh": "广州市", "name_en": "Guangzhou", "geo": {"districts": "guangzhou_districts.geojson"}}


def rules(for_s: float = 60, escalate: float | None = None) -> RuleSet:
    return parse_rules({"rules": [
        {"id": "aqi", "name_zh": "站点AQI超标", "name_en": "Station AQI", "scope": "station", "metric": "aqi",
         "comparator": ">", "levels": [{"level": "blue", "threshold": 100}, {"level": "orange", "threshold": 200}],
         "for_s": for_s, "clear": {"threshold": 90, "for_s": 0}, "escalate_after_s": escalate},
        {"id": "stale", "name_zh": "数据源中断", "name_en": "Feed stale", "kind": "stale", "scope": "feed",
         "for_s": 60},
    ]})


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> float:
        return self.ms / 1000

    def at(self, seconds: float) -> Clock:
        self.ms = T0 + int(seconds * 1000)
        return self


def station(eid: str, ts: int, pm25: float) -> Reading:
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    return Reading("air", eid, ts, values, {"name": f"站{eid}", "district_adcode": "440106"})


def ingest(r: redis.Redis, ts: int, **pm25: float) -> None:
    Writer(r, source="test").write([(rd, derive(rd)) for rd in (station(e, ts, v) for e, v in pm25.items())], ts)


def evaluator(r: redis.Redis, clock: Clock, rs: RuleSet | None = None) -> Evaluator:
    return Evaluator(r, rs or rules(), city=CITY, feeds_cfg=FEEDS, clock=clock)


def log_events(r: redis.Redis) -> list[tuple[str, str]]:
    return [(e.get("alert", ""), e["event"]) for e in store.read_log(r, 0, 10_000)]


def test_commit_is_compare_and_set_per_alert(r: redis.Redis) -> None:
    doc = {"id": "aqi:A", "rule": "aqi", "entity_id": "A", "scope": "station", "metric": "aqi", "state": "firing",
           "level": "red", "since_ms": T0}
    tr = {"alert": "aqi:A", "event": "firing", "at_ms": T0}
    assert store.commit(r, {"aqi:A": doc}, {}, [tr]) == {"aqi:A"}
    assert store.commit(r, {"aqi:A": dict(doc, level="blue")}, {}, [tr]) == set()  # read before the first commit
    assert store.get(r, "aqi:A") == (doc, "1") and len(store.read_log(r, 0)) == 1
    assert store.commit(r, {"aqi:A": None}, {"aqi:A": "1"}, []) == {"aqi:A"}
    assert store.get(r, "aqi:A") == (None, "2") and r.hlen(keys.ALERTS_ACTIVE) == 0


def test_log_ids_follow_the_event_clock_and_stay_monotone(r: redis.Redis) -> None:
    for i, at in enumerate((T0 + 5000, T0, T0 + 7000)):  # the second evaluator's clock is 5 s behind
        store.commit(r, {f"a:{i}": {"id": f"a:{i}", "state": "pending"}}, {}, [{"alert": f"a:{i}", "at_ms": at,
                                                                              "event": "pending"}])
    ids = [e["log_id"] for e in store.read_log(r, 0)]
    assert [int(i.split("-")[0]) for i in ids] == [T0 + 5000, T0 + 5000, T0 + 7000]
    assert [e["alert"] for e in store.read_log(r, T0 + 5001)] == ["a:2"]


def test_evaluator_fires_from_ingested_data_and_a_new_process_continues(r: redis.Redis) -> None:
    clock = Clock()
    ingest(r, T0, A=200.0, B=20.0)
    first = evaluator(r, clock)
    assert first.evaluate().transitions == 1
    assert actions.active(r) == [] and [a["state"] for a in actions.all_alerts(r)] == ["pending"]
    ingest(r, T0 + 59_000, A=200.0, B=20.0)
    second = evaluator(r, clock.at(60))  # a restarted process: new engine, state from Redis
    assert second.evaluate().transitions == 1
    [alert] = actions.active(r)
    assert {k: alert[k] for k in ("id", "rule", "scope", "entity_id", "entity_name", "level", "state", "since_ms")} == {
        "id": "aqi:A", "rule": "aqi", "scope": "station", "entity_id": "A", "entity_name": "站A", "level": "orange",
        "state": "firing", "since_ms": T0 + 60_000}
    assert alert["rule_name_zh"] == "站点AQI超标" and alert["value"] > 200 and alert["silenced"] is False
    assert actions.counts(r)["orange"] == 1 and actions.counts(r)["unacknowledged"] == 1
    pipe = r.pipeline(transaction=False)
    store.queue_read_active(pipe)
    assert store.parse_active(pipe.execute()[0]) == actions.active(r)
    assert log_events(r) == [("aqi:A", "pending"), ("aqi:A", "firing")]


def test_two_evaluators_racing_fire_once(r: redis.Redis) -> None:
    ingest(r, T0, **{f"S{i}": 300.0 for i in range(40)})
    evs = [evaluator(r, Clock()) for _ in range(2)]
    for _round in range(5):
        barrier = threading.Barrier(2)
        stats: list[Any] = []

        def go(ev: Evaluator, barrier: threading.Barrier = barrier, stats: list[Any] = stats) -> None:
            barrier.wait()
            stats.append(ev.evaluate(T0))

        threads = [threading.Thread(target=go, args=(ev,)) for ev in evs]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    ev = evaluator(r, Clock(), rules(for_s=0))
    ev.evaluate(T0 + 1000)
    events = log_events(r)
    assert sorted(events) == sorted(set(events))  # nothing logged twice
    assert sum(1 for _, e in events if e == "pending") == 40 and len(actions.all_alerts(r)) == 40


def test_acknowledge_through_the_api_and_the_audit_log(r: redis.Redis) -> None:
    ingest(r, T0, A=200.0)
    evaluator(r, Clock(), rules(for_s=0)).evaluate(T0)
    rec = actions.acknowledge(r, "aqi:A", "张工", "已派人核查", T0 + 5000)
    assert (rec["state"], rec["ack_by"], rec["ack_ms"], rec["ack_comment"]) == ("acknowledged", "张工", T0 + 5000,
                                                                                 "已派人核查")
    assert actions.active(r)[0]["state"] == "acknowledged" and actions.counts(r)["unacknowledged"] == 0
    with pytest.raises(actions.Conflict):
        actions.acknowledge(r, "aqi:A", "李工", "", T0 + 6000)
    with pytest.raises(actions.NotFound):
        actions.acknowledge(r, "aqi:nope", "李工", "", T0 + 6000)
    [entry] = [e for e in actions.log(r, T0 + 5000) if e["event"] == "acknowledged"]
    assert (entry["by"], entry["comment"], entry["from"], entry["to"]) == ("张工", "已派人核查", "firing",
                                                                           "acknowledged")


def test_silence_is_applied_by_the_evaluator_and_expires(r: redis.Redis) -> None:
    clock = Clock()
    ingest(r, T0, A=200.0)
    ev = evaluator(r, clock, rules(for_s=0, escalate=600))
    sid = actions.silence(r, {"rule": "aqi", "district": "440106"}, "设备检修", "王工", T0 + 900_000, T0)
    ev.evaluate()
    assert actions.active(r)[0]["silenced"] is True and actions.counts(r)["unacknowledged"] == 0
    assert [s["id"] for s in actions.silences(r, T0)] == [sid]
    ingest(r, T0 + 800_000, A=200.0)
    ev.evaluate(T0 + 800_000)  # past escalate_after_s, but silenced: no escalation
    assert actions.active(r)[0]["level"] == "orange"
    ingest(r, T0 + 900_000, A=200.0)
    clock.at(900)
    ev.evaluate()
    assert actions.active(r)[0]["silenced"] is False and actions.silences(r, clock.ms) == []
    assert [e["event"] for e in actions.log(r, T0)] == ["silence_created", "firing", "unsilenced"]
    assert actions.unsilence(r, sid, "王工", clock.ms) is True and actions.unsilence(r, sid, "王工", clock.ms) is False
    with pytest.raises(actions.AlertError):
        actions.silence(r, {"planet": "x"}, "r", "op", T0 + 10, T0)
    with pytest.raises(actions.AlertError):
        actions.silence(r, {"rule": "aqi"}, "r", "op", T0 - 10, T0)


def test_stale_feed_raises_a_stale_alert_and_holds_the_station(r: redis.Redis) -> None:
    clock = Clock()
    ingest(r, T0, A=200.0)
    ev = evaluator(r, clock, rules(for_s=0))
    ev.evaluate()
    ev.evaluate(T0 + 31_000)  # air is 31 s old: stale, pending for for_s 60
    ev.evaluate(T0 + 91_000)
    by_id = {a["id"]: a for a in actions.active(r)}
    assert by_id["stale:air"]["level"] == "stale" and by_id["stale:air"]["entity_name"] == "air"
    assert by_id["aqi:A"]["state"] == "firing" and by_id["aqi:A"]["held"] is True
    ingest(r, T0 + 92_000, A=10.0)
    ev.evaluate(T0 + 92_000)
    assert {a["id"]: a["state"] for a in actions.all_alerts(r)} == {"stale:air": "resolved", "aqi:A": "resolved"}


def test_runner_starts_the_evaluator_even_without_sources(redis_server: EmbeddedServer, r: redis.Redis,
                                                          tmp_path: Path) -> None:
    stop = threading.Event()
    th = runner.start_thread(Settings(redis_url=redis_server.url, simulator=False, data_dir=tmp_path), r, stop)
    assert th is not None and th.name == "alert-evaluator" and th.is_alive()
    assert "alert-cases" in {t.name for t in threading.enumerate()}  # config/alerts.yaml has a rule with case:
    now = int(time.time() * 1000)
    ingest(r, now, A=500.0)  # the published event wakes the evaluator: fires without waiting for the timer
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(a["id"] == "station_aqi:A" for a in actions.active(r)):
        time.sleep(0.05)
    assert [a["level"] for a in actions.active(r) if a["id"] == "station_aqi:A"] == ["red"]
    stop.set()
    th.join(5)
    assert not th.is_alive()


def test_evaluator_loop_survives_an_unreachable_store() -> None:
    dead = connect(f"redis://127.0.0.1:{free_port()}/0", retries=0)
    ev = Evaluator(dead, rules(), city=CITY, feeds_cfg=FEEDS)
    stop = threading.Event()
    th = threading.Thread(target=ev.run, args=(stop,), daemon=True)
    th.start()
    time.sleep(1.0)
    assert th.is_alive()  # backing off, not crashed
    stop.set()
    th.join(15)
    assert not th.is_alive()


def test_log_entries_are_json_with_iso_friendly_times(r: redis.Redis) -> None:
    ingest(r, T0, A=200.0)
    evaluator(r, Clock(), rules(for_s=0)).evaluate(T0)
    [row] = r.xrange(keys.ALERTS_LOG)
    entry = json.loads(row[1]["j"])
    assert row[1]["a"] == "aqi:A" and entry["at_ms"] == T0 and row[0].startswith(str(T0))


def test_a_pass_steps_what_changed_and_the_open_alerts_and_agrees_with_a_whole_pass(
        r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first pass, an unchanged station without an alert is not evaluated again (issue #20: alert work
    bounded by what changed); a pending alert is still stepped to firing, a new breach still starts, and a new
    process evaluating everything agrees with what the incremental passes committed."""
    clock = Clock()
    ingest(r, T0, A=200.0, **{f"Q{i}": 20.0 for i in range(49)})
    ev = evaluator(r, clock, rules(for_s=20))
    whole = ev.evaluate().evaluations
    quiet = ev.evaluate(T0 + 10_000).evaluations
    assert whole - quiet == 49  # the 49 clean, unchanged stations; A (pending) is stepped
    ingest(r, T0 + 19_000, A=210.0, B=300.0)  # A's new reading keeps it breaching; B breaches
    stats = ev.evaluate(T0 + 20_000)
    assert stats.evaluations == quiet + 1  # A and B, not the city
    assert {a["entity_id"]: a["state"] for a in actions.all_alerts(r)} == {"A": "firing", "B": "pending"}
    assert evaluator(r, clock, rules(for_s=20)).evaluate(T0 + 20_000).changes == 0  # a whole pass: nothing to do
    # stations whose readings go stale (30 s) are observed again: their freshness flipped
    assert ev.evaluate(T0 + 31_000).evaluations == whole + 1
    assert ev.evaluate(T0 + 32_000).evaluations == quiet + 1
    # a commit that fails leaves nothing half-remembered: the next pass observes every station again
    calls = {"n": 0}
    commit = store.commit

    def failing(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise redis.ConnectionError("store away")
        return commit(*args, **kw)

    monkeypatch.setattr(store, "commit", failing)
    with pytest.raises(redis.ConnectionError):
        ev.evaluate(T0 + 33_000)
    assert ev.evaluate(T0 + 34_000).evaluations == whole + 1
    # so does a pass that fails before its commit (a bad record, a bug): nothing it read counts as seen
    ev.evaluate(T0 + 35_000)
    ingest(r, T0 + 35_500, Q7=400.0)  # Q7 breaches in the pass that fails
    engine = ev.engine.evaluate
    monkeypatch.setattr(ev.engine, "evaluate", lambda *a, **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ev.evaluate(T0 + 36_000)
    monkeypatch.setattr(ev.engine, "evaluate", engine)
    ev.evaluate(T0 + 37_000)
    assert "Q7" in {a["entity_id"] for a in actions.all_alerts(r)}  # not missed
