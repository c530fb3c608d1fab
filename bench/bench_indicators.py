"""China-AQI throughput on one core, next to a naive Fraction reference measured in the same run.

Run from the repository root: `python -m bench.bench_indicators`. Ingest computes an AQI for every reading, so the
target is >= 50,000 six-pollutant computations per second; this script prints the figures and does not assert.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from fractions import Fraction

from bench.common import size
from indicators import aqi_cn

TARGET = 50_000
HOURLY = ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h")
DAILY = ("so2_24h", "no2_24h", "co_24h", "o3_8h", "pm10_24h", "pm25_24h")
_SCALE = {"so2": 60.0, "no2": 120.0, "co": 2.5, "o3": 220.0, "pm10": 150.0, "pm25": 110.0}  # typical upper values


def _readings(keys: tuple[str, ...], n: int, seed: int) -> list[dict[str, float]]:
    """Realistic feeds: µg/m³ with one decimal, CO with two; a few % of extreme values."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        row = {}
        for key in keys:
            top = _SCALE[key.split("_")[0]] * (6.0 if rng.random() < 0.03 else 1.0)
            row[key] = round(rng.uniform(0.0, top), 2 if key.startswith("co") else 1)
        out.append(row)
    return out


_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)
_OVER = {"so2_1h": 200, "o3_8h": 300}  # above 800: 2026 values; 2012 needs the partner key, absent in these mixes


def _reference_compute(conc: Mapping[str, float], standard: str) -> int | None:
    """The naive way: Fraction per pollutant, linear scan of the table (this mix never has both 1h and 24h keys)."""
    best = None
    for key, value in conc.items():
        bps = _REF_TABLES[standard][key]
        c = Fraction(str(value))
        if standard == aqi_cn.STANDARD_2026:
            c = Fraction(round(c * 10), 10) if key.startswith("co") else Fraction(round(c))
        sub: int | None = 500
        if key in _OVER and c > bps[-1]:
            sub = None if standard == aqi_cn.STANDARD_2012 else _OVER[key]
        for i in range(1, len(bps)):
            if c <= bps[i]:
                lo, hi = bps[i - 1], bps[i]
                sub = math.ceil(Fraction(_STEPS[i] - _STEPS[i - 1], hi - lo) * (c - lo) + _STEPS[i - 1])
                break
        if sub is not None:
            best = sub if best is None else max(best, sub)
    return best


_REF_TABLES = {std: aqi_cn._breakpoints(std) for std in aqi_cn.STANDARDS}


def _rate(fn: Callable[[dict[str, float]], object], rows: list[dict[str, float]], seconds: float) -> float:
    """Calls per second over whole passes of rows, best of three runs of about `seconds` each."""
    best = 0.0
    for _ in range(3):
        calls, start = 0, time.perf_counter()
        while True:
            for row in rows:
                fn(row)
            calls += len(rows)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, calls / elapsed)
    return best


def main(seconds: float = size(0.5, 0.01)) -> None:
    """Print one line per (standard, report mix)."""
    for standard in (aqi_cn.STANDARD_2026, aqi_cn.STANDARD_2012):
        for label, keys, seed in (("hourly", HOURLY, 1), ("daily", DAILY, 2)):
            rows = _readings(keys, size(2000, 200), seed)
            disagree = sum(aqi_cn.compute(row, standard=standard).aqi != _reference_compute(row, standard)
                           for row in rows)
            if disagree:
                print(f"WARNING: {disagree} of {len(rows)} {standard} {label} rows disagree with the reference")
            fast = _rate(lambda row, s=standard: aqi_cn.compute(row, standard=s), rows, seconds)
            slow = _rate(lambda row, s=standard: _reference_compute(row, s), rows, seconds)
            print(
                f"aqi_cn.compute (6 pollutants, {standard}, {label} mix): {fast:,.0f}/s  "
                f"baseline fraction-reference: {slow:,.0f}/s  ratio {fast / slow:.1f}x  (target >= {TARGET:,}/s)"
            )


if __name__ == "__main__":
    main()
