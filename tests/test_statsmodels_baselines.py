"""Classical baselines done right (issue 12): the shared statsmodels guard, transform="log",
explicit AR lag sets, Holt-Winters initialization with a convergence check, and season lengths
from the index frequency. Truth: statsmodels called directly, hand-computed values, round trips."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast import load_model
from tsforecast.exceptions import InvalidInputError, NotEnoughDataError, ParameterError
from tsforecast.models.ar_model import ARForecaster
from tsforecast.models.arima_model import ARIMAForecaster
from tsforecast.models.holt_winters_model import HoltWintersForecaster
from tsforecast.models.naive_model import SeasonalNaiveForecaster
from tsforecast.seasonality import seasonal_periods_for
from tsforecast.statsmodels_guard import ConvergenceError, FitWarning, statsmodels_guard


def positive_seasonal(n=400, m=24, seed=0, freq="h"):
    """Multiplicative daily pattern with AR(1) log-noise: strictly positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 0.05)
    values = 100 * (1 + 0.4 * np.sin(2 * np.pi * t / m)) * np.exp(e)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq=freq))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# -- the statsmodels guard ---------------------------------------------------------------------------------------------


def test_guard_converts_errors_raised_inside_statsmodels():
    from statsmodels.tsa.ar_model import AutoReg

    with pytest.raises(InvalidInputError, match="failed inside statsmodels"):
        with statsmodels_guard("test"):
            AutoReg(np.arange(5.0), lags=10).fit()  # statsmodels' own ValueError: too few observations


@pytest.mark.parametrize("exc", [IndexError("our bug"), ValueError("our bug")])
def test_guard_lets_our_own_errors_through_unchanged(exc):
    with pytest.raises(type(exc), match="our bug") as info:
        with statsmodels_guard("test"):
            raise exc
    assert not isinstance(info.value, InvalidInputError)


def test_guard_lets_our_own_numpy_indexing_errors_through():
    with pytest.raises(IndexError) as info:
        with statsmodels_guard("test"):
            np.zeros(3)[np.array([5])]  # numpy raises, but for tsforecast's code: still our bug
    assert not isinstance(info.value, InvalidInputError)


def test_fit_warning_still_importable_from_ar_model():
    from tsforecast.models.ar_model import FitWarning as Old

    assert Old is FitWarning


# -- transform="log" ----------------------------------------------------------------------------------------------------


def test_ar_log_equals_autoreg_on_log_values():
    from statsmodels.tsa.ar_model import AutoReg

    y = positive_seasonal()
    train = y.iloc[:300]
    model = ARForecaster(lags=3, transform="log").fit(train)
    direct = AutoReg(np.log(train.to_numpy()), 3, trend="c").fit()
    np.testing.assert_allclose(model.predict(10).to_numpy(), np.exp(direct.forecast(10)), rtol=1e-10)
    # a new history and batched origins go through the same transform
    later = AutoReg(np.log(y.to_numpy()[:350]), 3, trend="c")
    np.testing.assert_allclose(model.predict(10, y=y.iloc[:350]).to_numpy(),
                               np.exp(later.predict(direct.params, start=350, end=359)), rtol=1e-10)
    origins = np.array([300, 333, 350])
    loop = np.vstack([model.predict(10, y=y.iloc[:o]).to_numpy() for o in origins])
    np.testing.assert_allclose(model.predict_at(y, origins, 10), loop, rtol=1e-12)


def test_arima_log_equals_sarimax_on_log_values():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = positive_seasonal(200)
    train = y.iloc[:150]
    model = _quiet(ARIMAForecaster(order=(1, 0, 0), trend="c", transform="log").fit, train)
    direct = _quiet(SARIMAX(np.log(train.to_numpy()), order=(1, 0, 0), trend="c").fit, disp=False, maxiter=50)
    np.testing.assert_allclose(model.params_, direct.params, rtol=1e-6)
    np.testing.assert_allclose(model.predict(6).to_numpy(), np.exp(direct.forecast(6)), rtol=1e-8)
    res = SARIMAX(np.log(y.to_numpy()[:170]), order=(1, 0, 0), trend="c").filter(model.params_)
    np.testing.assert_allclose(model.predict_at(y, [170], 6)[0], np.exp(res.forecast(6)), rtol=1e-8)


def test_holt_winters_log_equals_ets_on_log_values():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = positive_seasonal(300)
    train = y.iloc[:240]
    model = _quiet(HoltWintersForecaster(seasonal_periods=24, initialization_method="heuristic",
                                         transform="log").fit, train)
    z = np.log(train.to_numpy())
    scale = np.mean(np.abs(z))
    direct = _quiet(ETSModel(z / scale, error="add", trend="add", seasonal="add", seasonal_periods=24,
                             initialization_method="heuristic").fit, disp=False, maxiter=1000)
    np.testing.assert_allclose(model.predict(30).to_numpy(), np.exp(scale * direct.forecast(30)), rtol=1e-8)
    smoothed = ETSModel(np.log(y.to_numpy()[:270]), error="add", trend="add", seasonal="add", seasonal_periods=24,
                        initialization_method="estimated").smooth(model.params_)
    np.testing.assert_allclose(model.predict_at(y, [270], 12)[0], np.exp(smoothed.forecast(12)), rtol=1e-8)


@pytest.mark.parametrize("est", [ARForecaster(lags=2, transform="log"),
                                 ARIMAForecaster(transform="log"),
                                 HoltWintersForecaster(seasonal_periods=24, transform="log")], ids=lambda e: type(e).__name__)
def test_log_transform_needs_positive_values(est):
    y = positive_seasonal(200)
    with pytest.raises(InvalidInputError, match="strictly positive"):
        _quiet(est.fit, y - 100.0)
    fitted = _quiet(est.fit, y)
    bad = y.copy()
    bad.iloc[-1] = 0.0
    with pytest.raises(InvalidInputError, match="strictly positive"):
        fitted.predict(3, y=bad)


# -- AR lag sets --------------------------------------------------------------------------------------------------------


def test_ar_lag_set_equals_autoreg_and_round_trips(tmp_path):
    from statsmodels.tsa.ar_model import AutoReg

    y = positive_seasonal(700)
    train = y.iloc[:500]
    lags = [1, 2, 24, 25]
    model = ARForecaster(lags=[25, 1, 24, 2]).fit(train)  # order given does not matter
    direct = AutoReg(train.to_numpy(), lags=lags, trend="c").fit()
    assert model.lags_ == lags and model.order_ == 25 and model.context_length_ == 25
    np.testing.assert_allclose(model.coef_[np.array(lags) - 1], direct.params[1:], rtol=1e-10)
    assert np.count_nonzero(model.coef_) == 4
    np.testing.assert_allclose(model.predict(30).to_numpy(), direct.forecast(30), rtol=1e-10)
    origins = np.arange(500, 660, 13)
    full = AutoReg(y.to_numpy(), lags=lags, trend="c")
    truth = np.vstack([full.predict(direct.params, start=o, end=o + 23, dynamic=True) for o in origins])
    np.testing.assert_allclose(model.predict_at(y, origins, 24), truth, rtol=1e-10)
    model.save(tmp_path / "ar")
    loaded = load_model(tmp_path / "ar")
    assert loaded.lags_ == lags
    np.testing.assert_array_equal(loaded.predict_at(y, origins, 24), model.predict_at(y, origins, 24))


@settings(max_examples=15, deadline=None)
@given(lags=st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True), seed=st.integers(0, 1000))
def test_ar_lag_sets_match_autoreg_forecasts(lags, seed):
    from statsmodels.tsa.ar_model import AutoReg

    y = positive_seasonal(200, m=12, seed=seed)
    model = ARForecaster(lags=lags, transform="log").fit(y)
    direct = AutoReg(np.log(y.to_numpy()), lags=sorted(lags), trend="c").fit()
    np.testing.assert_allclose(model.predict(8).to_numpy(), np.exp(direct.forecast(8)), rtol=1e-9)


def test_ar_lag_set_too_long_for_the_data():
    with pytest.raises(NotEnoughDataError):
        ARForecaster(lags=[1, 168]).fit(positive_seasonal(100))


# -- Holt-Winters initialization ---------------------------------------------------------------------------------------


def test_auto_initialization_uses_the_heuristic_and_records_it():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = positive_seasonal(300)
    model = HoltWintersForecaster(seasonal_periods=24).fit(y)
    assert model.initialization_method == "auto" and model.initialization_method_ == "heuristic"
    scale = np.mean(np.abs(y.to_numpy()))
    direct = ETSModel(y.to_numpy() / scale, error="add", trend="add", seasonal="add", seasonal_periods=24,
                      initialization_method="heuristic").fit(disp=False, maxiter=1000)
    assert direct.mle_retvals["converged"]
    np.testing.assert_allclose(model.predict(24).to_numpy(), scale * direct.forecast(24), rtol=1e-8)


def _fake_non_convergence(monkeypatch, failing):
    """Make statsmodels report non-convergence for fits with initialization in ``failing``."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    real_fit = ETSModel.fit

    def fit(self, *args, **kwargs):
        res = real_fit(self, *args, **kwargs)
        if self.initialization_method in failing:
            res.mle_retvals = {**res.mle_retvals, "converged": False}
        return res

    monkeypatch.setattr(ETSModel, "fit", fit)


def test_estimated_that_does_not_converge_falls_back_to_heuristic(monkeypatch):
    y = positive_seasonal(120, m=12)
    _fake_non_convergence(monkeypatch, {"estimated"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)  # the kept fit converged: nothing to warn about
        model = HoltWintersForecaster(seasonal_periods=12, initialization_method="estimated").fit(y)
    assert model.initialization_method_ == "heuristic"
    same = HoltWintersForecaster(seasonal_periods=12, initialization_method="heuristic").fit(y)
    np.testing.assert_allclose(model.predict(12).to_numpy(), same.predict(12).to_numpy(), rtol=1e-12)


def test_auto_falls_back_to_estimated_and_never_keeps_a_non_converged_fit(monkeypatch):
    y = positive_seasonal(120, m=12)
    _fake_non_convergence(monkeypatch, {"heuristic"})
    model = _quiet(HoltWintersForecaster(seasonal_periods=12).fit, y)
    assert model.initialization_method_ == "estimated"
    _fake_non_convergence(monkeypatch, {"heuristic", "estimated"})
    with pytest.raises(ConvergenceError, match="initialization_method"):
        HoltWintersForecaster(seasonal_periods=12).fit(y)


def test_real_non_convergence_raises_a_named_error():
    y = positive_seasonal(120, m=12)
    with pytest.raises(ConvergenceError, match="maxiter"):
        _quiet(HoltWintersForecaster(seasonal_periods=12, maxiter=1).fit, y)


# -- seasonal periods from the frequency ---------------------------------------------------------------------------------


@pytest.mark.parametrize("freq, periods", [("5min", (288, 2016)), ("15min", (96, 672)), ("h", (24, 168)), ("D", (7,)),
                                           ("B", (5,)), ("W", (52,)), ("MS", (12,)), ("ME", (12,)), ("QE", (4,)),
                                           (None, ()), ("YE", ())])
def test_seasonal_periods_for(freq, periods):
    assert seasonal_periods_for(freq) == periods


def test_seasonal_periods_for_fixed_steps_divide_the_day_and_week():
    for minutes in (1, 2, 3, 5, 10, 20, 30, 60, 120, 180, 360, 720, 1440):
        day, week = 1440 // minutes, 7 * 1440 // minutes
        expected = tuple(p for p in (day, week) if p > 1)
        assert seasonal_periods_for(f"{minutes}min") == expected


def test_seasonal_naive_takes_m_from_the_frequency():
    y = positive_seasonal(100)
    model = SeasonalNaiveForecaster().fit(y)
    assert model.m is None and model.m_ == 24
    np.testing.assert_array_equal(model.predict(30).to_numpy(), y.to_numpy()[-24:][np.arange(30) % 24])
    daily = pd.Series(np.arange(30.0), index=pd.date_range("2024-01-01", periods=30, freq="D"))
    assert SeasonalNaiveForecaster().fit(daily).m_ == 7
    with pytest.raises(ParameterError, match="pass m"):
        SeasonalNaiveForecaster().fit(y.reset_index(drop=True))
    with pytest.raises(NotEnoughDataError):
        SeasonalNaiveForecaster().fit(y.iloc[:20])


def test_holt_winters_and_arima_take_the_season_from_the_frequency():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = positive_seasonal(200)
    hw = HoltWintersForecaster().fit(y)
    assert hw.seasonal_periods is None and hw.seasonal_periods_ == 24
    explicit = HoltWintersForecaster(seasonal_periods=24).fit(y)
    np.testing.assert_array_equal(hw.predict(24).to_numpy(), explicit.predict(24).to_numpy())
    ar = _quiet(ARIMAForecaster(order=(1, 0, 0), seasonal_order=(0, 1, 1, None)).fit, y)
    assert ar.seasonal_order_ == (0, 1, 1, 24)
    direct = _quiet(SARIMAX(y.to_numpy(), order=(1, 0, 0), seasonal_order=(0, 1, 1, 24)).fit, disp=False, maxiter=50)
    np.testing.assert_allclose(ar.predict(24).to_numpy(), direct.forecast(24), rtol=1e-6)


def test_ar_log1p_equals_autoreg_on_log1p_values_and_takes_zeros():
    from statsmodels.tsa.ar_model import AutoReg

    y = positive_seasonal()
    train = y.iloc[:300] - y.iloc[:300].min()  # counts that touch zero
    assert (train == 0).any()
    model = ARForecaster(lags=3, transform="log1p").fit(train)
    direct = AutoReg(np.log1p(train.to_numpy()), 3, trend="c").fit()
    np.testing.assert_allclose(model.predict(10).to_numpy(), np.expm1(direct.forecast(10)), rtol=1e-10)
    with pytest.raises(InvalidInputError, match="transform='log' needs strictly positive.*log1p"):
        ARForecaster(lags=3, transform="log").fit(train)
    bad = train.copy()
    bad.iloc[-1] = -1.0
    with pytest.raises(InvalidInputError, match="values >= 0"):
        model.predict(3, y=bad)


# -- ARIMA with the differencing done before the model (simple_differencing) ------------------
def _integrate_by_loop(history, w_forecasts, d, D, s):
    """Undo (1-B)^d (1-B^s)^D one forecast at a time: brute force on the differencing operators."""
    y = list(history)
    for w in w_forecasts:
        # the next differenced value is w; solve the difference equation for the next y
        trial = 0.0
        series = np.array(y + [trial])
        for _ in range(d):
            series = series[1:] - series[:-1]
        for _ in range(D):
            series = series[s:] - series[:-s]
        y.append(w - series[-1])  # the last differenced value is linear in the new y with coefficient 1
    return np.array(y[len(history):])


@pytest.mark.parametrize("order, seasonal_order, trend", [((2, 0, 1), (0, 1, 0, 24), None),
                                                          ((1, 1, 1), (0, 1, 0, 24), None),
                                                          ((1, 1, 0), (0, 0, 0, 0), "c"),
                                                          ((1, 0, 0), (1, 1, 0, 12), None)])
def test_simple_differencing_forecasts_are_statsmodels_differences_integrated(order, seasonal_order, trend):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = np.log(positive_seasonal(300).to_numpy()) + 0.002 * np.arange(300)
    model = _quiet(ARIMAForecaster(order=order, seasonal_order=seasonal_order, trend=trend,
                                   simple_differencing=True).fit, y[:240])
    direct = _quiet(SARIMAX(y[:240], order=order, seasonal_order=seasonal_order, trend=trend,
                            simple_differencing=True).fit, disp=False, maxiter=50)
    np.testing.assert_allclose(model.params_, direct.params, rtol=1e-6)
    d, D, s = order[1], seasonal_order[1], seasonal_order[3]
    np.testing.assert_allclose(model.predict(30).to_numpy(),
                               _integrate_by_loop(y[:240], direct.forecast(30), d, D, s), rtol=1e-9)
    # from later origins, with the fitted parameters (no refit): statsmodels filtering the longer history
    for o in (250, 271):
        res = SARIMAX(y[:o], order=order, seasonal_order=seasonal_order, trend=trend,
                      simple_differencing=True).filter(model.params_)
        np.testing.assert_allclose(model.predict_at(y, [o], 30)[0],
                                   _integrate_by_loop(y[:o], res.forecast(30), d, D, s), rtol=1e-9)


def test_simple_differencing_with_exogenous_inputs_equals_statsmodels():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = np.log(positive_seasonal(260).to_numpy())
    X = np.column_stack([np.sin(np.arange(260) / 5.0), (np.arange(260) % 7 == 0).astype(float)])
    y = y + X @ [0.3, -0.2]
    kw = dict(order=(1, 0, 0), seasonal_order=(0, 1, 0, 24))
    model = _quiet(ARIMAForecaster(simple_differencing=True, **kw).fit, y[:200], X[:200])
    res = SARIMAX(y[:220], exog=X[:220], simple_differencing=True, **kw).filter(model.params_)
    w = res.forecast(12, exog=X[220:232])  # statsmodels differences the future exog itself
    np.testing.assert_allclose(model.predict_at(y, [220], 12, X=X)[0], _integrate_by_loop(y[:220], w, 0, 1, 24),
                               rtol=1e-9)


def test_simple_differencing_is_checked_and_needs_a_long_enough_history():
    with pytest.raises(ParameterError, match="simple_differencing"):
        ARIMAForecaster(simple_differencing="yes").fit(positive_seasonal(100))
    model = _quiet(ARIMAForecaster(order=(1, 0, 0), seasonal_order=(0, 1, 0, 24), simple_differencing=True).fit,
                   positive_seasonal(120))
    with pytest.raises(InvalidInputError, match="origins must lie in"):  # 24 + 1 + 1 + 1 points at least
        model.predict_at(positive_seasonal(120), [26], 3)
    assert model.predict_at(positive_seasonal(120), [28], 3).shape == (1, 3)


def test_the_seasonal_random_walk_is_the_seasonal_naive_forecast():
    """ARIMA(0,0,0)(0,1,0,s) on log1p values, the traffic recipe's fallback candidate, forecasts exactly what
    the seasonal naive does (the last season repeated), from the end of the fit and from later origins."""
    from tsforecast import SeasonalNaiveForecaster

    y = positive_seasonal(120)
    arima = _quiet(ARIMAForecaster(order=(0, 0, 0), seasonal_order=(0, 1, 0, 7), simple_differencing=True,
                                   transform="log1p").fit, y[:80])
    naive = SeasonalNaiveForecaster(m=7).fit(y[:80])
    expected = np.tile(y.to_numpy()[73:80], 2)[:10]  # by hand: the last 7 values, repeated
    np.testing.assert_allclose(arima.predict(10).to_numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(naive.predict(10).to_numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(arima.predict_at(y, [90, 101], 7), naive.predict_at(y, [90, 101], 7), rtol=1e-10)
