"""Holt-Winters fit time with a weekly season (m=168) on hourly data (target: < 10 s for 2,000 points),
by likelihood and with loss="trace" (smoothing chosen on 1..24-step errors, as the traffic recipe fits it).

    TSFORECAST_DATA_DIR=/work/shared/data python experiments/bench_holt_winters.py

Cortez A1h has 1,231 hourly points; the 2,000-point case is a simulated hourly traffic series.
"""

import os
import time

import tsforecast as tsf


def timed_fit(model, y):
    t0 = time.perf_counter()
    model.fit(y)
    return time.perf_counter() - t0, model


def main():
    real, _ = tsf.load_dataset("cortez_a1h", data_dir=os.environ.get("TSFORECAST_DATA_DIR", "/work/shared/data"))
    sim = tsf.make_traffic(n_series=1, length=2000, freq="h", seed=0)
    sim = sim if not isinstance(sim, dict) else next(iter(sim.values()))
    cases = {"cortez_a1h (1231 pts)": real, "simulated hourly (2000 pts)": sim}
    for label, y in cases.items():
        y = y.iloc[:, 0] if getattr(y, "ndim", 1) == 2 else y
        for kw in (dict(seasonal="mul"), dict(seasonal="add", transform="log"),
                   dict(seasonal="add", transform="log", trend=None, loss="trace", horizon=24)):
            secs, m = timed_fit(tsf.HoltWintersForecaster(seasonal_periods=168, **kw), y)
            print(f"{label:28s} HW m=168 {kw}: fit {secs:.2f} s, initialization {m.initialization_method_}")


if __name__ == "__main__":
    main()
