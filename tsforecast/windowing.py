"""Windowing of time series into supervised (inputs, targets) pairs.

Windows are strided *views* of the series (``sliding_window_view``): building
them costs O(1) memory whatever the number of windows. This is the only module
that cuts windows: :func:`windows_at` / :func:`origin_windows` copy out just the
windows of one batch (training batches, prediction origins), so training on a
long series never holds all its windows in memory.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, ParameterError


OUT_CHUNK_BYTES = 2**20  # windows_at(..., out=...) copies this much at a time


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


def sliding_windows(values, length, axis=0) -> np.ndarray:
    """Every run of ``length`` consecutive entries along ``axis``, as a read-only view (the window
    is the new last axis). The one place strided views are made; callers index or multiply it."""
    return sliding_window_view(values, length, axis=axis)


def _strided(values, length):
    """All windows of ``length`` rows as a view: (n - length + 1, length) or (n - length + 1, length, k)."""
    view = sliding_window_view(values, length, axis=0)
    return view if values.ndim == 1 else view.transpose(0, 2, 1)


def windows_at(values, length, starts, out=None) -> np.ndarray:
    """The windows ``values[s : s + length]`` for each ``s`` in ``starts``, stacked.

    Parameters
    ----------
    values : ndarray of shape (n,) or (n, k)
    length : int
    starts : array-like of int, shape (m,)
        Window starts, each in ``[0, n - length]``.
    out : ndarray of shape (m, length) or (m, length, k), optional
        C-contiguous array of the dtype of ``values`` to write the windows into
        (no temporary copy); returned.

    Returns
    -------
    ndarray of shape (m, length) or (m, length, k)
        A new array holding only these ``m`` windows, in the dtype of ``values``.

    Examples
    --------
    >>> windows_at(np.arange(6.0), 2, [4, 0]).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    starts = np.asarray(starts, dtype=np.int64)
    n_start = len(values) - length + 1
    # A negative start would silently wrap to the end of the series.
    if starts.size and (starts.min() < 0 or starts.max() >= n_start):
        raise InvalidInputError(f"window starts must lie in [0, {n_start - 1}] for windows of {length} "
                                f"of {len(values)} rows, got [{starts.min()}, {starts.max()}].")
    view = _strided(values, length)
    if out is None:
        return view[starts]
    # In slices of about 1 MB: ``out[:] = view[starts]`` would first build the whole copy, and
    # ``np.take(view, ..., out=out)`` makes the strided view contiguous (every window of the series).
    step = max(1, OUT_CHUNK_BYTES // max(1, out[:1].nbytes))
    for a in range(0, len(starts), step):
        out[a : a + step] = view[starts[a : a + step]]
    return out


def origin_windows(values, length, origins) -> np.ndarray:
    """The ``length`` rows before each origin: ``values[o - length : o]`` for each ``o`` in ``origins``.

    The contexts a fixed-context model forecasts from (see
    :meth:`tsforecast.base.BaseForecaster.predict_at`); shapes as :func:`windows_at`.

    Examples
    --------
    >>> origin_windows(np.arange(6.0), 2, [2, 6]).tolist()
    [[0.0, 1.0], [4.0, 5.0]]
    """
    return windows_at(values, length, np.asarray(origins, dtype=np.int64) - length)


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
    every = slice(0, (m - 1) * stride + 1, stride)
    inputs = _strided(data, lags)[every]
    targets = _strided(y[lags:], horizon)[every]
    future = None
    if future_X is not None:
        future = _strided(_as_2d(future_X, n, "future_X")[lags:], horizon)[every]
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
    per window. ``gather`` copies out the windows of one batch
    (:class:`tsforecast.nn.training.WindowBatches` streams them to Keras).
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

    def gather(self, starts, rows=None):
        """Copy out the windows starting at ``starts``.

        ``rows``: the number of rows to return (at least ``len(starts)``); the windows fill the
        first ``len(starts)`` and the rest are zeros, written in place (no padded copy).

        Returns
        -------
        past : float32 ndarray (rows, lags, channels)
        targets : float32 ndarray (rows, horizon)
        future : float32 ndarray (rows, horizon, k_f), or None
        """
        starts = np.asarray(starts, dtype=np.int64)
        m = len(starts)
        rows = m if rows is None else rows
        if rows < m:
            raise ParameterError(f"rows must be at least the number of windows ({m}), got {rows}.")

        def take(values, length, at):
            out = np.empty((rows, length, *values.shape[1:]), dtype=values.dtype)
            windows_at(values, length, at, out=out[:m])
            out[m:] = 0.0
            return out

        past = take(self.data, self.lags, starts)
        targets = take(self.data[:, 0], self.horizon, starts + self.lags)
        fut = None if self.future is None else take(self.future, self.horizon, starts + self.lags)
        return past, targets, fut
