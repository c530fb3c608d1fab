"""`make bench`: every figure beside its baseline from the same run, as a ratio. Prints; never asserts.

`python -m bench --smoke` (`make bench-smoke`) runs every bench on tiny sizes and durations: it checks that each
still runs to the end and prints its figures (the test suite does), the figures themselves mean nothing then."""

from __future__ import annotations

import importlib
import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run each benchmark module that exists and print its lines."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--smoke"]):
        raise SystemExit("usage: python -m bench [--smoke]")
    if args:
        os.environ["BENCH_SMOKE"] = "1"  # read by bench.common when the benches are imported below
        print("bench smoke run: tiny sizes and durations, the figures mean nothing", flush=True)
    for name in ("bench.bench_indicators",
                 "bench.real_data",
                 "bench.wall_bench",
                 "bench.map_bench",
                 "bench.bench_alerts",
                 "bench.bench_ingest",
                 "bench.viewers_bench",
                 "bench.scale_bench",
                 "bench.tally_bench",
                 "bench.geo_bench",
                 "bench.history_bench",
                 "bench.cases_bench",
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
