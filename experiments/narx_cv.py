"""Choose the traffic recipe's NARX ingredients (and its AR's lags, its GRU's base) by cross-validation inside the training part.

    TSFORECAST_DATA_DIR=../shared/data python experiments/narx_cv.py cortez_a1h
    TSFORECAST_DATA_DIR=../shared/data python experiments/narx_cv.py cortez_a1h --candidates recipe,linear_skip

Each candidate is the recipe's NARX before any linear skip (a week of lags, 16 tanh units, MIMO, per-window
normalisation; candidate ``recipe``) with one ingredient changed, trained with one seed (the recipe takes the
median of 5). The recipe uses ``seasonal_pairs`` (with the ridge skip), chosen this way on Cortez hourly and
5-minute. Its score is the mean
headline metric (MAPE) over 3 rolling-origin folds of the training part (the first 2/3 of the series):
that is what a choice may look at. With ``--test`` the test part's score (an origin at every step of the last
1/3, leads 1..horizon) is printed next to it for the record, never used to choose. Season lengths are measured
on the first half of the training part, as the recipe's ``periods = "detect"`` does (``--periods frequency``:
the frequency's). Seed 0 (``--seed``); one JSON line per candidate.
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
    # Fewer inputs for the same information: the last day and a day's span around the lag of a week
    # (hourly: 49 lags instead of 165), so the MLP has fewer weights to learn from the same windows.
    "ridge_skip_day_week": {"linear_skip": "ridge", "lags": "day_week"},
    # Regularised MLPs on top of the ridge part.
    "ridge_skip_dropout": {"linear_skip": "ridge", "dropout": 0.2},
    "ridge_skip_l2": {"linear_skip": "ridge", "l2": 1e-3},
    "ridge_skip_8": {"linear_skip": "ridge", "hidden": (8,)},
    # A week's lags, forecasting the correction to last week's value: the network cannot see how the last
    # day compares with the same hours a week earlier (those lags are beyond a week).
    "week_base_week_lags": {"linear_skip": "ridge", "base": "seasonal", "seasonal_period": "long_season"},
    # The last day's lags and those a day either side of a week (tsforecast.seasonality.lag_set; hourly,
    # with the measured week of 165: 1..24 and 141..189): the last day next to the same hours a week
    # earlier, and the hours a week before each lead time. A fold too short for the week's pairs takes the day's.
    "seasonal_pairs": {"linear_skip": "ridge", "lags": "seasonal_pairs"},
    "seasonal_pairs_no_skip": {"lags": "seasonal_pairs"},
    "seasonal_pairs_base": {"linear_skip": "ridge", "lags": "seasonal_pairs", "base": "seasonal",
                            "seasonal_period": "long_season"},
    # Absolute error: a holiday's windows pull the fit less.
    "ridge_skip_mae": {"linear_skip": "ridge", "loss": "mae"},
    # The recipe's AR (log1p values, a week of lags) and the same on the seasonal pairs: a linear model
    # given the lags the network reads, so the baseline is not handicapped.
    "ar_long_season": {"model": "ar", "lags": "long_season", "transform": "log1p"},
    "ar_seasonal_pairs": {"model": "ar", "lags": "seasonal_pairs", "transform": "log1p"},
    # The recipe's GRU (a day's window, per-window normalisation) and the same forecasting the correction
    # to last week's value (the base reads a week back although the GRU unrolls over a day).
    "gru": {"model": "gru"},
    "gru_week_base": {"model": "gru", "base": "seasonal", "seasonal_period": "long_season"},
    # The GRU fed, next to its day's window, last week's value at each lead time (a seasonal channel),
    # alone and on the correction to last week's value.
    "gru_week_channel": {"model": "gru", "seasonal_channel": True, "seasonal_period": "long_season"},
    "gru_week_channel_base": {"model": "gru", "seasonal_channel": True, "base": "seasonal",
                              "seasonal_period": "long_season"},
    "lstm": {"model": "lstm"},
    "lstm_week_base": {"model": "lstm", "base": "seasonal", "seasonal_period": "long_season"},
    # The recipe's TDNN (a week's window) and the same on the correction to last week's value.
    "tdnn": {"model": "tdnn"},
    "tdnn_week_base": {"model": "tdnn", "base": "seasonal", "seasonal_period": "long_season"},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a series dataset, e.g. cortez_a1h")
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        help=f"comma-separated, from {', '.join(CANDIDATES)} (default: all)")
    parser.add_argument("--step", type=int, default=1, help="distance between origins (default 1)")
    parser.add_argument("--periods", choices=("detect", "frequency"), default="detect",
                        help="season lengths: measured on the first half of the training part, as the recipe "
                        "does (default), or the frequency's")
    parser.add_argument("--test", action="store_true",
                        help="also score the test part (the last 1/3), for the record: run it after choosing")
    parser.add_argument("--seed", type=int, default=0, help="the one seed each candidate is trained with (default 0); "
                        "rerun with another to see how far apart two seeds put the same candidate")
    args = parser.parse_args(argv)
    os.environ.setdefault("TSFORECAST_PROGRESS", "0")

    import tsforecast as tsf

    y, info = tsf.load_dataset(args.dataset)
    horizon = (info.protocol or {}).get("horizon", 24)
    end = int(len(y) * (info.protocol or {}).get("train_fraction", 2 / 3))
    # The season lengths the recipe's models take (periods = "detect"): measured on the first half of the
    # training part, before the first fold's origin.
    periods = tsf.detect_periods(y.iloc[: end // 2]) if args.periods == "detect" else None
    season, long_season = (periods or info.seasonal_periods)[0], (periods or info.seasonal_periods)[-1]
    defaults = {  # the recipe's settings before the candidate's change
        "narx": dict(lags="long_season", hidden=(16,), strategy="mimo", scaler="window", batch_size=128, epochs=200,
                     patience=15, reduce_lr_patience=5, seed=args.seed),
        "gru": dict(lags="season", units=16, scaler="window", batch_size=128, epochs=100, patience=10,
                    reduce_lr_patience=4, seed=args.seed),
        "ar": {},
        "tdnn": dict(lags="long_season", filters=8, layers=2, dilation=2, scaler="window", batch_size=128,
                     epochs=200, patience=15, reduce_lr_patience=5, seed=args.seed),
    }
    defaults["lstm"] = defaults["gru"]
    for name in args.candidates.split(","):
        change = dict(CANDIDATES[name])
        if change.get("lags") == "cortez":  # a few lags around the day and the week, as Cortez et al. chose
            change["lags"] = sorted({1, 2, 3, season - 1, season, season + 1, long_season - 1, long_season,
                                     long_season + 1})
        elif change.get("lags") == "day_week":
            change["lags"] = sorted(set(range(1, season + 1)) | set(range(long_season - season // 2,
                                                                          long_season + season // 2 + 1)))
        model = change.pop("model", "narx")
        params = {**defaults[model], **change, "horizon": horizon}
        t0 = time.perf_counter()
        with tsf.use_periods(periods):
            scores = _scores(model, params, y, horizon, end, season, args)
        print(json.dumps({"dataset": args.dataset, "periods": periods, "candidate": name, "seed": args.seed,
                          **scores, "seconds": round(time.perf_counter() - t0)}), flush=True)


def _scores(model, params, y, horizon, end, season, args) -> dict:
    import tsforecast as tsf
    from tsforecast.evaluation import tune

    grid = {"lags": [params["lags"]]}  # one candidate: tune only scores it on the folds
    cv = tune(tsf.get_forecaster(model, **params), y, grid, horizon=horizon, step=args.step, metric="mape",
              n_folds=3, end=end, seasonal_period=season)
    scores = {"cv_mape": round(cv.best_score_, 3)}
    if args.test:
        test = tsf.backtest(tsf.get_forecaster(model, **params), y, initial=end, horizon=horizon, step=args.step,
                            metrics=["mape"])
        scores.update(test_mape=round(float(test.metrics.loc["all", "mape"]), 3),
                      test_lead1_mape=round(float(test.metrics.loc[1, "mape"]), 3))
    return scores


if __name__ == "__main__":
    main()
