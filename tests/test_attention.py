"""head='attention': a seq2seq decoder attending over the encoder states (Luong / Bahdanau scores)."""

import keras
import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.exceptions import ParameterError
from tsforecast.nn.attention import EncoderAttention
from tsforecast.testing import check_forecaster, make_series

CLASSES = {"simple": tsf.SimpleRNNForecaster, "gru": tsf.GRUForecaster, "lstm": tsf.LSTMForecaster}


@pytest.mark.parametrize("score", ["luong", "bahdanau"])
def test_attention_layer_matches_a_numpy_loop(score):
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(2, 3, 4)).astype(np.float32), rng.normal(size=(2, 5, 6)).astype(np.float32)
    layer = EncoderAttention(score)
    got = keras.ops.convert_to_numpy(layer([q, k]))
    weights = [keras.ops.convert_to_numpy(w) for w in layer.weights]
    want = np.zeros((2, 3, 6))
    for b in range(2):
        for s in range(3):
            if score == "luong":
                (w,) = weights
                scores = np.array([q[b, s] @ w @ k[b, t] for t in range(5)])
            else:
                wq, wk, v = weights
                scores = np.array([v @ np.tanh(q[b, s] @ wq + k[b, t] @ wk) for t in range(5)])
            a = np.exp(scores - scores.max())
            want[b, s] = (a / a.sum()) @ k[b]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def cued_recall(n, delay, period, seed=0):
    """``y`` is 0 except at a cued step, where it is the ``value`` seen ``delay`` steps earlier at a
    ``store`` step; the cue is a known-future input, the value far back in the window."""
    rng = np.random.default_rng(seed)
    value = rng.normal(size=n)
    stores = np.arange(rng.integers(period), n - delay, period)
    targets = stores + delay
    store, cue, y = np.zeros(n), np.zeros(n), np.zeros(n)
    store[stores], cue[targets], y[targets] = 1.0, 1.0, value[stores]
    idx = pd.RangeIndex(n)
    return pd.Series(y, idx), pd.DataFrame({"value": value, "store": store, "cue": cue}, idx), targets


def _recall_score(cell, head, n_train=2500, epochs=5, units=8, seed=0):
    """Test MSE / var of the cued targets over every horizon step they fall on (~1 = not recalled)."""
    window, horizon, delay = 24, 4, 18  # the stored value sits 15-21 steps before the forecast origin
    y, X, targets = cued_recall(n_train + 1500, delay, 26, seed=seed)
    kw = {"head": "attention", "attention": head.split(":")[1]} if ":" in head else {"head": head}
    model = CLASSES[cell](lags=window, horizon=horizon, units=units, epochs=epochs, batch_size=32,
                          learning_rate=1e-2, known_future=True, validation_fraction=0.1, patience=epochs,
                          seed=seed, **kw).fit(y.iloc[:n_train], X.iloc[:n_train])
    test = targets[(targets >= n_train + horizon) & (targets < len(y) - horizon)]
    truth = y.to_numpy()[test]
    errors = [np.mean((model.predict_at(y, test - h + 1, horizon, X=X)[:, h - 1] - truth) ** 2)
              for h in range(1, horizon + 1)]
    return float(np.mean(errors) / np.var(truth))


def test_cued_recall_target_is_the_stored_value():
    y, X, targets = cued_recall(300, delay=7, period=11, seed=2)
    for t in range(300):  # brute force over the definition
        cued = X["cue"].iloc[t] == 1
        assert y.iloc[t] == (X["value"].iloc[t - 7] if cued else 0.0)
        assert not cued or X["store"].iloc[t - 7] == 1


def test_simple_rnn_attention_recalls_a_value_far_back_that_seq2seq_forgets():
    plain, attended = _recall_score("simple", "seq2seq"), _recall_score("simple", "attention:luong")
    assert plain > 0.8 and attended < 0.3, (plain, attended)


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["simple", "gru", "lstm"])
def test_attention_beats_seq2seq_for_every_cell_and_score(cell):
    plain = _recall_score(cell, "seq2seq")
    for score in ("luong", "bahdanau"):
        attended = _recall_score(cell, f"attention:{score}")
        assert attended < 0.3 and attended < 0.5 * plain, (cell, score, plain, attended)


@pytest.mark.parametrize("cell, extra", [("simple", {"attention": "bahdanau"}), ("gru", {"bidirectional": True}),
                                         ("lstm", {"peephole": True, "attention": "bahdanau"})])
def test_attention_networks_save_and_load(cell, extra, tmp_path):
    y = make_series(100)
    m = CLASSES[cell](**{"lags": 8, "horizon": 3, "units": 4, "epochs": 1, "head": "attention", **extra}).fit(y)
    assert any(isinstance(layer, EncoderAttention) for layer in m.networks_[0].layers)
    m.save(tmp_path / "m")
    loaded = tsf.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict().to_numpy(), m.predict().to_numpy())
    np.testing.assert_array_equal(loaded.predict(5, y=y[:90]).to_numpy(), m.predict(5, y=y[:90]).to_numpy())


@pytest.mark.parametrize("params, match", [({"head": "attention", "attention": "dot"}, "attention"),
                                           ({"attention": "bahdanau"}, "head='attention'"),
                                           ({"head": "transformer"}, "head")])
def test_attention_settings_are_checked(params, match):
    with pytest.raises(ParameterError, match=match):
        tsf.GRUForecaster(lags=6, horizon=2, **params).fit(make_series(60))


@pytest.mark.slow
def test_attention_network_passes_the_conformance_checks():
    check_forecaster(tsf.SimpleRNNForecaster(lags=8, horizon=2, epochs=2, batch_size=16, patience=1, units=4,
                                             head="attention", attention="bahdanau"))
