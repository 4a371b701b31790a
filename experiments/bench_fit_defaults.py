"""``LSTMForecaster.fit`` with default settings against the same network hand-written in Keras on TensorFlow.

The job: 6,000 hourly points, lags 24, horizon 4, batch 256, 3 epochs; everything else is the
estimator's default (LSTM(32), MIMO outputs, standard scaling, the last 20 % of windows for
validation and early stopping). The hand-written version standardises the series, cuts the same
windows, fits ``Sequential([Input((24, 1)), LSTM(32), Dense(4)])`` with Adam(1e-3, clipnorm 1), MSE
and the same chronological 20 % as ``validation_data``.

Each measurement runs in a fresh process (``--fits`` fits one after another), so the first fit in a
process, with imports done but nothing traced or compiled, is shown apart from the later ones. The
processes alternate (plain TF, ours TF, ours JAX, plain TF, ...) so load from other work hits all
alike. On JAX, tsforecast keeps compiled train steps in JAX's persistent cache (see the README); its
first fit is shown as the cache stands (``--cold-jax`` empties a private cache first).

    python experiments/bench_fit_defaults.py --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

LAGS, HORIZON, UNITS, BATCH, EPOCHS, N_POINTS = 24, 4, 32, 256, 3, 6000


def worker(which: str, n_fits: int):
    import numpy as np

    import keras

    import tsforecast as tsf
    from tsforecast.testing import make_series
    from tsforecast.windowing import make_windows

    y = make_series(N_POINTS)

    def ours():
        tsf.LSTMForecaster(lags=LAGS, horizon=HORIZON, epochs=EPOCHS, batch_size=BATCH, seed=0).fit(y)

    def plain():
        v = y.to_numpy()
        z = (v - v.mean()) / v.std()
        w = make_windows(z, LAGS, HORIZON)
        x = np.ascontiguousarray(w.inputs[..., None], dtype="float32")
        t = np.ascontiguousarray(w.targets, dtype="float32")
        k = int(len(x) * 0.8)
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((LAGS, 1)), keras.layers.LSTM(UNITS), keras.layers.Dense(HORIZON)])
        net.compile(keras.optimizers.Adam(1e-3, clipnorm=1.0), "mse")
        net.fit(x[:k], t[:k], validation_data=(x[k:], t[k:]), batch_size=BATCH, epochs=EPOCHS, shuffle=True,
                verbose=0)

    fn = ours if which == "ours" else plain
    times = []
    for _ in range(n_fits):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"backend": keras.backend.backend(), "times": times}))


def run(which, backend, n_fits, env_extra=None):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "TSFORECAST_PROGRESS": "0",
           **(env_extra or {})}
    res = subprocess.run([sys.executable, __file__, "--worker", which, "--fits", str(n_fits)], env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{which} on {backend} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend, out
    return out["times"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=2, help="processes per configuration (alternated)")
    p.add_argument("--fits", type=int, default=3, help="fits per process (the first is shown apart)")
    p.add_argument("--cold-jax", action="store_true", help="JAX starts from an empty private compile cache")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args.fits)
        return 0
    try:
        import jax  # noqa: F401

        configs = [("plain", "tensorflow"), ("ours", "tensorflow"), ("ours", "jax")]
    except ImportError:
        configs = [("plain", "tensorflow"), ("ours", "tensorflow")]
        print("jax is not installed: TensorFlow only (pip install -e '.[jax]' for the JAX rows)")
    results = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as cache:
        extra = {"TSFORECAST_JAX_CACHE_DIR": cache} if args.cold_jax else None
        for r in range(args.repeats):
            for which, backend in configs:
                if args.cold_jax and backend == "jax":
                    for f in os.listdir(cache):
                        os.remove(os.path.join(cache, f)) if os.path.isfile(os.path.join(cache, f)) else None
                results[(which, backend)].append(run(which, backend, args.fits, extra if backend == "jax" else None))
    print(f"LSTM fit, {N_POINTS} points, lags {LAGS}, horizon {HORIZON}, batch {BATCH}, {EPOCHS} epochs "
          f"(seconds; each row one process: first fit, then the later ones)")
    for (which, backend), runs in results.items():
        for times in runs:
            print(f"  {which:5s} {backend:10s} first {times[0]:5.2f}   later " + " ".join(f"{t:5.2f}" for t in times[1:]))
    plain = [t for times in results[("plain", "tensorflow")] for t in times]
    med_plain = sorted(plain)[len(plain) // 2]
    plain_first = [times[0] for times in results[("plain", "tensorflow")]]
    print(f"hand-written on tensorflow: first fit {min(plain_first):.2f}-{max(plain_first):.2f} s, median of all "
          f"fits {med_plain:.2f} s")
    for (which, backend), runs in results.items():
        if which == "plain":
            continue
        firsts = [times[0] for times in runs]
        later = sorted(t for times in runs for t in times[1:])
        print(f"{which} on {backend}: first fit {min(firsts):.2f}-{max(firsts):.2f} s = "
              f"{min(firsts) / med_plain:.2f}-{max(firsts) / med_plain:.2f}x the hand-written TF median "
              f"({med_plain:.2f} s); later fits median {later[len(later) // 2]:.2f} s = "
              f"{later[len(later) // 2] / med_plain:.2f}x; first / later {max(firsts) / later[len(later) // 2]:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
