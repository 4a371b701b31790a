"""difference=True: neural models forecast changes and sum them back, so trends leave the training range."""

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.testing import check_history_forecast, check_no_lookahead, check_save_load

FAST = dict(lags=8, horizon=4, epochs=30, patience=5, seed=0)


def _trend(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(5.0 * t + rng.normal(0, 1.0, n), index=pd.date_range("2024-01-01", periods=n, freq="h"))


def test_differenced_network_extrapolates_a_trend_that_levels_cannot():
    y = _trend()
    truth = 5.0 * np.arange(300, 304)  # the known process: slope 5 per step, noise sd 1
    diff = tsf.NARXForecaster(**FAST, hidden=(8,), strategy="mimo", difference=True).fit(y).predict().to_numpy()
    level = tsf.NARXForecaster(**FAST, hidden=(8,), strategy="mimo").fit(y).predict().to_numpy()
    print(f"\nforecast errors vs the true trend: difference {np.abs(diff - truth).max():.2f}, "
          f"levels {np.abs(level - truth).max():.2f}")
    assert np.abs(diff - truth).max() < 5.0  # within a few noise sd of the trend beyond the training range
    assert np.abs(level - truth).max() > np.abs(diff - truth).max()


def test_forecast_is_last_value_plus_summed_changes():
    y = _trend(120)
    m = tsf.GRUForecaster(**{**FAST, "epochs": 2}, units=4, difference=True).fit(y)
    assert m.context_length_ == FAST["lags"] + 1
    f = m.predict().to_numpy()
    Z = m.scalers_[0].transform(np.diff(y.to_numpy()[-(FAST["lags"] + 1):]))
    steps = m.networks_[0].predict(Z[None, :, None].astype("float32"), verbose=0)[0]
    by_hand = y.iloc[-1] + np.cumsum(m.scalers_[0].inverse_transform(steps))
    np.testing.assert_allclose(f, by_hand, rtol=1e-5)


@pytest.mark.parametrize("check", [check_history_forecast, check_no_lookahead, check_save_load],
                         ids=lambda c: c.__name__)
def test_contract_holds_with_difference(check):
    check(tsf.LSTMForecaster(**{**FAST, "epochs": 2}, units=4, difference=True))


def test_difference_rejects_log_scaler():
    with pytest.raises(tsf.exceptions.ParameterError, match="difference"):
        tsf.NARXForecaster(difference=True, scaler="log").fit(_trend(60))
