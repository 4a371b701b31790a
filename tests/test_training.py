"""The shared training routine: streamed, zero-weight-padded batches and fixed-shape prediction."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.nn.training import (VAL_BATCH, VAL_BATCH_FLOATS, WindowBatches, make_loss, predict_batched,
                                     train_network, validation_batch_rows)
from tsforecast.windowing import WindowSource


def _net(seed=0, n_in=6, n_out=3):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_in, 1)), keras.layers.LSTM(4), keras.layers.Dense(n_out)])


def _batch(n_windows, batch_size, seed=0):
    """The first batch of ``WindowBatches`` over ``n_windows`` windows (lags 6, horizon 3), in order,
    and the same windows gathered directly (unpadded)."""
    z = np.random.default_rng(seed).normal(size=(n_windows + 6 + 3 - 1, 1))
    source = WindowSource([z], 6, 3)
    starts, _ = source.split(0.0)
    assert len(starts) == n_windows
    x, y, _ = source.gather(starts[:batch_size])
    return WindowBatches(source, starts, batch_size)[0], (x, y)


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_padded_rows_do_not_change_the_loss(name):
    (_, yt, w), (_, y_true) = _batch(21, 32)
    y_pred = np.random.default_rng(1).normal(size=(21, 3))
    yp = np.concatenate([y_pred, np.random.default_rng(2).normal(size=(11, 3))])  # whatever the net says on padding
    assert len(yt) == 32 and w.sum() == 21 and not w[21:].any() and not yt[21:].any()
    padded = float(make_loss(name)(yt, yp, sample_weight=w))
    err = y_true - y_pred
    by_hand = {"mse": np.mean(err**2), "mae": np.mean(np.abs(err)),
               "huber": np.mean(np.where(np.abs(err) <= 1, 0.5 * err**2, np.abs(err) - 0.5))}[name]
    np.testing.assert_allclose(padded, by_hand, rtol=1e-5)


def test_a_padded_step_updates_weights_like_the_unpadded_batch():
    (xp, yp, w), (x, y) = _batch(21, 32, seed=1)
    nets = []
    for padded in (False, True):
        net = _net()
        net.compile(keras.optimizers.SGD(0.1), loss=make_loss("mse"))
        if padded:
            net.train_on_batch(xp, yp, sample_weight=w)
        else:
            net.train_on_batch(x, y)
        nets.append(net)
    for a, b in zip(*(n.get_weights() for n in nets)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(nets[0].get_weights()[0], _net().get_weights()[0]), "the step changed nothing"


def test_no_padding_when_batches_are_full():
    z = np.ones((64 + 6 + 3 - 1, 1))
    source = WindowSource([z], 6, 3)
    starts, _ = source.split(0.0)
    batches = WindowBatches(source, starts, 32)
    assert len(batches) == 2 and all(batches[i][2].all() and len(batches[i][2]) == 32 for i in range(2))


_NET = _net(seed=3)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), batch=st.sampled_from([32, 64, 128]))
def test_predict_batched_equals_one_direct_call(n, batch):
    x = np.random.default_rng(n).normal(size=(n, 6, 1)).astype("float32")
    np.testing.assert_allclose(predict_batched(_NET, x, batch_size=batch), np.asarray(_NET(x)), rtol=1e-5, atol=1e-6)


def test_without_validation_early_stopping_watches_the_exact_mean_over_real_windows():
    z = np.random.default_rng(0).normal(size=(33 + 8 + 2 - 1, 1))  # 33 windows: one real row in the last batch
    source = WindowSource([z], 8, 2, None)
    train, val = source.split(0.0)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    hist = train_network(net, source, train, val, epochs=2, batch_size=32, learning_rate=1e-12, optimizer="sgd")
    x, y, _ = source.gather(train)
    by_hand = np.mean((np.asarray(net(x.astype("float32"))) - y) ** 2)
    assert len(train) == 33
    np.testing.assert_allclose(hist.history["train_loss"], by_hand, rtol=1e-4)


def _epochs(batches, n_epochs):
    """What Keras sees: each epoch begins, then asks for every batch in turn."""
    out = []
    for _ in range(n_epochs):
        batches.on_epoch_begin()
        out.append([batches[i] for i in range(len(batches))])
        batches.on_epoch_end()
    return out


@settings(max_examples=20, deadline=None)
@given(n_series=st.integers(1, 3), length=st.integers(12, 60), batch=st.integers(1, 16), future=st.booleans(),
       seed=st.integers(0, 1000))
def test_window_batches_stream_every_window_once_per_epoch(n_series, length, batch, future, seed):
    rng = np.random.default_rng(seed)
    lags, horizon = 5, 3
    series = [rng.normal(size=(length + i, 2)) for i in range(n_series)]
    fut = [rng.normal(size=(len(s), 1)) for s in series] if future else None
    source = WindowSource(series, lags, horizon, fut)
    starts, _ = source.split(0.0)
    x_all, y_all, f_all = source.gather(starts)
    epochs = _epochs(WindowBatches(source, starts, batch, slice(1, 3), seed=seed), 2)
    for epoch in epochs:
        seen = []
        for x, y, w in epoch:
            past = x[0] if future else x
            assert isinstance(x, tuple) == future
            assert len(past) == len(y) == len(w) == batch  # one shape for every batch
            real = w == 1
            assert set(np.unique(w)) <= {0.0, 1.0} and not past[~real].any() and not y[~real].any()
            for p, t, *f in zip(past[real], y[real], *([x[1][real]] if future else [])):
                # Find the window by its inputs, then check its targets against a direct gather.
                (k,) = np.flatnonzero((x_all == p).all(axis=(1, 2)))[:1]
                np.testing.assert_array_equal(t, y_all[k, 1:3])
                if future:
                    np.testing.assert_array_equal(f[0], f_all[k, 1:3])
                seen.append(k)
        assert sorted(seen) == list(range(len(starts)))  # every window exactly once
        assert all(w.all() for _, _, w in epoch[:-1]), "only the last batch carries padding"
    again = _epochs(WindowBatches(source, starts, batch, slice(1, 3), seed=seed), 2)
    for a, b in zip(sum(epochs, []), sum(again, [])):  # the seed fixes the order, epoch after epoch
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u if not isinstance(u, tuple) else u[0], v if not isinstance(v, tuple) else v[0])


@settings(max_examples=15, deadline=None)
@given(n=st.integers(10, 120), batch=st.integers(1, 32), seed=st.integers(0, 10_000))
def test_window_batches_follow_the_seeded_shuffle_of_the_starts(n, batch, seed):
    """Batch by batch, the windows of a copy of ``starts`` shuffled in place by ``default_rng(seed)``
    at each epoch (the order a fit with that seed has always used), cut by plain slicing and
    completed with zero rows of weight 0."""
    lags, horizon = 4, 2
    z = np.random.default_rng(n).normal(size=(n, 1)).astype(np.float32)
    source = WindowSource([z], lags, horizon)
    starts, _ = source.split(0.0)
    order, rng = np.array(starts, dtype=np.int64), np.random.default_rng(seed)
    for epoch in _epochs(WindowBatches(source, starts, batch, seed=seed), 3):
        rng.shuffle(order)
        assert len(epoch) == -(-len(order) // batch)
        for b, (x, y, w) in enumerate(epoch):
            rows = order[b * batch : (b + 1) * batch]
            want_x, want_y = np.zeros((batch, lags, 1), np.float32), np.zeros((batch, horizon), np.float32)
            for r, s in enumerate(rows):
                want_x[r], want_y[r] = z[s : s + lags], z[s + lags : s + lags + horizon, 0]
            np.testing.assert_array_equal(x, want_x)
            np.testing.assert_array_equal(y, want_y)
            np.testing.assert_array_equal(w, np.arange(batch) < len(rows))


def test_window_batches_reshuffle_each_epoch_and_keep_order_without_seed():
    source = WindowSource([np.arange(200.0)[:, None]], 4, 1)
    starts, _ = source.split(0.0)
    firsts = [[float(x[0, 0, 0]) for x, _, _ in epoch] for epoch in _epochs(WindowBatches(source, starts, 8, seed=0), 3)]
    assert firsts[0] != firsts[1] != firsts[2]
    plain = _epochs(WindowBatches(source, starts, 8), 1)[0]
    np.testing.assert_array_equal(np.concatenate([x[:, 0, 0] for x, _, _ in plain])[: len(starts)], starts)


def test_training_is_reproducible_with_the_seed():
    z = np.random.default_rng(2).normal(size=(120, 1))
    source = WindowSource([z], 8, 2, None)
    train, val = source.split(0.2)
    weights = []
    for seed in (5, 5, 6):
        keras.utils.set_random_seed(0)  # same initial network every time: only the shuffle seed varies
        net = keras.Sequential([keras.Input((8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        train_network(net, source, train, val, epochs=3, batch_size=16, seed=seed, restore_best_weights=False)
        weights.append(np.concatenate([w.ravel() for w in net.get_weights()]))
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2]), "the seed did not change the batch order"


@settings(max_examples=60, deadline=None)
@given(n_val=st.integers(1, 30_000), lags=st.integers(1, 3000), horizon=st.integers(1, 30),
       channels=st.integers(1, 3), k_future=st.integers(0, 3), batch=st.integers(1, 512))
def test_validation_batches_are_few_equal_and_bounded_in_memory(n_val, lags, horizon, channels, k_future, batch):
    class Source:  # the two arrays validation_batch_rows reads the shapes of
        data = np.empty((0, channels))
        future = None if k_future == 0 else np.empty((0, k_future))

    Source.lags, Source.horizon = lags, horizon
    rows = validation_batch_rows(Source, n_val, batch)
    n_batches = -(-n_val // rows)
    row_floats = lags * channels + horizon * (1 + k_future)
    # Brute force: the fewest batches whose rows fit both caps (rows: VAL_BATCH, floats: VAL_BATCH_FLOATS,
    # never below a training batch), then the smallest equal size that holds every window.
    cap = max(batch, min(VAL_BATCH, VAL_BATCH_FLOATS // row_floats))
    fewest = next(k for k in range(1, n_val + 1) if -(-n_val // k) <= cap)
    assert n_batches == fewest
    assert rows == -(-n_val // fewest) and rows * n_batches >= n_val > rows * (n_batches - 1)
    assert rows <= batch or rows * row_floats <= VAL_BATCH_FLOATS


def test_a_long_window_gets_small_validation_batches_and_the_same_validation_loss():
    # 1,500 lags: a validation batch of 4,096 windows would be 25 MB; the cap makes it 1 MB, and the
    # validation loss is still the mean over all validation windows.
    z = np.random.default_rng(0).normal(size=(3000, 1)).astype(np.float32)
    source = WindowSource([z], 1500, 2)
    train, val = source.split(0.5)
    rows = validation_batch_rows(source, len(val), 32)
    assert rows * 1502 <= VAL_BATCH_FLOATS and rows < len(val)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((1500, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    hist = train_network(net, source, train, val, epochs=1, batch_size=32, patience=1)
    x, y, _ = source.gather(val)
    by_hand = np.mean((net.predict(x, verbose=0) - y) ** 2)
    np.testing.assert_allclose(hist.history["val_loss"][-1], by_hand, rtol=1e-4)
