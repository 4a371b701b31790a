"""AR fit time before and after a Keras fit in the same process, with and without a busy neighbour.

    python experiments/bench_threads.py            # measure and print
    python experiments/bench_threads.py --reps 9   # more repetitions per cell

Issue 14: once TensorFlow had trained in a process, on a busy machine, single AR fits took 4-16 s
instead of <= 0.08 s, because OpenBLAS's workers (one per core) stall whenever one of them is not
scheduled. ``statsmodels_guard`` now runs every statsmodels fit with BLAS limited to one thread
(``tsforecast.threads.blas_threads``). This script times ``ARForecaster(lags=p).fit`` on 2,000 points
(p = 24 and 168) with that limit ("1 thread", what tsforecast does) and with the limit lifted to
the core count ("all cores", the behaviour before the fix), in one process: before TensorFlow is
imported and after an LSTM has been trained. The "1 thread" runs come just before and just after
the Keras fit (the "all cores" runs outside them), so the neighbours' load drifts as little as
possible between the figures the target compares. Runs alternate rep by rep without and with an
extra CPU-bound process ("load" column: none / loop, a busy-loop subprocess that exits by itself
after a deadline; other jobs on the machine run in both), and within each, between the two lag
orders. Each row prints the median wall time before and after, and the after/before ratios of wall
and CPU time (CPU time grows when BLAS workers spin; wall time also when neighbours take the
cores). Target: wall ratio <= 1.2 for the "1 thread" rows. An "all cores" cell stops collecting
after ``--cap`` seconds so that a stalled configuration cannot run for minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

import tsforecast.statsmodels_guard as guard
from tsforecast import ARForecaster
from tsforecast.threads import STATSMODELS_BLAS_THREADS

LAGS = (24, 168)
N_POINTS = 2000
BUSY_SECONDS = 60.0  # the busy loop's own deadline; it is also terminated when its slot ends
LIMITS = {"1 thread": STATSMODELS_BLAS_THREADS, "all cores": os.cpu_count() or 1}


def series(n: int = N_POINTS, seed: int = 0) -> pd.Series:
    """A daily-seasonal AR(2) series of ``n`` hourly points."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    y += 3 * np.sin(2 * np.pi * np.arange(n) / 24)
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def start_busy() -> subprocess.Popen:
    """A CPU-bound subprocess that stops by itself after ``BUSY_SECONDS``."""
    code = f"import time\nend = time.time() + {BUSY_SECONDS}\nwhile time.time() < end:\n    pass\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.3)  # let it reach its loop
    return proc


def fit_seconds(y: pd.Series, lags: int, threads: int) -> tuple:
    """(wall, CPU) seconds of one ``ARForecaster(lags=lags).fit(y)`` with statsmodels' BLAS limit set to ``threads``.

    CPU time is this process's, all threads: it grows when BLAS workers spin, while wall time also
    grows when the neighbours take the cores.
    """
    guard.STATSMODELS_BLAS_THREADS = threads
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        ARForecaster(lags=lags).fit(y)
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        guard.STATSMODELS_BLAS_THREADS = STATSMODELS_BLAS_THREADS


def phase(y: pd.Series, reps: int, cap: float, name: str) -> dict:
    """Median (wall, CPU) fit time and run count per (load, lags, ``name``), runs alternating as in the module docstring."""
    threads = LIMITS[name]
    times = {(load, p, name): [] for load in ("none", "loop") for p in LAGS}
    for _ in range(reps):
        for load in ("none", "loop"):
            busy = start_busy() if load == "loop" else None
            try:
                for p in LAGS:
                    cell = times[(load, p, name)]
                    if sum(wall for wall, _ in cell) < cap:
                        cell.append(fit_seconds(y, p, threads))
            finally:
                if busy is not None:
                    busy.terminate()
                    busy.wait()
    return {key: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v), len(v)) for key, v in times.items()}


def train_keras(y: pd.Series) -> float:
    """Train a small LSTM on ``y`` (imports TensorFlow); returns the wall time."""
    from tsforecast import LSTMForecaster

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LSTMForecaster(lags=24, units=16, epochs=3, patience=3).fit(y.iloc[-1000:])
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    parser.add_argument("--reps", type=int, default=5, help="alternating repetitions per phase (default 5)")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds after which an 'all cores' cell stops (default 20)")
    args = parser.parse_args(argv)

    y = series()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; {N_POINTS} points, reps={args.reps}")
    ARForecaster(lags=LAGS[-1]).fit(y)  # warm-up: statsmodels imports
    # The '1 thread' cells run just before and just after the Keras fit, so that the neighbours' load
    # drifts as little as possible between the two figures the target compares.
    before = {**phase(y, args.reps, args.cap, "all cores"), **phase(y, args.reps, args.cap, "1 thread")}
    print(f"Keras: LSTM trained in {train_keras(y):.1f} s; tensorflow loaded: {'tensorflow' in sys.modules}")
    after = {**phase(y, args.reps, args.cap, "1 thread"), **phase(y, args.reps, args.cap, "all cores")}

    print("\nmedian wall time per fit; the ratios are after Keras / before Keras")
    print(f"{'load':<5} {'AR':>7} {'BLAS limit':<10} {'before':>8} {'after':>8} {'wall ratio':>11} {'CPU ratio':>10}")
    for key in sorted(before, key=lambda k: (k[0], k[1], k[2] != "1 thread")):
        load, p, name = key
        (b, cb, nb), (a, ca, na) = before[key], after[key]
        runs = "" if nb == na == args.reps else f"  (runs {nb}/{na})"
        print(f"{load:<5} {f'AR({p})':>7} {name:<10} {b:>7.3f}s {a:>7.3f}s {a / b:>10.2f}x {ca / cb:>9.2f}x{runs}")
    print(f"\nload average {os.getloadavg()[0]:.2f} at end; target: wall ratio <= 1.2 for the '1 thread' rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
