"""Long-memory experiment: windowed SimpleRNN / LSTM / GRU, their stateful (truncated-BPTT) variants
and the online RTRL network on store-and-recall tasks.

The ``recall`` task (after Hochreiter & Schmidhuber, 1997) has three input channels:
``value`` (iid N(0, 1) at every step), ``store`` (1 at one step per
``period``) and ``recall`` (1 at the step ``delay - 1`` after a store). The
target is 0 except right after a recall cue, where it equals the value seen
at the store step, ``delay`` steps back:

    y_t = value_{t - delay}  if recall_{t-1} == 1,   else 0.

All other values are distractors, and ``y``'s own history holds only earlier,
independent values, so the one way to forecast a recall target is to keep a
single number in the state for ``delay`` steps. Stores are ``period > lags``
apart, so each window holds at most one of them. With ``min_delay`` each store
draws its own delay from ``min_delay..delay``.

The ``copy`` task is the same with one channel, for models that read only the
series (RTRL): ``y`` is 0 except a marker ``3`` one step before each store, the
stored value itself at the store step, a marker ``-3`` one step before its recall
(the cue) and the value again at the recall target.

Models (``--models``):

- ``SimpleRNNForecaster``, ``LSTMForecaster``, ``GRUForecaster``: windows of
  ``lags = delay + margin`` (the store is inside every window that needs it);
  LSTM and GRU with ``gate_init='chrono'`` by default, SimpleRNN has no gates.
- ``<name>+stateful``: the same network trained statefully by truncated BPTT
  (``stateful=True``, chunks of ``tbptt`` steps, default ``delay // 2``): the value
  must survive in the state across chunks, and gradients reach only ``tbptt`` back.
- ``rtrl``: the numpy Elman network trained online by real-time recurrent learning
  (registry name ``rtrl``; skipped with a note when it is not registered, and on
  the ``recall`` task, whose inputs it cannot read).

Each model is fitted through the public estimators on the first ``n_train``
points and scored with ``predict_at`` on the recall targets of the held-out tail
(no refit, no leakage). The score is MSE / var over those targets: ~0 =
remembered, ~1 = forgot (predicting 0 scores ~1).

Example::

    KERAS_BACKEND=jax python experiments/long_memory.py --delay 50 --seeds 0 1 2
    python experiments/long_memory.py --delay 20 --min-delay 2 --task copy \\
        --models LSTMForecaster LSTMForecaster+stateful rtrl
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

MODELS = ("SimpleRNNForecaster", "LSTMForecaster", "GRUForecaster")  # windowed
STATEFUL = tuple(f"{m}+stateful" for m in MODELS)
ALL_MODELS = MODELS + STATEFUL + ("rtrl",)
TASKS = ("recall", "copy")
MARKER = 3.0  # copy task: the value one step before each store


def recall_task(n, delay, period, seed=0, min_delay=None):
    """Store-and-recall series; returns (y Series, X DataFrame, recall target positions).

    ``min_delay``: each store's delay is drawn from ``min_delay..delay`` (default: all ``delay``);
    a target's delay is ``target - store`` with the stores at ``X['store'] == 1``.
    """
    if period <= delay:
        raise ValueError(f"period ({period}) must exceed delay ({delay}) so one value is in flight at a time.")
    rng = np.random.default_rng(seed)
    value = rng.normal(size=n)
    stores = np.arange(rng.integers(period), n - delay, period)
    delays = delay if min_delay is None else rng.integers(min_delay, delay + 1, size=len(stores))
    targets = stores + delays
    store, recall, y = np.zeros(n), np.zeros(n), np.zeros(n)
    store[stores] = 1.0
    recall[targets - 1] = 1.0
    y[targets] = value[stores]
    idx = pd.RangeIndex(n)
    X = pd.DataFrame({"value": value, "store": store, "recall": recall}, idx)
    return pd.Series(y, idx, name="y"), X, targets


def copy_task(n, delay, period, seed=0, min_delay=None):
    """The recall task in one channel: ``y`` holds a marker before each store, the stored value, a cue
    (the negative marker) before its recall target, and the value again at the target. Returns
    (y Series, None, recall target positions)."""
    y, X, targets = recall_task(n, delay, period, seed=seed, min_delay=min_delay)
    return _as_copy(y, X), None, targets


def _as_copy(y, X):
    stores = np.flatnonzero(X["store"].to_numpy())
    cues = np.flatnonzero(X["recall"].to_numpy())
    if np.intersect1d(cues, stores).size:
        raise ValueError("the copy task needs delays of at least 2 (a cue and a store cannot share a step).")
    values = y.to_numpy().copy()
    values[stores] = X["value"].to_numpy()[stores]
    values[stores[stores > 0] - 1] = MARKER
    values[cues] = -MARKER
    return pd.Series(values, y.index, name=y.name)


def _model(model_name, *, lags, units, epochs, batch_size, learning_rate, gate_init, tbptt, seed):
    """The estimator ``model_name`` stands for, or None (with a note) when it cannot run here."""
    import tsforecast as tsf

    if model_name == "rtrl":
        from tsforecast.registry import REGISTRY, get_forecaster_class

        if "rtrl" not in REGISTRY:
            print("note: rtrl is not registered in this tsforecast; skipped.", flush=True)
            return None
        # Its own SGD step size (one step per observation; --learning-rate is Adam's, per batch).
        return get_forecaster_class("rtrl")(units=units, lags=3, epochs=epochs, seed=seed, horizon=1)
    name, _, variant = model_name.partition("+")
    gates = {} if name == "SimpleRNNForecaster" else {"gate_init": gate_init}
    stateful = {"stateful": True, "tbptt": tbptt} if variant == "stateful" else {}
    return getattr(tsf, name)(**gates, **stateful, lags=tbptt if stateful else lags, horizon=1, units=units,
                              epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                              validation_fraction=0.1, patience=epochs, seed=seed)


def score(model_name, delay, seed, *, epochs=10, n_train=30_000, n_test=6_000, period=None, units=16, margin=2,
          learning_rate=1e-2, batch_size=64, gate_init="chrono", task="recall", min_delay=None, tbptt=None,
          lags=None, scored_delay=0):
    """Fit one model on the first ``n_train`` points; MSE / var on the recall targets of the next ``n_test``.

    ``lags``: window of the windowed models (default ``delay + margin``); ``tbptt``: chunk of the
    stateful ones (default ``delay // 2``). Only targets more than ``scored_delay`` steps after their
    store are scored. Returns NaN (after a note) for a model that cannot run the task.
    """
    period = period or delay + margin + 8
    y, X, targets = recall_task(n_train + n_test, delay, period, seed=seed, min_delay=min_delay)
    delays = targets - np.flatnonzero(X["store"].to_numpy())
    if task == "copy":
        y, X = _as_copy(y, X), None
    if model_name == "rtrl" and task == "recall":
        print("note: rtrl reads only the series; it runs on --task copy, not recall.", flush=True)
        return float("nan")
    model = _model(model_name, lags=lags or delay + margin, units=units, epochs=epochs, batch_size=batch_size,
                   learning_rate=learning_rate, gate_init=gate_init, tbptt=tbptt or max(1, delay // 2), seed=seed)
    if model is None:
        return float("nan")
    model.fit(y.iloc[:n_train], None if X is None else X.iloc[:n_train])
    origins = targets[(targets >= n_train) & (delays > scored_delay)]
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
    p.add_argument("--lags", type=int, default=None, help="window of the windowed models (default delay + margin)")
    p.add_argument("--learning-rate", type=float, default=1e-2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--gate-init", choices=("chrono", "unit"), default="chrono",
                   help="LSTM/GRU gate-bias initialisation ('unit': forget bias 1, GRU Keras default)")
    p.add_argument("--success", type=float, default=0.3, help="MSE/var below this counts as remembered")
    p.add_argument("--task", choices=TASKS, default="recall", help="recall: inputs in X; copy: one channel (RTRL)")
    p.add_argument("--min-delay", type=int, default=None, help="draw each delay from min-delay..delay")
    p.add_argument("--tbptt", type=int, default=None, help="chunk of the stateful models (default delay // 2)")
    p.add_argument("--scored-delay", type=int, default=0, help="score only targets more steps than this after the store")
    p.add_argument("--models", nargs="+", default=list(ALL_MODELS), choices=ALL_MODELS)
    args = p.parse_args(argv)
    import keras

    rows = []
    for name in args.models:
        for seed in args.seeds:
            t = time.perf_counter()
            r = score(name, args.delay, seed, epochs=args.epochs, n_train=args.n_train, period=args.period,
                      units=args.units, margin=args.margin, learning_rate=args.learning_rate,
                      batch_size=args.batch_size, gate_init=args.gate_init, task=args.task, min_delay=args.min_delay,
                      tbptt=args.tbptt, scored_delay=args.scored_delay, lags=args.lags)
            if np.isnan(r):
                break  # the model cannot run this task (a note says why)
            rows.append({"model": name, "seed": seed, "mse/var": r, "seconds": time.perf_counter() - t})
            print(f"{name:32s} seed={seed} mse/var={r:.3f} ({rows[-1]['seconds']:.0f}s)", flush=True)
    table = pd.DataFrame(rows)
    print(f"\nbackend={keras.backend.backend()} task={args.task} delay={args.delay} min_delay={args.min_delay} "
          f"lags={args.lags or args.delay + args.margin} tbptt={args.tbptt or args.delay // 2} epochs={args.epochs} units={args.units} n_train={args.n_train} "
          f"gate_init={args.gate_init}")
    print(table.pivot(index="model", columns="seed", values="mse/var").round(3).to_string())
    rate = table.assign(ok=table["mse/var"] < args.success).groupby("model")["ok"].mean()
    print(f"\nsuccess rate (mse/var < {args.success}):\n{rate.to_string()}")


if __name__ == "__main__":
    main()
