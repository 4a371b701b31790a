"""Input checks and conversions shared by every forecaster and loader.

Everything here turns user input into plain float64 arrays plus an index, or
raises a named :mod:`tsforecast.exceptions` error that says what to fix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .exceptions import (
    ExogenousError,
    FrequencyError,
    InvalidInputError,
    MissingValuesError,
    ParameterError,
)

MISSING_POLICIES = ("raise", "interpolate", "ffill")
# Policies whose filled values at a time step depend only on values up to that step, so filling a
# whole series before a backtest cannot leak a value after an origin into the history before it.
CAUSAL_MISSING_POLICIES = ("raise", "ffill")


class MissingValuesWarning(UserWarning):
    """Missing values were filled under ``missing='interpolate'`` or ``missing='ffill'``."""


def _numeric_values(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise InvalidInputError(
            f"{name} must hold numbers, got dtype {arr.dtype}; convert it first, "
            f"e.g. with pd.to_numeric({name}, errors='coerce') and decide what to do with the NaN."
        )
    if np.iscomplexobj(arr):
        raise InvalidInputError(f"{name} holds complex numbers; pass real values.")
    return arr.astype(np.float64, copy=False)


def check_index(index: pd.Index, name: str = "y") -> pd.Index:
    """Return a regular index (DatetimeIndex with freq, or RangeIndex) or raise.

    Integer indexes must be consecutive; datetime indexes must be sorted, unique
    and regular so that forecasts can be stamped with future timestamps.
    """
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        if index.has_duplicates:
            dup = index[index.duplicated()][0]
            raise FrequencyError(
                f"{name} has duplicate timestamps (first: {dup}); aggregate them first, "
                f"e.g. {name}.groupby(level=0).mean()."
            )
        if not index.is_monotonic_increasing:
            raise FrequencyError(f"{name} timestamps are not sorted; call {name}.sort_index() first.")
        freq = index.freq
        if freq is None and len(index) >= 3 and index.tz is None:
            # A constant step is by far the common case; pd.infer_freq costs ~100x more per series.
            steps = np.diff(index.asi8)
            if steps[0] > 0 and (steps == steps[0]).all():
                freq = pd.tseries.frequencies.to_offset(pd.Timedelta(int(steps[0]), unit=index.unit))
                # Same values, rebuilt with the step: skips pandas re-validating a freq we just checked.
                return pd.date_range(index[0], periods=len(index), freq=freq, unit=index.unit, name=index.name)
        if freq is None and len(index) >= 3:
            with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset
                warnings.simplefilter("ignore")
                inferred = pd.infer_freq(index)
            freq = pd.tseries.frequencies.to_offset(inferred) if inferred else None
        if freq is None:
            raise FrequencyError(
                f"{name} has irregular timestamps (no frequency can be inferred); resample to a "
                f"regular grid first, e.g. {name}.asfreq('h') or {name}.resample('h').mean()."
            )
        if index.freq != freq:
            index = pd.DatetimeIndex(index, freq=freq)
        return index
    if isinstance(index, pd.RangeIndex) and index.step == 1:
        return index
    if pd.api.types.is_integer_dtype(index.dtype):
        arr = np.asarray(index)
        if len(arr) and not np.array_equal(arr, np.arange(arr[0], arr[0] + len(arr))):
            if len(np.unique(arr)) != len(arr):
                raise FrequencyError(f"{name} has duplicate index values; aggregate them first.")
            raise FrequencyError(
                f"{name} has an integer index that is not consecutive and increasing; "
                f"sort it or reset it with {name}.reset_index(drop=True)."
            )
        start = int(arr[0]) if len(arr) else 0
        return pd.RangeIndex(start, start + len(arr))
    raise FrequencyError(
        f"{name} index must be a DatetimeIndex or a consecutive integer index, got {type(index).__name__}."
    )


def apply_missing_policy(values: np.ndarray, index: pd.Index, missing: str, name: str = "y"):
    """Apply ``missing='raise' | 'interpolate' | 'ffill'`` to a float array.

    ``interpolate`` fills interior gaps linearly (as Cortez et al. did); each
    filled value depends on the next observed value, so use it only on data
    that ends where forecasting starts (a one-off fit), never on a whole
    series that is then backtested. ``ffill`` fills each interior gap with the
    last observed value before it: a filled value depends only on the past, so
    it is safe before a backtest. Both trim leading/trailing gaps (nothing to
    fill them from) and report what they did with a :class:`MissingValuesWarning`.

    Returns
    -------
    values : numpy.ndarray
    index : pandas.Index
        ``values`` and ``index`` with the policy applied (unchanged when nothing is missing).
    """
    if missing not in MISSING_POLICIES:
        raise ParameterError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}.")
    nan = np.isnan(values)
    if not nan.any():
        return values, index
    if missing == "raise":
        first = index[int(np.argmax(nan))]
        raise MissingValuesError(
            f"{name} has {int(nan.sum())} missing value(s) (first at {first}); fill them first "
            f"or pass missing='ffill' (last observed value) or missing='interpolate'."
        )
    valid = np.flatnonzero(~nan)
    if len(valid) == 0:
        raise MissingValuesError(f"{name} has only missing values.")
    lo, hi = valid[0], valid[-1] + 1
    values, index = values[lo:hi], index[lo:hi]
    inner = np.isnan(values)
    if inner.any():
        values = _interpolate(values, inner) if missing == "interpolate" else _forward_fill(values, inner)
    verb = "interpolated" if missing == "interpolate" else "forward-filled"
    warnings.warn(
        f"{name}: {verb} {int(inner.sum())} interior missing value(s) and trimmed "
        f"{lo + (len(nan) - hi)} leading/trailing one(s).",
        MissingValuesWarning,
        stacklevel=3,
    )
    return values, index


def _interpolate(values: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    pos = np.arange(len(values))
    out = values.copy()
    out[gaps] = np.interp(pos[gaps], pos[~gaps], values[~gaps])
    return out


def _forward_fill(values: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Each gap takes the last observed value before it (``values[0]`` must be observed)."""
    last_seen = np.where(gaps, 0, np.arange(len(values)))
    np.maximum.accumulate(last_seen, out=last_seen)
    return values[last_seen]


def check_series(y, name: str = "y", missing: str = "raise") -> pd.Series:
    """Validate one series and return it as a float64 ``pd.Series`` with a regular index."""
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InvalidInputError(
                f"{name} must be one series; got a DataFrame with {y.shape[1]} columns. "
                f"Pass one column, or a dict / long DataFrame to a global model."
            )
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        values, index, label = y.to_numpy(), y.index, y.name
    else:
        if isinstance(y, (str, bytes)) or y is None:
            raise InvalidInputError(f"{name} must be a pandas Series or a 1-D array, got {type(y).__name__}.")
        values = np.asarray(y)
        if values.ndim != 1:
            raise InvalidInputError(f"{name} must be 1-D, got an array of shape {values.shape}.")
        index, label = pd.RangeIndex(len(values)), None
    if len(values) == 0:
        raise InvalidInputError(f"{name} is empty; pass a series with at least one value.")
    values = _numeric_values(values, name)
    if np.isinf(values).any():
        pos = int(np.argmax(np.isinf(values)))
        raise InvalidInputError(f"{name} holds infinite values (first at position {pos}); remove or clip them.")
    checked = check_index(index, name)
    values, checked = apply_missing_policy(values, checked, missing, name)
    if isinstance(y, pd.Series) and checked is index and y.dtype == np.float64:
        return y  # already clean: skip building a new Series (many-series prediction does this per series)
    return pd.Series(values, index=checked, name=label)


def future_index(index: pd.Index, horizon: int) -> pd.Index:
    """The ``horizon`` index labels that follow ``index``."""
    if isinstance(index, pd.DatetimeIndex):
        return pd.date_range(index[-1] + index.freq, periods=horizon, freq=index.freq, tz=index.tz)
    stop = index[-1] + 1 if len(index) else 0
    return pd.RangeIndex(stop, stop + horizon)


def check_horizon(horizon) -> int:
    if isinstance(horizon, (bool, np.bool_)) or not isinstance(horizon, (int, np.integer)):
        raise ParameterError(f"horizon must be a positive integer, got {horizon!r}.")
    if horizon <= 0:
        raise ParameterError(f"horizon must be a positive integer, got {horizon}.")
    return int(horizon)


def check_exog(X, index: pd.Index, name: str = "X", columns=None) -> pd.DataFrame:
    """Return exogenous data as a float DataFrame covering exactly ``index``.

    pandas input is aligned by index label (timestamps, or positions for a
    RangeIndex); array input must have one row per label of ``index``.
    Missing labels are named in the error.
    """
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if isinstance(X, pd.DataFrame):
        if X.index.has_duplicates:
            raise ExogenousError(f"{name} has duplicate index labels; each time step must appear once.")
        if isinstance(index, pd.DatetimeIndex) and not isinstance(X.index, pd.DatetimeIndex):
            raise ExogenousError(
                f"{name} must have a DatetimeIndex like y (got {type(X.index).__name__}), so it can be aligned by timestamp."
            )
        missing_labels = index.difference(X.index)
        if len(missing_labels):
            raise ExogenousError(
                f"{name} does not cover {len(missing_labels)} required time step(s) "
                f"({missing_labels[0]} .. {missing_labels[-1]}); extend {name} to cover them."
            )
        frame = X.loc[index]
    else:
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ExogenousError(f"{name} must be 2-D (time, features), got shape {arr.shape}.")
        if len(arr) != len(index):
            raise ExogenousError(
                f"{name} has {len(arr)} rows but {len(index)} are needed (one per time step); "
                f"pass a DataFrame indexed like y to align by timestamp."
            )
        frame = pd.DataFrame(arr, index=index, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[1] == 0:
        raise ExogenousError(f"{name} has no columns.")
    if columns is not None and list(map(str, frame.columns)) != list(columns):
        raise ExogenousError(
            f"{name} columns {list(map(str, frame.columns))} differ from those seen in fit {list(columns)}."
        )
    try:
        values = _numeric_values(frame.to_numpy(), name)
    except InvalidInputError:
        raise ExogenousError(f"{name} must hold numbers only; convert its columns with pd.to_numeric.") from None
    if not np.isfinite(values).all():
        raise ExogenousError(f"{name} holds NaN or infinite values; fill or drop them first.")
    return pd.DataFrame(values, index=index, columns=[str(c) for c in frame.columns])
