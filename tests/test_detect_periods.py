"""Season lengths measured on the data (tsforecast.seasonality.detect_periods)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import InvalidInputError, MissingValuesError, NotEnoughDataError, ParameterError
from tsforecast.seasonality import detect_periods


def _traffic(n, week, day, seed=0):
    """Hourly-indexed traffic whose weekly cycle lasts ``week`` steps and daily cycle ``day`` steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 10 + np.sin(2 * np.pi * t / day) + 0.6 * (np.sin(2 * np.pi * t / week) > 0.6) + 0.1 * rng.normal(size=n)
    return pd.Series(np.exp(level), index=pd.date_range("2005-06-07", periods=n, freq="h"))


def _brute_force(v, p, r, min_gain=0.0):
    """The lag within r of p with the largest autocorrelation (pairs averaged per lag), nearest p on ties;
    p unless that beats p's by min_gain."""
    x = np.log1p(v) if v.min() >= 0 else v
    x = x - x.mean()
    var = np.dot(x, x) / len(x)
    best, best_rho = None, -np.inf
    for lag in sorted((k for k in range(p - r, p + r + 1) if k >= 2), key=lambda k: abs(k - p)):
        rho = np.dot(x[:-lag], x[lag:]) / (len(x) - lag) / var
        if rho > best_rho + 1e-9:
            best, best_rho = lag, rho
    nominal = np.dot(x[:-p], x[p:]) / (len(x) - p) / var
    return best if best_rho - nominal >= min_gain - 1e-9 else p


def test_a_drifting_clock_is_found_and_an_exact_one_is_kept():
    # A week of 165 hourly steps (seven days of 23.57 hours), as on the Cortez ISP A link.
    assert detect_periods(_traffic(900, 165, 165 / 7)) == (24, 165)
    assert detect_periods(_traffic(900, 168, 24)) == (24, 168)
    # An exact week whose neighbouring lag happens to score a hair higher (0.7032 against 0.7027) stays.
    y, _ = tsf.load_dataset("traffic_synthetic")
    assert detect_periods(y.iloc[: len(y) - 168]) == (24, 168)
    assert detect_periods(y.iloc[: len(y) - 168], min_gain=0)[1] == 169
    assert detect_periods(_traffic(900, 165, 165 / 7).to_numpy(), periods=[168]) == (165,)


@pytest.mark.skipif(not (Path(os.environ.get("TSFORECAST_DATA_DIR", "/nonexistent")) / "cortez2012_A1H.csv").exists(),
                    reason="cortez2012_A1H.csv is not in TSFORECAST_DATA_DIR (point it at the shared real-data folder)")
def test_the_cortez_link_clock():
    y = tsf.load_dataset("cortez_a1h").data
    train = y.iloc[: len(y) * 2 // 3]
    assert detect_periods(train) == (24, 165)
    assert detect_periods(train.iloc[: len(train) // 2])[1] == 165


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(2, 40), tolerance=st.sampled_from([0.0, 0.05, 0.2]),
       positive=st.booleans(), min_gain=st.sampled_from([0.0, 0.005, 0.1]))
def test_equals_a_brute_force_search_over_the_lags(seed, p, tolerance, positive, min_gain):
    rng = np.random.default_rng(seed)
    n = 3 * p + 20
    v = np.cumsum(rng.normal(size=n)) + np.sin(2 * np.pi * np.arange(n) / (p + rng.uniform(-2, 2)))
    v = np.abs(v) if positive else v
    r = max(1, round(tolerance * p)) if tolerance else 0
    assert detect_periods(v, periods=[p], tolerance=tolerance, min_gain=min_gain) == (_brute_force(v, p, r, min_gain),)


def test_a_constant_series_keeps_its_nominal_periods():
    assert detect_periods(pd.Series(5.0, index=pd.date_range("2024-01-01", periods=400, freq="h"))) == (24, 168)


def test_bad_input_gets_named_errors():
    y = _traffic(900, 168, 24)
    with pytest.raises(NotEnoughDataError, match="two cycles, 352 points"):
        detect_periods(y.iloc[:300])
    with pytest.raises(MissingValuesError, match="fill them"):
        detect_periods(y.where(y.index != y.index[10]))
    with pytest.raises(ParameterError, match="pass periods="):
        detect_periods(y.to_numpy())
    with pytest.raises(ParameterError, match="tolerance"):
        detect_periods(y, tolerance=0.7)
    with pytest.raises(ParameterError, match="min_gain"):
        detect_periods(y, min_gain=-0.1)
    with pytest.raises(ParameterError, match="tolerance"):
        detect_periods(y, tolerance=True)
    with pytest.raises(InvalidInputError, match="numbers"):
        detect_periods(y.astype(str).radd("n"), periods=[24])
    with pytest.raises(ParameterError, match="at least 2"):
        detect_periods(y, periods=[1])


def _backtest_predictions(model, y, **kw):
    return tsf.backtest(model, y, **kw).predictions["y_pred"].to_numpy()


def test_inside_use_periods_every_season_length_is_the_measured_one():
    from tsforecast.seasonality import use_periods

    y = _traffic(900, 165, 165 / 7)
    kw = dict(initial=600, horizon=24, step=7)
    with use_periods((24, 165)):
        snaive_long = _backtest_predictions(tsf.SeasonalNaiveForecaster(m="long_season"), y, **kw)
        hw = tsf.HoltWintersForecaster(seasonal_periods="long_season", trend=None).fit(y.iloc[:600])
        ar = tsf.ARForecaster(lags="long_season").fit(y.iloc[:600])
    np.testing.assert_array_equal(snaive_long, _backtest_predictions(tsf.SeasonalNaiveForecaster(m=165), y, **kw))
    assert hw.seasonal_periods_ == 165 and len(ar.lags_) == 165
    # Outside the block the frequency's lengths come back; "long_season" of hourly data is a week.
    np.testing.assert_array_equal(_backtest_predictions(tsf.SeasonalNaiveForecaster(m="long_season"), y, **kw),
                                  _backtest_predictions(tsf.SeasonalNaiveForecaster(m=168), y, **kw))
    # Hand-computed: seasonal naive with m = 165 repeats the value 165 steps before each lead.
    first = _backtest_predictions(tsf.SeasonalNaiveForecaster(m="long_season"), y, **kw)[:24]
    np.testing.assert_array_equal(first, y.to_numpy()[600 - 168 : 600 - 168 + 24])
    np.testing.assert_array_equal(snaive_long[:24], y.to_numpy()[600 - 165 : 600 - 165 + 24])


def test_parallel_refits_carry_the_measured_periods_to_their_workers():
    from tsforecast.seasonality import use_periods

    y = _traffic(700, 165, 165 / 7)
    kw = dict(initial=500, horizon=6, step=10, refit=True)
    with use_periods((24, 165)):
        parallel = _backtest_predictions(tsf.SeasonalNaiveForecaster(m="long_season"), y, n_jobs=2, **kw)
    np.testing.assert_array_equal(parallel, _backtest_predictions(tsf.SeasonalNaiveForecaster(m=165), y, **kw))
    search = dict(horizon=6, step=10, metric="mae", end=600)
    with use_periods((24, 165)):
        named = tsf.tune(tsf.SeasonalNaiveForecaster(), y, {"m": ["long_season", "season"]}, n_jobs=2, **search)
    given = tsf.tune(tsf.SeasonalNaiveForecaster(), y, {"m": [165, 24]}, **search)
    np.testing.assert_array_equal(named.results_["score"].to_numpy(), given.results_["score"].to_numpy())


def _drifting_csv(path, n=1200):
    y = _traffic(n, 165, 165 / 7, seed=3)
    pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()}).to_csv(path, index=False)
    return y


def _detect_config(tmp_path, periods="detect"):
    return {"name": "clock", "dataset": str(tmp_path / "clock.csv"), "baseline": "naive",
            "protocol": {"train_fraction": 0.75, "horizon": 12, "step": 12, "periods": periods},
            "models": {"naive": {"model": "naive"}, "weekly": {"model": "seasonal_naive", "m": "long_season"}}}


def test_an_experiment_measures_its_periods_before_any_fold_and_every_model_takes_them(tmp_path):
    from tsforecast.experiment import run_experiment

    y = _drifting_csv(tmp_path / "clock.csv")
    result = run_experiment(_detect_config(tmp_path), results_dir=tmp_path / "out", progress=False)
    report = (result.path / "report.md").read_text()
    assert "**Season lengths**: 24, 165 steps" in report
    preds = pd.read_parquet(result.path / "forecasts.parquet")
    weekly = preds[preds["model"] == "weekly"]["y_pred"].to_numpy()
    y.index.freq = "h"
    np.testing.assert_array_equal(weekly, _backtest_predictions(tsf.SeasonalNaiveForecaster(m=165), y,
                                                                initial=900, horizon=12, step=12))
    # What it measures ends at the first half of the training part: wrecking everything after it changes nothing.
    from tsforecast.experiment.data import measured_periods, resolve_protocol

    p = resolve_protocol(_detect_config(tmp_path)["protocol"], None)
    wrecked = y.copy()
    wrecked.iloc[900 // 2 :] = np.random.default_rng(0).uniform(1, 1e6, len(y) - 900 // 2)
    assert measured_periods(wrecked, p) == measured_periods(y, p) == (24, 165)
    plain = run_experiment(_detect_config(tmp_path, "frequency"), results_dir=tmp_path / "plain", progress=False)
    assert "Season lengths" not in (plain.path / "report.md").read_text()


def test_an_unknown_periods_setting_gets_a_config_error(tmp_path):
    from tsforecast.exceptions import ConfigError
    from tsforecast.experiment import run_experiment

    _drifting_csv(tmp_path / "clock.csv")
    with pytest.raises(ConfigError, match="periods"):
        run_experiment(_detect_config(tmp_path, "auto"), results_dir=tmp_path / "out", progress=False)


def test_arima_takes_a_named_season_and_the_measured_one():
    import warnings

    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from tsforecast.seasonality import use_periods

    y = _traffic(700, 165, 165 / 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with use_periods((24, 165)):
            ours = tsf.ARIMAForecaster(order=(1, 0, 0), seasonal_order=(0, 1, 0, "long_season"),
                                       simple_differencing=True).fit(y)
        weekly = tsf.ARIMAForecaster(order=(1, 0, 0), seasonal_order=(0, 1, 0, "long_season")).fit(y)
        direct = SARIMAX(y.to_numpy(), order=(1, 0, 0), seasonal_order=(0, 1, 0, 165),
                         simple_differencing=True).fit(disp=False)
    assert ours.seasonal_order_ == (0, 1, 0, 165) and weekly.seasonal_order_ == (0, 1, 0, 168)
    # statsmodels called directly: with simple differencing its forecasts are of the differenced series.
    changes = direct.forecast(6)
    np.testing.assert_allclose(ours.predict(6).to_numpy(), y.to_numpy()[-165:-159] + changes, rtol=1e-6)
    with pytest.raises(ParameterError, match="long_season"):
        tsf.ARIMAForecaster(seasonal_order=(0, 1, 0, "weekly")).fit(y)
