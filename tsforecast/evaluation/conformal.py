"""Split-conformal prediction intervals from out-of-sample forecast errors.

The score is the absolute forecast error per lead time. With ``n`` honest
(out-of-sample) errors for a lead, the interval ``forecast +/- q`` with ``q``
the ``ceil((n + 1) * coverage)``-th smallest absolute error covers a new,
exchangeable target with probability at least ``coverage`` (Vovk et al. 2005;
Lei et al. 2018). Forecast errors of a time series are only approximately
exchangeable, so the guarantee is approximate.

Errors come from :func:`calibrate` (origins after the training data) or from
a backtest (``calibrate(est, backtest_result)``).
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, ParameterError
from ..validation import check_exog, check_horizon, check_series, future_index
from .results import BacktestResult

_EPS = 1e-9  # (n + 1) * coverage is often an integer up to rounding, e.g. 10 * 0.9


def check_coverage(coverage) -> float:
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float, np.floating)) or not 0 < coverage < 1:
        raise ParameterError(f"coverage must be a number in (0, 1), e.g. 0.9, got {coverage!r}.")
    return float(coverage)


def conformal_rank(n: int, coverage: float) -> int:
    """1-based rank ``ceil((n + 1) * coverage)`` of the absolute error used as the half-width."""
    return math.ceil((n + 1) * coverage - _EPS)


def min_calibration_errors(coverage: float) -> int:
    """Fewest errors for which ``conformal_rank(n, coverage) <= n``."""
    return max(1, math.ceil(coverage / (1 - coverage) - _EPS))


def conformal_halfwidth(abs_errors: np.ndarray, coverage: float) -> np.ndarray:
    """Half-width per lead from absolute errors (n, horizon); raises if there are too few errors."""
    n = abs_errors.shape[0]
    k = conformal_rank(n, coverage)
    if k > n:
        raise NotEnoughDataError(
            f"{n} calibration error(s) per lead time are too few for {coverage:.0%} coverage: split-conformal "
            f"intervals need at least {min_calibration_errors(coverage)}. Calibrate on more origins "
            f"(a longer y) or ask for a lower coverage."
        )
    return np.sort(abs_errors, axis=0)[k - 1]


def online_halfwidth(errors: np.ndarray, origins: np.ndarray, coverage: float) -> np.ndarray:
    """Half-widths (n_origins, horizon) for a backtest, using only errors known at each origin.

    At origin ``o`` the lead-``h`` interval uses the absolute lead-``h`` errors of
    earlier origins ``o'`` with ``o' + h <= o`` (their target was observed by
    ``o``). Entries without enough such errors are NaN.
    """
    n_orig, horizon = errors.shape
    out = np.full((n_orig, horizon), np.nan)
    for j in range(horizon):
        # usable[i] = number of leading origins whose lead-(j+1) target is observed at origin i (origins are sorted)
        usable = np.searchsorted(origins, origins - (j + 1), side="right")
        # The k-th smallest of a growing prefix: one sorted insertion per new error keeps this
        # O(n log n) comparisons, where an array version needs an (n, n) sort per lead.
        by_size = np.full(n_orig + 1, np.nan)
        pool: list = []
        for size, err in enumerate(np.abs(errors[:, j]), start=1):
            bisect.insort(pool, err)
            k = conformal_rank(size, coverage)
            if k <= size:
                by_size[size] = pool[k - 1]
        out[:, j] = by_size[usable]
    return out


def _full_series(est, y, X):
    """The series to forecast over (training data then new data), its exogenous frame, and where training ends."""
    train = est.y_
    series = check_series(y, "y")
    if isinstance(train.index, pd.DatetimeIndex) != isinstance(series.index, pd.DatetimeIndex):
        raise InvalidInputError("y must have the same kind of index (timestamps or positions) as the training series.")
    calendar = bool(est._calendar())

    def exog_for(index):  # calendar inputs are computed from the timestamps, not passed
        if est.exog_columns_ is None or (X is None and not calendar):
            return None
        return check_exog(est._add_calendar(X, index) if calendar else X, index, "X", est.exog_columns_)

    nxt = future_index(train.index, 1)[0]
    if series.index[0] == nxt:  # y continues the training series
        full = pd.concat([train, series])
        Xnew = exog_for(series.index)
        Xf = None if Xnew is None else pd.concat([est.X_, Xnew])
    elif series.index[0] <= train.index[0] and train.index[-1] in series.index:  # y contains it
        overlap = series.reindex(train.index)
        if overlap.isna().any() or not np.allclose(overlap.to_numpy(), train.to_numpy()):
            raise InvalidInputError("y differs from the training series where they overlap; pass the data the model "
                                    "was fitted on followed by new observations, or only the new observations.")
        full = series
        Xf = exog_for(series.index)
    else:
        raise InvalidInputError(
            f"y must continue the training series (start at {nxt}) or contain it ({train.index[0]} .. "
            f"{train.index[-1]}); got y from {series.index[0]} to {series.index[-1]}."
        )
    if est.exog_columns_ is None and X is not None:
        raise ExogenousError(f"{type(est).__name__} was fitted without X; do not pass X.")
    if est.exog_columns_ is not None and X is None and est._user_exog_columns():
        raise ExogenousError("the model was fitted with X; pass X covering y.")
    t = full.index.get_loc(train.index[-1]) + 1
    return full, Xf, t


def calibrate(est, y, X=None, origins=None, horizon=None):
    """Store out-of-sample forecast errors on ``est`` for :func:`predict_interval`.

    Parameters
    ----------
    est : fitted BaseForecaster
    y : pandas.Series, 1-D array or BacktestResult
        New observations that continue the training series ``est.y_`` (or a
        series that contains it followed by new data). Forecasts are made
        with ``est.predict_at`` from origins after the training data, so the
        errors are honest. A :class:`~tsforecast.evaluation.BacktestResult`
        instead supplies its backtest errors directly: errors of the same
        model fitted on earlier data, standing in for ``est``'s own.
    X : pandas.DataFrame, optional
        Exogenous data covering ``y`` (for models fitted with ``X``).
    origins : array of int, optional
        Positions in the combined series (training + new data) to forecast
        from; default every position from ``len(est.y_)`` to ``len - horizon``.
        Origins inside the training data are refused: their targets were
        seen in fit, which would make the intervals too narrow.
    horizon : int, optional
        Lead times to calibrate; default the model's horizon.

    Returns
    -------
    est
        With ``conformal_errors_`` (n_origins, horizon): actual minus forecast.
    """
    check_is_fitted(est, "context_length_")
    if getattr(est, "is_global_", False):
        raise InvalidInputError("conformal calibration works on single-series models; fit one series to calibrate.")
    if isinstance(y, BacktestResult):
        if X is not None or origins is not None:
            raise ParameterError("with a backtest result, do not pass X or origins: its errors are used as they are.")
        errors = y.conformal_errors()
        if horizon is not None:
            horizon = check_horizon(horizon)
            if horizon > errors.shape[1]:
                raise ParameterError(f"the backtest has {errors.shape[1]} lead time(s); horizon={horizon} is more.")
            errors = errors[:, :horizon]
        est.conformal_errors_ = np.array(errors, dtype=np.float64)
        return est
    horizon = est._default_horizon() if horizon is None else check_horizon(horizon)
    full, Xf, t = _full_series(est, y, X)
    n = len(full)
    if origins is None:
        origins = np.arange(t, n - horizon + 1)
        if len(origins) == 0:
            raise NotEnoughDataError(
                f"y adds {n - t} point(s) after the training data; calibrating horizon {horizon} needs at least "
                f"{horizon} (and many more for useful intervals)."
            )
    else:
        origins = np.asarray(origins)
        if origins.ndim != 1 or len(origins) == 0 or not np.issubdtype(origins.dtype, np.integer):
            raise ParameterError("origins must be a non-empty 1-D sequence of integer positions.")
        if origins.min() < t:
            raise InvalidInputError(
                f"origin {int(origins.min())} lies inside the training data (which ends at position {t}); its "
                f"targets were seen in fit, so its errors would leak. Use origins >= {t}."
            )
        if origins.max() + horizon > n:
            raise InvalidInputError(
                f"origin {int(origins.max())} + horizon {horizon} runs past the end of y ({n} points)."
            )
    pred = est.predict_at(full, origins, horizon, Xf)
    values = full.to_numpy()
    actual = values[origins[:, None] + np.arange(horizon)]
    est.conformal_errors_ = actual - pred
    return est


def predict_interval(est, horizon=None, coverage=0.9, X=None, y=None) -> pd.DataFrame:
    """Point forecast with split-conformal bounds per lead time.

    Parameters
    ----------
    est : fitted and calibrated BaseForecaster
    horizon : int, optional
        Steps ahead; default the number of calibrated lead times.
    coverage : float in (0, 1)
        Target probability that each lead's interval holds the actual value.
    X, y
        As for ``est.predict`` (exogenous rows; a new history to forecast from).

    Returns
    -------
    pandas.DataFrame
        Indexed by the future timestamps, columns ``forecast, lower, upper``.

    Raises
    ------
    NotEnoughDataError
        When there are fewer calibration errors than ``coverage`` needs
        (``ceil(coverage / (1 - coverage))``, e.g. 9 for 90%).
    """
    check_is_fitted(est, "context_length_")
    coverage = check_coverage(coverage)
    errors = getattr(est, "conformal_errors_", None)
    if errors is None:
        raise NotFittedError(
            f"{type(est).__name__} has no calibration errors; call est.calibrate(new_y) or "
            f"est.calibrate(backtest_result) before predict_interval."
        )
    horizon = errors.shape[1] if horizon is None else check_horizon(horizon)
    if horizon > errors.shape[1]:
        raise ParameterError(
            f"the model is calibrated for {errors.shape[1]} lead time(s); calibrate with horizon={horizon} "
            f"to get intervals that far ahead."
        )
    half = conformal_halfwidth(np.abs(errors[:, :horizon]), coverage)
    fc = est.predict(horizon, X=X, y=y)
    return pd.DataFrame({"forecast": fc.to_numpy(), "lower": fc.to_numpy() - half, "upper": fc.to_numpy() + half},
                        index=fc.index)
