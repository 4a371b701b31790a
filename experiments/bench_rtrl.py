"""RTRL learning speed and memory against the hidden-layer size n (O(n^4) time, O(n^3) memory per step).

    python experiments/bench_rtrl.py            # n = 8, 16, 32
    python experiments/bench_rtrl.py 8 16 32 64

For each n: learning steps per second (best of 3 runs; the machine may be shared), the peak
memory traced while learning (network built inside the traced region, so it counts weights and
both sensitivity buffers), and the size of the sensitivity tensor P (n x n x (n + lags + 1)).
The scaling check compares the time per step between consecutive sizes with the multiply-add
count of the dominant product W P, n^3 (n + lags + 1) (a ratio of 2^4 = 16 per doubling of n for
large n); at small n the per-step Python overhead hides it.
"""

import sys
import time
import tracemalloc

import numpy as np

from tsforecast.models.rtrl_model import RTRLNetwork

LAGS = 3


def steps_per_second(units, n_steps, repeats=3):
    z = np.sin(0.3 * np.arange(n_steps)) + 0.1 * np.cos(0.05 * np.arange(n_steps))
    best = np.inf
    for _ in range(repeats):
        net = RTRLNetwork(units, LAGS, np.random.default_rng(0))
        t0 = time.perf_counter()
        net.stream(z, 0.01, 1.0)
        best = min(best, time.perf_counter() - t0)
    return n_steps / best


def traced_peak(units, n_steps=500):
    z = np.sin(0.3 * np.arange(n_steps))
    tracemalloc.start()
    try:
        net = RTRLNetwork(units, LAGS, np.random.default_rng(0))
        net.stream(z, 0.01, 1.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, net.P.nbytes


def main(sizes):
    print(f"RTRL (Elman, lags={LAGS}), SGD with clipnorm=1 on every step, one BLAS thread")
    print(f"{'n':>4} {'steps/s':>10} {'us/step':>9} {'peak traced':>12} {'P entries':>10} {'P bytes':>9} "
          f"{'W P madds':>11}")
    rows = []
    for n in sizes:
        rate = steps_per_second(n, n_steps=max(300, 40_000 // n))
        peak, p_bytes = traced_peak(n)
        madds = n**3 * (n + LAGS + 1)
        rows.append((n, rate, madds))
        print(f"{n:>4} {rate:>10.0f} {1e6 / rate:>9.1f} {peak / 1024:>9.1f} kB {p_bytes // 8:>10} {p_bytes:>9} "
              f"{madds:>11}")
    print("\nscaling (time per step, larger n over smaller n):")
    for (n0, r0, m0), (n1, r1, m1) in zip(rows[:-1], rows[1:]):
        print(f"  n {n0:>3} -> {n1:>3}: measured x{r0 / r1:6.2f}; W P multiply-adds x{m1 / m0:6.2f}; "
              f"(n1/n0)^4 = {(n1 / n0) ** 4:.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [8, 16, 32])
