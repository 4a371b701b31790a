"""Forecast accuracy metrics.

Every metric takes arrays of shape ``(n,)`` or ``(n_origins, horizon)``.
With ``per_horizon=True`` a 2-D input gives one value per lead time
(averaged over origins); otherwise one number over everything.
"""

from __future__ import annotations

import warnings

import numpy as np

from .exceptions import InvalidInputError, ParameterError


def _pair(y_true, y_pred):
    a = np.asarray(y_true, dtype=np.float64)
    b = np.asarray(y_pred, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidInputError(f"y_true has shape {a.shape} but y_pred has shape {b.shape}; they must match.")
    if a.ndim not in (1, 2) or a.size == 0:
        raise InvalidInputError(f"metrics take non-empty arrays of shape (n,) or (n_origins, horizon), got {a.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InvalidInputError("y_true and y_pred must be finite (no NaN or inf).")
    return a, b


def _mean(values, per_horizon):
    if per_horizon and values.ndim == 2:
        return np.mean(values, axis=0)
    return float(np.mean(values))


def mae(y_true, y_pred, per_horizon=False):
    """Mean absolute error."""
    a, b = _pair(y_true, y_pred)
    return _mean(np.abs(a - b), per_horizon)


def rmse(y_true, y_pred, per_horizon=False):
    """Root mean squared error."""
    a, b = _pair(y_true, y_pred)
    return np.sqrt(_mean((a - b) ** 2, per_horizon))


def mape(y_true, y_pred, per_horizon=False, zeros="raise"):
    """Mean absolute percentage error, in percent.

    ``zeros='raise'`` (default) raises when ``y_true`` has zeros, where MAPE is
    undefined; ``zeros='skip'`` leaves those points out with a warning.
    """
    a, b = _pair(y_true, y_pred)
    zero = a == 0
    if zero.any():
        if zeros == "raise":
            raise InvalidInputError(
                f"MAPE is undefined: y_true has {int(zero.sum())} zero(s). Use smape or mase, "
                f"or mape(..., zeros='skip') to leave them out."
            )
        if zeros != "skip":
            raise ParameterError(f"zeros must be 'raise' or 'skip', got {zeros!r}.")
        warnings.warn(f"mape: left out {int(zero.sum())} point(s) where y_true == 0.", RuntimeWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.where(zero, np.nan, np.abs((a - b) / a)) * 100.0
    if per_horizon and ape.ndim == 2:
        return np.nanmean(ape, axis=0)
    return float(np.nanmean(ape))


def smape(y_true, y_pred, per_horizon=False):
    """Symmetric MAPE in percent (0..200); a point where both are 0 counts as 0."""
    a, b = _pair(y_true, y_pred)
    denom = np.abs(a) + np.abs(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom == 0, 0.0, 200.0 * np.abs(a - b) / denom)
    return _mean(s, per_horizon)


def mase(y_true, y_pred, y_train, m=1, per_horizon=False):
    """Mean absolute scaled error: MAE over the in-sample MAE of the seasonal naive forecast with period ``m``."""
    a, b = _pair(y_true, y_pred)
    train = np.asarray(y_train, dtype=np.float64).ravel()
    if isinstance(m, bool) or int(m) != m or m < 1:
        raise ParameterError(f"m must be a positive integer, got {m!r}.")
    m = int(m)
    if len(train) <= m:
        raise InvalidInputError(f"mase needs more than m={m} training points, got {len(train)}.")
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    if scale == 0:
        raise InvalidInputError("mase is undefined: the training series is constant at lag m (naive error 0).")
    return _mean(np.abs(a - b), per_horizon) / scale


def r2(y_true, y_pred, per_horizon=False):
    """Coefficient of determination (per lead time with ``per_horizon``)."""
    a, b = _pair(y_true, y_pred)
    axis = 0 if (per_horizon and a.ndim == 2) else None
    sse = np.sum((a - b) ** 2, axis=axis)
    sst = np.sum((a - np.mean(a, axis=axis)) ** 2, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - sse / sst
    if np.any(sst == 0):
        raise InvalidInputError("r2 is undefined when y_true is constant.")
    return out if axis is not None else float(out)


def directional_accuracy(y_true, y_pred, y_ref=None, per_horizon=False):
    """Share of forecasts that move in the right direction from a reference value.

    ``y_ref`` is the value the move is measured from: for 2-D input, the last
    observed value at each origin, shape ``(n_origins,)``. For 1-D input it
    defaults to the previous actual value (the first point is then dropped).
    """
    a, b = _pair(y_true, y_pred)
    if y_ref is None:
        if a.ndim == 2:
            raise InvalidInputError("directional_accuracy on (n_origins, horizon) needs y_ref, the last value at each origin.")
        if len(a) < 2:
            raise InvalidInputError("directional_accuracy needs at least 2 points.")
        ref, a, b = a[:-1], a[1:], b[1:]
    else:
        ref = np.asarray(y_ref, dtype=np.float64)
        if ref.shape != a.shape[:1]:
            raise InvalidInputError(f"y_ref must have shape {a.shape[:1]}, got {ref.shape}.")
        if a.ndim == 2:
            ref = ref[:, None]
    hit = (np.sign(a - ref) == np.sign(b - ref)).astype(np.float64)
    return _mean(hit, per_horizon)


METRICS = {"mae": mae, "rmse": rmse, "mape": mape, "smape": smape, "mase": mase, "r2": r2,
           "directional_accuracy": directional_accuracy}
