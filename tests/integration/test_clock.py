"""One clock for the whole run: the tests and the app in a subprocess read the same time, and under
`make test-shifted` that time really is shifted by ONESCREEN_TEST_CLOCK_SHIFT (a run that silently did not shift
would prove nothing)."""

from __future__ import annotations

import email.utils
import os
import time
import urllib.request
from datetime import datetime

import pytest

from tests.clock import ago, iso
from tests.conftest import AppProcess

pytestmark = pytest.mark.integration
UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def kernel_now_s() -> float:
    """The kernel's own clock, which libfaketime does not shift: boot time plus uptime, from /proc."""
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    with open("/proc/uptime") as f:
        return btime + float(f.read().split()[0])


def shift_s(spec: str) -> int:
    """'+30d' -> seconds (the forms scripts/test-shifted.sh accepts: d, h, m, s or plain seconds)."""
    spec = spec.lstrip("+")
    return int(spec[:-1]) * UNITS[spec[-1]] if spec[-1] in UNITS else int(spec)


@pytest.mark.skipif(not os.path.exists("/proc/uptime"), reason="needs Linux /proc")
def test_the_clock_is_shifted_exactly_as_asked() -> None:
    asked = shift_s(os.environ.get("ONESCREEN_TEST_CLOCK_SHIFT", "+0"))
    assert abs(time.time() - kernel_now_s() - asked) < 60


def test_the_app_in_a_subprocess_reads_the_same_clock(app_proc: AppProcess) -> None:
    with urllib.request.urlopen(app_proc.url + "/healthz", timeout=5) as resp:
        served = email.utils.parsedate_to_datetime(resp.headers["Date"]).timestamp()
    assert abs(served - time.time()) < 5


def test_dates_built_from_now() -> None:
    ms = 1_795_285_200_000  # 2026-11-21T18:20:00Z
    assert iso(ms) == "2026-11-22T02:20:00+08:00" and iso(ms, 0) == "2026-11-21T18:20:00Z"
    assert iso(ms + 123, -5, millis=True) == "2026-11-21T13:20:00.123-05:00"
    assert iso(ms, naive=True) == "2026-11-22T02:20:00"
    assert ago(2).endswith("+08:00") and abs(datetime.fromisoformat(ago(2)).timestamp() - (time.time() - 7200)) < 5
