"""Speed of the data paths whose time the test suite no longer asserts (wall clocks are for benchmarks).

    python experiments/bench_speed.py           # measure and print
    python experiments/bench_speed.py --check   # also exit 1 when a figure exceeds its limit

Figures and limits (the limits the tests used to assert):

- ``load_dataset('traffic_synthetic')`` after a warm-up call: wall time < 0.5 s
- ``make_traffic(n_series=10000, length=2000)``: CPU time < 10 s (wall time printed; on a shared
  2-core machine it depends on the neighbours, so it has no limit)
- ``make_windows`` on 10M points with 256 lags: wall time < 0.5 s and traced peak memory < 1 MB
  (the materialised windows would be 20 GB)
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

from tsforecast import make_windows
from tsforecast.datasets import load_dataset, make_traffic

# figure -> the limit --check holds it to (seconds, or bytes for memory); None: printed only
LIMITS = {
    "load_dataset('traffic_synthetic') wall": 0.5,
    "make_traffic(10000 x 2000) wall": None,
    "make_traffic(10000 x 2000) CPU": 10.0,
    "make_windows(10M points, 256 lags) wall": 0.5,
    "make_windows(10M points, 256 lags) peak memory": 1e6,
}


def bench_load_dataset() -> dict:
    load_dataset("traffic_synthetic")  # warm-up: imports and caches, not the load itself
    t0 = time.perf_counter()
    load_dataset("traffic_synthetic")
    return {"load_dataset('traffic_synthetic') wall": time.perf_counter() - t0}


def bench_make_traffic() -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    panel = make_traffic(n_series=10_000, length=2_000, seed=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(panel) == 20_000_000
    return {"make_traffic(10000 x 2000) wall": wall, "make_traffic(10000 x 2000) CPU": cpu}


def bench_make_windows() -> dict:
    y = np.random.default_rng(0).normal(size=10_000_000)
    tracemalloc.start()
    t0 = time.perf_counter()
    w = make_windows(y, lags=256, horizon=1)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert w.inputs.shape == (10_000_000 - 256, 256, 1)
    return {"make_windows(10M points, 256 lags) wall": elapsed,
            "make_windows(10M points, 256 lags) peak memory": float(peak)}


def _fmt(name: str, value: float) -> str:
    if name.endswith("peak memory"):
        return f"{value / 1e6:.3f} MB"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure exceeds its limit")
    args = parser.parse_args(argv)
    figures = {**bench_load_dataset(), **bench_make_traffic(), **bench_make_windows()}
    over = []
    for name, value in figures.items():
        limit = LIMITS[name]
        verdict = "no limit" if limit is None else f"limit {_fmt(name, limit)}"
        if limit is not None and value >= limit:
            verdict += "  EXCEEDED"
            over.append(name)
        print(f"{name:48s} {_fmt(name, value):>10s}   ({verdict})")
    if args.check and over:
        print(f"over the limit: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
