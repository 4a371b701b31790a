"""Choose which of the traffic recipe's models its forecast combination averages, by CV inside the training part.

    TSFORECAST_DATA_DIR=../shared/data python experiments/combination_cv.py cortez_a1h
    TSFORECAST_DATA_DIR=../shared/data python experiments/combination_cv.py cortez_a5m --step 12

The members are the recipe's own models (read from experiments/network_traffic.toml, so their settings are
the recipe's): ``narx``, ``ar``, ``tdnn``, ``arima`` and ``mstl``. On each of 3 rolling-origin folds of the
training part (the first 2/3 of the series; the folds of ``tune`` and ``narx_cv.py``) every member is fitted
once on everything before the fold and forecasts each of the fold's origins; then every combination that
contains the network is scored as the equal-weight mean of its members. Printed per combination: mean fold
MAPE (what a choice may look at) and mean fold MSE relative to the AR's (the Diebold-Mariano test of the
recipe's acceptance uses squared errors). The test part is not touched. Seed 0 (``--seed``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np

RECIPE = Path(__file__).with_name("network_traffic.toml")
MEMBERS = ("narx", "ar", "tdnn", "arima", "mstl")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a series dataset, e.g. cortez_a1h")
    parser.add_argument("--step", type=int, default=1, help="distance between origins (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TSFORECAST_PROGRESS", "0")

    import tsforecast as tsf
    from tsforecast.evaluation.tune import fold_origins
    from tsforecast.experiment.config import load_config

    # The recipe's own models, built as an experiment builds them (its parameters, the seed filled in).
    specs = load_config(RECIPE, seed=args.seed).runs[0].models
    y, info = tsf.load_dataset(args.dataset)
    horizon = (info.protocol or {}).get("horizon", 24)
    end = int(len(y) * (info.protocol or {}).get("train_fraction", 2 / 3))
    folds = fold_origins(end, end // 2, horizon, args.step, 3)  # tune's default: origins from half the training part
    truth, forecasts = [], {m: [] for m in MEMBERS}
    for k, origins in enumerate(folds, start=1):
        first, last = int(origins[0]), int(origins[-1])
        for name in MEMBERS:
            t0 = time.perf_counter()
            res = tsf.backtest(specs[name].build(horizon), y.iloc[: last + horizon], initial=first, horizon=horizon,
                               step=args.step, metrics=["mape"])
            forecasts[name].append(res.predictions["y_pred"].to_numpy().reshape(len(origins), horizon))
            print(f"fold {k}: {name} fitted up to {y.index[first - 1]}, {len(origins)} origins, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
        truth.append(res.predictions["y_true"].to_numpy().reshape(len(origins), horizon))

    def scores(members):
        mape, mse = [], []
        for k in range(len(folds)):
            pred = np.mean([forecasts[m][k] for m in members], axis=0)
            mape.append(100 * np.mean(np.abs(truth[k] - pred) / np.abs(truth[k])))
            mse.append(np.mean((truth[k] - pred) ** 2) / np.mean((truth[k] - forecasts["ar"][k]) ** 2))
        return np.mean(mape), np.mean(mse), mape

    rows = [(members, *scores(members)) for r in range(1, len(MEMBERS) + 1)
            for members in itertools.combinations(MEMBERS, r) if r == 1 or "narx" in members]
    print(f"\n{args.dataset}: mean over {len(folds)} folds of the training part (seed {args.seed}, step {args.step})")
    print(f"{'combination (equal-weight mean)':40s} {'MAPE':>7s} {'MSE / AR':>9s}  per-fold MAPE")
    for members, mape, mse, per_fold in sorted(rows, key=lambda r: r[1]):
        print(f"{' + '.join(members):40s} {mape:7.3f} {mse:9.3f}  " + " ".join(f"{v:.2f}" for v in per_fold))


if __name__ == "__main__":
    main()
