"""A real source through the runner into a real Redis: health shows errors and latency, last good data stays, then
goes stale on schedule, and recovery clears the error streak."""

from __future__ import annotations

import json

import pytest
import redis

from config.settings import Settings, load_feeds
from core.summary import feed_status
from data_sources.providers.openaq import OpenAQ
from data_sources.registry import Monitored, configured_sources
from data_sources.runner import Runner
from store import keys
from store.writer import Writer, read_health
from tests.fixtures.http_server import FakeProvider, payload, provider  # noqa: F401

pytestmark = pytest.mark.integration
NOW = 1_795_285_200_000


def serve(provider: FakeProvider) -> None:  # noqa: F811
    provider.route("/v3/locations", lambda q: payload(f"openaq_locations_p{q['page']}.json"))
    for lid in (8118, 8119, 8120):
        provider.route(f"/v3/locations/{lid}/latest", payload(f"openaq_latest_{lid}.json"))


def test_failing_source_keeps_last_good_data_then_goes_stale(provider: FakeProvider,  # noqa: F811
                                                             r: redis.Redis) -> None:
    serve(provider)
    src = OpenAQ(bbox=[113.1, 22.9, 113.7, 23.5], api_key="k", base_url=provider.url, page_limit=2, timeout_s=0.3)
    mon = Monitored(src, Writer(r, source=src.name))
    runner = Runner(r, [mon])
    assert runner.run_once(mon, NOW) == 2
    h = r.hgetall(keys.health("air"))
    assert h["source"] == "openaq" and int(h["last_ok_ms"]) == NOW and h["consecutive_errors"] == "0"
    assert float(h["last_latency_ms"]) > 0
    good = r.hget(keys.latest("air"), "openaq-8118")

    for lid in (8118, 8119, 8120):
        provider.route(f"/v3/locations/{lid}/latest", status=500, body=b"upstream down")
    assert runner.run_once(mon, NOW + 600_000) == 0
    provider.route("/v3/locations/8118/latest", delay_s=1.0)  # now a timeout for one, 500 for the others
    assert runner.run_once(mon, NOW + 1_200_000) == 0
    h = r.hgetall(keys.health("air"))
    assert h["consecutive_errors"] == "2" and h["error_count"] == "2" and "3/3 stations failed" in h["last_error"]
    assert int(h["last_ok_ms"]) == NOW and int(h["last_error_ms"]) == NOW + 1_200_000
    assert float(h["last_latency_ms"]) >= 250  # the timed-out request counts
    assert r.hget(keys.latest("air"), "openaq-8118") == good  # last good data kept …
    stale_after = load_feeds()["air"]["stale_after_s"]
    data_ts = json.loads(good)["ts"]
    assert feed_status(h, data_ts + 1000, stale_after)["state"] == "ok"
    status = feed_status(h, data_ts + (stale_after + 1) * 1000, stale_after)
    assert status["state"] == "stale" and "stations failed" in status["error"]  # … and it goes stale on schedule

    serve(provider)
    assert runner.run_once(mon, NOW + 1_800_000) == 2
    h = read_health(r, ["air"])["air"]
    assert h["consecutive_errors"] == "0" and h["last_error"] == "" and h["error_count"] == "2"


def test_configured_sources_from_a_profile(provider: FakeProvider, r: redis.Redis) -> None:  # noqa: F811
    serve(provider)
    city = {"sources": {"air": {"type": "openaq", "bbox": [113.1, 22.9, 113.7, 23.5], "base_url": provider.url,
                                "page_limit": 2, "interval_s": 900},
                        "water": {"type": "push"}}}
    sources, taken = configured_sources(Settings(redis_url=None, openaq_api_key="env-key"), r, city)
    assert taken == {"air", "water"} and [s.name for s in sources] == ["openaq"]
    [mon] = sources
    assert mon.interval_s == 900 and mon.feeds == ("air",)
    assert len(mon.poll(NOW)) == 2
    assert float(r.hget(keys.health("air"), "last_latency_ms")) > 0
    assert {k.lower(): v for k, v in provider.requests[0][2].items()}["x-api-key"] == "env-key"
