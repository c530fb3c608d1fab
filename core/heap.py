"""Keep the garbage collector's full passes short in processes that hold a big city in memory.

Why: CPython's cycle collector walks every tracked object on a full (generation 2) pass, with the GIL held, so every
thread of the process stops for it. A web worker at the Guangzhou size holds millions of long-lived objects (the
tracked documents and rows of 12,800 entities, 30,000 open cases, the component grid) and churns enough per tick for
a full pass every 10-15 s, each 200-300 ms: the tick requests that met one took 150-450 ms instead of ~9 ms (the
scale bench's wall p95; measured with gc.callbacks in the workers, `bench/scale_bench.py`, 2026-12-08).

What: after a full pass that took longer than FREEZE_AFTER_MS, every object that survived it is moved to the
permanent generation (gc.freeze, Python >= 3.7), so later full passes walk only what was made since. Frozen objects
are still freed by reference counting when they are dropped; only a reference cycle among them that becomes garbage
later is never collected. Freezing right after a full pass freezes no garbage, and a freeze happens again only when a
full pass is slow again, so freezes are few (counted: freezes()).
The hook does nothing but time the pass and freeze: no logging, no thread, no lock. It runs inside whatever code
allocated when the collector started, which may hold a lock (threading's own while a thread starts, a logging
handler's); a first version that logged and started a thread from the hook (for one more full pass) was followed by
a CI run with three hangs where apps start and stop.
"""

from __future__ import annotations

import gc
import time
from typing import Any

FREEZE_AFTER_MS = 50.0  # a full pass slower than this freezes what survived it

_state: dict[str, Any] = {"t0": None, "freezes": 0, "last_ms": 0.0}


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    """gc.callbacks hook: time each full pass; freeze its survivors when it was slow."""
    if info.get("generation") != 2:
        return
    if phase == "start":
        _state["t0"] = time.perf_counter()
        return
    t0, _state["t0"] = _state["t0"], None
    if t0 is None:
        return
    ms = 1000 * (time.perf_counter() - t0)
    if ms > FREEZE_AFTER_MS:
        gc.freeze()
        _state["freezes"] += 1
        _state["last_ms"] = ms


def settle() -> None:
    """Install the hook in this process (idempotent; forked workers inherit it)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def freezes() -> int:
    """How many times this process has frozen its heap."""
    return int(_state["freezes"])
