"""A gunicorn config file for the benches (`-c bench/gc_probe.py`): each worker times every full garbage collection
and, after its next request, appends the start (epoch s) and length (ms) to `$ONESCREEN_BENCH_GC_LOG/<pid>.log`, so a
bench can say how long the collector held the GIL while its screens were measured (core/heap.py keeps them short)."""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

_pending: list[tuple[float, float]] = []  # (start epoch s, length ms), written out after the next request
_flush = threading.Lock()  # taken by post_request only (a worker's threads end requests at once), never by the hook


def post_fork(server: Any, worker: Any) -> None:
    """Time each full collection of this worker (the hook only appends to a list: no file, no lock, no log)."""
    began: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            began["t"], began["w"] = time.perf_counter(), time.time()
        elif "t" in began:
            _pending.append((began["w"], 1000 * (time.perf_counter() - began["t"])))

    gc.callbacks.append(on_gc)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """After each request, outside any collection: append what was timed to $ONESCREEN_BENCH_GC_LOG/<pid>.log."""
    folder = os.environ.get("ONESCREEN_BENCH_GC_LOG")
    if not folder or not _pending:
        return
    with _flush:
        done = [_pending.pop(0) for _ in range(len(_pending))]
        with open(os.path.join(folder, f"{os.getpid()}.log"), "a", encoding="utf-8") as out:
            out.writelines(f"{at:.3f} {ms:.1f}\n" for at, ms in done)


def full_passes(folder: str, since_s: float, until_s: float) -> list[float]:
    """Lengths (ms) of the workers' full collections that began in [since, until]."""
    out = []
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and since_s <= float(parts[0]) <= until_s:  # a line being written is skipped
                    out.append(float(parts[1]))
    return out
