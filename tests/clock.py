"""Dates for tests that meet the real clock (an API, a subprocess, a TTL): always built from now, never fixed.

A fixed calendar date in such a test is a time bomb: it passes the day it is written and fails once the date leaves
a window (the 25 h closed-case window, the 8-day history keep, "more than 1 h in the future"). `make test-shifted`
runs the suites with the clock a month and a year ahead to catch the next one. Pure functions take an injected
clock instead and may keep their fixed dates.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

H = 3_600_000  # one hour in ms


def now_ms() -> int:
    """The real clock (shifted under `make test-shifted`), epoch ms."""
    return int(time.time() * 1000)


def iso(ms: int, offset_h: float = 8, *, millis: bool = False, naive: bool = False) -> str:
    """Epoch ms as ISO 8601 with a UTC offset (+08:00 by default; 0 gives 'Z'), or without one (`naive`)."""
    zone = UTC if offset_h == 0 else timezone(timedelta(hours=offset_h))
    text = datetime.fromtimestamp(ms / 1000, zone).isoformat(timespec="milliseconds" if millis else "seconds")
    if naive:
        return text[:-6]
    return text[:-6] + "Z" if offset_h == 0 else text


def ago(hours: float, offset_h: float = 8) -> str:
    """`hours` before now as ISO 8601 with an offset, e.g. ago(2) = two hours ago in Asia/Shanghai time."""
    return iso(now_ms() - round(hours * H), offset_h)
