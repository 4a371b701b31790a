"""update(): appending observations to a fitted model (the conformance suite runs it on every model)."""

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.exceptions import ExogenousError, InvalidInputError, ParameterError
from tsforecast.testing import make_exog, make_series


def test_ar_update_forecasts_by_the_fitted_recursion():
    y = make_series(200)
    est = tsf.ARForecaster(lags=3).fit(y.iloc[:150])
    est.update(y.iloc[150:])
    # Independent truth: the fitted coefficients applied by hand to the updated history.
    c, phi = est.intercept_, est.coef_
    hist = list(y.to_numpy())
    for _ in range(5):
        hist.append(c + sum(phi[i] * hist[-1 - i] for i in range(3)))
    np.testing.assert_allclose(est.predict(5).to_numpy(), hist[-5:], rtol=1e-10)
    assert est.predict(5).index[0] == y.index[-1] + y.index.freq


def test_refit_true_equals_fitting_on_all_the_data():
    y = make_series(200)
    est = tsf.HoltWintersForecaster(seasonal_periods=24).fit(y.iloc[:150]).update(y.iloc[150:], refit=True)
    ref = tsf.HoltWintersForecaster(seasonal_periods=24).fit(y)
    np.testing.assert_allclose(est.predict(6).to_numpy(), ref.predict(6).to_numpy(), rtol=1e-8)


def test_one_point_at_a_time_equals_one_block():
    y = make_series(130)
    a = tsf.HoltWintersForecaster(seasonal_periods=24).fit(y.iloc[:96])
    b = tsf.HoltWintersForecaster(seasonal_periods=24).fit(y.iloc[:96]).update(y.iloc[96:])
    for t in range(96, 130):
        a.update(y.iloc[t : t + 1])
    np.testing.assert_allclose(a.predict(4).to_numpy(), b.predict(4).to_numpy(), rtol=1e-10)


def test_update_needs_x_new_when_fitted_with_x_and_uses_it():
    y = make_series(140)
    X = make_exog(y.index.append(pd.date_range(y.index[-1] + y.index.freq, periods=4, freq="h")))
    est = tsf.ARForecaster(lags=2).fit(y.iloc[:100], X.iloc[:100])
    with pytest.raises(ExogenousError, match="X_new"):
        est.update(y.iloc[100:])
    est.update(y.iloc[100:], X.iloc[100:140])
    ref = tsf.ARForecaster(lags=2).fit(y.iloc[:100], X.iloc[:100]).predict(4, y=y, X=X)
    np.testing.assert_allclose(est.predict(4, X=X.iloc[140:]).to_numpy(), ref.to_numpy(), rtol=1e-10)


def test_statistical_models_refuse_fine_tuning_options():
    est = tsf.ARForecaster(lags=2).fit(make_series(100))
    with pytest.raises(ParameterError, match="epochs"):
        est.update(make_series(110).iloc[100:], epochs=3)
    assert len(est.y_) == 100, "a refused option must leave the history as it was"


def test_missing_values_in_the_update_follow_the_policy():
    y = make_series(110)
    new = y.iloc[100:].copy()
    new.iloc[3] = np.nan
    est = tsf.NaiveForecaster().fit(y.iloc[:100])
    with pytest.raises(InvalidInputError, match="missing"):
        est.update(new)
    est.update(new, missing="ffill")
    assert est.y_.iloc[103] == y.iloc[102]


def test_global_update_appends_to_each_series():
    pytest.importorskip("keras")
    ys = {k: make_series(120, seed=i, level=10 * (i + 1)) for i, k in enumerate("ab")}
    est = tsf.GRUForecaster(lags=8, horizon=2, epochs=2, batch_size=32, units=4, seed=0)
    est.fit({k: s.iloc[:100] for k, s in ys.items()})
    est.update({"a": ys["a"].iloc[100:], "b": ys["b"].iloc[100:110]})
    got = est.predict(2).set_index("id")
    ref = est.predict(2, y={"a": ys["a"], "b": ys["b"].iloc[:110]}).set_index("id")
    np.testing.assert_allclose(got["forecast"].to_numpy(), ref["forecast"].to_numpy(), rtol=1e-6)
    assert got.loc["b", "timestamp"].iloc[0] == ys["b"].index[110]
    with pytest.raises(InvalidInputError, match="were not in the fit"):
        est.update({"c": ys["a"].iloc[100:]})


def test_a_wrong_x_new_array_or_a_failed_refit_leaves_the_model_as_it_was():
    y = make_series(140)
    X = make_exog(y.index)
    est = tsf.ARForecaster(lags=2).fit(y.iloc[:100], X.iloc[:100])
    with pytest.raises(ExogenousError, match=r"shape \(40, 1\), got \(41, 1\)"):
        est.update(y.iloc[100:], np.ones((41, 1)))
    assert len(est.y_) == 100 and len(est.X_) == 100
    hw = tsf.HoltWintersForecaster(seasonal_periods=24, seasonal="mul", error="mul").fit(y.iloc[:100])
    bad = y.iloc[100:].copy()
    bad.iloc[-1] = -1.0  # multiplicative models refit on it fail
    with pytest.raises(InvalidInputError):
        hw.update(bad, refit=True)
    assert len(hw.y_) == 100, "a failed refit must leave the history as it was"
