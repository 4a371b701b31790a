"""RTRLForecaster: real-time recurrent learning against autodiff, online adaptation, constant memory."""

import tempfile
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from tsforecast.exceptions import ParameterError
from tsforecast.models.rtrl_model import RTRLForecaster, RTRLNetwork
from tsforecast.persistence import load_model
from tsforecast.testing import make_series


def _network(units, lags, seed, recurrent=0.9):
    """A network with strong recurrent weights, so the gradient depends on the recurrence through W."""
    rng = np.random.default_rng(seed)
    net = RTRLNetwork(units, lags, rng)
    net.W[...] = rng.normal(0.0, recurrent / np.sqrt(units), (units, units))
    net.A[:, -1] = rng.normal(0.0, 0.3, units)
    net.theta[-1] = 0.2
    return net


# -- the gradient ------------------------------------------------------------------
def _rtrl_gradient(net, z):
    """RTRL's per-step gradients of the one-step losses, summed over the stream with the weights frozen."""
    g = np.zeros_like(net.theta)
    for value in z:
        net.step(value, 0.0, None, gradient=g)
    return g


def _bptt_gradient(net, z):
    """Autodiff (TensorFlow, float64) of sum_t 0.5 (v.h_t + c - z_{t+1})^2 on the unrolled sequence."""
    tf = pytest.importorskip("tensorflow")
    n, m = net.units, net.lags
    A = tf.Variable(net.A.copy())
    v = tf.Variable(net.v.copy())
    c = tf.Variable(np.float64(net.theta[-1]))
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        h = tf.zeros(n, tf.float64)
        loss = tf.constant(0.0, tf.float64)
        for t in range(m - 1, len(z) - 1):
            x = tf.reverse(zt[t - m + 1 : t + 1], [0])  # newest first
            u = tf.concat([h, x, tf.ones(1, tf.float64)], 0)
            h = tf.tanh(tf.linalg.matvec(A, u))
            loss += 0.5 * (tf.tensordot(v, h, 1) + c - zt[t + 1]) ** 2
    gA, gv, gc = tape.gradient(loss, [A, v, c])
    return np.concatenate([gA.numpy().ravel(), gv.numpy(), [gc.numpy()]])


class _NoRecurrenceRTRL(RTRLNetwork):
    """Broken on purpose: drops the W P_{t-1} term, so sensitivities forget the past (truncated to one step)."""

    def _next_sensitivity(self, u, d):
        n = self.units
        nxt = np.zeros_like(self.P)
        nxt.reshape(n * n, self.q)[:: n + 1] += u
        self.P = nxt * d[:, None, None]


def test_rtrl_gradient_equals_bptt_autodiff():
    z = np.sin(0.7 * np.arange(20)) + np.random.default_rng(5).normal(0, 0.3, 20)
    ref = _bptt_gradient(_network(3, 2, seed=1), z)
    net = _network(3, 2, seed=1)
    theta = net.theta.copy()
    got = _rtrl_gradient(net, z)
    assert np.array_equal(net.theta, theta), "a frozen stream changed the weights"
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-10)
    # The same check fails on an RTRL without the recurrence term: it is not vacuous.
    broken = _rtrl_gradient(_broken_copy(_network(3, 2, seed=1)), z)
    assert np.max(np.abs(broken - ref)) > 1e-3 * np.max(np.abs(ref))


def _broken_copy(net):
    bad = _NoRecurrenceRTRL(net.units, net.lags)
    bad.theta[...] = net.theta
    return bad


def test_sgd_step_is_the_clipped_gradient_step():
    z = np.sin(0.7 * np.arange(12))
    a, b = _network(4, 3, seed=2), _network(4, 3, seed=2)
    a.stream(z[:-1]), b.stream(z[:-1])  # same state, weights frozen
    g = np.zeros_like(a.theta)
    a.step(z[-1], 0.0, None, gradient=g)
    expected = b.theta - 0.05 * min(1.0, 0.1 / np.linalg.norm(g)) * g
    b.step(z[-1], 0.05, 0.1)
    np.testing.assert_allclose(b.theta, expected, rtol=1e-12, atol=1e-15)
    assert np.linalg.norm(g) > 0.1, "the example must exercise clipping"


# -- forward pass and forecasts ---------------------------------------------------------
def _brute_force_forecasts(net, z, horizon):
    """The Elman recursion written out with Python loops, for one history ``z``."""
    n, m = net.units, net.lags
    W, U, b = net.A[:, :n], net.A[:, n:-1], net.A[:, -1]
    h = [0.0] * n
    hist = list(z)
    for t in range(m - 1, len(hist)):
        x = [hist[t - j] for j in range(m)]
        h = [np.tanh(sum(W[k, i] * h[i] for i in range(n)) + sum(U[k, j] * x[j] for j in range(m)) + b[k])
             for k in range(n)]
    out = []
    for _ in range(horizon):
        out.append(sum(net.v[k] * h[k] for k in range(n)) + net.theta[-1])
        hist.append(out[-1])
        t = len(hist) - 1
        x = [hist[t - j] for j in range(m)]
        h = [np.tanh(sum(W[k, i] * h[i] for i in range(n)) + sum(U[k, j] * x[j] for j in range(m)) + b[k])
             for k in range(n)]
    return np.array(out)


@settings(max_examples=15, deadline=None)
@given(units=st.integers(1, 4), lags=st.integers(1, 3), length=st.integers(5, 30), seed=st.integers(0, 1000))
def test_frozen_run_and_stream_match_brute_force(units, lags, length, seed):
    net = _network(units, lags, seed)
    z = np.random.default_rng(seed).normal(size=length)
    H = net.states_at(z[None], [length])[:, 0]
    got = net.forecast(H, z[::-1][None, :lags], 3)[0]
    np.testing.assert_allclose(got, _brute_force_forecasts(net, z, 3), rtol=1e-10, atol=1e-12)
    # The learner's stream with frozen weights forecasts each point as the frozen run does.
    f = np.empty(length)
    net.stream(z, 0.0, None, f)
    assert np.isnan(f[:lags]).all()
    ends = np.arange(lags, length)
    one_step = net.forecast(net.states_at(z[None], ends)[0], z[ends[:, None] - 1 - np.arange(lags)], 1)[:, 0]
    np.testing.assert_allclose(f[lags:], one_step, rtol=1e-10, atol=1e-12)


def test_forecaster_forecasts_in_original_units_by_the_recursion():
    y = make_series(150)
    est = RTRLForecaster(units=4, lags=2).fit(y)
    sc = est.scaler_
    np.testing.assert_allclose([sc.loc_, sc.scale_], [y.mean(), y.std(ddof=0)])  # fitted on y alone
    ref = _brute_force_forecasts(est.network_, ((y - y.mean()) / y.std(ddof=0)).to_numpy(), 5) * sc.scale_ + sc.loc_
    np.testing.assert_allclose(est.predict(5).to_numpy(), ref, rtol=1e-9)


# -- streaming ---------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(121, 199), min_size=1, max_size=4, unique=True))
def test_partial_fit_in_chunks_equals_one_block(cuts):
    y = make_series(200)
    block = RTRLForecaster(units=4).fit(y.iloc[:120]).partial_fit(y.iloc[120:])
    chunked = RTRLForecaster(units=4).fit(y.iloc[:120])
    bounds = [120, *sorted(cuts), 200]
    for a, b in zip(bounds[:-1], bounds[1:]):
        chunked.partial_fit(y.iloc[a:b])
    np.testing.assert_array_equal(chunked.network_.theta, block.network_.theta)
    np.testing.assert_array_equal(chunked.network_.P, block.network_.P)
    np.testing.assert_array_equal(chunked.predict(4).to_numpy(), block.predict(4).to_numpy())


def test_fit_epochs_are_passes_from_a_zero_state_with_weights_carried():
    y = make_series(120)
    one = RTRLForecaster(units=4, epochs=1).fit(y)
    two = RTRLForecaster(units=4, epochs=2).fit(y)
    net = one.network_
    net.reset_state()
    net.stream(one.scaler_.transform(y.to_numpy()), one.learning_rate, one.clipnorm)
    np.testing.assert_array_equal(two.network_.theta, net.theta)


def test_update_keeps_weights_learn_true_learns_and_scale_stays_fixed():
    y = make_series(200) + np.r_[np.zeros(120), np.full(80, 4.0)]  # the new data have another level
    frozen = RTRLForecaster(units=4).fit(y.iloc[:120])
    theta, loc = frozen.network_.theta.copy(), frozen.scaler_.loc_
    frozen.update(y.iloc[120:])
    np.testing.assert_array_equal(frozen.network_.theta, theta)
    learner = RTRLForecaster(units=4).fit(y.iloc[:120]).update(y.iloc[120:], learn=True)
    via_partial = RTRLForecaster(units=4).fit(y.iloc[:120]).partial_fit(y.iloc[120:])
    np.testing.assert_array_equal(learner.network_.theta, via_partial.network_.theta)
    assert not np.allclose(learner.network_.theta, theta)
    assert learner.scaler_.loc_ == loc == frozen.scaler_.loc_
    # The frozen learning state advanced over the new points: its stream forecasts equal a frozen rerun
    # continued from the fit's end state, i.e. partial_fit after update starts from the new end.
    again = RTRLForecaster(units=4).fit(y.iloc[:120])
    again.network_.stream(again.scaler_.transform(y.to_numpy()[120:]))
    np.testing.assert_array_equal(frozen.network_.h, again.network_.h)


def test_partial_fit_on_an_unfitted_model_fits():
    y = make_series(100)
    a = RTRLForecaster(units=3).partial_fit(y)
    b = RTRLForecaster(units=3).fit(y)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)


def test_bad_update_options_are_refused_before_anything_changes():
    y = make_series(130)
    est = RTRLForecaster(units=3).fit(y.iloc[:100])
    theta = est.network_.theta.copy()
    for kwargs, match in (({"learn": "yes"}, "learn must be"), ({"epochs": 3}, "epochs"),
                          ({"refit": True, "learn": True}, "drop learn")):
        with pytest.raises(ParameterError, match=match):
            est.update(y.iloc[100:], **kwargs)
        assert len(est.y_) == 100 and np.array_equal(est.network_.theta, theta)


@pytest.mark.parametrize("params, match", [
    ({"units": 0}, "units"), ({"lags": 1.5}, "lags"), ({"learning_rate": 0}, "learning_rate"),
    ({"learning_rate": np.inf}, "learning_rate"), ({"clipnorm": -1.0}, "clipnorm"), ({"scaler": "log"}, "scaler"),
    ({"epochs": 0}, "epochs"), ({"seed": -1}, "seed"),
])
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ParameterError, match=match):
        RTRLForecaster(**params).fit(make_series())


def test_diverging_learning_is_a_named_error_and_an_update_leaves_the_model_unchanged():
    from sklearn.exceptions import NotFittedError

    y = make_series(200)
    bad = RTRLForecaster(units=4, learning_rate=2.0, clipnorm=None)
    with pytest.raises(ParameterError, match="diverged.*smaller learning_rate"):
        bad.fit(y)
    with pytest.raises(NotFittedError):
        bad.predict(2)
    est = RTRLForecaster(units=4).fit(y.iloc[:120])
    before = {k: np.array(v) for k, v in est.network_.to_arrays().items()}
    forecast = est.predict(3).to_numpy()
    est.set_params(learning_rate=2.0, clipnorm=None)
    with pytest.raises(ParameterError, match="diverged"):
        est.partial_fit(y.iloc[120:])
    assert len(est.y_) == 120 and est.y_.index.equals(y.index[:120])
    for key, value in est.network_.to_arrays().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    np.testing.assert_array_equal(est.predict(3).to_numpy(), forecast)
    est.set_params(learning_rate=0.01, clipnorm=1.0)
    est.partial_fit(y.iloc[120:])  # the stream continues from where it was
    assert len(est.y_) == 200


def test_save_load_continues_learning_identically():
    y = make_series(200)
    est = RTRLForecaster(units=4).fit(y.iloc[:120]).partial_fit(y.iloc[120:150])
    with tempfile.TemporaryDirectory() as tmp:
        est.save(f"{tmp}/m")
        loaded = load_model(f"{tmp}/m")
    est.partial_fit(y.iloc[150:])
    loaded.partial_fit(y.iloc[150:])
    np.testing.assert_array_equal(loaded.network_.theta, est.network_.theta)
    np.testing.assert_array_equal(loaded.predict(3).to_numpy(), est.predict(3).to_numpy())


def test_fit_and_predict_do_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from tsforecast.models.rtrl_model import RTRLForecaster; "
            "RTRLForecaster(units=3).fit(np.sin(np.arange(60.0))).predict(3); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]


# -- adaptation to a regime change ----------------------------------------------------------
RECOVERY_STEPS = 300  # stated in RTRLForecaster's docstring


def test_online_learning_recovers_after_a_regime_change_and_a_frozen_network_does_not():
    n, t0 = 2500, 2000
    t = np.arange(n)
    phase = np.where(t < t0, 2 * np.pi * t / 20, 2 * np.pi * t0 / 20 + 2 * np.pi * (t - t0) / 12)  # period 20 -> 12
    y = pd.Series(np.sin(phase) + np.random.default_rng(0).normal(0, 0.1, n))
    learner = RTRLForecaster(seed=0).fit(y.iloc[:t0])
    pre = np.mean((learner.online_forecasts_.to_numpy()[-500:] - y.to_numpy()[t0 - 500 : t0]) ** 2)
    frozen = RTRLForecaster(seed=0).fit(y.iloc[:t0]).update(y.iloc[t0:])
    learner.partial_fit(y.iloc[t0:])
    after = slice(RECOVERY_STEPS, None)
    err_learn = np.mean((learner.online_forecasts_.to_numpy()[after] - y.to_numpy()[t0:][after]) ** 2)
    err_frozen = np.mean((frozen.online_forecasts_.to_numpy()[after] - y.to_numpy()[t0:][after]) ** 2)
    first = np.mean((learner.online_forecasts_.to_numpy()[:100] - y.to_numpy()[t0 : t0 + 100]) ** 2)
    assert first > 1.05 * pre, "the change must hurt the learner at first, else the test shows nothing"
    assert err_learn <= 1.25 * pre, f"online learner: {err_learn / pre:.2f}x its pre-change error"
    assert err_frozen >= 2.5 * pre, f"frozen network: only {err_frozen / pre:.2f}x its pre-change error"


# -- constant memory ------------------------------------------------------------------------
CHUNK = 1000
# Storing even one float per step would add 8 bytes a step (152 kB over 19,000 steps); a hidden
# state per step 64 bytes, a P tensor per step 6 kB. Allocator and threadpoolctl bookkeeping move
# the peak by a few kB from run to run, so the bound sits well between the two.
LEAK_BOUND = 48 * 1024


def _peak_growth(n_steps, units=8, network=RTRLNetwork):
    """Traced peak memory after ``n_steps`` learning steps minus the peak after the first chunk.

    Every chunk has the same length, so allocations that scale with a chunk (not with the
    stream) cancel out."""
    net = network(units, 3, np.random.default_rng(0))
    z = np.sin(0.3 * np.arange(n_steps)) + 0.1 * np.cos(0.05 * np.arange(n_steps))  # allocated before tracing
    net.stream(z[:CHUNK], 0.01, 1.0)  # warm-up outside tracing: one-off caches are not growth
    tracemalloc.start()
    try:
        net.stream(z[CHUNK : 2 * CHUNK], 0.01, 1.0)
        early = tracemalloc.get_traced_memory()[1]
        for a in range(2 * CHUNK, n_steps, CHUNK):
            net.stream(z[a : a + CHUNK], 0.01, 1.0)
        late = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.isfinite(net.theta).all()
    return late - early


class _LeakyNetwork(RTRLNetwork):
    """A broken toy that keeps one float per step: the check must catch it."""

    def step(self, z, *args):
        self.__dict__.setdefault("kept", []).append(float(z))
        return super().step(z, *args)


def test_memory_stays_flat_over_twenty_thousand_steps():
    growth = _peak_growth(20_000)
    assert growth < LEAK_BOUND, f"peak traced memory grew by {growth} bytes between 2,000 and 20,000 steps"


def test_the_memory_check_catches_a_network_that_keeps_one_float_per_step():
    assert _peak_growth(20_000, network=_LeakyNetwork) >= LEAK_BOUND


@pytest.mark.slow
def test_memory_stays_flat_over_a_million_steps():
    growth = _peak_growth(1_000_000)
    assert growth < LEAK_BOUND, f"peak traced memory grew by {growth} bytes between 2,000 and 1,000,000 steps"
