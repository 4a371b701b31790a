"""What a backtest returns: the result classes alone, so that modules reading a result
(:mod:`.conformal` calibrates from one) need not import the backtest machinery, which
imports the estimator base class, which calls :mod:`.conformal`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    predictions : pandas.DataFrame
        One row per (origin, lead): ``origin`` (index label of the last
        observed point, ``y.index[o - 1]``), ``step`` (1..horizon),
        ``timestamp`` (label of the target), ``y_true``, ``y_pred``, and with
        ``coverage`` also ``lower``, ``upper`` (NaN where too few earlier
        errors were known).
    metrics : pandas.DataFrame
        Index ``step``: ``"all"`` then 1..horizon; one column per metric, plus
        ``coverage`` (share of targets inside their interval, over origins
        that have bounds) and ``width`` (mean interval width) with ``coverage``.
    errors : ndarray (n_origins, horizon)
        ``y_true - y_pred``.
    origins : ndarray of int
        Origin positions in ``y``.
    fit_seconds, predict_seconds : float
        Wall time summed over all fits / all ``predict_at`` calls.
    """

    predictions: pd.DataFrame
    metrics: pd.DataFrame
    errors: np.ndarray
    origins: np.ndarray
    fit_seconds: float
    predict_seconds: float
    horizon: int
    n_fits: int
    coverage: float | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_origins(self) -> int:
        return len(self.origins)

    def conformal_errors(self) -> np.ndarray:
        """Out-of-sample errors (n_origins, horizon) to calibrate intervals: ``est.calibrate(result)``."""
        return self.errors.copy()


@dataclass
class GlobalBacktestResult:
    """Outcome of :func:`~tsforecast.evaluation.backtest` of a global model over many series.

    Attributes
    ----------
    predictions : pandas.DataFrame
        Long: ``series`` (id), then the columns of :attr:`BacktestResult.predictions`,
        series after series in the order given.
    metrics : pandas.DataFrame
        Each metric averaged over series (the mean of the per-series tables): index
        ``step`` (``"all"``, 1..horizon).
    series_metrics : dict
        Series id -> that series' metrics table (as :attr:`BacktestResult.metrics`;
        MASE is scaled by the series' own training part).
    errors : dict
        Series id -> ``y_true - y_pred``, (n_origins, horizon).
    origins : dict
        Series id -> origin positions in that series.
    fit_seconds, predict_seconds : float
        Wall time of the one fit and of the one batched forecast.
    horizon : int
    params : dict
        ``initial`` (series id -> first origin), ``step``, ``refit`` (0: fitted once),
        ``window``, ``seasonal_period``.
    """

    predictions: pd.DataFrame
    metrics: pd.DataFrame
    series_metrics: dict
    errors: dict
    origins: dict
    fit_seconds: float
    predict_seconds: float
    horizon: int
    params: dict = field(default_factory=dict)

    @property
    def n_origins(self) -> int:
        """Origins over all series."""
        return int(sum(len(o) for o in self.origins.values()))
