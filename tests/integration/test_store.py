"""store/ against a real server: batched writes, newer-wins, case indexes, retention, events, snapshot."""

from __future__ import annotations

import json
import time

import pytest
import redis

from core.derive import derive
from core.readings import Reading
from store import keys, snapshot
from store.writer import Writer

pytestmark = pytest.mark.integration
NOW = 1_790_000_000_000


def air(eid: str, ts: int, pm25: float) -> Reading:
    values = {"so2_1h": 8, "no2_1h": 30, "co_1h": 0.6, "o3_1h": 60, "pm10_1h": 40, "pm25_1h": pm25}
    return Reading("air", eid, ts, values, {"name": eid})


def case(eid: str, ts: int, status: str, due_ms: int, updated_ms: int | None = None) -> Reading:
    iso = lambda ms: time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ms / 1000))  # noqa: E731
    values = {"status": status, "service_name": "井盖破损", "requested_datetime": iso(ts - 3_600_000),
              "expected_datetime": iso(due_ms), "updated_datetime": iso(updated_ms or ts), "district_adcode": "440111"}
    return Reading("service", eid, ts, values, {"district_adcode": "440111"})


def write(w: Writer, readings: list[Reading], now: int = NOW) -> None:
    w.write([(rd, derive(rd)) for rd in readings], now)


def test_batch_lands_in_stream_latest_health_and_event(r: redis.Redis) -> None:
    sub = r.pubsub()
    sub.subscribe(keys.EVENTS)
    sub.get_message(timeout=1)
    w = Writer(r, source="test")
    write(w, [air("1345A", NOW, 30), air("1346A", NOW, 80)])
    assert r.xlen(keys.readings("air")) == 2
    doc = json.loads(r.hget(keys.latest("air"), "1346A"))
    assert doc["v"]["pm25_1h"] == 80 and doc["d"]["aqi"] is not None and doc["d"]["standard"].startswith("HJ633")
    health = r.hgetall(keys.health("air"))
    assert health["source"] == "test" and int(health["last_ok_ms"]) == NOW and int(health["last_data_ms"]) == NOW
    msg = sub.get_message(timeout=2)
    assert msg and json.loads(msg["data"])["feed"] == "air"


def test_newer_reading_wins_and_older_one_does_not_overwrite(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [air("1345A", NOW, 90)])
    write(w, [air("1345A", NOW - 60_000, 10)])
    assert json.loads(r.hget(keys.latest("air"), "1345A"))["v"]["pm25_1h"] == 90
    write(w, [air("1345A", NOW + 60_000, 20)])
    assert json.loads(r.hget(keys.latest("air"), "1345A"))["v"]["pm25_1h"] == 20


def test_case_indexes_count_overdue_and_late_closures(r: redis.Redis) -> None:
    w = Writer(r)
    write(w, [case("c1", NOW, "open", due_ms=NOW - 1000), case("c2", NOW, "open", due_ms=NOW + 3_600_000)])
    raw = snapshot.read(r, NOW)
    assert raw["service"]["open"] == 2 and raw["service"]["overdue"] == 1
    write(w, [case("c1", NOW + 5000, "closed", due_ms=NOW - 1000, updated_ms=NOW + 5000)])
    write(w, [case("c1", NOW + 5000, "closed", due_ms=NOW - 1000, updated_ms=NOW + 5000)])  # re-sent: no change
    raw = snapshot.read(r, NOW + 6000)
    assert raw["service"] == {"open": 1, "overdue": 0, "closed_24h": 1, "late_24h": 1, "by_district": {}}


def test_stream_is_trimmed_to_retention(r: redis.Redis) -> None:
    w = Writer(r, retention=100)
    for i in range(20):
        write(w, [air(f"s{j}", NOW + i, 20) for j in range(100)])
    assert r.xlen(keys.readings("air")) < 400  # MAXLEN ~ trims whole macro nodes, never unbounded


def test_snapshot_reads_every_feed_and_health(r: redis.Redis) -> None:
    write(Writer(r, source="test"), [air("1345A", NOW, 30)])
    raw = snapshot.read(r, NOW)
    assert set(raw) == {"air", "traffic", "water", "health", "service", "alerts", "loop"} and raw["alerts"] == []
    assert raw["air"]["1345A"]["ts"] == NOW and raw["health"]["air"]["source"] == "test"
    assert raw["health"]["water"] == {}


def test_component_back_to_normal_leaves_latest_and_an_older_fault_stays_out(r: redis.Redis) -> None:
    w = Writer(r)

    def status(ts: int, value: str) -> Reading:
        return Reading("furniture", "F000042", ts, {"status": value}, {"category": "0101"})

    write(w, [status(NOW, "damaged")])
    assert json.loads(r.hget(keys.latest("furniture"), "F000042"))["v"]["status"] == "damaged"
    write(w, [status(NOW + 1000, "normal")])
    assert r.hget(keys.latest("furniture"), "F000042") is None  # latest holds only what needs attention
    write(w, [status(NOW + 500, "missing")])  # late, older report: must not resurrect the fault
    assert r.hget(keys.latest("furniture"), "F000042") is None
    assert r.xlen(keys.readings("furniture")) == 3  # every report is still in the history stream
