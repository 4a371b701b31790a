"""Windowing against a plain Python loop, views not copies, splits, and one module that cuts windows."""

import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast import make_windows, train_val_split, windowing
from tsforecast.exceptions import InvalidInputError, NotEnoughDataError, ParameterError
from tsforecast.windowing import WindowSource, origin_windows, split_positions, windows_at


def loop_windows(y, lags, horizon, X=None, F=None, stride=1):
    inputs, targets, future = [], [], []
    i = 0
    while i * stride + lags + horizon <= len(y):
        s = i * stride
        chans = [y[s : s + lags, None]] + ([X[s : s + lags]] if X is not None else [])
        inputs.append(np.concatenate(chans, axis=1))
        targets.append(y[s + lags : s + lags + horizon])
        if F is not None:
            future.append(F[s + lags : s + lags + horizon])
        i += 1
    return np.array(inputs), np.array(targets), (np.array(future) if F is not None else None)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 60), lags=st.integers(1, 10), horizon=st.integers(1, 6), stride=st.integers(1, 4),
    k=st.integers(0, 3), kf=st.integers(0, 2), seed=st.integers(0, 10_000),
)
def test_matches_python_loop(n, lags, horizon, stride, k, kf, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    X = rng.normal(size=(n, k)) if k else None
    F = rng.normal(size=(n, kf)) if kf else None
    if n < lags + horizon:
        with pytest.raises(NotEnoughDataError):
            make_windows(y, lags, horizon, X=X, future_X=F, stride=stride)
        return
    w = make_windows(y, lags, horizon, X=X, future_X=F, stride=stride)
    ei, et, ef = loop_windows(y, lags, horizon, X, F, stride)
    np.testing.assert_array_equal(w.inputs, ei)
    np.testing.assert_array_equal(w.targets, et)
    if F is not None:
        np.testing.assert_array_equal(w.future, ef)
    else:
        assert w.future is None


def test_windows_are_views():
    y = np.arange(1000.0)
    w = make_windows(y, lags=50, horizon=5)
    assert np.shares_memory(w.inputs, y) and np.shares_memory(w.targets, y)


def test_ten_million_points_without_allocating_windows():
    # The time it takes is measured by experiments/bench_speed.py, not asserted here.
    y = np.random.default_rng(0).normal(size=10_000_000)
    tracemalloc.start()
    w = make_windows(y, lags=256, horizon=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert w.inputs.shape == (10_000_000 - 256, 256, 1)
    assert peak < 1e6  # bytes; the 10M x 256 array would be 20 GB


def test_invalid_parameters():
    with pytest.raises(ParameterError):
        make_windows(np.arange(10.0), lags=0, horizon=1)
    with pytest.raises(ParameterError):
        make_windows(np.arange(10.0), lags=2, horizon=1, stride=1.5)


def test_chronological_split_has_gap_and_order():
    w = make_windows(np.arange(100.0), lags=5, horizon=3)
    tr, va = train_val_split(w, 0.2)
    assert tr.targets.max() < va.targets.min(), "training targets must precede validation targets"
    n = len(w.targets)
    assert len(va.targets) == round(n * 0.2) and len(tr.targets) == n - len(va.targets) - 2


def test_split_too_short_disables_validation():
    tr, va = split_positions(1, 0.2, 3)
    assert list(tr) == [0] and len(va) == 0


def test_window_source_gather_matches_make_windows():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(40, 2))
    b = rng.normal(size=(30, 2))
    fa, fb = rng.normal(size=(40, 1)), rng.normal(size=(30, 1))
    src = WindowSource([a, b], lags=6, horizon=3, future=[fa, fb])
    starts = np.concatenate(src.per_series)
    past, tgt, fut = src.gather(starts)
    wa = make_windows(a[:, 0], 6, 3, X=a[:, 1:], future_X=fa)
    wb = make_windows(b[:, 0], 6, 3, X=b[:, 1:], future_X=fb)
    assert past.dtype == tgt.dtype == fut.dtype == np.float32
    np.testing.assert_allclose(past, np.concatenate([wa.inputs, wb.inputs]).astype(np.float32))
    np.testing.assert_allclose(tgt, np.concatenate([wa.targets, wb.targets]).astype(np.float32))
    np.testing.assert_allclose(fut, np.concatenate([wa.future, wb.future]).astype(np.float32))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), length=st.integers(1, 8), k=st.integers(0, 3), m=st.integers(0, 12),
       seed=st.integers(0, 10_000))
def test_windows_at_and_origin_windows_match_slicing(n, length, k, m, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, k) if k else n)
    if n < length:
        with pytest.raises(InvalidInputError):
            windows_at(values, length, [0])
        return
    starts = rng.integers(0, n - length + 1, size=m)
    got = windows_at(values, length, starts)
    assert got.shape == (m, length) + ((k,) if k else ()) and got.dtype == values.dtype
    for row, s in zip(got, starts):
        np.testing.assert_array_equal(row, values[s : s + length])
    origins = starts + length
    for row, o in zip(origin_windows(values, length, origins), origins):
        np.testing.assert_array_equal(row, values[o - length : o])


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(9, 40), min_size=1, max_size=3), extra=st.integers(0, 7),
       chunk=st.sampled_from([1, 40, 2**20]), future=st.booleans(), seed=st.integers(0, 10_000))
def test_gather_into_padded_rows_matches_a_loop(lengths, extra, chunk, future, seed):
    """``gather(starts, rows)``: the windows by plain slicing of each series, then zero rows, whatever
    the slice size ``windows_at`` copies at a time (``chunk`` bytes; 1 byte: one window per slice)."""
    rng = np.random.default_rng(seed)
    lags, horizon = 4, 3
    series = [rng.normal(size=(n, 2)) for n in lengths]
    fut = [rng.normal(size=(n, 1)) for n in lengths] if future else None
    src = WindowSource(series, lags, horizon, fut)
    # (series, start within it) of every window, and its global start: found by a loop.
    where = [(i, t) for i, s in enumerate(series) for t in range(len(s) - lags - horizon + 1)]
    offsets = np.cumsum([0] + lengths)
    pick = rng.permutation(len(where))[: rng.integers(0, len(where) + 1)]
    starts = [offsets[where[j][0]] + where[j][1] for j in pick]
    saved, windowing.OUT_CHUNK_BYTES = windowing.OUT_CHUNK_BYTES, chunk
    try:
        past, tgt, ff = src.gather(starts, len(starts) + extra)
    finally:
        windowing.OUT_CHUNK_BYTES = saved
    assert past.shape == (len(starts) + extra, lags, 2) and tgt.shape == (len(starts) + extra, horizon)
    for row, j in enumerate(pick):
        i, t = where[j]
        np.testing.assert_array_equal(past[row], series[i][t : t + lags].astype(np.float32))
        np.testing.assert_array_equal(tgt[row], series[i][t + lags : t + lags + horizon, 0].astype(np.float32))
        if future:
            np.testing.assert_array_equal(ff[row], fut[i][t + lags : t + lags + horizon].astype(np.float32))
    assert not past[len(starts):].any() and not tgt[len(starts):].any()
    assert ff is None if not future else not ff[len(starts):].any()
    with pytest.raises(ParameterError):
        src.gather(starts, len(starts) - 1) if starts else src.gather([0], 0)


def test_windows_at_refuses_starts_outside_the_series():
    y = np.arange(10.0)
    for bad in ([-1], [8], [0, 9]):
        with pytest.raises(InvalidInputError):
            windows_at(y, 3, bad)
    with pytest.raises(InvalidInputError):
        origin_windows(y, 3, [2])  # needs 3 points before the origin


def test_only_the_windowing_module_cuts_windows():
    package = Path(tsforecast.__file__).parent
    pattern = re.compile(r"\b(sliding_window_view|as_strided)\b")
    users = sorted(str(f.relative_to(package)) for f in package.rglob("*.py") if pattern.search(f.read_text()))
    assert users == ["windowing.py"], f"strided windows outside tsforecast/windowing.py: {users}"
