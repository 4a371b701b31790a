"""The pieces of forecasting one series that the chunk workers and the global route share:
its inputs from the table rows, the check of its future rows, and naming its failures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, TSForecastError
from ..validation import future_index
from .io import rows_to_exog, rows_to_series
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
