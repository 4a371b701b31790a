"""Quantile outputs: pinball loss, predict_quantiles, quantile predict_interval, coverage on a known process."""

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm
from sklearn.exceptions import NotFittedError

import tsforecast as tsf
from tsforecast.exceptions import ParameterError
from tsforecast.nn.training import PINBALL_KAPPA, pinball_loss
from tsforecast.testing import check_constant_series, check_forecaster, check_shortest_series, make_series

QS = (0.1, 0.5, 0.9)
FAST = dict(lags=6, horizon=3, epochs=2, batch_size=32, patience=1, quantiles=QS)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_pinball_loss_matches_a_brute_force_loop(data):
    rows, steps = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    qs = sorted(data.draw(st.sets(st.floats(0.01, 0.99), min_size=1, max_size=4)))
    finite = st.floats(-10, 10, allow_nan=False, width=32)
    y = data.draw(arrays(np.float32, (rows, steps), elements=finite))
    f = data.draw(arrays(np.float32, (rows, steps * len(qs)), elements=finite))
    got = keras.ops.convert_to_numpy(pinball_loss(y, f, qs))
    want = np.zeros(rows)
    for r in range(rows):
        for s in range(steps):
            for j, q in enumerate(qs):  # step-major: step s, quantile j at s * n_q + j
                e = float(y[r, s]) - float(f[r, s * len(qs) + j])
                pinball = q * e if e >= 0 else (q - 1) * e
                if abs(e) <= PINBALL_KAPPA:  # the kink rounded off: e^2 / (2 kappa), weighted like pinball
                    pinball = (q if e >= 0 else 1 - q) * e * e / (2 * PINBALL_KAPPA)
                else:
                    pinball -= (q if e >= 0 else 1 - q) * PINBALL_KAPPA / 2
                want[r] += pinball / (steps * len(qs))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def _ar1(n, phi, seed, start=0.0):
    rng = np.random.default_rng(seed)
    x, prev = np.empty(n), start
    for t in range(n):
        prev = phi * prev + rng.normal()
        x[t] = prev
    return x


def test_band_covers_fresh_gaussian_ar1_data_at_its_nominal_rate():
    # x_t = 0.6 x_{t-1} + e_t, e_t ~ N(0, 1): given x_t, x_{t+h} ~ N(0.6^h x_t, sum_{i<h} 0.36^i).
    phi, n_train, n_test = 0.6, 3000, 2000
    train = _ar1(n_train, phi, seed=0)
    test = _ar1(n_test, phi, seed=1, start=train[-1])  # fresh noise, continuing the series
    y = pd.Series(np.r_[train, test], pd.date_range("2024-01-01", periods=n_train + n_test, freq="h"))
    model = tsf.NARXForecaster(lags=3, horizon=2, strategy="mimo", hidden=(8,), quantiles=QS, epochs=40,
                               patience=5, learning_rate=1e-2, batch_size=64, seed=0).fit(y.iloc[:n_train])
    origins = np.arange(n_train, n_train + n_test - 1)
    q = model.predict_quantiles_at(y, origins, 2)
    assert q.shape == (len(origins), 2, 3)
    actual = y.to_numpy()[origins[:, None] + np.arange(2)]
    last = y.to_numpy()[origins - 1]
    for h in (1, 2):
        covered = np.mean((actual[:, h - 1] >= q[:, h - 1, 0]) & (actual[:, h - 1] <= q[:, h - 1, 2]))
        # Sampling sd of a rate of 0.8 over 2000 points is 0.009; the learned quantiles' own error
        # (3000 training windows) adds about 0.011: 0.04 is about three standard deviations.
        assert abs(covered - 0.8) < 0.04, (h, covered)
        sd = np.sqrt(sum(phi ** (2 * i) for i in range(h)))
        truth = phi**h * last[:, None] + sd * norm.ppf(QS)[None, :]
        # The learned quantile functions themselves, against the true conditional quantiles.
        assert np.mean(np.abs(q[:, h - 1] - truth)) < 0.15 * sd, h


def test_predict_quantiles_interval_and_save_load(tmp_path):
    y = make_series(200)
    m = tsf.GRUForecaster(**FAST, units=4, head="seq2seq").fit(y)
    q = m.predict_quantiles()
    assert list(q.columns) == list(QS) and q.index.equals(m.predict().index)
    assert np.all(np.diff(q.to_numpy(), axis=1) >= 0)  # sorted: no crossing
    np.testing.assert_array_equal(q[0.5].to_numpy(), m.predict().to_numpy())
    band = m.predict_interval(coverage=0.8)
    np.testing.assert_array_equal(band[["forecast", "lower", "upper"]].to_numpy(), q[[0.5, 0.1, 0.9]].to_numpy())
    with pytest.raises(ParameterError, match=r"\[0.8\]"):
        m.predict_interval(coverage=0.9)
    with pytest.raises(ParameterError, match="horizon=5"):
        m.predict_quantiles(5)
    at = m.predict_quantiles_at(y, [50, 120, 200], 3)
    for i, o in enumerate([50, 120, 200]):
        np.testing.assert_allclose(at[i], m.predict_quantiles(y=y.iloc[:o]).to_numpy(), rtol=1e-6)
    m.save(tmp_path / "m")
    loaded = tsf.load_model(tmp_path / "m")
    assert loaded.quantiles == QS
    np.testing.assert_array_equal(loaded.predict_quantiles().to_numpy(), q.to_numpy())


def test_global_quantiles_long_frame_and_batched_origins():
    series = {f"s{i}": make_series(120, seed=i, level=10 * (i + 1)) for i in range(2)}
    m = tsf.NARXForecaster(**FAST, strategy="direct", hidden=(4,)).fit(series)
    q = m.predict_quantiles()
    assert list(q.columns) == ["id", "timestamp", "step", *QS]
    np.testing.assert_array_equal(q[0.5].to_numpy(), m.predict()["forecast"].to_numpy())
    band = m.predict_interval(coverage=0.8)
    assert list(band.columns) == ["id", "timestamp", "step", "forecast", "lower", "upper"]
    got = m.forecast_origins(series, {k: [60, 120] for k in series}, 3, quantiles=True)
    for k, s in series.items():
        for i, o in enumerate([60, 120]):
            one = m.predict_quantiles(y={k: s.iloc[:o]})
            np.testing.assert_allclose(got[k][i], one[list(QS)].to_numpy(), rtol=1e-6)


def test_without_quantiles_interval_falls_back_to_conformal_and_quantiles_are_refused():
    y = make_series(120)
    m = tsf.NARXForecaster(lags=4, horizon=2, epochs=1, hidden=(4,)).fit(y)
    with pytest.raises(NotFittedError, match="calibrate"):
        m.predict_interval()
    with pytest.raises(ParameterError, match="quantiles"):
        m.predict_quantiles()


@pytest.mark.parametrize("params, match", [
    ({"quantiles": (0.1, 0.9)}, "0.5"),
    ({"quantiles": (0.9, 0.5, 0.1)}, "increasing"),
    ({"quantiles": (0.0, 0.5)}, "in \\(0, 1\\)"),
    ({"quantiles": 0.5}, "increasing"),
    ({"quantiles": QS, "strategy": "recursive"}, "recursive"),
    ({"quantiles": QS, "difference": True}, "difference"),
    ({"quantiles": QS, "loss": "mae"}, "pinball"),
])
def test_bad_quantile_settings_are_refused(params, match):
    with pytest.raises(ParameterError, match=match):
        tsf.NARXForecaster(**{"strategy": "mimo", **params}).fit(make_series(80))


def test_a_constant_series_forecasts_the_constant_in_every_quantile():
    # The pinball loss's kink is rounded off, so exact zero errors give zero gradients and the
    # network stays at exactly zero (a plain pinball loss steps around it: 99.9987 here).
    est = tsf.NARXForecaster(lags=6, horizon=2, epochs=3, hidden=(4,), strategy="mimo", quantiles=QS)
    check_constant_series(est)
    check_shortest_series(est)  # no validation: early stopping watches the training pinball loss


@pytest.mark.slow
@pytest.mark.parametrize("est", [
    tsf.GRUForecaster(lags=8, horizon=2, epochs=2, batch_size=16, patience=1, units=4, quantiles=QS),
    tsf.NARXForecaster(lags=8, horizon=2, epochs=2, hidden=(4,), strategy="direct", quantiles=(0.25, 0.5, 0.75),
                       weight_decay=0.01),
], ids=["gru_quantiles", "narx_direct_quantiles_weight_decay"])
def test_quantile_networks_pass_the_conformance_checks(est):
    check_forecaster(est)


def test_backtest_coverage_of_a_quantile_network_uses_its_quantiles():
    y = make_series(260)
    est = tsf.GRUForecaster(**FAST, units=4, seed=3)
    bt = tsf.backtest(est, y, initial=200, horizon=3, step=5, coverage=0.8)
    model = tsf.GRUForecaster(**FAST, units=4, seed=3).fit(y.iloc[:200])  # the same fit, by hand
    Q = model.predict_quantiles_at(y, bt.origins, 3)
    frame = bt.predictions.sort_values(["origin", "step"])
    np.testing.assert_allclose(frame["y_pred"].to_numpy(), Q[..., 1].ravel(), rtol=1e-6)
    np.testing.assert_allclose(frame["lower"].to_numpy(), Q[..., 0].ravel(), rtol=1e-6)
    np.testing.assert_allclose(frame["upper"].to_numpy(), Q[..., 2].ravel(), rtol=1e-6)
    inside = (frame["y_true"] >= frame["lower"]) & (frame["y_true"] <= frame["upper"])
    assert bt.metrics.loc["all", "coverage"] == pytest.approx(inside.mean())  # brute-force count
    with pytest.raises(ParameterError, match="coverage"):
        tsf.backtest(est, y, initial=200, horizon=3, step=5, coverage=0.9)
