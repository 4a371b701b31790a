"""The pieces of forecasting one series that the chunk workers and the global route share:
its inputs from the table rows, the check of its future rows, and naming its failures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, TSForecastError
from ..validation import check_index, future_index
from .io import SeriesChunk, rows_to_exog, rows_to_series
from .job import BatchJob

# Data-dependent failures of one series; anything else stops the job.
SERIES_ERRORS = (TSForecastError, np.linalg.LinAlgError, FloatingPointError)
FORECAST_COLUMNS = ("id", "timestamp", "step", "forecast")


def reason(exc) -> str:
    """How ``errors.csv`` states a failure: ``ErrorName: message`` on one line."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def series_inputs(job: BatchJob, key, rows, future_rows=None):
    """``(y, X)`` of one series: its values, and (with ``exog``) its exogenous rows from the input followed by
    those of the future table after the input's last row (future rows at or before it are ignored: the
    input's values count). ``X`` is None without ``exog``."""
    y = rows_to_series(key, rows, job.missing)
    if not job.exog:
        return y, None
    X = rows_to_exog(key, rows, job.exog)
    if future_rows is not None and len(future_rows):
        Xf = rows_to_exog(key, future_rows, job.exog, " in the future table")
        if isinstance(X.index, pd.DatetimeIndex) != isinstance(Xf.index, pd.DatetimeIndex):
            raise InvalidInputError(f"series {key!r}: the future table's timestamps are not of the input's kind "
                                    f"(dates or integer steps).")
        X = pd.concat([X, Xf[Xf.index > X.index[-1]]])
    return y, X


def chunk_inputs(job: BatchJob, chunk: SeriesChunk, future=None):
    """``({id: (y, X)}, [(id, reason)])``: :func:`series_inputs` of every series of a chunk, in order, and the
    series that cannot be used. ``future``: ``{id: future rows}``.

    Without exogenous columns, series whose rows are already clean (numbers, no gaps, timestamps at one
    step, in order) are built from the chunk's columns at once, with one index per distinct time range;
    the others go through :func:`series_inputs`, which names what is wrong or fills gaps.
    """
    future = future or {}
    ready = {} if job.exog else _clean_series(chunk)
    series, errors = {}, []
    for i, key in enumerate(chunk.keys):
        if i in ready:
            series[key] = (ready[i], None)
            continue
        try:
            series[key] = series_inputs(job, key, chunk.rows(i), future.get(key))
        except SERIES_ERRORS as exc:
            errors.append((key, reason(exc)))
    return series, errors


def _clean_series(chunk: SeriesChunk) -> dict:
    """``{position: Series}`` of the chunk's series that :func:`~tsforecast.batch.io.rows_to_series` would
    return unchanged from their rows: timestamps already parsed (dates) or integer steps, at one positive step,
    and finite numbers. The index of each distinct (start, length, step) is checked once and shared."""
    frame = chunk.frame
    ts, values = frame["timestamp"], frame["value"]
    if not len(chunk) or not pd.api.types.is_numeric_dtype(values.dtype):
        return {}
    if pd.api.types.is_datetime64_dtype(ts.dtype):  # tz-naive dates (an aware column takes the general route)
        stamps = ts.to_numpy()
        t = stamps.view(np.int64)
        valid = ~np.isnat(stamps)
    elif isinstance(ts.dtype, np.dtype) and ts.dtype.kind == "i":  # integer steps without missing ones
        stamps = t = ts.to_numpy(dtype=np.int64)
        valid = np.ones(len(t), dtype=bool)
    else:
        return {}
    y = values.to_numpy(dtype=float, na_value=np.nan)
    starts, n = chunk.bounds[:-1], chunk.lengths()
    good = valid & np.isfinite(y)
    # Steps within each series equal its first step (the step across two series is not compared).
    d = np.r_[np.diff(t), 0]
    step = d[starts]
    same = d == np.repeat(step, n)
    same[chunk.bounds[1:] - 1] = True
    ok = (n >= 3) & (step > 0) & np.logical_and.reduceat(same, starts) & np.logical_and.reduceat(good, starts)
    out, indexes = {}, {}
    for i in np.flatnonzero(ok).tolist():
        s, e = int(starts[i]), int(starts[i] + n[i])
        shape = (int(t[s]), e - s, int(step[i]))
        if shape not in indexes:
            try:
                indexes[shape] = check_index(pd.Index(stamps[s:e]))
            except TSForecastError:
                indexes[shape] = None  # e.g. integer steps of 2: the general route names the problem
        if indexes[shape] is not None:
            # What rows_to_series returns for these rows (fit and predict check the series again).
            out[i] = pd.Series(y[s:e], index=indexes[shape], name=chunk.keys[i])
    return out


def check_future(key, model, index, X, horizon):
    """Raise a named :class:`ExogenousError` when ``X`` lacks rows the model needs after ``index`` (the
    history it forecasts from): the rows of the future table."""
    if X is None or model.exog_columns_ is None:
        return
    n_fut = model._future_exog_steps(horizon)
    lacking = future_index(index, n_fut).difference(X.index) if n_fut else []
    if len(lacking):
        raise ExogenousError(
            f"series {key!r}: the future table has no {list(X.columns)} for {len(lacking)} of the {n_fut} step(s) "
            f"after {index[-1]} that the model needs ({lacking[0]} .. {lacking[-1]}); add rows id, timestamp, "
            f"{', '.join(X.columns)} for them."
        )


def make_model(job):
    """A new, unfitted instance of the job's registry model."""
    from ..registry import get_forecaster

    return get_forecaster(job.model, **job.params)


def short_history(n, L) -> NotEnoughDataError:
    """The error of a series with ``n`` points for a model that forecasts from ``L``."""
    return NotEnoughDataError(f"{n} points; the model needs {L} to forecast from.")


def isolated(func, keys, errors) -> list:
    """``[func(keys)]`` in one call; when that fails, ``func([key])`` per key, so that a bad series lands in
    ``errors`` (by name) and the others still get their result. ``func`` must change nothing when it fails."""
    if not keys:
        return []
    try:
        return [func(keys)]
    except SERIES_ERRORS:
        results = []
        for key in keys:
            try:
                results.append(func([key]))
            except SERIES_ERRORS as exc:
                errors.append((key, reason(exc)))
        return results


def concat_forecasts(frames) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({"id": pd.Series(dtype=str), "timestamp": pd.Series(dtype="datetime64[ns]"),
                             "step": pd.Series(dtype=np.int64), "forecast": pd.Series(dtype=float)})
    df = pd.concat(frames, ignore_index=True)
    df["id"] = df["id"].astype(str)
    df["step"] = df["step"].astype(np.int64)
    return df[list(FORECAST_COLUMNS) + [c for c in ("lower", "upper") if c in df.columns]]
