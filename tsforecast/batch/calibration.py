"""Split-conformal intervals for the models a batch job fits, calibrated on the tail of each series.

The rule (one for per-series and global models): a series of ``n`` points is split into a head and a
tail. The model is fitted on the head only and forecasts ``horizon`` steps from every origin in the
tail, ``k`` origins, so the tail holds ``k + horizon - 1`` points and each lead time gets ``k``
honest (out-of-sample) errors. ``k`` is a fifth of the series (:data:`TAIL_FRACTION`), at most
:data:`MAX_ORIGINS`, fewer if the model needs more of the series to fit on, and never fewer than
``coverage`` needs (:func:`~tsforecast.evaluation.conformal.min_calibration_errors`: 9 at 90%,
19 at 95%). The model is then refitted on the whole series and forecasts from its end; the
interval is that forecast plus or minus the conformal half-width of the tail's errors.

A series shorter than the model's minimum fit length plus that smallest tail cannot be calibrated:
:func:`calibration_head` raises a :class:`~tsforecast.exceptions.NotEnoughDataError` saying how
many points it needs, which the job reports for that series in ``errors.csv``.
"""

from __future__ import annotations

import numpy as np

from ..evaluation.conformal import conformal_halfwidth, min_calibration_errors
from ..exceptions import NotEnoughDataError

TAIL_FRACTION = 0.2
MAX_ORIGINS = 500


def calibration_head(n: int, horizon: int, coverage: float, min_length: int) -> int:
    """Points in the head of a series of ``n`` points (the rest is the calibration tail; see the module)."""
    need = min_calibration_errors(coverage)
    k = max(need, min(int(n * TAIL_FRACTION), MAX_ORIGINS, n - horizon + 1 - min_length))
    tail = k + horizon - 1
    if n - tail < min_length:
        raise NotEnoughDataError(
            f"{n} points are too few for {coverage:.0%} intervals: calibration holds out the last {tail} "
            f"({need} forecast origins of {horizon} steps) and the model needs {min_length} before them to fit "
            f"on, {min_length + tail} in all. Lower coverage, or forecast this series without it."
        )
    return n - tail


def fit_calibrated(make, y, X, horizon: int, coverage: float):
    """A model fitted on all of ``y`` whose ``conformal_errors_`` come from the tail rule (see the module).

    Parameters
    ----------
    make : callable
        Returns a new unfitted forecaster.
    y : pandas.Series
    X : pandas.DataFrame or None
        Exogenous inputs covering ``y`` (more rows are ignored).
    horizon : int
    coverage : float

    Returns
    -------
    BaseForecaster
    """
    head = make()
    n_head = calibration_head(len(y), horizon, coverage, head._min_length())
    head.fit(y.iloc[:n_head], X)
    head.calibrate(y, X=X, horizon=horizon)
    model = make().fit(y, X)
    model.conformal_errors_ = head.conformal_errors_
    return model


def calibrate_global(est, series: dict, horizon: int, coverage: float):
    """Tail calibration of a global model: fitted once on the heads of all series that have one.

    Returns ``(errors, failed)``: ``{id: errors (k, horizon)}`` (actual minus forecast) and
    ``{id: NotEnoughDataError}`` for series too short to calibrate.
    """
    from ..evaluation.backtest import backtest_global

    heads, failed = {}, {}
    for key, s in series.items():
        try:
            heads[key] = calibration_head(len(s), horizon, coverage, est._min_length())
        except NotEnoughDataError as exc:
            failed[key] = exc
    if not heads:
        return {}, failed
    result = backtest_global(est, {k: series[k] for k in heads}, initial=heads, horizon=horizon)
    return {k: np.asarray(result.errors[k]) for k in heads}, failed


def halfwidths(errors: dict, coverage: float) -> dict:
    """``{id: half-width per lead}`` from ``{id: errors}`` (split-conformal, per series)."""
    return {k: conformal_halfwidth(np.abs(e), coverage) for k, e in errors.items()}
