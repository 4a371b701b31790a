"""Speed of LSTMForecaster against the same network hand-written in plain Keras.

One LSTM(64), 72 lags, 24 outputs, batch 32, 725 training windows, 5 epochs,
no validation. Reports training windows/second of ``LSTMForecaster.fit`` and of
``keras.Sequential([Input((72, 1)), LSTM(64), Dense(24)])`` with the same
optimizer (Adam 1e-3, clipnorm 1), loss, batch and epochs, on each backend
(every backend runs in its own subprocess with ``KERAS_BACKEND`` set), and the
time of ``predict_at`` on 10,000 origins against ``model.predict`` on the same
10,000 windows. Times include building and compiling the network.

The two fits alternate (ours, plain, plain, ours, ...) so that load from other
processes hits both alike. On JAX, tsforecast keeps compiled steps in JAX's
persistent cache; each worker starts with an empty cache in a temporary
directory, so the first fit compiles and the timed ones reuse the cache, as a
refit of the same architecture does. A second JAX worker runs with the cache
off, so every fit compiles its train step (the first fit of a new architecture).

Example::

    python experiments/bench_rnn.py --backend tensorflow jax --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

LAGS, HORIZON, UNITS, BATCH, EPOCHS, N_WINDOWS, N_PRED = 72, 24, 64, 32, 5, 725, 10_000


def traffic(n, seed=0):
    """Synthetic hourly traffic: daily and weekly cycles plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    v = 100 + 40 * np.sin(2 * np.pi * t / 24) + 15 * np.sin(2 * np.pi * t / 168) + rng.normal(0, 5, n)
    return pd.Series(v, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="traffic")


def _time(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def worker(repeats, epochs):
    import keras

    import tsforecast as tsf
    from tsforecast.windowing import make_windows

    y = traffic(LAGS + HORIZON + N_WINDOWS - 1)
    z = ((y - y.mean()) / y.std()).to_numpy()
    w = make_windows(z, LAGS, HORIZON)
    assert len(w.targets) == N_WINDOWS
    x_train, y_train = np.ascontiguousarray(w.inputs, dtype="float32"), np.ascontiguousarray(w.targets, dtype="float32")

    def ours():
        return tsf.LSTMForecaster(lags=LAGS, horizon=HORIZON, units=UNITS, epochs=epochs, batch_size=BATCH,
                                  validation_fraction=0.0, patience=epochs, seed=0).fit(y)

    def plain():
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((LAGS, 1)), keras.layers.LSTM(UNITS), keras.layers.Dense(HORIZON)])
        net.compile(keras.optimizers.Adam(1e-3, clipnorm=1.0), "mse")
        net.fit(x_train, y_train, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0)
        return net

    t_cold = _time(ours)[0]  # first fit: imports, tracing, and compiling into an empty cache
    plain()
    t_ours, t_plain = [], []
    for r in range(repeats):
        for fn, times in ((ours, t_ours), (plain, t_plain))[:: 1 if r % 2 == 0 else -1]:
            times.append(_time(fn)[0])

    model = ours()
    long = traffic(N_PRED + LAGS, seed=1)
    origins = np.arange(LAGS, LAGS + N_PRED)
    zl = model.scalers_[0].transform(long.to_numpy())
    windows = np.ascontiguousarray(make_windows(zl, LAGS, 1).inputs[:N_PRED], dtype="float32")
    net = model.networks_[0]
    model.predict_at(long, origins, HORIZON), net.predict(windows, verbose=0)  # warm up (compiles every batch shape)
    t_at = [_time(lambda: model.predict_at(long, origins, HORIZON))[0] for _ in range(repeats)]
    t_direct = [_time(lambda: net.predict(windows, verbose=0))[0] for _ in range(repeats)]
    return {"backend": keras.backend.backend(), "fit_cold": t_cold, "fit_ours": float(np.median(t_ours)),
            "fit_plain": float(np.median(t_plain)), "predict_at": float(np.median(t_at)),
            "predict_direct": float(np.median(t_direct)), "raw": {"ours": t_ours, "plain": t_plain,
                                                                  "at": t_at, "direct": t_direct}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", nargs="+", default=["tensorflow", "jax"], choices=["tensorflow", "jax"])
    p.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (median reported)")
    p.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs per fit (default {EPOCHS})")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(args.repeats, args.epochs)))
        return
    runs = [(b, True) for b in args.backend] + ([("jax", False)] if "jax" in args.backend else [])
    results = {}
    for backend, cache in runs:
        label = backend if cache else f"{backend}, no compilation cache"
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2",
                   "TSFORECAST_JAX_CACHE_DIR": tmp if cache else ""}
            res = subprocess.run([sys.executable, __file__, "--worker", "--repeats", str(args.repeats), "--epochs",
                                  str(args.epochs)], env=env, capture_output=True, text=True)
        line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
        if res.returncode or not line:
            print(f"{label}: failed\n{res.stderr[-2000:]}")
            continue
        results[label] = r = json.loads(line[0][7:])
        win = N_WINDOWS * args.epochs
        print(f"[{label}] fit: LSTMForecaster {r['fit_ours']:.2f}s ({win / r['fit_ours']:.0f} windows/s), "
              f"plain Keras {r['fit_plain']:.2f}s ({win / r['fit_plain']:.0f} windows/s), "
              f"speed ratio ours/plain = {r['fit_plain'] / r['fit_ours']:.2f} (target >= 0.95)")
        print(f"[{label}] first fit in the process (imports, tracing, compiling): {r['fit_cold']:.2f}s")
        print(f"[{label}] predict 10,000 windows: predict_at {r['predict_at']:.2f}s, model.predict "
              f"{r['predict_direct']:.2f}s, time ratio = {r['predict_at'] / r['predict_direct']:.2f} (target <= 1)")
        print(f"[{label}] raw seconds: {r['raw']}")
    if "tensorflow" in results:
        base = results["tensorflow"]["fit_plain"]
        for label in ("jax", "jax, no compilation cache"):
            if label in results:
                print(f"LSTMForecaster on {label} / hand-written Keras on TensorFlow, fit time = "
                      f"{results[label]['fit_ours'] / base:.2f} (target <= 0.42)")

if __name__ == "__main__":
    main()
