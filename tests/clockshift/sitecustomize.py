"""Loaded through PYTHONPATH by every Python process of `make test-shifted` (scripts/test-shifted.sh), which runs under
libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1: the wall clock is shifted, the monotonic clock is not (with it
shifted too, libfaketime 0.9.10 turns Python's timed lock and Event waits into 30-day waits)."""

from __future__ import annotations

import os
import select
import sys
import time

# libfaketime 0.9.10 (Debian 12) still shifts the absolute CLOCK_MONOTONIC deadline that Python 3.11's time.sleep
# hands to clock_nanosleep(TIMER_ABSTIME), and the kernel answers EINVAL (wolfcw/libfaketime#426). select() takes a
# relative timeout, which libfaketime leaves alone.
if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    _monotonic = time.monotonic

    def _sleep(seconds: float, /) -> None:
        """time.sleep on select(): the same interface, never EINVAL under libfaketime."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = _monotonic() + seconds
        while True:
            select.select([], [], [], max(0.0, deadline - _monotonic()))  # 0 still releases the GIL, as sleep(0)
            if _monotonic() >= deadline:
                return

    time.sleep = _sleep

# Then the sitecustomize this one shadows, if there is one (Debian's Python ships one).
_here = os.path.dirname(os.path.abspath(__file__))
for _entry in sys.path:
    _candidate = os.path.join(_entry or os.curdir, "sitecustomize.py")
    if os.path.abspath(_entry or os.curdir) != _here and os.path.isfile(_candidate):
        with open(_candidate, encoding="utf-8") as _f:
            exec(compile(_f.read(), _candidate, "exec"), {"__name__": "sitecustomize", "__file__": _candidate})  # noqa: S102
        break
