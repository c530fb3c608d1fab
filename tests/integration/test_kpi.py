"""KPI history against a real server: one sample per minute, gaps stay gaps, series read in one pipeline."""

from __future__ import annotations

import pytest
import redis

from store import kpi

pytestmark = pytest.mark.integration
NOW = 1_790_000_000_000 - 1_790_000_000_000 % 60_000


def test_one_sample_per_minute_and_none_is_a_gap(r: redis.Redis) -> None:
    kpi.record(r, NOW + 1_000, {"aqi": 50, "tpi": 3.5})
    kpi.record(r, NOW + 30_000, {"aqi": 52, "tpi": None})  # same minute: replaces; None removes, never zero
    kpi.record(r, NOW + 61_000, {"aqi": 60, "tpi": 4.0})
    got = kpi.series(r, ["aqi", "tpi"], NOW - 60_000)
    assert got == {"aqi": [(NOW, 52.0), (NOW + 60_000, 60.0)], "tpi": [(NOW + 60_000, 4.0)]}


def test_old_samples_are_trimmed(r: redis.Redis) -> None:
    kpi.record(r, NOW - kpi.KEEP_MS - 60_000, {"aqi": 10})
    kpi.record(r, NOW, {"aqi": 20})
    assert kpi.series(r, ["aqi"], 0)["aqi"] == [(NOW, 20.0)]
