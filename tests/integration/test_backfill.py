"""The simulator's first-start back-fill against a real server (data_sources/simulator/backfill.py): the days before
the start get per-entity history and city KPIs, a sample a minute for the last day and one per 10 minutes before; the
KPIs agree with the history; it runs once per store, never over history that exists, and only for simulated feeds."""

from __future__ import annotations

import time

import pytest
import redis

from config.indicator_config import load_traffic_config
from config.settings import Settings, load_city, load_feeds
from core import summary
from data_sources import pipeline
from data_sources.simulator import backfill as bf
from store import history, keys, kpi

pytestmark = pytest.mark.integration
MIN = 60_000
DAYS = 1.5  # 36 h: the fine last 26 h and 10 h of 10-minute samples before


@pytest.fixture(scope="module")
def city() -> dict:
    return load_city(Settings().city)


def run(r: redis.Redis, city: dict, now: int, **kw) -> bf.Result:
    cfg = load_traffic_config()
    return bf.backfill(r, city, seed=7, days=DAYS, rules=pipeline.rules_for(city, traffic_cfg=cfg),
                       feeds_cfg=load_feeds(), traffic_cfg=cfg, now_ms=now, **kw)


def test_the_days_before_the_start_get_history_and_kpis_that_agree(r: redis.Redis, city: dict) -> None:
    now = int(time.time() * 1000)
    res = run(r, city, now)
    until, since = res.until_ms, res.since_ms
    assert until == now - now % MIN and until - since == DAYS * 24 * 3_600_000
    names = ["aqi", "tpi", "open", "overdue", "on_time", "water_good"]
    got = kpi.series(r, names, 0)
    minutes = [ts for ts, _ in got["aqi"]]
    fine = [ts for ts in minutes if ts >= until - bf.FINE_MS]
    assert fine == list(range(until - bf.FINE_MS, until, MIN))  # every minute of the last day and the window
    coarse = [ts for ts in minutes if ts < until - bf.FINE_MS]
    assert coarse and all(ts % bf.COARSE_MS == 0 for ts in coarse) and coarse[0] - since < bf.COARSE_MS
    assert all(minutes == [ts for ts, _ in got[name]] for name in names[1:])  # every KPI at every moment
    for (_, o), (_, d), (_, rate) in zip(got["open"], got["overdue"], got["on_time"], strict=True):
        assert 0 <= d <= o and 0 <= rate <= 100
    assert max(o for _, o in got["open"]) > 50  # the simulated backlog, not an empty desk
    # the history: every station has the same moments, nothing at or after the start
    stations = list(r.hkeys(keys.latest("air"))) or [f["properties"]["code"] for f in _stations(city)]
    series = history.read_series(r, "air", stations, since, now)
    assert all([p["m"] for p in pts] == minutes for pts in series.values())
    hour = since - since % 3_600_000  # each hour's key expires as the writer's would: keep after the hour ends
    ttl = r.pttl(keys.history("air", stations[0], hour))
    assert abs(ttl - (hour + 3_600_000 + history.keep_ms("air") - now)) < 60_000
    # the city AQI of a moment is the one summary makes from that moment's station samples (history -> KPI agree)
    aqi = dict(got["aqi"])
    for at in (minutes[0], minutes[len(minutes) // 2], minutes[-1]):
        docs = {eid: {"id": eid, "ts": at, "v": p, "m": {}, "d": {"aqi": p.get("aqi"), "level": p.get("level")}}
                for eid, pts in series.items() for p in pts if p["m"] == at}
        city_aqi = summary.air_of(summary.rows_of("air", docs), at, 60)["city"].get("aqi")
        assert abs(city_aqi - aqi[at]) <= 1  # samples keep 3 decimals: a mean on a rounding edge may move by one


def test_once_per_store_and_never_over_history_that_exists(r: redis.Redis, city: dict) -> None:
    now = int(time.time() * 1000)
    started = now - now % MIN - 2 * 3_600_000
    kpi.record(r, started + 5_000, {"aqi": 42.0})  # the store has run for two hours
    res = run(r, city, now)
    assert res.until_ms == started
    got = kpi.series(r, ["aqi", "tpi"], 0)
    assert max(ts for ts, _ in got["tpi"]) == started - MIN  # filled up to the first sample kept, not over it
    assert [v for ts, v in got["aqi"] if ts >= started] == [42.0]
    assert run(r, city, now + 10 * MIN).moments == 0  # once per store
    assert r.exists(keys.sim_backfilled())


def test_a_store_with_a_day_of_its_own_past_is_left_alone(r: redis.Redis, city: dict) -> None:
    now = int(time.time() * 1000)
    kpi.record(r, now - 26 * 3_600_000, {"tpi": 3.0})  # no AQI ever (no station), but a congestion index a day old
    assert run(r, city, now).moments == 0
    assert kpi.series(r, ["tpi", "aqi"], 0) == {"tpi": [(history.minute_of(now - 26 * 3_600_000), 3.0)], "aqi": []}


def test_only_the_feeds_the_simulator_serves(r: redis.Redis, city: dict) -> None:
    now = int(time.time() * 1000)
    res = run(r, city, now, feeds=("traffic",))
    got = kpi.series(r, ["aqi", "tpi", "open"], 0)
    assert got["aqi"] == [] and got["open"] == [] and len(got["tpi"]) == res.kpis
    stations = [f["properties"]["code"] for f in _stations(city)]
    assert all(not pts for pts in history.read_series(r, "air", stations, res.since_ms, now).values())


def test_off_writes_nothing(r: redis.Redis, city: dict) -> None:
    cfg = load_traffic_config()
    res = bf.backfill(r, city, seed=7, days=0, rules=pipeline.rules_for(city, traffic_cfg=cfg),
                      feeds_cfg=load_feeds(), traffic_cfg=cfg)
    assert res.moments == 0 and r.dbsize() == 0


def _stations(city: dict) -> list[dict]:
    import json

    from core.geo import GEO_DIR

    return json.loads((GEO_DIR / city["geo"]["air_stations"]).read_text(encoding="utf-8"))["features"]
