"""The NumPy forward pass (tsforecast.nn.numpy_forward) against Keras running the same network."""

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast import LSTMForecaster
from tsforecast.nn import numpy_forward as nf
from tsforecast.nn.mlp import build_narx
from tsforecast.nn.rnn import build_rnn, build_stateful_rnn
from tsforecast.nn.tdnn import build_tdnn
from tsforecast.nn.training import predict_batched
from tsforecast.nn.wrappers import wrap_network
from tsforecast.testing import make_series


def _randomise(net, seed):
    # Random weights everywhere, biases included, so every gate and term matters.
    rng = np.random.default_rng(seed)
    for w in net.weights:
        w.assign(rng.normal(0, 0.6, w.shape).astype("float32"))
    return net


def _inputs(net, batch, seed, level=0.0):
    rng = np.random.default_rng(seed + 1)
    # A stateful network fixes its batch; an open time axis gets 5 steps.
    shapes = [(t.shape[0] or batch, *(d or 5 for d in t.shape[1:])) for t in net.inputs]
    arrays = [(level + rng.normal(size=shape)).astype("float32") for shape in shapes]
    return arrays if len(arrays) > 1 else arrays[0]


def _assert_same(net, inputs):
    forward = nf.numpy_forward(net)
    assert forward is not None, f"{net.name} should run in NumPy"
    want = np.asarray(net.predict_on_batch(inputs))
    got = forward(inputs)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(want).max()))


@settings(max_examples=12, deadline=None)
@given(cell=st.sampled_from(["lstm", "gru", "simple"]), head=st.sampled_from(["dense", "seq2seq"]),
       units=st.lists(st.integers(1, 6), min_size=1, max_size=2), window=st.integers(2, 9),
       n_channels=st.integers(1, 3), n_future=st.integers(0, 2), out_steps=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_recurrent_networks_equal_keras(cell, head, units, window, n_channels, n_future, out_steps, seed):
    net = _randomise(build_rnn(window, n_channels, out_steps, n_future, cell=cell, units=tuple(units), head=head),
                     seed)
    _assert_same(net, _inputs(net, 7, seed))


@settings(max_examples=8, deadline=None)
@given(lags=st.sampled_from([4, [1, 2, 6], [2, 5]]), exog=st.integers(0, 2), hidden=st.sampled_from([(3,), (4, 2)]),
       skip=st.sampled_from([False, True, "ridge"]), n_future=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_narx_equals_keras(lags, exog, hidden, skip, n_future, seed):
    net = _randomise(build_narx(6, 1 + exog, 3, n_future, lags=lags, exog_lags=2, hidden=hidden,
                                activation="relu" if seed % 2 else "tanh", linear_skip=skip), seed)
    _assert_same(net, _inputs(net, 5, seed))


@settings(max_examples=8, deadline=None)
@given(delays=st.integers(1, 3), n_layers=st.integers(1, 3), dilation=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_tdnn_equals_keras(delays, n_layers, dilation, seed):
    window = 1 + sum((delays - 1) * dilation**i for i in range(n_layers)) + seed % 3
    net = _randomise(build_tdnn(window, 2, 3, 1, delays=delays, filters=3, n_layers=n_layers, dilation=dilation), seed)
    _assert_same(net, _inputs(net, 4, seed))


@pytest.mark.parametrize("base", [None, "last", "seasonal"])
@pytest.mark.parametrize("core_window", [None, 6])
def test_wrapped_networks_equal_keras(base, core_window):
    # Window normalisation, residual bases and a core reading only the end of the window, around an LSTM.
    core = build_rnn(core_window or 12, 1, 4, 0, cell="lstm", units=(5,))
    net = _randomise(wrap_network(core, 12, 1, 4, 0, window_norm=True, base=base, period=6, steps=[1, 2, 3, 4],
                                  core_window=core_window), 3)
    _assert_same(net, _inputs(net, 6, 0, level=50.0))


def test_gru_without_reset_after_and_the_check_can_fail():
    inp = keras.Input((5, 2))
    net = _randomise(keras.Model(inp, keras.layers.Dense(2)(keras.layers.GRU(4, reset_after=False)(inp))), 1)
    x = _inputs(net, 6, 1)
    _assert_same(net, x)
    # The two GRU forms differ by more than the tolerance, so a forward pass with the wrong one is caught.
    gru = net.layers[1]
    gru.cell.reset_after = True
    gru.cell.bias.assign(np.zeros(gru.cell.bias.shape, "float32"))  # only the reset gate's place differs now
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(nf.numpy_forward(net)(x), np.asarray(net.predict_on_batch(x)), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("activation,gate", [("tanh", "sigmoid"), ("relu", "sigmoid"), ("tanh", "tanh"),
                                             ("linear", "sigmoid")])
def test_lstm_activations_equal_keras(activation, gate):
    # The default pair (tanh, sigmoid) runs a fused step; the others run the general one.
    inp = keras.Input((6, 2))
    lstm = keras.layers.LSTM(5, activation=activation, recurrent_activation=gate, return_sequences=True)
    net = _randomise(keras.Model(inp, keras.layers.Dense(3)(lstm(inp))), 5)
    _assert_same(net, _inputs(net, 9, 5))


def test_fused_lstm_step_equals_the_general_one_bit_for_bit(monkeypatch):
    net = _randomise(build_rnn(7, 2, 3, 0, cell="lstm", units=(6, 4)), 7)
    x = _inputs(net, 50, 7)
    fused = nf.numpy_forward(net)(x)
    monkeypatch.setattr(nf, "_sigmoid", lambda z: z)  # no longer the cell's gate: the general step runs
    np.testing.assert_array_equal(nf.numpy_forward(net)(x), fused)


def test_weights_are_read_at_each_call():
    net = _randomise(build_rnn(4, 1, 2, 0, cell="gru", units=(3,)), 0)
    x = _inputs(net, 3, 0)
    forward = nf.numpy_forward(net)
    before = forward(x)
    _randomise(net, 1)  # as update() or fine-tuning would
    assert not np.allclose(forward(x), before)
    _assert_same(net, x)


@pytest.mark.parametrize("build", [
    lambda: build_rnn(6, 1, 2, 0, cell="lstm", units=(3,), head="attention"),
    lambda: build_rnn(6, 1, 2, 0, cell="lstm", units=(3,), bidirectional=True),
    lambda: build_rnn(6, 1, 2, 0, cell="lstm", units=(3,), peephole=True),
    lambda: build_stateful_rnn(1, 2, cell="gru", units=(3,), rows=4),  # keeps its state between calls
    lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")]),
])
def test_layers_it_does_not_know_are_left_to_keras(build):
    net = _randomise(build(), 2)
    assert nf.numpy_forward(net) is None
    if net.inputs[0].shape[0] is None:  # (a stateful network is not run by predict_batched)
        x = _inputs(net, 4, 2)
        # predict_batched runs such a network in Keras, padded to its batch shapes.
        np.testing.assert_allclose(predict_batched(net, x), np.asarray(net.predict_on_batch(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("params", [dict(scaler="window", base="seasonal", seasonal_period=6),
                                    dict(strategy="recursive", n_ensemble=2), dict(stateful=True)])
def test_estimator_forecasts_equal_the_keras_path(params, monkeypatch):
    y = make_series(140)
    model = LSTMForecaster(lags=12, horizon=3, units=4, epochs=2, seed=0, **params).fit(y.iloc[:120])
    assert all(nf.numpy_forward(net) is not None for net in model.networks_)
    fast = model.predict(3, y=y)
    monkeypatch.setenv(nf.KERAS_PREDICT, "1")  # Keras runs every network
    assert nf.numpy_forward(model.networks_[0]) is None
    keras_path = model.predict(3, y=y)
    pd.testing.assert_index_equal(fast.index, keras_path.index)
    np.testing.assert_allclose(fast.to_numpy(), keras_path.to_numpy(), rtol=1e-5)


def test_conformance_check_catches_a_wrong_forward_pass(monkeypatch):
    from tsforecast.testing import check_numpy_forward

    est = LSTMForecaster(lags=6, horizon=2, units=3, epochs=1, seed=0)
    check_numpy_forward(est)
    monkeypatch.setitem(nf._LAYERS, keras.layers.Dense, lambda layer: lambda x: nf._dense(layer)(x) * 1.01)
    with pytest.raises(AssertionError, match="differs from Keras"):
        check_numpy_forward(est)


def test_small_calls_run_in_numpy_and_large_ones_in_keras(monkeypatch):
    from tsforecast.nn import training

    monkeypatch.setattr(training, "NUMPY_ROWS", 4)
    net = _randomise(build_rnn(5, 1, 2, 0, cell="lstm", units=(3,)), 4)
    x = _inputs(net, 6, 4)
    small = predict_batched(net, x[:4])
    assert net.predict_function is None  # Keras has traced nothing
    large = predict_batched(net, x)
    assert net.predict_function is not None
    np.testing.assert_allclose(small, large[:4], rtol=1e-5, atol=1e-6)
