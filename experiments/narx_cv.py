"""Choose the traffic recipe's NARX ingredients by cross-validation inside the training part.

    TSFORECAST_DATA_DIR=../shared/data python experiments/narx_cv.py cortez_a1h
    TSFORECAST_DATA_DIR=../shared/data python experiments/narx_cv.py cortez_a1h --candidates recipe,linear_skip

Each candidate is the recipe's NARX before any linear skip (a week of lags, 16 tanh units, MIMO, per-window
normalisation; candidate ``recipe``) with one ingredient changed, trained with one seed (the recipe takes the
median of 5). The recipe now uses ``ridge_skip``, chosen this way on Cortez hourly and 5-minute. Its score is the mean
headline metric (MAPE) over 3 rolling-origin folds of the training part (the first 2/3 of the series):
that is what a choice may look at. The test part's score (an origin at every step of the last 1/3, leads
1..horizon) is printed next to it for the record, never used to choose. Seed 0 (``--seed``); one JSON line per
candidate.
"""

from __future__ import annotations

import argparse
import json
import os
import time

CANDIDATES = {
    "recipe": {},
    "linear_skip": {"linear_skip": True},
    "cortez_lags": {"lags": "cortez", "hidden": (8,)},
    "calendar": {"calendar": ("hour", "dayofweek")},
    "base_last": {"base": "last"},
    "base_seasonal": {"base": "seasonal"},
    # The recipe's network (linear skip) forecasting the correction to the last value: the same functions
    # (the skip can add the last value back), but training starts from the naive forecast.
    "linear_skip_base_last": {"linear_skip": True, "base": "last"},
    # The linear part solved by ridge regression on the training windows and held fixed; the MLP
    # trains on what it leaves.
    "ridge_skip": {"linear_skip": "ridge"},
    # The ridge part alone: the MLP's output weights start at zero and a learning rate of 1e-12 keeps
    # them there (a measurement of what the MLP adds, not a model to use).
    "ridge_only": {"linear_skip": "ridge", "learning_rate": 1e-12, "epochs": 1},
    # The ridge part forecasting the correction to seasonal naive: its shrinkage pulls towards the seasonal
    # naive forecast instead of the window's level (what little data supports, e.g. 34 training days).
    "ridge_skip_base_seasonal": {"linear_skip": "ridge", "base": "seasonal"},
    # A larger MLP on top of the ridge part.
    "ridge_skip_64": {"linear_skip": "ridge", "hidden": (64,)},
    "ridge_skip_16x16": {"linear_skip": "ridge", "hidden": (16, 16)},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a series dataset, e.g. cortez_a1h")
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        help=f"comma-separated, from {', '.join(CANDIDATES)} (default: all)")
    parser.add_argument("--step", type=int, default=1, help="distance between origins (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the one seed each candidate is trained with (default 0); "
                        "rerun with another to see how far apart two seeds put the same candidate")
    args = parser.parse_args(argv)
    os.environ.setdefault("TSFORECAST_PROGRESS", "0")

    import tsforecast as tsf
    from tsforecast.evaluation import tune
    from tsforecast.models.narx_model import NARXForecaster

    y, info = tsf.load_dataset(args.dataset)
    horizon = (info.protocol or {}).get("horizon", 24)
    end = int(len(y) * (info.protocol or {}).get("train_fraction", 2 / 3))
    season, long_season = info.seasonal_periods[0], info.seasonal_periods[-1]
    base = dict(lags="long_season", hidden=(16,), strategy="mimo", scaler="window", batch_size=128, epochs=200,
                patience=15, reduce_lr_patience=5, horizon=horizon, seed=args.seed)
    for name in args.candidates.split(","):
        change = dict(CANDIDATES[name])
        if change.get("lags") == "cortez":  # a few lags around the day and the week, as Cortez et al. chose
            change["lags"] = sorted({1, 2, 3, season - 1, season, season + 1, long_season - 1, long_season,
                                     long_season + 1})
        params = {**base, **change}
        t0 = time.perf_counter()
        cv = tune(NARXForecaster(**params), y, {"seed": [args.seed]}, horizon=horizon, step=args.step, metric="mape",
                  n_folds=3, end=end, seasonal_period=season)
        test = tsf.backtest(NARXForecaster(**params), y, initial=end, horizon=horizon, step=args.step,
                            metrics=["mape"])
        print(json.dumps({"dataset": args.dataset, "candidate": name, "seed": args.seed,
                          "cv_mape": round(cv.best_score_, 3),
                          "test_mape": round(float(test.metrics.loc["all", "mape"]), 3),
                          "test_lead1_mape": round(float(test.metrics.loc[1, "mape"]), 3),
                          "seconds": round(time.perf_counter() - t0)}), flush=True)


if __name__ == "__main__":
    main()
