"""AR, ARIMA and Holt-Winters baselines against independent truth.

Truth here is: simulated processes with known coefficients, statsmodels called
directly with the same settings, hand-written recursions, and brute-force loops
of one forecast per origin.
"""

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from tsforecast.base import BaseForecaster
from tsforecast.exceptions import InvalidInputError, NotEnoughDataError, ParameterError
from tsforecast.models.ar_model import ARForecaster, FitWarning
from tsforecast.models.arima_model import ARIMAForecaster
from tsforecast.models.holt_winters_model import HoltWintersForecaster

PHI = (0.6, -0.3)
CONST = 1.0


def simulate_ar2(seed, n=2000, phi=PHI, c=CONST, burn=200):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + burn)
    y = np.zeros(n + burn)
    for t in range(2, n + burn):
        y[t] = c + phi[0] * y[t - 1] + phi[1] * y[t - 2] + e[t]
    return pd.Series(y[burn:], index=pd.date_range("2024-01-01", periods=n, freq="h"))


def seasonal_series(n=240, m=12, seed=0, level=50.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level + 0.05 * t + 5 * np.sin(2 * np.pi * t / m) + rng.normal(0, 1.0, n)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def exog_frame(index, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x1": rng.normal(size=len(index)), "x2": rng.normal(size=len(index))}, index=index)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# -- AR --------------------------------------------------------------------------------------------------------------


def test_ar_recovers_ar2_coefficients_and_order():
    """Coefficients within 0.05 of the truth (about 2.3 standard errors at n=2000) for every seed.

    BIC is consistent and must pick p=2 for every seed. AIC is not consistent: it never underfits
    a strong AR(2) but overfits with positive probability (here p=2 for seeds 0, 1, 4 and p=3..5 for
    seeds 2, 3, 5), so it must pick p >= 2 always, p = 2 for at least half the seeds, and the first
    two coefficients it fits must still be close to the truth.
    """
    aic_orders, bic_orders = [], []
    for seed in range(6):
        y = simulate_ar2(seed)
        aic = ARForecaster(lags="auto", max_lags=10, ic="aic").fit(y)
        bic = ARForecaster(lags="auto", max_lags=10, ic="bic").fit(y)
        fixed = ARForecaster(lags=2).fit(y)
        aic_orders.append(aic.order_)
        bic_orders.append(bic.order_)
        np.testing.assert_allclose(fixed.coef_, PHI, atol=0.05)
        np.testing.assert_allclose(bic.coef_, PHI, atol=0.05)
        np.testing.assert_allclose(aic.coef_[:2], PHI, atol=0.08)
        assert abs(fixed.intercept_ - CONST) < 0.1
    print(f"\nAR(2) order picked over 6 seeds: AIC {aic_orders}, BIC {bic_orders}")
    assert bic_orders == [2] * 6
    assert min(aic_orders) >= 2 and sum(o == 2 for o in aic_orders) >= 3


def test_ar_order_selection_uses_training_data_only():
    """Selection and coefficients depend only on the series given to fit, not on later data."""
    y = simulate_ar2(11, n=600)
    a = ARForecaster(lags="auto", max_lags=8).fit(y.iloc[:400])
    b = ARForecaster(lags="auto", max_lags=8).fit(y.iloc[:400].copy())
    y2 = y.copy()
    y2.iloc[400:] = 1e6  # anything after the training end must not matter
    a2 = ARForecaster(lags="auto", max_lags=8).fit(y2.iloc[:400])
    assert a.order_ == b.order_ == a2.order_
    np.testing.assert_array_equal(a.coef_, a2.coef_)


def test_ar_forecasts_equal_analytic_conditional_expectation():
    """Known AR(2): forecasts equal c-bar + e1' F^h (state - mean) from the companion matrix (no recursion)."""
    y = simulate_ar2(5, n=500)
    model = ARForecaster(lags=2).fit(y)
    model.coef_, model.intercept_ = np.array(PHI), CONST  # the known process
    H = 12
    pred = model.predict(H).to_numpy()
    F = np.array([[PHI[0], PHI[1]], [1.0, 0.0]])
    mu = CONST / (1 - sum(PHI))
    state = np.array([y.iloc[-1], y.iloc[-2]]) - mu
    analytic = np.array([mu + (np.linalg.matrix_power(F, h) @ state)[0] for h in range(1, H + 1)])
    np.testing.assert_allclose(pred, analytic, rtol=1e-12, atol=1e-12)
    # ... and with the fitted coefficients, statsmodels' own AutoReg forecast
    fitted = ARForecaster(lags=2).fit(y)
    np.testing.assert_allclose(fitted.predict(H).to_numpy(), fitted.results_.forecast(H), rtol=1e-10)


def test_ar_predict_with_new_history_matches_hand_recursion():
    y = simulate_ar2(2, n=400)
    model = ARForecaster(lags="auto", max_lags=6).fit(y.iloc[:300])
    hist = y.iloc[:350]
    p, c, phi = model.order_, model.intercept_, model.coef_
    buf = list(hist.to_numpy()[-p:])
    expected = []
    for _ in range(5):
        nxt = c + sum(phi[i] * buf[-1 - i] for i in range(p))
        expected.append(nxt)
        buf.append(nxt)
    np.testing.assert_allclose(model.predict(5, y=hist).to_numpy(), expected, rtol=1e-12)


def test_arx_matches_statsmodels_autoreg_with_lagged_exog_and_brute_force():
    from statsmodels.tsa.ar_model import AutoReg

    n = 300
    X = exog_frame(pd.date_range("2024-01-01", periods=n, freq="h"))
    x, e = X.to_numpy(), np.random.default_rng(4).normal(size=n)
    v = np.zeros(n)
    for t in range(2, n):  # an ARX(2; 2) process with known coefficients
        v[t] = CONST + PHI[0] * v[t - 1] + PHI[1] * v[t - 2] + 0.8 * x[t - 1, 0] - 0.5 * x[t - 2, 1] + e[t]
    y = pd.Series(v, index=X.index)
    model = ARForecaster(lags=2, exog_lags=2).fit(y.iloc[:250], X.iloc[:250])
    # statsmodels directly, on the same lagged design (x_{t-1}, x_{t-2}); first 2 rows held back
    E = np.column_stack([X.shift(1).to_numpy(), X.shift(2).to_numpy()])[:250]
    E = np.nan_to_num(E)
    direct = AutoReg(y.iloc[:250].to_numpy(), 2, trend="c", exog=E, hold_back=2).fit()
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_, model.exog_coef_.ravel()], direct.params, rtol=1e-10)
    np.testing.assert_allclose(model.exog_coef_, [[0.8, 0.0], [0.0, -0.5]], atol=0.15)
    # one step ahead uses past X only: no future rows needed; h steps need h-1 future rows
    assert model._future_exog_steps(1) == 0 and model._future_exog_steps(4) == 3
    origins = np.arange(250, 296)
    H = 4
    batched = model.predict_at(y, origins, H, X=X)
    loop = np.vstack([model.predict(H, y=y.iloc[:o], X=X.iloc[: o + H - 1]).to_numpy() for o in origins])
    np.testing.assert_allclose(batched, loop, rtol=1e-12)
    # hand recursion for one origin
    o = 270
    yy, xx = list(y.iloc[:o]), X.to_numpy()
    expected = []
    for j in range(H):
        t = o + j
        val = model.intercept_ + model.coef_ @ np.array([yy[t - 1], yy[t - 2]])
        val += model.exog_coef_[0] @ xx[t - 1] + model.exog_coef_[1] @ xx[t - 2]
        yy.append(val)
        expected.append(val)
    np.testing.assert_allclose(batched[origins == o][0], expected, rtol=1e-12)


def test_ar_predict_at_equals_brute_force_loop():
    y = simulate_ar2(7, n=400)
    model = ARForecaster(lags="auto", max_lags=8).fit(y.iloc[:200])
    origins = np.arange(20, 395, 7)
    batched = model.predict_at(y, origins, 5)
    loop = np.vstack([model.predict(5, y=y.iloc[:o]).to_numpy() for o in origins])
    np.testing.assert_allclose(batched, loop, rtol=1e-12)


def test_ar_save_load_with_exog(tmp_path):
    from tsforecast import load_model

    y = simulate_ar2(8, n=200)
    X = exog_frame(y.index)
    model = ARForecaster(lags=3, exog_lags=1, known_future=True).fit(y.iloc[:190], X.iloc[:190])
    model.save(tmp_path / "ar")
    loaded = load_model(tmp_path / "ar")
    np.testing.assert_array_equal(loaded.predict(5, X=X).to_numpy(), model.predict(5, X=X).to_numpy())
    assert model._future_exog_steps(5) == 5


# -- ARIMA -------------------------------------------------------------------------------------------------------------

ARIMA_CASES = [
    dict(order=(2, 0, 1), trend="c"),
    dict(order=(1, 1, 1), trend="c"),
    dict(order=(1, 0, 0), seasonal_order=(1, 1, 0, 12)),
]


def arima_data(kw, n=240):
    if kw.get("seasonal_order"):
        return seasonal_series(n)
    y = simulate_ar2(21, n=n)
    return y.cumsum() if kw["order"][1] else y


def _sarimax(y, X=None, **kw):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return SARIMAX(y, exog=X, **kw)


@pytest.mark.parametrize("kw", ARIMA_CASES, ids=str)
def test_arima_equals_statsmodels(kw):
    y = arima_data(kw)
    train = y.iloc[:200]
    model = _quiet(ARIMAForecaster(**kw).fit, train)
    direct = _quiet(_sarimax(train.to_numpy(), **kw).fit, disp=False)
    np.testing.assert_allclose(model.params_, direct.params, rtol=1e-10)
    np.testing.assert_allclose(model.predict(8).to_numpy(), direct.forecast(8), rtol=1e-8)
    # from a longer history, statsmodels filters with the fixed parameters (no refit)
    longer = y.iloc[:230]
    applied = direct.apply(longer.to_numpy(), refit=False)
    np.testing.assert_allclose(model.predict(8, y=longer).to_numpy(), applied.forecast(8), rtol=1e-8)
    # many origins: one filter pass vs statsmodels filtering each history separately
    origins = np.arange(150, 233, 9)
    batched = model.predict_at(y, origins, 6)
    loop = np.vstack([_sarimax(y.to_numpy()[:o], **kw).filter(direct.params).forecast(6) for o in origins])
    np.testing.assert_allclose(batched, loop, rtol=1e-8)
    loop_ours = np.vstack([model.predict(6, y=y.iloc[:o]).to_numpy() for o in origins])
    np.testing.assert_allclose(batched, loop_ours, rtol=1e-8)


def test_arima_with_exog_equals_statsmodels():
    y = seasonal_series(220)
    X = exog_frame(y.index)
    y = y + 2.0 * X["x1"] - 1.0 * X["x2"]
    kw = dict(order=(1, 1, 1), trend="c")
    model = _quiet(ARIMAForecaster(**kw).fit, y.iloc[:180], X.iloc[:180])
    direct = _quiet(_sarimax(y.to_numpy()[:180], X.to_numpy()[:180], **kw).fit, disp=False)
    np.testing.assert_allclose(model.predict(5, X=X).to_numpy(), direct.forecast(5, exog=X.to_numpy()[180:185]), rtol=1e-8)
    assert model._future_exog_steps(5) == 5  # regression on the current x_t: X must be known ahead
    origins = np.arange(120, 216, 5)
    batched = model.predict_at(y, origins, 4, X=X)
    loop = np.vstack([
        _sarimax(y.to_numpy()[:o], X.to_numpy()[:o], **kw).filter(direct.params).forecast(4, exog=X.to_numpy()[o : o + 4])
        for o in origins
    ])
    np.testing.assert_allclose(batched, loop, rtol=1e-8)


def test_arima_batched_origins_equal_one_filter_per_origin():
    """The one-pass ``_predict_origins`` equals the base class's per-origin loop; the speed-up is printed, not asserted."""
    y = seasonal_series(600)
    model = _quiet(ARIMAForecaster(order=(2, 1, 1), trend="c").fit, y.iloc[:300])
    origins = np.arange(300, 590)
    t0 = time.perf_counter()
    fast = model.predict_at(y, origins, 6)
    t_fast = time.perf_counter() - t0
    sub = origins[::29]
    t0 = time.perf_counter()
    slow = BaseForecaster._predict_origins(model, y.to_numpy(), None, sub, 0, 6)
    t_slow = (time.perf_counter() - t0) / len(sub) * len(origins)
    np.testing.assert_allclose(fast[::29], slow, rtol=1e-8)
    print(f"\nARIMA(2,1,1) {len(origins)} origins: one pass {len(origins) / t_fast:.0f} origins/s, "
          f"per-origin filter {len(origins) / t_slow:.0f} origins/s ({t_slow / t_fast:.0f}x)")


# -- Holt-Winters --------------------------------------------------------------------------------------------------------

HW_CASES = [
    dict(seasonal_periods=12, trend="add", seasonal="add"),
    dict(seasonal_periods=12, trend="add", seasonal="mul", damped_trend=True),
    dict(trend="add", seasonal=None),
    dict(trend=None, seasonal=None),
]


def _ets(y, kw):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(y, error=kw.get("error", "add"), trend=kw.get("trend", "add"),
                    damped_trend=kw.get("damped_trend", False), seasonal=kw.get("seasonal", "add"),
                    seasonal_periods=kw.get("seasonal_periods"), initialization_method="estimated")


@pytest.mark.parametrize("kw", HW_CASES, ids=str)
def test_holt_winters_equals_statsmodels(kw):
    y = seasonal_series(240)
    train = y.iloc[:200]
    model = _quiet(HoltWintersForecaster(initialization_method="estimated", **kw).fit, train)
    assert model.initialization_method_ == "estimated"
    scale = np.mean(np.abs(train.to_numpy()))  # the model fits y / mean|y|: statsmodels' optimizer is scale-sensitive
    direct = _quiet(_ets(train.to_numpy() / scale, kw).fit, disp=False, maxiter=1000)
    np.testing.assert_allclose(model.predict(15).to_numpy(), scale * direct.forecast(15), rtol=1e-8)
    longer = y.iloc[:229]
    refiltered = _ets(longer.to_numpy(), kw).smooth(model.params_)
    np.testing.assert_allclose(model.predict(15, y=longer).to_numpy(), refiltered.forecast(15), rtol=1e-8)
    origins = np.arange(30, 226, 7)
    batched = model.predict_at(y, origins, 15)
    loop = np.vstack([_ets(y.to_numpy()[:o], kw).smooth(model.params_).forecast(15) for o in origins])
    np.testing.assert_allclose(batched, loop, rtol=1e-8)
    loop_ours = np.vstack([model.predict(15, y=y.iloc[:o]).to_numpy() for o in origins])
    np.testing.assert_allclose(batched, loop_ours, rtol=1e-8)


def test_holt_winters_batched_origins_equal_one_pass_per_origin():
    """The one-pass ``_predict_origins`` equals the per-origin loop; the speed-up is printed, not asserted."""
    y = seasonal_series(1000, m=24)
    model = _quiet(HoltWintersForecaster(seasonal_periods=24, maxiter=100).fit, y.iloc[:300])
    origins = np.arange(300, 976)
    t0 = time.perf_counter()
    fast = model.predict_at(y, origins, 24)
    t_fast = time.perf_counter() - t0
    sub = origins[::52]
    t0 = time.perf_counter()
    slow = BaseForecaster._predict_origins(model, y.to_numpy(), None, sub, 0, 24)
    t_slow = (time.perf_counter() - t0) / len(sub) * len(origins)
    np.testing.assert_allclose(fast[::52], slow, rtol=1e-8)
    print(f"\nHolt-Winters m=24 {len(origins)} origins: one pass {len(origins) / t_fast:.0f} origins/s, "
          f"per-origin smoothing {len(origins) / t_slow:.0f} origins/s ({t_slow / t_fast:.0f}x)")


# -- errors and warnings ---------------------------------------------------------------------------------------------


def test_bad_parameters_raise_parameter_error():
    y = seasonal_series(100)
    for est in [ARForecaster(lags="many"), ARForecaster(ic="hqic"), ARForecaster(trend="ct"),
                ARIMAForecaster(order=(1, 0)), ARIMAForecaster(seasonal_order=(1, 0, 0, 1)), ARIMAForecaster(trend="t"),
                HoltWintersForecaster(trend="mul"), HoltWintersForecaster(trend=None, damped_trend=True, seasonal=None),
                ARForecaster(lags=[1, 1]), ARForecaster(lags=[0, 2]), ARForecaster(lags=[]), ARForecaster(lags=[1.5]),
                ARForecaster(transform="sqrt"), ARIMAForecaster(transform="exp"), HoltWintersForecaster(transform=1)]:
        with pytest.raises(ParameterError):
            est.fit(y)
    positions = y.reset_index(drop=True)  # no frequency: the season length must be given
    for est in [HoltWintersForecaster(seasonal="add", seasonal_periods=None),
                ARIMAForecaster(seasonal_order=(0, 1, 1, None))]:
        with pytest.raises(ParameterError, match="pass"):
            est.fit(positions)


def test_statsmodels_failures_become_tsforecast_errors():
    y = seasonal_series(100) - 100  # negative values
    with pytest.raises(InvalidInputError, match="strictly positive"):
        HoltWintersForecaster(seasonal_periods=12, seasonal="mul").fit(y)
    with pytest.raises(NotEnoughDataError):
        ARForecaster(lags=3, exog_lags=5).fit(y.iloc[:12], exog_frame(y.index[:12]))


def test_non_convergence_is_one_tsforecast_warning():
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    y = pd.Series(5.0, index=pd.RangeIndex(60))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = ARIMAForecaster(order=(1, 0, 0), trend="c").fit(y).predict(3)
    kinds = [w.category for w in caught]
    assert FitWarning in kinds and ConvergenceWarning not in kinds
    np.testing.assert_allclose(pred.to_numpy(), 5.0, atol=1e-4)  # the optimizer stopped early, as warned
