"""Hyper-parameter search scored by rolling-origin backtests."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, ParameterSampler
from tqdm.auto import tqdm

from ..base import check_int
from ..exceptions import ParameterError, TSForecastError
from ..validation import check_series
from .backtest import GREATER_IS_BETTER, as_forecaster, backtest, check_metrics, check_n_jobs


@dataclass
class TuneResult:
    """Outcome of :func:`tune`.

    Attributes
    ----------
    best_params_ : dict
    best_score_ : float
        Backtest score of the best candidate. It is the minimum (or maximum)
        over candidates, so it is optimistic as an estimate of future
        accuracy: judge the tuned model on data the search never saw.
    best_forecaster_ : BaseForecaster
        A clone with ``best_params_``, fitted on all of ``y``.
    results_ : pandas.DataFrame
        One row per candidate: ``params`` (dict), ``param_<name>`` columns,
        ``score`` (NaN for candidates that failed with a tsforecast error),
        ``fit_seconds``, ``predict_seconds``, ``rank`` (1 = best).
    """

    best_params_: dict
    best_score_: float
    best_forecaster_: object
    results_: pd.DataFrame


def _candidates(param_grid, n_iter, seed):
    try:
        if n_iter is None:
            return list(ParameterGrid(param_grid))
        return list(ParameterSampler(param_grid, check_int(n_iter, "n_iter"), random_state=seed))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TSForecastError):
            raise
        raise ParameterError(f"invalid param_grid: {exc}") from None


def _evaluate(est, params, y, X, options, metric):
    try:
        candidate = clone(est).set_params(**params)
    except ValueError as exc:
        raise ParameterError(f"param_grid names a parameter {type(est).__name__} does not have: {exc}") from None
    try:
        bt = backtest(candidate, y, X=X, metrics=(metric,), **options)
    except TSForecastError as exc:  # e.g. lags too long for the first training part: that candidate is infeasible
        return np.nan, np.nan, np.nan, exc
    return float(bt.metrics.loc["all", metric]), bt.fit_seconds, bt.predict_seconds, None


def tune(forecaster, y, param_grid, X=None, n_iter=None, initial=0.5, horizon=None, step=1, refit=False,
         metric="mae", n_jobs=1, seed=0, progress=False, window="expanding", seasonal_period=1) -> TuneResult:
    """Grid or random search of forecaster parameters, each candidate scored by a backtest on ``y``.

    Parameters
    ----------
    forecaster : BaseForecaster or str
        Template (cloned for each candidate) or a registry name.
    y, X : series and optional exogenous data.
    param_grid : dict or list of dicts
        As for :class:`sklearn.model_selection.ParameterGrid`; with ``n_iter``,
        values may be lists or scipy distributions (:class:`~sklearn.model_selection.ParameterSampler`).
    n_iter : int, optional
        Random search with this many candidates instead of the full grid.
    initial, horizon, step, refit, window, seasonal_period
        Backtest settings (see :func:`~tsforecast.evaluation.backtest`).
    metric : str
        Metric to optimise; lower is better except for ``r2`` and ``directional_accuracy``.
    n_jobs : int
        Candidates scored in parallel (joblib).
    seed : int
        Random state of the random search.
    progress : bool
        tqdm bar over candidates.

    Returns
    -------
    TuneResult
    """
    est = as_forecaster(forecaster)
    if not isinstance(metric, str):
        raise ParameterError(f"metric must be one metric name, e.g. 'mae', got {metric!r}.")
    check_metrics(metric)
    n_jobs = check_n_jobs(n_jobs)
    series = check_series(y, "y")
    candidates = _candidates(param_grid, n_iter, seed)
    if not candidates:
        raise ParameterError("param_grid gives no candidates.")
    options = {"initial": initial, "horizon": horizon, "step": step, "refit": refit, "window": window,
               "seasonal_period": seasonal_period}
    jobs = (delayed(_evaluate)(est, p, series, X, options, metric) for p in candidates)
    if n_jobs != 1 and len(candidates) > 1:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    else:
        results = (job[0](*job[1], **job[2]) for job in jobs)
    rows = list(tqdm(results, total=len(candidates), desc="tune", unit="candidate", disable=not progress))

    scores = np.array([r[0] for r in rows])
    failures = [(p, r[3]) for p, r in zip(candidates, rows) if r[3] is not None]
    if len(failures) == len(candidates):
        raise failures[0][1]
    for params, exc in failures:
        warnings.warn(f"tune: candidate {params} failed and scores NaN: {exc}", RuntimeWarning, stacklevel=2)
    sign = -1.0 if metric in GREATER_IS_BETTER else 1.0
    table = pd.DataFrame({"params": candidates})
    for key in sorted({k for p in candidates for k in p}):
        table[f"param_{key}"] = [p.get(key, np.nan) for p in candidates]
    table["score"] = scores
    table["fit_seconds"] = [r[1] for r in rows]
    table["predict_seconds"] = [r[2] for r in rows]
    table["rank"] = pd.Series(sign * scores).rank(method="min")  # float: failed candidates rank NaN
    best = int(np.nanargmin(sign * scores))
    best_params = dict(candidates[best])
    best_forecaster = clone(est).set_params(**best_params).fit(series, X)
    return TuneResult(best_params_=best_params, best_score_=float(scores[best]), best_forecaster_=best_forecaster,
                      results_=table)
