"""NARX and TDNN against known processes and simple baselines.

Fast versions run by default (one seed, few epochs); the ``slow`` versions
average over three seeds with more training.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from tsforecast.exceptions import ParameterError
from tsforecast.models.ar_model import ARForecaster
from tsforecast.models.naive_model import SeasonalNaiveForecaster
from tsforecast.models.narx_model import NARXForecaster
from tsforecast.models.tdnn_model import TDNNForecaster
from tsforecast.nn.mlp import LINEAR_SKIP
from tsforecast.nn.heads import find_layer
from tsforecast.nn.ridge import ridge_fit
from tsforecast.persistence import load_model
from tsforecast.testing import CHECKS

PHI, CONST = (0.6, -0.3), 1.0


def nonlinear_narx_process(seed, n=1200):
    """y_t = 0.5 y_{t-1} + 1.5 tanh(2 x_{t-1}) x_{t-1} + 0.3 sin(y_{t-2}) + 0.1 e_t, x iid N(0, 1).

    ``tanh(2x) x`` is even in x, so it is uncorrelated with x: a linear ARX model cannot use it.
    """
    rng = np.random.default_rng(seed)
    x, e = rng.normal(size=n), rng.normal(size=n)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.5 * y[t - 1] + 1.5 * np.tanh(2 * x[t - 1]) * x[t - 1] + 0.3 * np.sin(y[t - 2]) + 0.1 * e[t]
    idx = pd.RangeIndex(n)
    return pd.Series(y, index=idx), pd.DataFrame({"x": x}, index=idx)


def one_step_mse(seed, epochs):
    y, X = nonlinear_narx_process(seed)
    n_train = 900
    origins = np.arange(n_train, len(y))  # one step ahead needs past X only, for both models
    truth = y.to_numpy()[origins]
    narx = NARXForecaster(lags=2, exog_lags=2, hidden=(16,), epochs=epochs, learning_rate=1e-2, batch_size=64,
                          patience=5, seed=seed).fit(y.iloc[:n_train], X.iloc[:n_train])
    arx = ARForecaster(lags=2, exog_lags=2).fit(y.iloc[:n_train], X.iloc[:n_train])
    mse_narx = np.mean((narx.predict_at(y, origins, 1, X=X)[:, 0] - truth) ** 2)
    mse_arx = np.mean((arx.predict_at(y, origins, 1, X=X)[:, 0] - truth) ** 2)
    return mse_narx, mse_arx


def _report_narx_vs_arx(seeds, epochs):
    results = [one_step_mse(s, epochs) for s in seeds]
    narx, arx = np.mean(results, axis=0)
    print(f"\none-step MSE on the last 300 points, seeds {list(seeds)}: NARX {narx:.4f}, linear ARX {arx:.4f} "
          f"({100 * (1 - narx / arx):.0f}% lower)")
    return narx, arx


def test_narx_beats_linear_arx_on_nonlinear_process_fast():
    narx, arx = _report_narx_vs_arx([0], epochs=12)
    assert narx <= 0.8 * arx  # at least 20% lower MSE


@pytest.mark.slow
def test_narx_beats_linear_arx_on_nonlinear_process_three_seeds():
    narx, arx = _report_narx_vs_arx([0, 1, 2], epochs=60)
    assert narx <= 0.8 * arx


def multi_seasonal(seed, n=1400):
    """Two seasons (8 and 20 steps) plus N(0, 0.3^2) noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 2 * np.sin(2 * np.pi * t / 8) + 1.5 * np.sin(2 * np.pi * t / 20 + 1.0) + rng.normal(0, 0.3, n)
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def _report_tdnn_vs_seasonal_naive(seeds, epochs):
    H = 8
    rows = []
    for seed in seeds:
        y = multi_seasonal(seed)
        n_train = 1000
        origins = np.arange(n_train, len(y) - H + 1, 4)
        truth = np.stack([y.to_numpy()[o : o + H] for o in origins])
        tdnn = TDNNForecaster(lags=40, delays=3, filters=8, layers=2, dilation=2, horizon=H, strategy="mimo",
                              epochs=epochs, learning_rate=5e-3, batch_size=64, patience=5, seed=seed).fit(y.iloc[:n_train])
        mse_tdnn = np.mean((tdnn.predict_at(y, origins, H) - truth) ** 2)
        # the fairer seasonal naive: the better of the two season lengths, and of their common period
        mse_naive = min(np.mean((SeasonalNaiveForecaster(m=m).fit(y.iloc[:n_train]).predict_at(y, origins, H) - truth) ** 2)
                        for m in (8, 20, 40))
        rows.append((mse_tdnn, mse_naive))
    tdnn, naive = np.mean(rows, axis=0)
    print(f"\n{H}-step MSE, seeds {list(seeds)}: TDNN {tdnn:.4f}, best seasonal naive {naive:.4f} "
          f"({100 * (1 - tdnn / naive):.0f}% lower; noise variance 0.09)")
    return tdnn, naive


def test_tdnn_beats_seasonal_naive_on_multi_seasonal_signal_fast():
    tdnn, naive = _report_tdnn_vs_seasonal_naive([0], epochs=20)
    assert tdnn <= 0.7 * naive  # at least 30% lower MSE


@pytest.mark.slow
def test_tdnn_beats_seasonal_naive_three_seeds():
    tdnn, naive = _report_tdnn_vs_seasonal_naive([0, 1, 2], epochs=60)
    assert tdnn <= 0.7 * naive


def simulate_ar2(seed, n):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 100)
    y = np.zeros(n + 100)
    for t in range(2, n + 100):
        y[t] = CONST + PHI[0] * y[t - 1] + PHI[1] * y[t - 2] + e[t]
    return pd.Series(y[100:], index=pd.RangeIndex(n))


def analytic_ar2(y, origins, H):
    """E[y_{o+h} | y[:o]] of the known AR(2) via the companion matrix."""
    F = np.array([[PHI[0], PHI[1]], [1.0, 0.0]])
    mu = CONST / (1 - sum(PHI))
    v = y.to_numpy()
    state = np.stack([v[origins - 1], v[origins - 2]]) - mu
    out = []
    for _ in range(H):
        state = F @ state
        out.append(mu + state[0])
    return np.column_stack(out)


@pytest.mark.parametrize("strategy", ["recursive", "direct", "mimo"])
def test_linear_narx_strategies_match_ar2_conditional_expectation(strategy):
    """A linear NARX on an AR(2) learns the conditional mean: forecasts within 0.15 (0.15 noise sd;
    the forecasts themselves vary with sd about 1) RMS of the analytic expectation at every lead time."""
    H = 4
    y = simulate_ar2(3, n=1600)
    epochs = 15 if strategy == "direct" else 25  # direct trains one network per lead time
    model = NARXForecaster(lags=2, hidden=(4,), activation="linear", horizon=H, strategy=strategy, epochs=epochs,
                           learning_rate=1e-2, batch_size=64, patience=5, seed=0).fit(y.iloc[:1200])
    origins = np.arange(1200, 1600 - H)
    pred = model.predict_at(y, origins, H)
    truth = analytic_ar2(y, origins, H)
    rms = np.sqrt(np.mean((pred - truth) ** 2, axis=0))
    print(f"\n{strategy}: RMS distance to the analytic conditional mean by lead time {np.round(rms, 3)}")
    assert np.all(rms < 0.15)


def test_past_covariates_need_no_x_beyond_the_last_fed_back_step():
    y, X = nonlinear_narx_process(1, n=200)
    model = NARXForecaster(**{**NARXForecaster._test_params(), "horizon": 1}).fit(y, X)
    assert model._future_exog_steps(1) == 0 and model._future_exog_steps(4) == 3
    one = model.predict(1, y=y, X=X)  # X ends at the origin: enough for one step
    assert np.isfinite(one.to_numpy()).all()
    four = model.predict(4, y=y.iloc[:190], X=X.iloc[:193])
    assert np.isfinite(four.to_numpy()).all()


@pytest.mark.parametrize("cls", [NARXForecaster, TDNNForecaster])
@pytest.mark.parametrize("strategy", ["recursive", "mimo"])
def test_predict_from_new_history_with_exog_equals_predict_at(cls, strategy):
    y, X = nonlinear_narx_process(0, n=300)
    model = cls(**{**cls._test_params(), "strategy": strategy, "horizon": 3}).fit(y.iloc[:200], X.iloc[:200])
    H = 5
    n_fut = model._future_exog_steps(H)
    origins = np.array([200, 237, 260, 290 - n_fut])
    batched = model.predict_at(y, origins, H, X=X)
    for i, o in enumerate(origins):
        one = model.predict(H, y=y.iloc[:o], X=X.iloc[: o + n_fut]).to_numpy()
        np.testing.assert_allclose(one, batched[i], rtol=1e-5, atol=1e-6)


def test_linear_skip_adds_a_linear_autoregression_of_the_taps_to_the_output():
    """With the hidden units' output weights zeroed, the network is exactly W x + b on its input taps."""
    y = simulate_ar2(5, n=300) + 10.0
    model = NARXForecaster(lags=[1, 2, 5], hidden=(3,), linear_skip=True, scaler=None, strategy="mimo", horizon=2,
                           epochs=2, seed=0).fit(y)
    net = model.networks_[0]
    head = net.get_layer("forecast")
    kernel, bias = head.get_weights()
    assert kernel.shape == (3 + 3, 2)  # 3 hidden units, then the taps y[t-1], y[t-2], y[t-5]
    kernel[:3] = 0.0
    head.set_weights([kernel, bias])
    v = y.to_numpy()
    taps = np.array([v[-1], v[-2], v[-5]])
    np.testing.assert_allclose(model.predict(2).to_numpy(), taps @ kernel[3:] + bias, rtol=1e-5)
    with pytest.raises(ParameterError, match="linear_skip"):
        NARXForecaster(linear_skip="yes").fit(y)


def test_linear_skip_network_learns_the_ar2_conditional_expectation_through_a_tanh_layer():
    H = 4
    y = simulate_ar2(3, n=1600)
    model = NARXForecaster(lags=2, hidden=(4,), linear_skip=True, horizon=H, strategy="mimo", epochs=25,
                           learning_rate=1e-2, batch_size=64, patience=5, seed=0).fit(y.iloc[:1200])
    origins = np.arange(1200, 1600 - H)
    rms = np.sqrt(np.mean((model.predict_at(y, origins, H) - analytic_ar2(y, origins, H)) ** 2, axis=0))
    assert np.all(rms < 0.15), rms


# -- linear_skip="ridge": the linear part solved by ridge regression, then held fixed. Truths:
# scikit-learn's Ridge (the solver), windows cut and normalised by a hand loop (the features), the
# companion-matrix forecast of the known AR(2) (what a fitted linear part must reach).
def _penalty(x, alpha):
    """The penalty ridge_fit promises: alpha times the mean variance (times n) of the features."""
    xc = x - x.mean(axis=0)
    return alpha * np.trace(xc.T @ xc) / x.shape[1]


def _blocks(x, t, cuts):
    edges = [0, *sorted({c for c in cuts if c < len(x)}), len(x)]
    return [(x[a:b], t[a:b]) for a, b in zip(edges[:-1], edges[1:])]


def _problem(n, d, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d) + rng.normal(size=d) * 5
    return x, x @ rng.normal(size=(d, k)) + rng.normal(size=k) + rng.normal(size=(n, k))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(8, 60), d=st.integers(1, 6), k=st.integers(1, 3), cuts=st.lists(st.integers(1, 59), max_size=4),
       alpha=st.sampled_from([1e-3, 1e-2, 1.0]), seed=st.integers(0, 10_000))
def test_ridge_fit_with_one_penalty_equals_sklearn_ridge_however_the_rows_are_blocked(n, d, k, cuts, alpha, seed):
    x, t = _problem(n, d, k, seed)
    coef, intercept, chosen = ridge_fit(_blocks(x, t, cuts), alphas=[alpha])
    truth = Ridge(alpha=_penalty(x, alpha), fit_intercept=True, solver="cholesky").fit(x, t)
    # scikit-learn drops the target axis when there is one target.
    np.testing.assert_allclose(coef, np.reshape(truth.coef_, (k, d)).T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercept, np.reshape(truth.intercept_, k), rtol=1e-6, atol=1e-8)
    assert list(chosen) == [alpha] * k


@settings(max_examples=30, deadline=None)
@given(n=st.integers(10, 50), d=st.integers(1, 12), k=st.integers(1, 3), cuts=st.lists(st.integers(1, 49), max_size=3),
       seed=st.integers(0, 10_000))
def test_ridge_fit_picks_each_targets_penalty_by_gcv_computed_with_the_hat_matrix(n, d, k, cuts, seed):
    x, t = _problem(n, d, k, seed)
    alphas = [1e-4, 1e-2, 1.0, 100.0]
    coef, intercept, chosen = ridge_fit(_blocks(x, t, cuts), alphas=alphas)
    xc = x - x.mean(axis=0)
    for j in range(k):
        scores = []
        for a in alphas:  # GCV from its definition: n RSS / (n - trace(hat))^2, the hat matrix written out
            hat = np.ones((n, n)) / n + xc @ np.linalg.solve(xc.T @ xc + _penalty(x, a) * np.eye(d), xc.T)
            resid = t[:, j] - hat @ t[:, j]
            scores.append(n * resid @ resid / (n - np.trace(hat)) ** 2)
        best = alphas[int(np.argmin(scores))]
        assert chosen[j] == best, (j, scores, chosen)
        truth = Ridge(alpha=_penalty(x, best), solver="cholesky").fit(x, t[:, j])
        np.testing.assert_allclose(coef[:, j], truth.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(intercept[j], truth.intercept_, rtol=1e-6, atol=1e-8)


def test_ridge_fit_on_constant_features_returns_the_mean_and_on_noise_shrinks_hard():
    rng = np.random.default_rng(0)
    t = rng.normal(3.0, 1.0, size=(40, 2))
    x = np.full((40, 5), 0.1)  # 0.1 has no exact binary form: uncentred sums would leave rounding noise
    coef, intercept, _ = ridge_fit(_blocks(x, t, [7, 20]))
    assert np.all(coef == 0.0)
    np.testing.assert_allclose(intercept, t.mean(axis=0))
    # As many features as rows, all noise: GCV (which counts the intercept) must not interpolate.
    x = rng.normal(size=(60, 60))
    coef, _, chosen = ridge_fit([(x, rng.normal(size=(60, 1)))])
    assert chosen[0] >= 1.0 and np.abs(coef).max() < 0.1, (chosen, np.abs(coef).max())


def _hand_design(v, x, lags, q, window, base):
    """Every training window cut by a loop: window-normalised target lags, exogenous taps, and the
    normalised targets minus the last value (base='last'), for horizon 2."""
    feats, targets = [], []
    for s in range(len(v) - window - 2 + 1):
        w = v[s : s + window]
        level, spread = w.mean(), max(w.std(), 1e-3)
        z = (w - level) / spread
        row = [z[window - lag] for lag in lags] + list(x[s + window - q : s + window].ravel())
        tgt = (v[s + window : s + window + 2] - level) / spread
        feats.append(row)
        targets.append(tgt - z[-1] if base == "last" else tgt)
    return np.array(feats), np.array(targets)


@pytest.mark.parametrize("base", [None, "last"])
def test_ridge_part_is_the_ridge_fit_of_the_windows_the_core_sees_and_stays_fixed(base):
    rng = np.random.default_rng(0)
    n = 260
    idx = pd.date_range("2024-01-01", periods=n, freq="h")
    level = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 24)
    y = pd.Series(level * np.exp(rng.normal(0, 0.05, n)), index=idx)
    X = pd.DataFrame({"x": rng.normal(size=n)}, index=idx)
    lags, q = [1, 2, 5, 24], 3
    model = NARXForecaster(lags=lags, exog_lags=q, hidden=(4,), linear_skip="ridge", scaler="window", base=base,
                           strategy="mimo", horizon=2, epochs=3, seed=0).fit(y, X)
    net = model.networks_[0]
    linear = find_layer(net, LINEAR_SKIP)
    assert not linear.trainable
    # The series the network reads: log values, standardised (window normalisation undoes the latter).
    v = model.scalers_[0].transform(y.to_numpy())
    xs = (X.to_numpy() - model.x_loc_) / model.x_scale_
    feats, targets = _hand_design(v, xs, lags, q, window=24, base=base)
    kernel, bias = linear.get_weights()
    chosen = model.history_[0]["ridge_alpha"]
    assert len(chosen) == 2
    for j, alpha in enumerate(chosen):
        truth = Ridge(alpha=_penalty(feats, alpha), solver="cholesky").fit(feats, targets[:, j])
        # After training: the frozen part is still the ridge fit (float32 windows, float32 weights).
        np.testing.assert_allclose(kernel[:, j], truth.coef_, rtol=2e-3, atol=2e-4)
        np.testing.assert_allclose(bias[j], truth.intercept_, rtol=2e-3, atol=2e-4)


def test_ridge_network_with_the_mlp_silenced_forecasts_the_linear_fit():
    y = simulate_ar2(5, n=400) + 10.0
    model = NARXForecaster(lags=3, hidden=(4,), linear_skip="ridge", scaler=None, strategy="mimo", horizon=2,
                           epochs=2, seed=0).fit(y)
    net = model.networks_[0]
    head = find_layer(net, "forecast")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    kernel, bias = find_layer(net, LINEAR_SKIP).get_weights()
    v = y.to_numpy()
    np.testing.assert_allclose(model.predict(2).to_numpy(), v[-3:] @ kernel + bias, rtol=1e-5)


def test_ridge_part_reaches_the_ar2_conditional_expectation_in_one_epoch():
    """A gradient-trained linear skip needs 25 epochs at a high learning rate to get here
    (test_neural_baselines); the closed-form part is there before training starts."""
    H = 4
    y = simulate_ar2(3, n=1600)
    origins = np.arange(1200, 1600 - H)

    def rms(linear_skip):
        model = NARXForecaster(lags=2, hidden=(4,), linear_skip=linear_skip, horizon=H, strategy="mimo", epochs=1,
                               batch_size=64, seed=0).fit(y.iloc[:1200])
        return np.sqrt(np.mean((model.predict_at(y, origins, H) - analytic_ar2(y, origins, H)) ** 2, axis=0))

    ridge, trained = rms("ridge"), rms(True)
    assert np.all(ridge < 0.1), ridge
    assert np.all(trained > 2 * ridge), (trained, ridge)  # the same check fails a one-epoch trained skip


def test_ridge_network_round_trips_through_save_and_load(tmp_path):
    y = simulate_ar2(1, n=300) + 10.0
    model = NARXForecaster(lags=4, hidden=(3,), linear_skip="ridge", strategy="mimo", horizon=3, epochs=2,
                           seed=0).fit(y)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(3).to_numpy(), model.predict(3).to_numpy(), rtol=1e-6)
    assert not find_layer(loaded.networks_[0], LINEAR_SKIP).trainable


def test_ridge_skip_refuses_quantiles_and_unknown_values_by_name():
    y = simulate_ar2(1, n=200)
    with pytest.raises(ParameterError, match="linear_skip='ridge'.*quantiles"):
        NARXForecaster(lags=3, linear_skip="ridge", strategy="mimo", horizon=2, quantiles=(0.1, 0.5, 0.9)).fit(y)
    with pytest.raises(ParameterError, match="True, False or 'ridge'"):
        NARXForecaster(lags=3, linear_skip="lstsq").fit(y)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_ridge_narx_passes_the_conformance_suite(check):
    check(NARXForecaster(**{**NARXForecaster._test_params(), "linear_skip": "ridge"}))
