"""tsforecast.evaluation against independent truths: brute-force loops, hand-computed statistics, known processes."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tsforecast import LSTMForecaster, NaiveForecaster, SeasonalNaiveForecaster
from tsforecast.base import BaseForecaster
from tsforecast.evaluation import backtest, compare, diebold_mariano, tune
from tsforecast.evaluation.compare import rank_models
from tsforecast.evaluation.diebold_mariano import DMUndefinedWarning, holm
from tsforecast.exceptions import InvalidInputError, NotEnoughDataError, ParameterError


class WholeHistoryBlend(BaseForecaster):
    """Uses everything it can see: the training mean (fit) and the whole history (predict).

    Any leak of future values into a fit or a history changes its forecasts.
    """

    def _min_length(self):
        return 2

    def _fit(self, y, X):
        self.train_mean_ = float(np.mean(y))
        self.context_length_ = None

    def _predict(self, Y, XH, XF, horizon):
        level = 0.5 * self.train_mean_ + 0.3 * Y.mean(axis=1) + 0.2 * Y[:, -1]
        return level[:, None] + 0.01 * np.arange(1, horizon + 1)


def seasonal_series(n=240, period=12, seed=0, freq="h"):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = np.cumsum(rng.normal(0, 0.3, n))  # a drifting level makes the most recent season the best guess
    values = 50 + level + 5 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.2, n)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq=freq), name="y")


def forecast_matrix(result):
    return result.predictions.pivot(index="origin", columns="step", values="y_pred").to_numpy()


# -- backtest vs brute force ----------------------------------------------------------------------------------

MODELS = [NaiveForecaster(), SeasonalNaiveForecaster(m=12), WholeHistoryBlend()]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_backtest_without_refit_equals_loop_of_predict_from_history(model):
    y, initial, h = seasonal_series(200), 120, 5
    res = backtest(model, y, initial=initial, horizon=h, step=3)
    fitted = clone(model).fit(y.iloc[:initial])
    origins = range(initial, len(y) - h + 1, 3)
    expected = np.vstack([fitted.predict(h, y=y.iloc[:o]).to_numpy() for o in origins])
    np.testing.assert_allclose(forecast_matrix(res), expected, rtol=1e-12)
    assert res.n_origins == len(origins) and res.n_fits == 1


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("window", ["expanding", "sliding"])
def test_backtest_refit_every_origin_equals_loop_of_fit_predict(model, window):
    y, initial, h = seasonal_series(160), 100, 4
    res = backtest(model, y, initial=initial, horizon=h, refit=True, window=window)
    rows = []
    for o in range(initial, len(y) - h + 1):
        train = y.iloc[:o] if window == "expanding" else y.iloc[o - initial : o]
        rows.append(clone(model).fit(train).predict(h).to_numpy())
    np.testing.assert_allclose(forecast_matrix(res), np.vstack(rows), rtol=1e-12)
    assert res.n_fits == res.n_origins


@pytest.mark.parametrize("window", ["expanding", "sliding"])
def test_backtest_refit_blocks_fit_on_data_before_block(window):
    y, initial, h, k = seasonal_series(150), 90, 3, 7
    model = WholeHistoryBlend()
    res = backtest(model, y, initial=initial, horizon=h, refit=k, window=window)
    origins = list(range(initial, len(y) - h + 1))
    rows = []
    for i, o in enumerate(origins):
        first = origins[i - i % k]
        start = 0 if window == "expanding" else first - initial
        fitted = clone(model).fit(y.iloc[start:first])
        rows.append(fitted.predict(h, y=y.iloc[start:o]).to_numpy())
    np.testing.assert_allclose(forecast_matrix(res), np.vstack(rows), rtol=1e-12)
    assert res.n_fits == math.ceil(len(origins) / k)


def test_predictions_frame_labels_and_truth():
    y, initial, h = seasonal_series(60), 40, 3
    res = backtest(NaiveForecaster(), y, initial=initial, horizon=h, step=2)
    p = res.predictions
    assert list(p.columns) == ["origin", "step", "timestamp", "y_true", "y_pred"]
    first = p[p["origin"] == y.index[initial - 1]]
    assert list(first["step"]) == [1, 2, 3]
    assert list(first["timestamp"]) == list(y.index[initial : initial + h])
    np.testing.assert_array_equal(first["y_true"], y.iloc[initial : initial + h])
    np.testing.assert_array_equal(first["y_pred"], np.repeat(y.iloc[initial - 1], h))
    np.testing.assert_allclose(res.errors.ravel(), (p["y_true"] - p["y_pred"]).to_numpy())


def test_metrics_table_matches_hand_computation():
    y, initial, h, m = seasonal_series(150), 100, 4, 12
    res = backtest(NaiveForecaster(), y, initial=initial, horizon=h, seasonal_period=m)
    p = res.predictions
    abs_err = (p["y_true"] - p["y_pred"]).abs()
    train = y.to_numpy()[:initial]
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    assert res.metrics.loc["all", "mae"] == pytest.approx(abs_err.mean())
    assert res.metrics.loc["all", "mase"] == pytest.approx(abs_err.mean() / scale)
    per_step = abs_err.groupby(p["step"]).mean()
    for s in range(1, h + 1):
        assert res.metrics.loc[s, "mae"] == pytest.approx(per_step[s])
        sq = ((p["y_true"] - p["y_pred"]) ** 2)[p["step"] == s]
        assert res.metrics.loc[s, "rmse"] == pytest.approx(np.sqrt(sq.mean()))
    assert list(res.metrics.index) == ["all", 1, 2, 3, 4] and res.metrics.index.name == "step"


def test_undefined_metric_is_nan_with_warning():
    y = pd.Series(np.r_[np.ones(30), np.zeros(5), np.ones(30)])
    with pytest.warns(RuntimeWarning, match="mape"):
        res = backtest(NaiveForecaster(), y, initial=20, horizon=2, metrics=("mae", "mape"))
    assert np.isnan(res.metrics.loc["all", "mape"]) and np.isfinite(res.metrics.loc["all", "mae"])


# -- leakage --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("refit, window", [(False, "expanding"), (1, "expanding"), (4, "expanding"), (4, "sliding")])
def test_backtest_never_sees_data_after_origin(refit, window):
    y, initial, h = seasonal_series(150), 80, 3
    cut = 111  # perturb y[cut:]; forecasts from origins <= cut must not move
    y2 = y.copy()
    y2.iloc[cut:] += np.random.default_rng(1).normal(0, 100, len(y) - cut)
    a = backtest(WholeHistoryBlend(), y, initial=initial, horizon=h, refit=refit, window=window)
    b = backtest(WholeHistoryBlend(), y2, initial=initial, horizon=h, refit=refit, window=window)
    early = a.origins <= cut
    np.testing.assert_array_equal(forecast_matrix(a)[early], forecast_matrix(b)[early])
    assert not np.allclose(forecast_matrix(a)[~early], forecast_matrix(b)[~early])  # the perturbation does matter


# -- a neural model: one batched predict, equal to single predicts, no leakage --------------------------------

@pytest.fixture(scope="module")
def lstm_runs():
    calls, models = [], []
    original = LSTMForecaster._predict

    def spy(self, Y, XH, XF, horizon):
        calls.append(Y.shape[0])
        models.append(self)
        return original(self, Y, XH, XF, horizon)

    LSTMForecaster._predict = spy
    try:
        y = seasonal_series(160)
        f = LSTMForecaster(lags=8, horizon=2, units=4, epochs=2, patience=1, validation_fraction=0.2)
        res = backtest(f, y, initial=100, horizon=2)
        n_calls = list(calls)
        fitted = models[0]
        sample = res.origins[::6]
        single = np.vstack([fitted.predict(2, y=y.iloc[:o]).to_numpy() for o in sample])
        cut = 130
        y2 = y.copy()
        y2.iloc[cut:] += 50.0
        perturbed = backtest(f, y2, initial=100, horizon=2)
    finally:
        LSTMForecaster._predict = original
    return {"res": res, "calls": n_calls, "single": single, "perturbed": perturbed, "cut": cut,
            "sample": slice(None, None, 6)}


def test_neural_backtest_predicts_all_origins_in_one_batch(lstm_runs):
    res = lstm_runs["res"]
    assert res.n_origins == 59
    assert lstm_runs["calls"] == [59], f"_predict calls (batch sizes): {lstm_runs['calls']}"


def test_neural_backtest_equals_loop_of_single_predicts(lstm_runs):
    batched = forecast_matrix(lstm_runs["res"])[lstm_runs["sample"]]
    np.testing.assert_allclose(batched, lstm_runs["single"], rtol=1e-5, atol=1e-5)


def test_neural_backtest_has_no_leakage(lstm_runs):
    a, b, cut = lstm_runs["res"], lstm_runs["perturbed"], lstm_runs["cut"]
    early = a.origins <= cut
    np.testing.assert_allclose(forecast_matrix(a)[early], forecast_matrix(b)[early], rtol=1e-6)
    assert not np.allclose(forecast_matrix(a)[~early], forecast_matrix(b)[~early])


# -- bad arguments --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    ({"horizon": 0}, ParameterError, "horizon"),
    ({"initial": 5, "model": SeasonalNaiveForecaster(m=12)}, NotEnoughDataError, "at least 12"),
    ({"initial": 100}, NotEnoughDataError, "initial \\+ horizon"),
    ({"initial": 1.5}, ParameterError, "fraction"),
    ({"initial": 0}, ParameterError, "initial"),
    ({"metrics": ("mae", "accuracy")}, ParameterError, "accuracy"),
    ({"window": "rolling"}, ParameterError, "window"),
    ({"refit": -2}, ParameterError, "refit"),
    ({"step": 0}, ParameterError, "step"),
    ({"coverage": 1.2}, ParameterError, "coverage"),
    ({"n_jobs": 0}, ParameterError, "n_jobs"),
])
def test_backtest_bad_arguments(kwargs, error, match):
    y = seasonal_series(100)
    model = kwargs.pop("model", NaiveForecaster())
    options = {"initial": 50, "horizon": 3, **kwargs}
    with pytest.raises(error, match=match):
        backtest(model, y, **options)


def test_initial_fraction_sets_first_origin():
    y = seasonal_series(100)
    res = backtest(NaiveForecaster(), y, initial=0.7, horizon=2)
    assert res.origins[0] == 70 and res.origins[-1] == 98


# -- Diebold-Mariano ------------------------------------------------------------------------------------------

E1 = np.array([0.1, -0.1, 0.6, 0.1, -0.5, 0.4, 1.3, 0.9, -0.7, -1.3, -0.6, 0.0])
E2 = np.array([-2.3, -0.2, -1.2, -0.7, -0.5, -0.3, 0.4, 1.0, -0.1, 1.4, -0.7, 0.4])


def hand_dm(e1, e2, h, loss):
    """HLN-corrected DM statistic written out term by term with explicit loops."""
    d = [(a * a - b * b) if loss == "se" else (abs(a) - abs(b)) for a, b in zip(e1, e2)]
    n = len(d)
    dbar = sum(d) / n
    gammas = []
    for k in range(h):
        gammas.append(sum((d[t] - dbar) * (d[t - k] - dbar) for t in range(k, n)) / n)
    var = (gammas[0] + 2 * sum(gammas[1:])) / n
    dm = dbar / math.sqrt(var)
    hln = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return hln, 2 * stats.t.sf(abs(hln), df=n - 1)


@pytest.mark.parametrize("h", [1, 2])
@pytest.mark.parametrize("loss", ["se", "ae"])
def test_diebold_mariano_matches_hand_computation(h, loss):
    stat, p = hand_dm(E1, E2, h, loss)
    res = diebold_mariano(E1, E2, h=h, loss=loss)
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    assert res.pvalue == pytest.approx(p, rel=1e-12)
    less = diebold_mariano(E1, E2, h=h, loss=loss, alternative="less")
    greater = diebold_mariano(E1, E2, h=h, loss=loss, alternative="greater")
    assert less.pvalue + greater.pvalue == pytest.approx(1.0)
    assert min(less.pvalue, greater.pvalue) * 2 == pytest.approx(res.pvalue)


def test_diebold_mariano_hand_value_h1():
    # n=4, squared loss: d = [3, -1, 2, 0], mean 1, gamma0 = (4+4+1+1)/4 = 2.5, V = 2.5/4,
    # DM = 1/sqrt(0.625), HLN factor sqrt((4+1-2)/4) = sqrt(0.75).
    e1 = np.array([2.0, 0.0, 2.0, 1.0])
    e2 = np.array([1.0, 1.0, np.sqrt(2.0), 1.0])
    res = diebold_mariano(e1, e2, h=1)
    expected = (1 / np.sqrt(0.625)) * np.sqrt(0.75)
    assert res.statistic == pytest.approx(expected)
    assert res.pvalue == pytest.approx(2 * stats.t.sf(expected, df=3))


def test_diebold_mariano_pvalues_uniform_under_equal_accuracy():
    rng = np.random.default_rng(42)
    p1, p2 = [], []
    for _ in range(500):
        p1.append(diebold_mariano(rng.normal(size=80), rng.normal(size=80), h=1).pvalue)
        u, v = rng.normal(size=(2, 81))  # 2-step errors are MA(1)
        p2.append(diebold_mariano(u[1:] + 0.6 * u[:-1], v[1:] + 0.6 * v[:-1], h=2).pvalue)
    assert stats.kstest(p1, "uniform").pvalue > 0.01
    assert 0.02 <= np.mean(np.array(p2) < 0.05) <= 0.09


def test_diebold_mariano_detects_a_better_forecast():
    rng = np.random.default_rng(0)
    res = diebold_mariano(rng.normal(0, 1, 200), rng.normal(0, 2, 200), alternative="less")
    assert res.statistic < 0 and res.pvalue < 1e-6


def test_diebold_mariano_negative_variance_falls_back_to_h1():
    e1 = np.tile([2.0, 0.0], 10)  # absolute-loss differential alternates: lag-1 autocovariance = -gamma0
    e2 = np.full(20, 0.5)
    with pytest.warns(RuntimeWarning, match="h=1"):
        res = diebold_mariano(e1, e2, h=2, loss="ae")
    assert res == diebold_mariano(e1, e2, h=1, loss="ae")


@pytest.mark.parametrize("args, kwargs, error", [
    ((E1, E1), {}, InvalidInputError),
    ((E1, E2[:-1]), {}, InvalidInputError),
    ((E1, E2), {"loss": "mape"}, ParameterError),
    ((E1, E2), {"alternative": "bigger"}, ParameterError),
    ((E1[:2], E2[:2]), {}, NotEnoughDataError),
    ((E1, E2), {"h": 0}, ParameterError),
])
def test_diebold_mariano_bad_input(args, kwargs, error):
    with pytest.raises(error):
        diebold_mariano(*args, **kwargs)


# -- conformal intervals --------------------------------------------------------------------------------------
# Naive forecasts of a Gaussian random walk: the lead-h error is a sum of h iid shocks, so
# errors at different origins are identically distributed (exchangeable up to overlap).

def random_walk(n, seed):
    rng = np.random.default_rng(seed)
    return pd.Series(np.cumsum(rng.normal(size=n)), index=pd.date_range("2024-01-01", periods=n, freq="D"))


def test_backtest_online_intervals_cover_about_nominal():
    y = random_walk(3000, seed=3)
    res = backtest(NaiveForecaster(), y, initial=500, horizon=3, coverage=0.9)
    cov = res.metrics["coverage"]
    assert all(0.85 <= c <= 0.95 for c in cov), cov
    assert np.isnan(res.predictions["lower"].iloc[0])  # the first origin has no earlier errors


def test_backtest_online_intervals_use_only_observed_errors():
    y = random_walk(300, seed=4)
    res = backtest(NaiveForecaster(), y, initial=100, horizon=3, step=2, coverage=0.8)
    lower = res.predictions.pivot(index="origin", columns="step", values="lower").to_numpy()
    pred = forecast_matrix(res)
    for i in [0, 5, 17, 60, len(res.origins) - 1]:
        for j in range(3):
            known = [abs(res.errors[k, j]) for k in range(len(res.origins)) if res.origins[k] + j + 1 <= res.origins[i]]
            rank = math.ceil((len(known) + 1) * 0.8 - 1e-9)
            if rank > len(known):
                assert np.isnan(lower[i, j])
            else:
                assert pred[i, j] - lower[i, j] == pytest.approx(sorted(known)[rank - 1])


def test_calibrated_intervals_cover_about_nominal():
    hits = []
    for seed in range(500):
        y = random_walk(403, seed)
        est = NaiveForecaster().fit(y.iloc[:100]).calibrate(y.iloc[100:400], horizon=3)
        iv = est.predict_interval(3, coverage=0.9, y=y.iloc[:400])
        truth = y.iloc[400:].to_numpy()
        hits.append((iv["lower"].to_numpy() <= truth) & (truth <= iv["upper"].to_numpy()))
    cover = np.mean(hits, axis=0)
    assert np.all((0.85 <= cover) & (cover <= 0.95)), cover


def test_calibrate_errors_and_quantile_by_hand():
    y = random_walk(140, seed=1)
    est = NaiveForecaster().fit(y.iloc[:100])
    est.calibrate(y.iloc[100:], horizon=2)
    values = y.to_numpy()
    expected = np.array([[values[o] - values[o - 1], values[o + 1] - values[o - 1]] for o in range(100, 139)])
    np.testing.assert_allclose(est.conformal_errors_, expected)
    iv = est.predict_interval(coverage=0.9)
    k = math.ceil(40 * 0.9)  # n = 39 errors
    half = np.sort(np.abs(expected), axis=0)[k - 1]
    np.testing.assert_allclose(iv["upper"] - iv["forecast"], half)
    np.testing.assert_allclose(iv["forecast"] - iv["lower"], half)
    assert list(iv.columns) == ["forecast", "lower", "upper"]
    assert iv.index[0] == y.index[99] + y.index.freq
    # y containing the training data gives the same errors as y continuing it
    again = NaiveForecaster().fit(y.iloc[:100]).calibrate(y, horizon=2)
    np.testing.assert_allclose(again.conformal_errors_, expected)


def test_calibrate_refuses_leakage_and_bad_input():
    y = random_walk(140, seed=1)
    est = NaiveForecaster().fit(y.iloc[:100])
    with pytest.raises(InvalidInputError, match="inside the training data"):
        est.calibrate(y, origins=[90, 110])
    with pytest.raises(InvalidInputError, match="continue"):
        est.calibrate(y.iloc[110:])
    changed = y.copy()
    changed.iloc[50] += 1
    with pytest.raises(InvalidInputError, match="differs"):
        est.calibrate(changed)
    with pytest.raises(NotFittedError, match="calibrate"):
        est.predict_interval(2)
    est.calibrate(y.iloc[100:105], horizon=1)  # 5 errors
    with pytest.raises(NotEnoughDataError, match="at least 9"):
        est.predict_interval(coverage=0.9)
    assert len(est.predict_interval(coverage=0.8)) == 1  # 4 errors suffice for 80%
    with pytest.raises(ParameterError, match="calibrated for 1"):
        est.predict_interval(3, coverage=0.8)


def test_calibrate_from_backtest_result():
    y = random_walk(300, seed=2)
    res = backtest(NaiveForecaster(), y, initial=150, horizon=3)
    est = NaiveForecaster().fit(y).calibrate(res)
    np.testing.assert_array_equal(est.conformal_errors_, res.errors)
    iv = est.predict_interval(coverage=0.9)
    half = np.sort(np.abs(res.errors), axis=0)[math.ceil((res.n_origins + 1) * 0.9) - 1]
    np.testing.assert_allclose(iv["upper"] - iv["forecast"], half)


# -- compare --------------------------------------------------------------------------------------------------

def test_compare_table():
    y = seasonal_series(240)
    models = {"naive": NaiveForecaster(), "seasonal_naive": SeasonalNaiveForecaster(m=12), "blend": WholeHistoryBlend()}
    cmp = compare(models, y, initial=150, horizon=3, seasonal_period=12, progress=False, dm_loss="ae")
    t = cmp.table
    assert list(t["model"]) == list(models) and len(t) == 3
    assert cmp.baseline == "seasonal_naive"
    np.testing.assert_array_equal(t.sort_values("mae")["rank"].to_numpy(), [1, 2, 3])
    for name, bt in cmp.backtests.items():
        np.testing.assert_array_equal(bt.origins, cmp.backtests["naive"].origins)
        assert t.set_index("model").loc[name, "mae"] == pytest.approx(bt.metrics.loc["all", "mae"])
    base = t.set_index("model").loc["seasonal_naive"]
    assert np.isnan(base["dm_stat"]) and np.isnan(base["dm_pvalue"])
    # DM on the per-origin absolute error averaged over leads; consecutive origins share targets up to 2 back (h=3)
    e, b = cmp.backtests["naive"].errors, cmp.backtests["seasonal_naive"].errors
    stat, p = hand_dm(np.abs(e).mean(axis=1), np.abs(b).mean(axis=1), h=3, loss="ae")
    row = t.set_index("model").loc["naive"]
    assert row["dm_stat"] == pytest.approx(stat) and row["dm_pvalue"] == pytest.approx(p)
    assert row["dm_stat"] > 0  # the naive forecast ignores the season, so it loses
    assert {"fit_seconds", "predict_seconds", "mase", "rank"} <= set(t.columns)


def test_compare_holm_column_adjusts_the_dm_pvalues():
    y = seasonal_series(240)
    models = {"naive": NaiveForecaster(), "seasonal_naive": SeasonalNaiveForecaster(m=12), "blend": WholeHistoryBlend(),
              "weekly": SeasonalNaiveForecaster(m=24)}
    t = compare(models, y, initial=150, horizon=3, progress=False).table.set_index("model")
    assert list(t.columns).index("dm_pvalue_holm") == list(t.columns).index("dm_pvalue") + 1
    assert np.isnan(t.loc["seasonal_naive", "dm_pvalue_holm"])
    # Holm by hand over the three models tested against the baseline.
    p = t["dm_pvalue"].drop("seasonal_naive").sort_values()
    m, running, expected = len(p), 0.0, {}
    for i, (name, value) in enumerate(p.items()):
        running = max(running, min(1.0, (m - i) * value))
        expected[name] = running
    for name, value in expected.items():
        assert t.loc[name, "dm_pvalue_holm"] == pytest.approx(value, rel=1e-12)


def test_holm_hand_computed():
    # Sorted: 0.01 (x3 = 0.03), 0.02 (x2 = 0.04), 0.04 (x1 = 0.04); running max keeps them monotone.
    np.testing.assert_allclose(holm([0.04, 0.01, np.nan, 0.02]), [0.04, 0.03, np.nan, 0.04])
    # A step-down that needs the running max: 0.001*3 = 0.003, 0.03*2 = 0.06, 0.05*1 = 0.05 -> 0.06.
    np.testing.assert_allclose(holm([0.05, 0.001, 0.03]), [0.06, 0.003, 0.06])
    np.testing.assert_allclose(holm([0.6, 0.9]), [1.0, 1.0])  # capped at 1
    assert np.isnan(holm([np.nan])).all() and holm([]).shape == (0,)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.just(np.nan)), min_size=1, max_size=12))
def test_holm_matches_statsmodels(pvalues):
    from unittest import mock

    from statsmodels.stats.multitest import multipletests

    p = np.array(pvalues)
    out = holm(p)
    defined = ~np.isnan(p)
    assert np.isnan(out[~defined]).all()
    if defined.any():
        # multipletests runs gc.collect() on every call: over a second each in a test process full of
        # Keras objects (80 s for this test); it does not change the numbers.
        with mock.patch("gc.collect"):
            expected = multipletests(p[defined], method="holm")[1]
        np.testing.assert_allclose(out[defined], expected, rtol=1e-12, atol=0)


def test_rank_models_puts_undefined_last():
    np.testing.assert_array_equal(rank_models([np.nan, 2.0, 1.0, np.nan, 2.0]), [4, 2, 1, 4, 2])
    np.testing.assert_array_equal(rank_models([np.nan, 0.5, 0.7], greater_is_better=True), [3, 2, 1])
    assert rank_models([np.nan, np.nan]).dtype == np.int64


def test_compare_names_coverage_and_errors():
    y = seasonal_series(200)
    # m=1 makes seasonal_naive equal naive (its default, m=None, would read m=24 off the hourly index):
    # identical losses, so the DM test is undefined (documented: NaN, not an error) and a warning says which
    # model and why.
    models = {"naive": "naive", "seasonal_naive": SeasonalNaiveForecaster(m=1)}
    with pytest.warns(DMUndefinedWarning, match=r"'naive' against the baseline 'seasonal_naive'.*constant"):
        cmp = compare(models, y, initial=120, horizon=2, coverage=0.8, metrics=("rmse",),
                      progress=False)
    assert list(cmp.table.columns[:5]) == ["model", "rmse", "coverage", "width", "rank"]
    assert cmp.baseline == "seasonal_naive"
    np.testing.assert_array_equal(cmp.backtests["naive"].errors, cmp.backtests["seasonal_naive"].errors)
    row = cmp.table.set_index("model").loc["naive"]
    assert np.isnan(row["dm_stat"]) and np.isnan(row["dm_pvalue"]) and np.isnan(row["dm_pvalue_holm"])
    with pytest.raises(InvalidInputError, match="constant"):  # what compare turned into NaN
        diebold_mariano(cmp.backtests["naive"].errors[:, 0], cmp.backtests["seasonal_naive"].errors[:, 0])
    with pytest.raises(ParameterError, match="baseline"):
        compare(["naive"], y, baseline="lstm", initial=120, horizon=2, progress=False)
    with pytest.raises(ParameterError, match="unknown model"):
        compare(["naive", "nope"], y, initial=120, horizon=2, progress=False)


# -- tune -----------------------------------------------------------------------------------------------------

def test_tune_finds_the_season_length():
    y = seasonal_series(300, period=12)
    res = tune(SeasonalNaiveForecaster(), y, {"m": [1, 3, 6, 12, 24]}, initial=150, horizon=6)
    assert res.best_params_ == {"m": 12}
    r = res.results_
    assert list(r["param_m"]) == [1, 3, 6, 12, 24]
    assert r.loc[r["rank"] == 1, "param_m"].item() == 12
    assert res.best_score_ == pytest.approx(r["score"].min())
    manual = backtest(SeasonalNaiveForecaster(m=12), y, initial=150, horizon=6).metrics.loc["all", "mae"]
    assert res.best_score_ == pytest.approx(manual)
    fc = res.best_forecaster_.predict(3)
    assert fc.index[0] == y.index[-1] + y.index.freq and res.best_forecaster_.m == 12


def test_tune_random_search_and_infeasible_candidates():
    y = seasonal_series(200, period=12)
    res = tune(SeasonalNaiveForecaster(), y, {"m": list(range(1, 30))}, n_iter=4, seed=1, initial=100, horizon=3)
    assert len(res.results_) == 4 and res.results_["param_m"].nunique() == 4
    with pytest.warns(RuntimeWarning, match="failed"):
        res = tune(SeasonalNaiveForecaster(), y, {"m": [12, 500]}, initial=100, horizon=3)
    assert res.best_params_ == {"m": 12} and np.isnan(res.results_["score"].iloc[1])
    with pytest.raises(ParameterError, match="does not have"):
        tune(SeasonalNaiveForecaster(), y, {"lags": [1, 2]}, initial=100, horizon=3)


def test_parallel_backtest_and_tune_match_serial():
    """One test for both, so the joblib worker pool starts once."""
    y = seasonal_series(200, period=12)
    serial = backtest(SeasonalNaiveForecaster(m=12), y, initial=90, horizon=3, refit=10)
    parallel = backtest(SeasonalNaiveForecaster(m=12), y, initial=90, horizon=3, refit=10, n_jobs=2)
    pd.testing.assert_frame_equal(serial.predictions, parallel.predictions)
    grid = {"m": [6, 12, 24]}
    a = tune(SeasonalNaiveForecaster(), y, grid, initial=100, horizon=3)
    b = tune(SeasonalNaiveForecaster(), y, grid, initial=100, horizon=3, n_jobs=2)
    np.testing.assert_allclose(a.results_["score"], b.results_["score"])


def test_calibrate_computes_calendar_inputs_itself():
    from tsforecast import ARForecaster

    y = random_walk(300, seed=4)
    est = ARForecaster(lags=2, calendar=("dayofweek",)).fit(y.iloc[:200])
    est.calibrate(y.iloc[200:], horizon=3)  # no X: the calendar columns come from the timestamps
    loop = np.array([y.to_numpy()[o : o + 3] - est.predict(3, y=y.iloc[:o]).to_numpy() for o in range(200, 298)])
    np.testing.assert_allclose(est.conformal_errors_, loop, rtol=1e-10)
