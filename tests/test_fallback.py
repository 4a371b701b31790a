"""A model's fallback: the simpler model taken when it cross-validates at least as well (tune's
``fallback=``, and ``fallback = "seasonal_naive"`` in an experiment's model table)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast import ARForecaster, SeasonalNaiveForecaster
from tsforecast.evaluation import tune, tune_global
from tsforecast.exceptions import ConfigError, NotEnoughDataError
from tsforecast.experiment import load_config, run_experiment


def seasonal_walk(n=150, m=7, noise=1.0, seed=0):
    """y_t = y_{t-m} + e_t: the seasonal naive forecast is the optimal one."""
    rng = np.random.default_rng(seed)
    y = np.empty(n)
    y[:m] = 100 + 20 * np.sin(2 * np.pi * np.arange(m) / m)
    for t in range(m, n):
        y[t] = y[t - m] + rng.normal(0, noise)
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=n, freq="D"), name="y")


def ar_series(n=160, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.normal()
    return pd.Series(20 + y, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="y")


def snaive_fold_maes(y, end, initial, horizon, m, n_folds=3):
    """Brute force: the seasonal naive forecast of lead h from origin o is y[o - m + (h - 1) % m]."""
    values = y.to_numpy()
    origins = np.arange(initial, end - horizon + 1)
    out = []
    for block in np.array_split(origins, n_folds):
        errors = [abs(values[o + h - 1] - values[o - m + (h - 1) % m]) for o in block for h in range(1, horizon + 1)]
        out.append(np.mean(errors))
    return np.array(out)


def test_a_model_that_loses_to_the_fallback_on_the_folds_is_replaced_by_it():
    y = seasonal_walk()
    res = tune(ARForecaster(lags=1), y, {}, initial=60, horizon=7, n_folds=3, end=120,
               fallback=SeasonalNaiveForecaster(m=7))
    truth = snaive_fold_maes(y, 120, 60, 7, 7)
    np.testing.assert_allclose(res.fallback_folds_, truth, rtol=1e-12)
    assert res.fallback_score_ == pytest.approx(np.average(truth, weights=[len(b) for b in np.array_split(
        np.arange(60, 114), 3)]), rel=1e-12)
    assert res.fallback_score_ < res.best_score_ and res.fell_back_
    assert isinstance(res.best_forecaster_, SeasonalNaiveForecaster)
    forecast = res.best_forecaster_.predict(7).to_numpy()
    np.testing.assert_array_equal(forecast, y.to_numpy()[113:120])  # fitted on y[:120]: the last week again
    text = res.summary()
    assert "fell back to SeasonalNaiveForecaster" in text and f"{res.best_score_:.6g}" in text
    assert "fallback" in text.splitlines()[1]


def test_a_model_that_beats_the_fallback_is_kept_and_the_fallback_score_is_reported():
    y = ar_series()
    res = tune(ARForecaster(), y, {"lags": [1, 2]}, initial=60, horizon=3, n_folds=3, end=150,
               fallback="seasonal_naive")
    assert not res.fell_back_ and res.best_params_ == {"lags": 2}
    assert isinstance(res.best_forecaster_, ARForecaster) and res.best_forecaster_.lags == 2
    assert res.fallback_score_ > res.best_score_
    assert "against" in res.summary() and "fell back" not in res.summary()
    plain = tune(ARForecaster(), y, {"lags": [1, 2]}, initial=60, horizon=3, n_folds=3, end=150)
    assert plain.fallback_score_ is None and not plain.fell_back_
    pd.testing.assert_frame_equal(plain.results_.drop(columns=["fit_seconds", "predict_seconds"]),
                                  res.results_.drop(columns=["fit_seconds", "predict_seconds"]))


def test_a_tie_goes_to_the_fallback():
    y = seasonal_walk(seed=3)
    res = tune(SeasonalNaiveForecaster(m=7), y, {}, initial=60, horizon=7, end=120, fallback="seasonal_naive")
    assert res.best_score_ == res.fallback_score_ and res.fell_back_


def test_a_model_too_big_for_every_fold_falls_back_and_without_a_fallback_raises():
    y = seasonal_walk(n=60)
    big = ARForecaster(lags=40)  # the first fold trains on 30 points
    with pytest.warns(RuntimeWarning, match="failed and scores NaN"):
        res = tune(big, y, {}, initial=30, horizon=7, end=60, fallback="seasonal_naive")
    assert res.fell_back_ and np.isnan(res.best_score_) and "could not be fitted" in res.summary()
    with pytest.raises(NotEnoughDataError), pytest.warns(RuntimeWarning):
        tune(big, y, {}, initial=30, horizon=7, end=60)


@settings(max_examples=10, deadline=None)
@given(scale=st.floats(0.1, 10.0), seed=st.integers(0, 50))
def test_data_after_end_never_changes_whether_it_falls_back(scale, seed):
    y = seasonal_walk(seed=seed)
    wrecked = y.copy()
    wrecked.iloc[120:] = wrecked.iloc[120:][::-1].to_numpy() * scale
    runs = [tune(ARForecaster(lags=1), s, {}, initial=60, horizon=7, end=120, fallback="seasonal_naive")
            for s in (y, wrecked)]
    assert runs[0].fell_back_ == runs[1].fell_back_
    assert runs[0].fallback_score_ == runs[1].fallback_score_ and runs[0].best_score_ == runs[1].best_score_


def _narx(**kw):
    from tsforecast import NARXForecaster

    return NARXForecaster(lags=2, horizon=3, hidden=(2,), linear_skip=False, epochs=1, batch_size=64, seed=0,
                          verbose=0, **kw)


def _periodic_panel(noise=0.0, n=96, seed=0):
    """Series repeating a 6-step pattern exactly: the seasonal naive forecast is perfect (noise=0)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return {f"s{i}": pd.Series(30 + i + 8 * np.sin(2 * np.pi * t / 6) + rng.normal(0, noise, n),
                               index=pd.date_range("2024-01-01", periods=n, freq="h")) for i in range(3)}


def test_tune_global_scores_the_per_series_fallback_as_a_brute_force_loop_and_falls_back_when_it_wins():
    panel, h = _periodic_panel(noise=0.3), 3
    end = {k: 72 for k in panel}
    res = tune_global(_narx(), panel, {}, end=end, horizon=h, metric="mae", fallback=SeasonalNaiveForecaster(m=6))
    by_fold = []
    for block_j in range(3):
        maes = []
        for s in panel.values():
            block = np.array_split(np.arange(36, 72 - h + 1), 3)[block_j]
            v = s.to_numpy()
            maes.append(np.mean([abs(v[o + k] - v[o - 6 + k % 6]) for o in block for k in range(h)]))
        by_fold.append(np.mean(maes))
    np.testing.assert_allclose(res.fallback_folds_, by_fold, rtol=1e-12)
    assert res.fell_back_ == (res.fallback_score_ <= res.best_score_)
    assert res.fell_back_  # one epoch of a 2-unit network cannot match the exact seasonal repeat
    assert set(res.best_forecaster_) == set(panel)
    assert all(isinstance(m, SeasonalNaiveForecaster) for m in res.best_forecaster_.values())


# -- in an experiment ------------------------------------------------------------------------------------------

def _long_csv(path, panel):
    frames = [pd.DataFrame({"id": k, "timestamp": s.index, "value": s.to_numpy()}) for k, s in panel.items()]
    pd.concat(frames).to_csv(path, index=False)


def test_experiment_fallback_forecasts_exactly_the_fallback_and_the_report_says_why(tmp_path):
    y = seasonal_walk(n=120)
    pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()}).to_csv(tmp_path / "walk.csv", index=False)
    cfg = {"dataset": str(tmp_path / "walk.csv"), "baseline": "snaive", "seed": 0,
           "protocol": {"test_size": 30, "horizon": 7, "step": 1, "metrics": ["mae"], "seasonal_period": 7},
           "models": {"snaive": {"model": "seasonal_naive", "m": 7},
                      "ar": {"model": "ar", "lags": 1, "fallback": "seasonal_naive"},
                      "ar_kept": {"model": "ar", "lags": 14}}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="fb", progress=False)
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    pick = {m: g.sort_values(["origin", "step"])["y_pred"].to_numpy() for m, g in fc.groupby("model")}
    np.testing.assert_array_equal(pick["ar"], pick["snaive"])
    assert not np.array_equal(pick["ar_kept"], pick["snaive"])
    report = (result.path / "report.md").read_text()
    assert "`ar`: fell back to SeasonalNaiveForecaster" in report


def test_experiment_global_model_falls_back_per_series_over_many_series(tmp_path):
    panel = _periodic_panel(noise=0.3, n=120)
    _long_csv(tmp_path / "long.csv", panel)
    cfg = {"dataset": str(tmp_path / "long.csv"), "series": "all", "baseline": "snaive", "seed": 0,
           "protocol": {"test_size": 30, "horizon": 3, "step": 3, "refit": False, "metrics": ["mae"],
                        "seasonal_period": 6},
           "models": {"snaive": {"model": "seasonal_naive"},  # m as the fallback's: the frequency's day, 24
                      "narx": {"model": "narx", "global": True, "lags": 1, "hidden": [1], "epochs": 1,
                               "linear_skip": False, "batch_size": 64, "fallback": "seasonal_naive"},
                      "ar": {"model": "ar", "lags": 1, "fallback": "seasonal_naive"}}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="g", progress=False)
    table = result.table.set_index("model")
    assert table.loc["narx", "mae"] == table.loc["snaive", "mae"] == table.loc["ar", "mae"]
    report = (result.path / "report.md").read_text()
    assert "`narx` (one model over 3 series, each fold's score the mean over series): fell back to Seasonal" in report
    assert "fallback='seasonal_naive' on 3 series" in report


@pytest.mark.parametrize("value, match", [
    ("nope", "must name a model"),
    (3, "must name a model"),
    ("narx", "not one"),
])
def test_a_bad_fallback_is_a_config_error(value, match):
    cfg = {"dataset": "traffic_synthetic", "protocol": {"horizon": 2, "metrics": ["mae"]},
           "models": {"ar": {"model": "ar", "lags": 2, "fallback": value}}}
    with pytest.raises(ConfigError, match=match):
        load_config(cfg)


def test_a_bad_setting_is_raised_not_hidden_by_the_fallback():
    from tsforecast.exceptions import ParameterError

    y = seasonal_walk(n=80)
    with pytest.raises(ParameterError, match="lags"), pytest.warns(RuntimeWarning):
        tune(ARForecaster(lags=-3), y, {}, initial=40, horizon=7, end=80, fallback="seasonal_naive")


def test_tune_global_fallback_never_reads_past_each_series_end():
    panel = _periodic_panel(noise=0.3, seed=2)
    end = {k: 72 for k in panel}
    wrecked = {k: s.where(np.arange(len(s)) < 72, -1e6) for k, s in panel.items()}  # the test parts wrecked
    runs = [tune_global(_narx(), p, {}, end=end, horizon=3, metric="mae", fit_best=False, fallback="seasonal_naive")
            for p in (panel, wrecked)]
    np.testing.assert_array_equal(runs[0].fallback_folds_, runs[1].fallback_folds_)
    assert runs[0].fell_back_ == runs[1].fell_back_ and runs[0].best_score_ == runs[1].best_score_
