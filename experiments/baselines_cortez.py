"""Classical baselines on Cortez A1h (hourly backbone traffic), issue 12.

Protocol: fit once on the first 2/3, forecast leads 1..24 from every origin of the last 1/3 (no refit),
MAPE in %. Settings are fixed in advance (no tuning on the test part).

    TSFORECAST_DATA_DIR=/work/shared/data python experiments/baselines_cortez.py
"""

import os
import warnings

import pandas as pd

import tsforecast as tsf

MODELS = {
    "seasonal naive m=24": tsf.SeasonalNaiveForecaster(m=24),
    "seasonal naive m=168": tsf.SeasonalNaiveForecaster(m=168),
    "AR(auto, log)": tsf.ARForecaster(lags="auto", transform="log"),
    "AR([1,2,3,24,25,168,169], log)": tsf.ARForecaster(lags=[1, 2, 3, 24, 25, 168, 169], transform="log"),
    "HW(m=168, mul, heuristic)": tsf.HoltWintersForecaster(seasonal_periods=168, seasonal="mul",
                                                           initialization_method="heuristic"),
    "HW(log, add, m=168)": tsf.HoltWintersForecaster(seasonal_periods=168, seasonal="add", transform="log"),
    "MSTL(log)": tsf.MSTLForecaster(transform="log"),
}


def main():
    y, _ = tsf.load_dataset("cortez_a1h", data_dir=os.environ.get("TSFORECAST_DATA_DIR", "/work/shared/data"))
    rows = []
    for name, model in MODELS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = tsf.backtest(model, y, initial=2 / 3, horizon=24, step=1, metrics=("mape",))
        rows.append({"model": name, "MAPE %": round(float(res.metrics.loc["all", "mape"]), 2),
                     "origins": res.n_origins, "fit s": round(res.fit_seconds, 2),
                     "predict s": round(res.predict_seconds, 3)})
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
