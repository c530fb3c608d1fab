"""`make bench`: every figure beside its baseline from the same run, as a ratio. Prints; never asserts."""

from __future__ import annotations

import importlib


def main() -> None:
    """Run each benchmark module that exists and print its lines."""
    for name in ("bench.bench_indicators",
                 "bench.wall_bench",
                 "bench.map_bench",
                 "bench.bench_alerts",
                 "bench.bench_ingest",
                 "bench.viewers_bench",
                 "bench.bench_resilience",
                 "bench.wall_soak"):
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"{name}: not available ({exc})")
            continue
        if hasattr(mod, "run"):
            for line in mod.run():
                print(line, flush=True)
        else:
            mod.main()


if __name__ == "__main__":
    main()
