"""Benchmark: a batched no-refit backtest of an LSTM against a loop of single-origin predicts.

Prints what it measured: the backtest's wall time without the fit, split into
its predict time (the fitted clone's first ``predict_at`` call; the network runs
in NumPy, tsforecast.nn.numpy_forward) and the rest (origins, scoring, the
predictions frame); the same first call with the network run by Keras instead
(``TSFORECAST_KERAS_PREDICT=1``: Keras traces its predict function first), then
a second Keras call; and a loop of ``predict(y=history)`` calls over a sample of
origins (extrapolated to all).

    .venv/bin/python experiments/bench_backtest.py --origins 1000 --sample 50
    .venv/bin/python experiments/bench_backtest.py --origins 388   # the issue's comparison with darts
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast import LSTMForecaster
from tsforecast.evaluation import backtest
from tsforecast.nn.numpy_forward import KERAS_PREDICT


def synthetic_hourly(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 100 + 10 * np.sin(2 * np.pi * t / 24) + 4 * np.sin(2 * np.pi * t / 168) + rng.normal(0, 1.5, n)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="load")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--origins", type=int, default=1000, help="origins in the test part")
    parser.add_argument("--initial", type=int, default=1500, help="training points before the first origin")
    parser.add_argument("--sample", type=int, default=50, help="origins timed one by one in the loop")
    parser.add_argument("--lags", type=int, default=48)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (fit time is not what is measured)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    n = args.initial + args.origins + args.horizon - 1
    y = synthetic_hourly(n, args.seed)
    model = LSTMForecaster(lags=args.lags, horizon=args.horizon, units=args.units, epochs=args.epochs,
                           seed=args.seed, patience=2)

    t0 = time.perf_counter()
    res = backtest(model, y, initial=args.initial, horizon=args.horizon, metrics=("mae", "rmse"))
    total = time.perf_counter() - t0
    print(f"series: {n} points, {res.n_origins} origins, horizon {args.horizon}, LSTM lags={args.lags} "
          f"units={args.units}")
    print(f"backtest (refit=False): fit {res.fit_seconds:.2f} s, predict {res.predict_seconds:.3f} s "
          f"-> {res.n_origins / res.predict_seconds:,.0f} origins/s; MAE {res.metrics.loc['all', 'mae']:.3f}")
    rest = total - res.fit_seconds - res.predict_seconds
    print(f"backtest wall without the fit: {total - res.fit_seconds:.3f} s = predict {res.predict_seconds:.3f} s "
          f"(first call of the fitted clone) + {rest * 1e3:.1f} ms for the rest "
          f"(origins, scoring, predictions frame)")

    fitted = clone(model).fit(y.iloc[: args.initial])
    os.environ[KERAS_PREDICT] = "1"
    try:
        timings = []
        for _ in range(2):  # the first Keras call traces the predict function for this batch shape
            t0 = time.perf_counter()
            keras_out = fitted.predict_at(y, res.origins, args.horizon)
            timings.append(time.perf_counter() - t0)
    finally:
        del os.environ[KERAS_PREDICT]
    t0 = time.perf_counter()
    batched = fitted.predict_at(y, res.origins, args.horizon)
    one_call = time.perf_counter() - t0
    print(f"one predict_at call over all {res.n_origins} origins on a newly fitted clone: in NumPy {one_call:.3f} s; "
          f"in Keras {timings[0]:.3f} s (first call, tracing included), {timings[1]:.3f} s (second call); "
          f"max |NumPy - Keras| {np.max(np.abs(batched - keras_out)):.2e}")

    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(res.origins, size=min(args.sample, res.n_origins), replace=False))
    fitted.predict(args.horizon, y=y.iloc[: sample[0]])  # warm-up
    t0 = time.perf_counter()
    loop = np.vstack([fitted.predict(args.horizon, y=y.iloc[:o]).to_numpy() for o in sample])
    per_origin = (time.perf_counter() - t0) / len(sample)
    print(f"loop of single predicts over {len(sample)} sampled origins: {per_origin * 1e3:.1f} ms/origin "
          f"({1 / per_origin:,.0f} origins/s) -> {per_origin * res.n_origins:.1f} s for all {res.n_origins}")
    print(f"speed-up over the loop: backtest predict {per_origin * res.n_origins / res.predict_seconds:,.1f}x")

    rows = np.searchsorted(res.origins, sample)
    gap = np.max(np.abs(batched[rows] - loop))
    print(f"max |batched - single| forecast difference on the sample: {gap:.2e}")


if __name__ == "__main__":
    main()
