"""Stateful recurrent training with truncated BPTT: streams, state carried across chunks, forecasts."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import InvalidInputError, ParameterError
from tsforecast.nn.rnn import build_stateful_rnn
from tsforecast.nn.streams import StreamBatches, carried_states, stream_layout
from tsforecast.testing import check_forecaster, check_shortest_series, make_series

FAST = dict(lags=6, horizon=2, units=4, epochs=2, batch_size=8, patience=1, stateful=True)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 400), chunk=st.integers(1, 20), rows=st.integers(1, 40),
       frac=st.sampled_from([0.0, 0.1, 0.3, 0.6]), min_train=st.integers(0, 30))
def test_stream_layout_cuts_consecutive_whole_chunk_segments_ending_at_validation(n, chunk, rows, frac, min_train):
    lay = stream_layout(n, chunk, rows, frac, min_train)
    seg = lay.n_chunks * chunk
    if len(lay.starts) == 2 and lay.starts[0] == n:  # one segment and its silent companion row
        lay = lay._replace(starts=lay.starts[1:])
    assert 1 <= len(lay.starts) <= rows
    n_val = n - lay.train_end
    assert n_val == 0 or (n_val == round(n * frac) >= chunk and lay.train_end >= min_train)
    assert n_val > 0 or round(n * frac) < chunk or n - round(n * frac) < min_train
    assert lay.n_val_chunks * chunk >= n_val > (lay.n_val_chunks - 1) * chunk or n_val == lay.n_val_chunks == 0
    if lay.train_end >= chunk:  # long enough for one chunk: segments tile the newest training positions
        np.testing.assert_array_equal(np.diff(lay.starts), seg)
        assert lay.starts[0] >= 0 and lay.starts[-1] + seg == lay.train_end
        # The oldest positions left over: fewer than one chunk per row (than one chunk when rows are spare).
        assert lay.starts[0] < (chunk if len(lay.starts) < rows else rows * chunk)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_stream_batches_match_a_brute_force_loop(data):
    n, S, chunk = data.draw(st.integers(5, 60)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 6))
    values = np.arange(n * 2, dtype=np.float32).reshape(n, 2)  # every position tells where it came from
    starts = np.array(data.draw(st.lists(st.integers(0, n + 3), min_size=1, max_size=4)))
    end = data.draw(st.integers(1, n))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    batches = StreamBatches(values, S, chunk, starts, 3, end, mask)
    for j in range(3):
        x, t, w = batches[j]
        for b, s in enumerate(starts):
            for i in range(chunk):
                p = s + j * chunk + i
                real = p < n
                np.testing.assert_array_equal(x[b, i], values[p] if real else 0.0)
                owned = real and p + S < end and mask[p]
                assert w[b, i] == float(owned)
                if owned:
                    np.testing.assert_array_equal(t[b, i], values[p + 1 : p + 1 + S, 0])


@pytest.mark.parametrize("cell", ["simple", "lstm", "gru"])
def test_state_carried_across_chunks_equals_one_pass_over_the_series(cell):
    # The stateful twin fed chunk after chunk must compute what the stateless twin computes in one
    # pass over the whole series: that is what "the state is carried" means.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 24, 3)).astype(np.float32)
    twin = build_stateful_rnn(3, 2, cell=cell, units=5, rows=2)
    whole = build_stateful_rnn(3, 2, cell=cell, units=5, rows=None)
    whole.set_weights(twin.get_weights())
    n_weights = len(twin.get_weights())
    with carried_states(twin):  # as training runs it (on JAX Keras alone would restart every call from zero)
        chunks = np.concatenate([np.asarray(twin.predict_on_batch(x[:, i : i + 6])) for i in range(0, 24, 6)],
                                axis=1)
        np.testing.assert_allclose(chunks, np.asarray(whole.predict_on_batch(x)), rtol=1e-5, atol=1e-5)
        for layer in twin.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()
        np.testing.assert_allclose(np.asarray(twin.predict_on_batch(x[:, :6])), chunks[:, :6], rtol=1e-5, atol=1e-5)
    assert len(twin.get_weights()) == n_weights  # the twin's weights match its streaming network's again


def test_training_carries_the_state_from_batch_to_batch():
    # After one epoch over 4 chunks the state is the one a single pass over the training streams leaves:
    # the stateless twin run over the whole segments (and not zero, as a dropped state update leaves).
    from tsforecast.nn.training import train_stateful_network

    rng = np.random.default_rng(1)
    data = rng.normal(size=(200, 1)).astype(np.float32)
    layout = stream_layout(len(data), 8, 3, 0.0, 8)
    twin = build_stateful_rnn(1, 2, cell="gru", units=4, rows=len(layout.starts))
    train_stateful_network(twin, data, 2, 8, layout, epochs=1, learning_rate=0.0, optimizer="sgd",
                           restore_best_weights=False)
    whole = build_stateful_rnn(1, 2, cell="gru", units=4, rows=None)
    whole.set_weights(twin.get_weights())
    seen = layout.n_chunks * 8
    segments = np.stack([data[s : s + seen] for s in layout.starts])
    gru = next(layer for layer in twin.layers if getattr(layer, "stateful", False))
    state = np.asarray(keras.tree.flatten(gru.states)[0])
    assert np.abs(state).max() > 1e-3
    probe = keras.Model(whole.inputs, next(l for l in whole.layers if isinstance(l, keras.layers.GRU)).output)
    want = np.asarray(probe.predict_on_batch(segments))[:, -1]
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-5)


def test_forecasts_run_over_the_whole_history_update_save_and_load(tmp_path):
    y = make_series(300)
    m = tsf.GRUForecaster(**FAST, tbptt=5).fit(y.iloc[:260])
    assert m.context_length_ is None
    origins = [40, 150, 260]
    at = m.predict_at(y, origins, 2)  # one pass over the series
    for i, o in enumerate(origins):
        np.testing.assert_allclose(at[i], m.predict(y=y.iloc[:o]).to_numpy(), rtol=1e-5)
    # The state reaches further back than the chunk: dropping the history before the last 7 points
    # (chunk 5 + horizon 2) changes the forecast.
    assert not np.allclose(m.predict(y=y.iloc[:260]).to_numpy(), m.predict(y=y.iloc[253:260]).to_numpy())
    longer = m.predict(5)  # beyond the horizon: blocks fed back
    np.testing.assert_allclose(longer.to_numpy()[:2], m.predict().to_numpy(), rtol=1e-6)
    m.update(y.iloc[260:])
    np.testing.assert_allclose(m.predict().to_numpy(), m.predict(y=y).to_numpy(), rtol=1e-6)
    weights = [w.copy() for w in m.networks_[0].get_weights()]
    m.update(make_series(320).iloc[300:], epochs=2)  # fine-tuning the stateful network
    assert any(not np.array_equal(a, b) for a, b in zip(weights, m.networks_[0].get_weights()))
    assert len(m.history_[0]["update_loss"]) == 2
    m.save(tmp_path / "m")
    loaded = tsf.load_model(tmp_path / "m")
    assert loaded.stateful is True and loaded.tbptt == 5
    np.testing.assert_array_equal(loaded.predict().to_numpy(), m.predict().to_numpy())
    np.testing.assert_array_equal(loaded.predict_at(y, origins, 2), m.predict_at(y, origins, 2))


@pytest.mark.parametrize("params, match", [
    ({"tbptt": 5}, "stateful=True"),
    ({"stateful": True, "head": "seq2seq"}, "head"),
    ({"stateful": True, "bidirectional": True}, "bidirectional"),
    ({"stateful": True, "strategy": "direct"}, "strategy"),
    ({"stateful": True, "scaler": "window"}, "window"),
    ({"stateful": True, "calendar": ("hour",)}, "calendar"),
    ({"stateful": "yes"}, "stateful"),
    ({"stateful": True, "tbptt": 0}, "tbptt"),
])
def test_stateful_settings_are_checked(params, match):
    with pytest.raises(ParameterError, match=match):
        tsf.LSTMForecaster(**{"lags": 6, "horizon": 2, "units": 4, **params}).fit(make_series(80))


def test_stateful_refuses_many_series():
    series = {f"s{i}": make_series(80, seed=i) for i in range(2)}
    with pytest.raises(InvalidInputError, match="one long series"):
        tsf.LSTMForecaster(**FAST).fit(series)


def test_one_stream_trains_too():
    # The shortest series gives one segment; Keras cannot train a stateful layer on one-row batches,
    # so the layout adds a silent row.
    check_shortest_series(tsf.LSTMForecaster(**{**FAST, "batch_size": 1}, tbptt=5))


@pytest.mark.slow
def test_stateful_network_passes_the_conformance_checks():
    check_forecaster(tsf.LSTMForecaster(lags=8, horizon=2, epochs=2, batch_size=16, patience=1, units=4,
                                        stateful=True, tbptt=6))
