"""A gunicorn config file for the benches (`-c bench/gc_probe.py`): each worker appends the start (epoch s) and
length (ms) of every full garbage collection to `$ONESCREEN_BENCH_GC_LOG/<pid>.log`, so a bench can say how long the
collector held the GIL while its screens were measured (core/heap.py is what keeps these short)."""

from __future__ import annotations

import gc
import os
import time
from typing import Any


def post_fork(server: Any, worker: Any) -> None:
    folder = os.environ.get("ONESCREEN_BENCH_GC_LOG")
    if not folder:
        return
    out = open(os.path.join(folder, f"{os.getpid()}.log"), "a", buffering=1)  # noqa: SIM115 - the worker's life
    began: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            began["t"], began["w"] = time.perf_counter(), time.time()
        elif "t" in began:
            out.write(f"{began['w']:.3f} {1000 * (time.perf_counter() - began['t']):.1f}\n")

    gc.callbacks.append(on_gc)


def full_passes(folder: str, since_s: float, until_s: float) -> list[float]:
    """Lengths (ms) of the workers' full collections that began in [since, until]."""
    out = []
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                at, ms = line.split()
                if since_s <= float(at) <= until_s:
                    out.append(float(ms))
    return out
