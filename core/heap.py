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
full pass is slow again, so freezes are few and each is logged.
Then one more full pass, now over nothing but the young objects, is run from a short thread: CPython starts a full
pass only once a quarter of the heap its last full pass left (frozen objects included) is new, so without it the
next pass would wait for a quarter of the whole heap to pile up and walk it all at once (measured: 60-120 ms passes
after each freeze); after it, full passes come often and each walks only what has piled up since.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Any

log = logging.getLogger("onescreen.heap")
FREEZE_AFTER_MS = 25.0  # a full pass slower than this freezes what survived it

_state: dict[str, Any] = {"t0": None, "freezes": 0, "resetting": False}


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
    if _state["resetting"]:  # the pass after a freeze (or one that came first): never a freeze of its own, so a
        _state["resetting"] = False  # machine too slow for the threshold cannot chain passes
        return
    if ms > FREEZE_AFTER_MS:
        gc.freeze()
        _state["freezes"] += 1
        log.info("a full garbage collection took %.0f ms: %d objects frozen (freeze %d)", ms, gc.get_freeze_count(),
                 _state["freezes"])
        _state["resetting"] = True
        threading.Thread(target=_reset, name="gc-after-freeze", daemon=True).start()


def _reset() -> None:
    """The full pass after a freeze; not from the hook itself, nor at once: gc.collect() does nothing while another
    collection is finishing, and Thread.start() lets the new thread run before the hook has returned."""
    time.sleep(0.05)
    gc.collect()


def settle() -> None:
    """Install the hook in this process (idempotent; forked workers inherit it)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def freezes() -> int:
    """How many times this process has frozen its heap."""
    return int(_state["freezes"])
