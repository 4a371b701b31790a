"""Windowing of time series into supervised (inputs, targets) pairs.

Windows are strided *views* of the series (``sliding_window_view``): building
them costs O(1) memory whatever the number of windows. The ``tf.data`` path
gathers windows batch by batch, so training on a long series never holds all
windows in memory.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, ParameterError


class Windows(NamedTuple):
    """Windows of one series.

    inputs : (n_windows, lags, 1 + n_exog) view; channel 0 is the target.
    targets : (n_windows, horizon) view.
    future : (n_windows, horizon, n_future) view of known-future covariates, or None.
    """

    inputs: np.ndarray
    targets: np.ndarray
    future: Optional[np.ndarray]


def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def n_windows(n: int, lags: int, horizon: int, stride: int = 1) -> int:
    """Number of complete windows in a series of length ``n``."""
    return max(0, (n - lags - horizon) // stride + 1)


def _as_2d(a, n, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or len(a) != n:
        raise ExogenousError(f"{name} must have shape ({n}, k) to match y, got {a.shape}.")
    return a


def make_windows(y, lags, horizon, X=None, future_X=None, stride=1) -> Windows:
    """Cut a series into (inputs, targets) windows without copying them.

    Window ``i`` holds inputs ``y[i*stride : i*stride+lags]`` (with the same
    rows of ``X`` as extra channels) and targets
    ``y[i*stride+lags : i*stride+lags+horizon]``; ``future_X`` rows at the
    target steps go to ``Windows.future``.

    Parameters
    ----------
    y : array-like of shape (n,)
    lags, horizon, stride : int
    X : array-like of shape (n, k), optional
        Past covariates, aligned with ``y``.
    future_X : array-like of shape (n, k_f), optional
        Known-future covariates, aligned with ``y``.

    Returns
    -------
    Windows
        Read-only views into ``y`` (or into one stacked copy of ``[y, X]``).

    Examples
    --------
    >>> w = make_windows(np.arange(6.0), lags=3, horizon=2)
    >>> w.inputs[:, :, 0].tolist(), w.targets.tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0, 4.0], [4.0, 5.0]])
    """
    lags, horizon, stride = _positive_int(lags, "lags"), _positive_int(horizon, "horizon"), _positive_int(stride, "stride")
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise InvalidInputError(f"y must be 1-D, got shape {y.shape}.")
    n = len(y)
    m = n_windows(n, lags, horizon, stride)
    if m == 0:
        raise NotEnoughDataError(
            f"a series of {n} points has no window of lags={lags} + horizon={horizon} = {lags + horizon} points; "
            f"use a longer series or fewer lags."
        )
    data = y[:, None] if X is None else np.column_stack([y, _as_2d(X, n, "X")])
    inputs = sliding_window_view(data, lags, axis=0).transpose(0, 2, 1)[: (m - 1) * stride + 1 : stride]
    targets = sliding_window_view(y[lags:], horizon)[: (m - 1) * stride + 1 : stride]
    future = None
    if future_X is not None:
        f = _as_2d(future_X, n, "future_X")
        future = sliding_window_view(f[lags:], horizon, axis=0).transpose(0, 2, 1)[: (m - 1) * stride + 1 : stride]
    return Windows(inputs, targets, future)


def split_positions(n_win: int, validation_fraction: float, horizon: int):
    """Chronological train/validation split of ``n_win`` window positions.

    The last ``validation_fraction`` of windows validate; the ``horizon - 1``
    windows before them are dropped so no training target overlaps a
    validation target. Returns ``(train, val)`` integer arrays; ``val`` is
    empty when the series is too short to spare any window.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ParameterError(f"validation_fraction must be in [0, 1), got {validation_fraction}.")
    n_val = int(round(n_win * validation_fraction))
    n_train = n_win - n_val - (horizon - 1)
    if n_val == 0 or n_train < 1:
        return np.arange(n_win), np.arange(0)
    return np.arange(n_train), np.arange(n_win - n_val, n_win)


def train_val_split(windows: Windows, validation_fraction: float = 0.2):
    """Split :class:`Windows` chronologically into a training and a validation part."""
    horizon = windows.targets.shape[1]
    tr, va = split_positions(len(windows.targets), validation_fraction, horizon)

    def take(idx):
        return Windows(
            windows.inputs[idx], windows.targets[idx], None if windows.future is None else windows.future[idx]
        )

    return take(tr), take(va)


class WindowSource:
    """Windows from many series, addressed by global start positions.

    Series are stacked once (``data`` of shape (total, channels)); a window is
    just a start position, so a source of millions of windows costs one int64
    per window. ``gather`` builds a batch of windows; ``tf_dataset`` streams
    shuffled batches for Keras.
    """

    def __init__(self, series, lags, horizon, future=None):
        """``series``: list of (n_i, channels) arrays, channel 0 the (scaled) target;
        ``future``: optional list of (n_i, k_f) arrays of known-future covariates."""
        self.lags, self.horizon = lags, horizon
        self.data = np.concatenate(series).astype(np.float32)
        self.future = None if future is None else np.concatenate(future).astype(np.float32)
        offsets = np.cumsum([0] + [len(s) for s in series[:-1]])
        self.per_series = [
            off + np.arange(n_windows(len(s), lags, horizon)) for off, s in zip(offsets, series)
        ]

    def split(self, validation_fraction):
        tr, va = [], []
        for starts in self.per_series:
            t, v = split_positions(len(starts), validation_fraction, self.horizon)
            tr.append(starts[t])
            va.append(starts[v])
        return np.concatenate(tr), np.concatenate(va)

    def gather(self, starts):
        """Materialise the windows starting at ``starts`` as float32 arrays."""
        starts = np.asarray(starts)
        past = self.data[starts[:, None] + np.arange(self.lags)]
        tgt_idx = starts[:, None] + self.lags + np.arange(self.horizon)
        targets = self.data[tgt_idx, 0]
        fut = None if self.future is None else self.future[tgt_idx]
        return past, targets, fut

    def tf_dataset(self, starts, batch_size, shuffle=True, seed=None):
        """A ``tf.data.Dataset`` of ((past[, future]), targets) batches gathered on the fly."""
        import tensorflow as tf

        data = tf.constant(self.data)
        fut = None if self.future is None else tf.constant(self.future)
        lag_r, hor_r = tf.range(self.lags, dtype=tf.int64), tf.range(self.horizon, dtype=tf.int64)
        lags = tf.constant(self.lags, tf.int64)

        def build(s):
            past = tf.gather(data, s[:, None] + lag_r)
            tgt = s[:, None] + lags + hor_r
            y = tf.gather(data[:, 0], tgt)
            x = past if fut is None else (past, tf.gather(fut, tgt))
            return x, y

        ds = tf.data.Dataset.from_tensor_slices(np.asarray(starts, dtype=np.int64))
        if shuffle:
            ds = ds.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).map(build, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
