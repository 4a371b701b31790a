"""MSTLForecaster: seasonal profiles from statsmodels' MSTL plus an AR of the remainder."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsforecast import load_model
from tsforecast.exceptions import FrequencyError, ParameterError
from tsforecast.models.holt_winters_model import HoltWintersForecaster
from tsforecast.models.mstl_model import MSTLForecaster

NOISE_SD = 0.3


def two_seasons(n=1400, seed=0, phi=0.5):
    """10 + 2 sin(day) + 3 sin(week) + AR(1) noise with innovation sd NOISE_SD."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, NOISE_SD)
    values = 10 + 2 * np.sin(2 * np.pi * t / 24) + 3 * np.sin(2 * np.pi * t / 168) + e
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def test_recovers_daily_and_weekly_components_and_beats_single_season_holt_winters():
    y = two_seasons()
    train, origins = 1000, np.arange(1000, 1376)
    model = MSTLForecaster(lags=2).fit(y.iloc[:train])
    assert model.seasonal_periods is None and model.seasonal_periods_ == (24, 168)
    # the profiles are the two sines (up to how MSTL splits the level), within a fraction of the noise
    phase = np.arange(168)
    np.testing.assert_allclose(model.profiles_[1] - model.profiles_[1].mean(), 3 * np.sin(2 * np.pi * phase / 168),
                               atol=0.35)
    np.testing.assert_allclose(model.profiles_[0] - model.profiles_[0].mean(),
                               2 * np.sin(2 * np.pi * np.arange(24) / 24), atol=0.35)
    pred = model.predict_at(y, origins, 24)
    actual = np.lib.stride_tricks.sliding_window_view(y.to_numpy(), 24)[origins]
    rmse = np.sqrt(np.mean((pred - actual) ** 2))
    # an AR(1) with phi=0.5 has stationary sd NOISE_SD / sqrt(1 - 0.25) = 0.35: long-lead forecasts cannot beat that
    assert rmse < 1.25 * NOISE_SD / np.sqrt(0.75)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hw = HoltWintersForecaster(seasonal_periods=24).fit(y.iloc[:train])
    hw_rmse = np.sqrt(np.mean((hw.predict_at(y, origins, 24) - actual) ** 2))
    print(f"\nMSTL RMSE {rmse:.3f}, HW(m=24) RMSE {hw_rmse:.3f}, noise sd {NOISE_SD / np.sqrt(0.75):.3f}")
    assert rmse < 0.6 * hw_rmse


def test_forecast_is_ar_forecast_plus_profiles_by_hand():
    y = two_seasons(700)
    model = MSTLForecaster(lags=[1, 2], transform="log").fit(y.iloc[:600])
    t = np.arange(600, 612)
    season = lambda s: model.profiles_[0][s % 24] + model.profiles_[1][s % 168]  # noqa: E731
    z = np.log(y.to_numpy()[:600])
    d = z - season(np.arange(600))
    c, (p1, p2) = model.ar_.intercept_, model.ar_.coef_
    buf, expected = list(d[-2:]), []
    for step in t:
        nxt = c + p1 * buf[-1] + p2 * buf[-2]
        buf.append(nxt)
        expected.append(np.exp(nxt + season(step)))
    np.testing.assert_allclose(model.predict(12).to_numpy(), expected, rtol=1e-10)


def test_profiles_are_means_of_statsmodels_mstl_components():
    from statsmodels.tsa.seasonal import MSTL

    y = two_seasons(800)
    model = MSTLForecaster(seasonal_periods=[168, 24], profile_cycles=3, lags=1).fit(y)
    comp = MSTL(y.to_numpy(), periods=(24, 168), iterate=2).fit().seasonal
    for k, p in enumerate((24, 168)):
        loop = np.array([np.mean([comp[t, k] for t in range(800 - 3 * p, 800) if t % p == ph]) for ph in range(p)])
        np.testing.assert_allclose(model.profiles_[k], loop, rtol=1e-10)


def test_history_that_starts_later_keeps_the_phase():
    y = two_seasons(900)
    model = MSTLForecaster(lags=3).fit(y.iloc[:700])
    full = model.predict_at(y, [750, 800], 24)
    shifted = model.predict_at(y.iloc[37:], [750 - 37, 800 - 37], 24)
    np.testing.assert_allclose(shifted, full, rtol=1e-12)
    np.testing.assert_allclose(model.predict(24, y=y.iloc[100:800]).to_numpy(), full[1], rtol=1e-12)
    off_grid = y.iloc[100:800].copy()
    off_grid.index = off_grid.index + pd.Timedelta("30min")
    with pytest.raises(FrequencyError, match="same clock"):
        model.predict(3, y=off_grid)


def test_save_load_round_trip(tmp_path):
    y = two_seasons(800)
    model = MSTLForecaster(transform="log", lags="auto", max_lags=5).fit(y.iloc[:700])
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_at(y, [700, 760], 24), model.predict_at(y, [700, 760], 24))


def test_needs_periods_without_timestamps_and_enough_data():
    y = two_seasons(400)
    with pytest.raises(ParameterError, match="pass seasonal_periods"):
        MSTLForecaster(lags=1).fit(y.reset_index(drop=True))
    with pytest.raises(ParameterError):
        MSTLForecaster(seasonal_periods=[1, 24]).fit(y)
    from tsforecast.exceptions import NotEnoughDataError

    with pytest.raises(NotEnoughDataError, match="168"):
        MSTLForecaster(lags=1).fit(y.iloc[:300])  # 300 points < 2 weeks + 1


def test_short_daily_series_fits_with_fewer_remainder_lags():
    """Cortez daily has 34 training points: the remainder's AR tries orders up to (n - 2) // 3, not 24."""
    import tsforecast as tsf

    y = pd.Series(100 + 10 * np.sin(2 * np.pi * np.arange(40) / 7) + np.random.default_rng(1).normal(0, 1, 40),
                  index=pd.date_range("2005-06-07", periods=40, freq="D"))
    model = MSTLForecaster(transform="log").fit(y.iloc[:34])
    assert model.ar_.order_ <= (34 - 2) // 3
    result = tsf.backtest(MSTLForecaster(transform="log"), y, initial=34, horizon=3)
    assert result.n_origins == 4 and np.isfinite(result.metrics.loc["all", "mae"])
