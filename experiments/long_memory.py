"""Long-memory experiment: SimpleRNN vs LSTM vs GRU on a store-and-recall task.

The task (after Hochreiter & Schmidhuber, 1997) has three input channels:
``value`` (iid N(0, 1) at every step), ``store`` (1 at one step per
``period``) and ``recall`` (1 at the step ``delay - 1`` after a store). The
target is 0 except right after a recall cue, where it equals the value seen
at the store step, ``delay`` steps back:

    y_t = value_{t - delay}  if recall_{t-1} == 1,   else 0.

All other values are distractors, and ``y``'s own history holds only earlier,
independent values, so the one way to forecast a recall target is to keep a
single number in the state for ``delay`` steps. Stores are ``period > lags``
apart, so each window holds at most one of them.

Each model is fitted through the public estimators (``fit(y, X)``, one-step
MIMO forecasts, ``lags = delay + margin``; LSTM and GRU with
``gate_init='chrono'`` by default, SimpleRNN has no gates) on the first ``n_train`` points and
scored with ``predict_at`` on the recall targets of the held-out tail (no
refit, no leakage). The score is MSE / var over those targets: ~0 =
remembered, ~1 = forgot (predicting 0 scores ~1).

Example::

    KERAS_BACKEND=jax python experiments/long_memory.py --delay 50 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

MODELS = ("SimpleRNNForecaster", "LSTMForecaster", "GRUForecaster")


def recall_task(n, delay, period, seed=0):
    """Store-and-recall series; returns (y Series, X DataFrame, recall target positions)."""
    if period <= delay:
        raise ValueError(f"period ({period}) must exceed delay ({delay}) so one value is in flight at a time.")
    rng = np.random.default_rng(seed)
    value = rng.normal(size=n)
    stores = np.arange(rng.integers(period), n - delay, period)
    targets = stores + delay
    store, recall, y = np.zeros(n), np.zeros(n), np.zeros(n)
    store[stores] = 1.0
    recall[targets - 1] = 1.0
    y[targets] = value[stores]
    idx = pd.RangeIndex(n)
    X = pd.DataFrame({"value": value, "store": store, "recall": recall}, idx)
    return pd.Series(y, idx, name="y"), X, targets


def score(model_name, delay, seed, *, epochs=10, n_train=30_000, n_test=6_000, period=None, units=16, margin=2,
          learning_rate=1e-2, batch_size=64, gate_init="chrono"):
    """Fit one model on the first ``n_train`` points; MSE / var on the recall targets of the next ``n_test``."""
    import tsforecast as tsf

    period = period or delay + margin + 8
    y, X, targets = recall_task(n_train + n_test, delay, period, seed=seed)
    gates = {} if model_name == "SimpleRNNForecaster" else {"gate_init": gate_init}
    model = getattr(tsf, model_name)(**gates, lags=delay + margin, horizon=1, units=units, epochs=epochs,
                                     batch_size=batch_size, learning_rate=learning_rate,
                                     validation_fraction=0.1, patience=epochs, seed=seed)
    model.fit(y.iloc[:n_train], X.iloc[:n_train])
    origins = targets[targets >= n_train]
    pred = model.predict_at(y, origins, 1, X=X)[:, 0]
    truth = y.to_numpy()[origins]
    return float(np.mean((pred - truth) ** 2) / np.var(truth))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--delay", type=int, default=50, help="steps between the stored value and its recall")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="data and model seeds")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--units", type=int, default=16)
    p.add_argument("--n-train", type=int, default=30_000, help="training points (one recall per period)")
    p.add_argument("--period", type=int, default=None, help="steps between stores (default delay + margin + 8)")
    p.add_argument("--margin", type=int, default=2, help="extra lags beyond the delay")
    p.add_argument("--learning-rate", type=float, default=1e-2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--gate-init", choices=("chrono", "unit"), default="chrono",
                   help="LSTM/GRU gate-bias initialisation ('unit': forget bias 1, GRU Keras default)")
    p.add_argument("--success", type=float, default=0.3, help="MSE/var below this counts as remembered")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    args = p.parse_args(argv)
    import keras

    rows = []
    for name in args.models:
        for seed in args.seeds:
            t = time.perf_counter()
            r = score(name, args.delay, seed, epochs=args.epochs, n_train=args.n_train, period=args.period,
                      units=args.units, margin=args.margin, learning_rate=args.learning_rate,
                      batch_size=args.batch_size, gate_init=args.gate_init)
            rows.append({"model": name, "seed": seed, "mse/var": r, "seconds": time.perf_counter() - t})
            print(f"{name:22s} seed={seed} mse/var={r:.3f} ({rows[-1]['seconds']:.0f}s)", flush=True)
    table = pd.DataFrame(rows)
    print(f"\nbackend={keras.backend.backend()} delay={args.delay} epochs={args.epochs} units={args.units} "
          f"n_train={args.n_train} gate_init={args.gate_init}")
    print(table.pivot(index="model", columns="seed", values="mse/var").round(3).to_string())
    rate = table.assign(ok=table["mse/var"] < args.success).groupby("model")["ok"].mean()
    print(f"\nsuccess rate (mse/var < {args.success}):\n{rate.to_string()}")


if __name__ == "__main__":
    main()
