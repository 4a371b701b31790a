"""Holt-Winters against statsmodels on series of large magnitude and with heuristic initialization."""

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from tsforecast.exceptions import InvalidInputError, ParameterError
from tsforecast.models.holt_winters_model import HoltWintersForecaster


def traffic_like(n=240, m=12, level=5e10, seed=0):
    """Positive seasonal series in bytes-per-hour magnitude (like the Cortez traffic data)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level * (1 + 0.5 * np.sin(2 * np.pi * t / m)) * np.exp(rng.normal(0, 0.05, n))
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _ets(y, kw, init):
    return ETSModel(y, error=kw["error"], trend=kw["trend"], damped_trend=kw.get("damped_trend", False),
                    seasonal=kw["seasonal"], seasonal_periods=kw["seasonal_periods"], initialization_method=init)


CASES = [
    dict(seasonal_periods=12, trend=None, seasonal="add", error="add"),
    dict(seasonal_periods=12, trend="add", seasonal="add", error="add"),
    dict(seasonal_periods=12, trend=None, seasonal="mul", error="mul"),
    dict(seasonal_periods=12, trend="add", seasonal="mul", error="add", damped_trend=True),
]


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_fit_on_large_values_is_the_fit_on_rescaled_values(kw):
    # statsmodels' optimizer leaves initial states of order 1e10 at their start values; the old code
    # fitted the raw series and got a lower likelihood (and 112% instead of 50% MAPE on Cortez a1h).
    y = traffic_like()
    train = y.iloc[:200]
    scale = np.mean(np.abs(train.to_numpy()))
    model = _quiet(HoltWintersForecaster(initialization_method="estimated", **kw).fit, train)
    assert model.initialization_method_ == "estimated"
    direct = _quiet(_ets(train.to_numpy() / scale, kw, "estimated").fit, disp=False, maxiter=1000)
    np.testing.assert_allclose(model.predict(15).to_numpy(), scale * direct.forecast(15), rtol=1e-8)
    raw = _quiet(_ets(train.to_numpy(), kw, "estimated").fit, disp=False, maxiter=1000)
    # same likelihood in data units: the rescaled fit is at least as good as the raw-scale one
    ours = _ets(train.to_numpy(), kw, "estimated").smooth(model.params_)
    assert ours.llf >= raw.llf - 1e-6
    origins = np.arange(30, 226, 7)
    loop = np.vstack([_ets(y.to_numpy()[:o], kw, "estimated").smooth(model.params_).forecast(15) for o in origins])
    np.testing.assert_allclose(model.predict_at(y, origins, 15), loop, rtol=1e-8)


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_heuristic_initialization_matches_statsmodels(kw):
    y = traffic_like()
    train = y.iloc[:200]
    scale = np.mean(np.abs(train.to_numpy()))
    model = _quiet(HoltWintersForecaster(initialization_method="heuristic", **kw).fit, train)
    direct = _quiet(_ets(train.to_numpy() / scale, kw, "heuristic").fit, disp=False, maxiter=1000)
    assert len(model.params_) == len(model.param_names_)
    np.testing.assert_allclose(model.params_[:len(direct.params)], direct.params, rtol=1e-10)
    np.testing.assert_allclose(model.predict(15).to_numpy(), scale * direct.forecast(15), rtol=1e-8)
    # forecasts from later origins: statsmodels smoothing of the longer history from the same initial states
    for o in (200, 213, 226):
        ref = ETSModel(
            y.to_numpy()[:o] / scale, error=kw["error"], trend=kw["trend"], damped_trend=kw.get("damped_trend", False),
            seasonal=kw["seasonal"], seasonal_periods=12, initialization_method="known",
            initial_level=direct.model.initial_level, initial_trend=direct.model.initial_trend,
            initial_seasonal=direct.model.initial_seasonal)
        expected = scale * ref.smooth(direct.params).forecast(12)
        np.testing.assert_allclose(model.predict_at(y, np.array([o]), 12)[0], expected, rtol=1e-8)


@pytest.mark.slow
def test_heuristic_is_faster_with_many_seasonal_states():
    import time

    y = traffic_like(n=1200, m=96, seed=1)
    times = {}
    for init in ("estimated", "heuristic"):
        t0 = time.perf_counter()
        _quiet(HoltWintersForecaster(seasonal_periods=96, trend=None, seasonal="mul", error="mul",
                                     initialization_method=init, maxiter=200).fit, y)
        times[init] = time.perf_counter() - t0
    print(f"\nHolt-Winters m=96 fit: estimated {times['estimated']:.2f}s, heuristic {times['heuristic']:.2f}s")
    assert times["heuristic"] < times["estimated"]


def test_bad_initialization_method_and_too_short_series():
    with pytest.raises(ParameterError, match="initialization_method"):
        HoltWintersForecaster(seasonal_periods=4, initialization_method="known").fit(traffic_like(40, m=4))
    from tsforecast.exceptions import NotEnoughDataError

    with pytest.raises(NotEnoughDataError):  # heuristic needs 10 + 2 * (m // 2) = 22 points for m = 12
        HoltWintersForecaster(seasonal_periods=12, initialization_method="heuristic").fit(traffic_like(20))


# -- loss="trace": smoothing parameters chosen on multi-step forecasts ----------------------
def _hand_additive_hw(z, alpha, gamma, level0, seasonal0, m, origins, h):
    """Additive Holt-Winters (no trend) by its error-correction recursion, one loop: forecasts (origins, h).

    seasonal0 lists the m initial seasonal states newest first, as ETSModel.smooth reads its parameters."""
    level, season = level0, list(seasonal0[::-1])
    states = []  # (level, last m seasonal states) after each observation
    for t, v in enumerate(z):
        e = v - level - season[-m]
        level, season = level + alpha * e, season + [season[-m] + gamma * e]
        states.append((level, season[-m:]))
    out = np.empty((len(origins), h))
    for i, o in enumerate(origins):
        lv, seas = states[o - 1]
        out[i] = [lv + seas[(j - 1) % m] for j in range(1, h + 1)]
    return out


def _trace_cost(z, alpha, gamma, params, m, h):
    origins = np.arange(2 * m, len(z) - h + 1)
    f = _hand_additive_hw(z, alpha, gamma, params[2], params[3:], m, origins, h)
    return float(np.mean((f - z[origins[:, None] + np.arange(h)]) ** 2))


def _level_shifting_seasonal(n=300, m=12, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 10 + np.cumsum(rng.normal(0, 0.3, n))
    season = 2 * np.sin(2 * np.pi * t / m) + rng.normal(0, 0.8, m)[t % m] * (t > n // 2)  # the pattern changes
    return pd.Series(level + season + rng.normal(0, 0.5, n), index=pd.date_range("2024-01-01", periods=n, freq="h"))


def test_trace_loss_minimises_the_multi_step_error_of_a_hand_recursion():
    y, m, h = _level_shifting_seasonal(), 12, 8
    kw = dict(seasonal_periods=m, trend=None, seasonal="add", error="add", horizon=h)
    trace = _quiet(HoltWintersForecaster(loss="trace", **kw).fit, y)
    mle = _quiet(HoltWintersForecaster(**kw).fit, y)
    z, p = y.to_numpy(), trace.params_
    np.testing.assert_allclose(p[2:], mle.params_[2:])  # the likelihood fit's initial states are kept
    fitted = _trace_cost(z, p[0], p[1], p, m, h)
    grid = min(_trace_cost(z, a, g * (1 - a), p, m, h) for a in np.linspace(0.01, 0.99, 15)
               for g in np.linspace(0.01, 0.99, 15))
    assert fitted <= grid * (1 + 1e-6), (fitted, grid)
    assert fitted < _trace_cost(z, mle.params_[0], mle.params_[1], p, m, h) * 0.99
    # and the model forecasts by that recursion
    hand = _hand_additive_hw(z, p[0], p[1], p[2], p[3:], m, np.array([len(z)]), h)[0]
    np.testing.assert_allclose(trace.predict(h).to_numpy(), hand, rtol=1e-9)


def test_trace_loss_respects_the_usual_parameter_region_with_trend_and_damping():
    y = _level_shifting_seasonal()
    hw = _quiet(HoltWintersForecaster(seasonal_periods=12, trend="add", damped_trend=True, seasonal="add",
                                      loss="trace", horizon=6).fit, y)
    alpha, beta, gamma, phi = hw.params_[:4]
    assert 0 < beta <= alpha < 1 and 0 < gamma <= 1 - alpha and 0.8 <= phi <= 0.98
    assert np.isfinite(hw.predict(6).to_numpy()).all()


def test_trace_loss_needs_room_for_its_forecasts_and_a_known_name():
    with pytest.raises(ParameterError, match="loss"):
        HoltWintersForecaster(seasonal_periods=4, loss="mse").fit(traffic_like(60, m=4))
    from tsforecast.exceptions import NotEnoughDataError

    with pytest.raises(NotEnoughDataError, match="loss='trace'"):
        _quiet(HoltWintersForecaster(seasonal_periods=12, trend=None, seasonal="add", loss="trace", horizon=20).fit,
               traffic_like(30))


def test_a_multiplicative_model_forecasts_from_a_history_with_zeros_by_its_recursion():
    """Fitted on positive data, then a cell falls silent: zeros are relative errors of -1 in the recursion."""
    y = traffic_like(n=200, m=12, level=100.0)
    hw = _quiet(HoltWintersForecaster(seasonal_periods=12, trend=None, seasonal="mul", error="mul").fit, y)
    history = y.to_numpy().copy()
    history[-5:-2] = 0.0
    alpha, gamma, level = hw.params_[0], hw.params_[1], hw.params_[2]
    season = list(hw.params_[3:][::-1])  # oldest first
    for v in history:  # ETS(M,N,M) by hand: e = y / (l s) - 1; l <- l (1 + alpha e); s <- s (1 + gamma e)
        e = v / (level * season[-12]) - 1
        level, season = level * (1 + alpha * e), season + [season[-12] * (1 + gamma * e)]
    hand = np.array([level * season[-12 + (j % 12)] for j in range(3)])
    # statsmodels' multiplicative recursion rounds differently from this one by ~1.5e-7 with or without zeros
    np.testing.assert_allclose(hw.predict(3, y=pd.Series(history, index=y.index)).to_numpy(), hand, rtol=1e-6)
    with pytest.raises(InvalidInputError, match="strictly positive"):
        hw.predict(3, y=pd.Series(history - 1.0, index=y.index))
