"""Hyper-parameter search scored by rolling-origin cross-validation inside the training part.

A setting tuned on one validation window transfers badly when that window is
unusual (a holiday that halves traffic). So each candidate is scored on
``n_folds`` folds spread over the training part: fold ``k`` fits on the data
before its first origin (expanding) and forecasts every origin of its block,
exactly as :func:`~tsforecast.evaluation.backtest` does; the candidate's
score is the mean over folds. The winner is refitted on the whole training
part ``y[:end]``; nothing at or after ``end`` is ever read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, ParameterSampler
from tqdm.auto import tqdm

from ..base import check_int
from ..exceptions import InvalidInputError, NotEnoughDataError, ParameterError, TSForecastError
from ..seasonality import carry_periods
from ..validation import check_exog, check_horizon, check_series
from .backtest import (
    GREATER_IS_BETTER,
    _check_initial,
    as_forecaster,
    backtest,
    backtest_global,
    check_metrics,
    check_n_jobs,
)


@dataclass
class TuneResult:
    """Outcome of :func:`tune`.

    Attributes
    ----------
    best_params_ : dict
    best_score_ : float
        Cross-validated score of the best candidate (mean over folds). It is
        the minimum (or maximum) over candidates, so it is optimistic as an
        estimate of future accuracy: judge the tuned model on data the search
        never saw (after ``end``).
    best_forecaster_ : BaseForecaster
        A clone with ``best_params_``, fitted on the whole training part ``y[:end]``.
    results_ : pandas.DataFrame
        One row per candidate: ``params`` (dict), ``param_<name>`` columns,
        ``score`` (mean over folds; NaN for candidates that failed with a
        tsforecast error), ``score_fold<k>`` per fold, ``score_std`` (spread
        over folds), ``fit_seconds``, ``predict_seconds``, ``rank`` (1 = best).
    folds_ : pandas.DataFrame
        One row per fold: ``fold``, ``train_end`` (label of the last point the
        fold's model is fitted on), ``first_target`` and ``last_target``
        (labels of the first and last forecast target), ``n_origins``.
    end_ : object
        Label of the last point of the training part.
    metric : str
        The metric optimised.
    fallback_score_ : float or None
        Cross-validated score of the ``fallback`` model on the same folds (None without one).
    fallback_folds_ : ndarray or None
        Its score on each fold.
    fallback_name_ : str or None
        Its class name.
    fell_back_ : bool
        True when the fallback scored at least as well as the best candidate (or no candidate
        could be scored): ``best_forecaster_`` is then the fallback, and ``best_params_`` stay
        the best candidate's, for the record.
    """

    best_params_: dict
    best_score_: float
    best_forecaster_: object
    results_: pd.DataFrame
    folds_: pd.DataFrame = field(default=None)
    end_: object = None
    metric: str = "mae"
    fallback_score_: float | None = None
    fallback_folds_: np.ndarray | None = None
    fell_back_: bool = False
    fallback_name_: str | None = None

    def summary(self) -> str:
        """One paragraph saying what was chosen, on which folds, and how it scored per fold."""
        ranked = self.results_.loc[self.results_["rank"] == 1]
        best = ranked.iloc[0] if len(ranked) else None
        params = f" {self.best_params_}" if self.best_params_ else ""
        if self.fell_back_:
            against = (f"against {self.best_score_:.6g} for the model{params}" if best is not None
                       else "the model could not be fitted on these folds")
            lines = [f"fell back to {self.fallback_name_}: mean {self.metric} {self.fallback_score_:.6g} over "
                     f"{len(self.folds_)} fold(s) of the training part (up to {self.end_}), {against}:"]
        else:
            lines = [f"chose{params or ' the model as configured'} by mean {self.metric} {self.best_score_:.6g} over "
                     f"{len(self.folds_)} fold(s) of the training part (up to {self.end_})"
                     + (f", against {self.fallback_score_:.6g} for the fallback:" if self.fallback_score_ is not None
                        else ":")]
        for k, row in enumerate(self.folds_.itertuples(), start=1):
            scores = [] if best is None else [f"{best[f'score_fold{k}']:.6g}"]
            if self.fallback_folds_ is not None:
                scores.append(f"fallback {self.fallback_folds_[k - 1]:.6g}")
            lines.append(f"  fold {k}: trained up to {row.train_end}, scored {row.first_target} .. {row.last_target} "
                         f"({row.n_origins} origins): {', '.join(scores)}")
        return "\n".join(lines)


def _candidates(param_grid, n_iter, seed):
    try:
        if n_iter is None:
            return list(ParameterGrid(param_grid))
        return list(ParameterSampler(param_grid, check_int(n_iter, "n_iter"), random_state=seed))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TSForecastError):
            raise
        raise ParameterError(f"invalid param_grid: {exc}") from None


def _check_end(end, index: pd.Index) -> int:
    """Number of training points: ``end`` is the first point of the held-out part (position or timestamp)."""
    n = len(index)
    if end is None:
        return n
    if isinstance(end, (int, np.integer)) and not isinstance(end, (bool, np.bool_)):
        if not 1 <= end <= n:
            raise ParameterError(f"end must lie in [1, {n}] (the number of training points), got {end}.")
        return int(end)
    if isinstance(index, pd.DatetimeIndex) and isinstance(end, (str, pd.Timestamp, np.datetime64)):
        try:
            stamp = pd.Timestamp(end)
        except ValueError:
            raise ParameterError(f"end={end!r} is not a timestamp.") from None
        if (stamp.tz is None) != (index.tz is None):
            raise ParameterError(f"end={end!r} and y's timestamps must both have, or both lack, a time zone.")
        pos = int(index.searchsorted(stamp, side="left"))
        if pos < 1:
            raise ParameterError(f"end={end!r} is at or before the first point of y; nothing is left to train on.")
        return pos
    raise ParameterError(
        f"end must be an int (number of training points) or, for a DatetimeIndex, a timestamp "
        f"(first point of the held-out part), got {end!r}."
    )


def _training_exog(X, index: pd.Index, n_train: int):
    """Exogenous rows of the training part only: X need not cover (and is never read) after ``end``."""
    if X is None:
        return None
    if not isinstance(X, (pd.DataFrame, pd.Series)):
        arr = np.asarray(X)
        if arr.ndim >= 1 and len(arr) == len(index):  # rows for all of y: keep the training rows
            X = arr[:n_train]
    return check_exog(X, index[:n_train], "X")


def fold_origins(n_train, initial, horizon, step, n_folds, fold_size=None) -> list:
    """Origin positions of each fold (a list of int arrays, oldest fold first).

    The origins ``initial, initial + step, ...`` with ``o + horizon <= n_train`` are
    cut into ``n_folds`` consecutive blocks of (nearly) equal size, or, with
    ``fold_size``, into ``n_folds`` blocks of ``fold_size`` origins spread evenly
    over that range (the first at its start, the last at its end; one fold is the last block).
    """
    origins = np.arange(initial, n_train - horizon + 1, step)
    n_folds = check_int(n_folds, "n_folds")
    if fold_size is None:
        if len(origins) < n_folds:
            raise NotEnoughDataError(
                f"the training part has {len(origins)} origin(s) after initial={initial} with horizon={horizon} "
                f"and step={step}, fewer than n_folds={n_folds}; lower initial or n_folds, or use more data."
            )
        return np.array_split(origins, n_folds)
    fold_size = check_int(fold_size, "fold_size")
    if n_folds * fold_size > len(origins):
        raise NotEnoughDataError(
            f"n_folds={n_folds} folds of fold_size={fold_size} origins need {n_folds * fold_size} origins, but the "
            f"training part has {len(origins)} after initial={initial}; lower fold_size, n_folds or initial."
        )
    # From the end backwards, so a single fold is the most recent block (the one nearest the future).
    starts = np.round(np.linspace(len(origins) - fold_size, 0, n_folds)).astype(int)[::-1]
    return [origins[s : s + fold_size] for s in starts]


def _fold_table(index, folds, horizon) -> pd.DataFrame:
    return pd.DataFrame({
        "fold": np.arange(1, len(folds) + 1),
        "train_end": [index[f[0] - 1] for f in folds],
        "first_target": [index[f[0]] for f in folds],
        "last_target": [index[f[-1] + horizon - 1] for f in folds],
        "n_origins": [len(f) for f in folds],
    })


def _score_folds(candidate, series, Xf, folds, options, metric):
    """Backtest ``candidate`` on each fold; returns per-fold scores and summed fit / predict seconds."""
    scores, fit_s, pred_s = [], 0.0, 0.0
    initial, horizon = options["initial"], options["horizon"]
    for origins in folds:
        first, stop = int(origins[0]), int(origins[-1]) + horizon  # targets end at stop - 1 < end
        # Expanding: train on everything before the fold. Sliding keeps the window length `initial`.
        start = 0 if options["window"] == "expanding" else first - initial
        bt = backtest(candidate, series.iloc[start:stop], X=None if Xf is None else Xf.iloc[start:stop],
                      initial=first - start, horizon=horizon, step=options["step"], refit=options["refit"],
                      window=options["window"], metrics=(metric,), seasonal_period=options["seasonal_period"])
        scores.append(float(bt.metrics.loc["all", metric]))
        fit_s += bt.fit_seconds
        pred_s += bt.predict_seconds
    return np.array(scores), fit_s, pred_s


def _evaluate(est, params, series, Xf, folds, options, metric):
    try:
        candidate = clone(est).set_params(**params)
    except ValueError as exc:
        raise ParameterError(f"param_grid names a parameter {type(est).__name__} does not have: {exc}") from None
    try:
        scores, fit_s, pred_s = _score_folds(candidate, series, Xf, folds, options, metric)
    except TSForecastError as exc:  # e.g. lags too long for the first fold's training part: that candidate is infeasible
        return np.full(len(folds), np.nan), np.nan, np.nan, exc
    return scores, fit_s, pred_s, None


def tune(forecaster, y, param_grid, X=None, n_iter=None, initial=0.5, horizon=None, step=1, refit=False,
         metric="mae", n_jobs=1, seed=0, progress=False, window="expanding", seasonal_period=1, n_folds=3,
         fold_size=None, end=None, fallback=None) -> TuneResult:
    """Grid or random search of forecaster parameters by rolling-origin cross-validation on the training part.

    The training part is ``y[:end]``. Its origins from ``initial`` on are cut
    into ``n_folds`` folds; fold ``k`` is a :func:`~tsforecast.evaluation.backtest`
    whose model is fitted on the data before the fold's first origin
    (expanding) and which forecasts leads ``1..horizon`` from every ``step``-th
    origin of the fold. A candidate's score is the mean of its fold scores,
    weighted by the folds' numbers of origins (folds differ by at most one
    origin, or not at all with ``fold_size``, so this is the plain mean up to
    rounding, and with one fold it is the old single-backtest score). The best
    mean wins and is refitted on the whole training part.

    Parameters
    ----------
    forecaster : BaseForecaster or str
        Template (cloned for each candidate) or a registry name.
    y, X : series and optional exogenous data.
        They may run past ``end`` (e.g. include the test part); that part is never read.
    param_grid : dict or list of dicts
        As for :class:`sklearn.model_selection.ParameterGrid`; with ``n_iter``,
        values may be lists or scipy distributions (:class:`~sklearn.model_selection.ParameterSampler`).
    n_iter : int, optional
        Random search with this many candidates instead of the full grid.
    initial : int or float
        First origin of the first fold: points, or a fraction of the training part.
    horizon, step, refit, window, seasonal_period
        Backtest settings of each fold (see :func:`~tsforecast.evaluation.backtest`).
        With ``window="sliding"`` every fit sees the last ``initial`` points.
    metric : str
        Metric to optimise; lower is better except for ``r2`` and ``directional_accuracy``.
    n_jobs : int
        Candidates scored in parallel (joblib).
    seed : int
        Random state of the random search.
    progress : bool
        tqdm bar over candidates.
    n_folds : int, default 3
        Number of folds. Use several (e.g. 3-5): one window can sit in an
        unusual period and pick a setting that does not transfer.
    fold_size : int, optional
        Origins per fold. By default the folds tile all origins after
        ``initial``; with ``fold_size`` they are ``n_folds`` blocks of this many
        origins spread evenly over that range, the last one ending at the
        last origin (cheaper on long series).
    end : int or timestamp, optional
        First point of the held-out part: the number of training points, or
        (DatetimeIndex) the first timestamp not used. Default: all of ``y``.
    fallback : BaseForecaster or str, optional
        A simpler model (e.g. ``"seasonal_naive"``) scored on the same folds. If
        it scores at least as well as the best candidate, or no candidate can be
        fitted on the folds (a series too short for the model), it is the one
        refitted and returned: on a short series nothing estimated may beat it.
        ``param_grid`` may then be ``{}`` (the forecaster as configured).

    Returns
    -------
    TuneResult

    Raises
    ------
    ParameterError
        Bad settings, or a grid naming a parameter the forecaster lacks.
    NotEnoughDataError
        Fewer origins in the training part than folds need.
    """
    est = as_forecaster(forecaster)
    if not isinstance(metric, str):
        raise ParameterError(f"metric must be one metric name, e.g. 'mae', got {metric!r}.")
    check_metrics(metric)
    n_jobs = check_n_jobs(n_jobs)
    full = check_series(y, "y")
    n_train = _check_end(end, full.index)
    series = full.iloc[:n_train]
    Xf = _training_exog(X, full.index, n_train)
    horizon = clone(est)._default_horizon() if horizon is None else check_horizon(horizon)
    initial = _check_initial(initial, n_train)
    step = check_int(step, "step")
    folds = fold_origins(n_train, initial, horizon, step, n_folds, fold_size)
    candidates = _candidates(param_grid, n_iter, seed)
    if not candidates:
        raise ParameterError("param_grid gives no candidates.")
    options = {"initial": initial, "horizon": horizon, "step": step, "refit": refit, "window": window,
               "seasonal_period": seasonal_period}
    evaluate = carry_periods(_evaluate)  # here: joblib may build the jobs in a thread of its own
    jobs = (delayed(evaluate)(est, p, series, Xf, folds, options, metric) for p in candidates)
    if n_jobs != 1 and len(candidates) > 1:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    else:
        results = (job[0](*job[1], **job[2]) for job in jobs)
    rows = list(tqdm(results, total=len(candidates), desc="tune", unit="candidate", disable=not progress))
    weights = [len(f) for f in folds]
    fb = None if fallback is None else as_forecaster(fallback)
    fb_folds = None if fb is None else _evaluate(fb, {}, series, Xf, folds, options, metric)[0]

    def fit(model, params):
        return clone(model).set_params(**params).fit(series, Xf)

    for params, row in zip(candidates, rows):
        if row[3] is not None:
            warnings.warn(f"tune: candidate {params} failed and scores NaN: {row[3]}", RuntimeWarning, stacklevel=2)
    best, scores, table = _pick(candidates, rows, weights, metric, fb_folds)
    fell_back = best is None or _beats(fb_folds, weights, scores[best], metric)
    return TuneResult(best_params_={} if best is None else dict(candidates[best]),
                      best_score_=np.nan if best is None else float(scores[best]),
                      best_forecaster_=fit(fb, {}) if fell_back else fit(est, candidates[best]),
                      results_=table, folds_=_fold_table(series.index, folds, horizon), end_=series.index[-1],
                      metric=metric, fallback_score_=_fold_mean(fb_folds, weights),
                      fallback_folds_=fb_folds, fell_back_=fell_back, fallback_name_=_name(fb))


def _name(model):
    return None if model is None else type(model).__name__


def _fold_mean(fold_scores, weights):
    return None if fold_scores is None else float(np.average(fold_scores, weights=weights))


def _beats(fb_folds, weights, best_score, metric) -> bool:
    """Whether the fallback scores at least as well as the best candidate (a tie goes to the simpler model)."""
    fb = _fold_mean(fb_folds, weights)
    if fb is None or not np.isfinite(fb):
        return False
    return fb >= best_score if metric in GREATER_IS_BETTER else fb <= best_score


def _pick(candidates, rows, weights, metric, fb_folds):
    """The best candidate's position (None when none could be scored but the fallback was), every
    candidate's mean score, and the results table; raises when nothing at all could be scored."""
    failures = [r[3] for r in rows if r[3] is not None]
    fb_ok = fb_folds is not None and np.isfinite(_fold_mean(fb_folds, weights))
    if len(failures) == len(candidates):
        # Only a model the folds are too short for falls back; a bad setting is the user's to fix.
        worst = next((e for e in failures if not isinstance(e, NotEnoughDataError)), failures[0])
        if not fb_ok or not isinstance(worst, NotEnoughDataError):
            raise worst
    fold_scores = np.vstack([r[0] for r in rows])
    scores = np.average(fold_scores, axis=1, weights=weights)
    sign = -1.0 if metric in GREATER_IS_BETTER else 1.0
    table = _results_table(candidates, scores, fold_scores, rows, sign)
    if np.isnan(scores).all():
        if not fb_ok:
            raise InvalidInputError(f"metric {metric!r} is undefined on every fold (see the warnings); choose "
                                    f"another metric.")
        return None, scores, table
    return int(np.nanargmin(sign * scores)), scores, table


def tune_global(forecaster, y: dict, param_grid, *, end, initial=0.5, horizon=None, step=1, metric="mae", n_folds=3,
                seasonal_period=1, progress=False, fit_best=True, fallback=None) -> TuneResult:
    """:func:`tune` for a global model over many series: one fit per fold and candidate, over all series.

    Each series' training part is ``y[k][:end[k]]``; its origins from ``initial`` (points, or a fraction
    of that training part) on are cut into ``n_folds`` folds as :func:`tune` cuts them. Fold ``j`` fits
    the candidate once over every series, each up to its own fold-``j`` origin, and forecasts every
    origin of every series' fold-``j`` block (:func:`~tsforecast.evaluation.backtest_global`); its score
    is ``metric`` averaged over series. A candidate's score is the mean over folds, weighted by their
    numbers of origins. Series too short for ``n_folds`` folds are left out of the search (not of the
    forecasts); nothing at or after a series' ``end`` is read.

    Parameters
    ----------
    forecaster : BaseForecaster or str
        A global model (tag ``"global"``), cloned for each candidate.
    y : dict
        ``{id: Series}``.
    param_grid : dict or list of dicts
        As for :func:`tune` (a full grid).
    end : dict
        ``{id: int}``: the number of training points of each series.
    fit_best : bool, default True
        Fit the winner over all training parts (``best_forecaster_``); False leaves it None, for a
        caller that fits it itself (an experiment's backtest).
    fallback : BaseForecaster or str, optional
        A model fitted per series (e.g. ``"seasonal_naive"``), scored on the same folds of every
        series and averaged over series as the candidates are; it wins as in :func:`tune`. Then
        ``best_forecaster_`` is ``{id: fallback fitted on that series' training part}`` (with ``fit_best``).

    Returns
    -------
    TuneResult
        ``folds_`` has one row per fold: ``train_end`` is the latest point any series' fold model is
        fitted on, ``first_target`` / ``last_target`` the earliest and latest target, ``n_origins``
        and ``n_series`` summed over series.

    Raises
    ------
    NotEnoughDataError
        No series has origins enough for ``n_folds`` folds.
    """
    est = as_forecaster(forecaster)
    if not est.get_tag("global"):
        raise ParameterError(f"tune_global needs a global model (the neural forecasters); {type(est).__name__} "
                             f"is fitted per series: use tune on each series.")
    if not isinstance(metric, str):
        raise ParameterError(f"metric must be one metric name, e.g. 'mae', got {metric!r}.")
    check_metrics(metric)
    if not isinstance(y, dict) or not y:
        raise ParameterError("tune_global needs y as a non-empty dict {id: Series}.")
    missing = [k for k in y if k not in end]
    if missing:
        raise ParameterError(f"end has no training length for series {missing[:3]}; give end={{id: n_train}} for "
                             f"every series of y.")
    horizon = clone(est)._default_horizon() if horizon is None else check_horizon(horizon)
    step = check_int(step, "step")
    series, folds = {}, {}
    for key, values in y.items():
        full = check_series(values, f"y[{key!r}]")
        n_train = _check_end(int(end[key]), full.index)
        try:
            folds[key] = fold_origins(n_train, _check_initial(initial, n_train), horizon, step, n_folds)
        except NotEnoughDataError:
            continue
        series[key] = full.iloc[:n_train]
    if not series:
        raise NotEnoughDataError(f"no series has origins enough in its training part for {n_folds} folds of "
                                 f"horizon {horizon}; lower n_folds or the horizon, or use longer series.")
    candidates = _candidates(param_grid, None, 0)
    rows = []
    for params in tqdm(candidates, desc="tune_global", unit="candidate", disable=not progress):
        try:
            candidate = clone(est).set_params(**params)
        except ValueError as exc:
            raise ParameterError(f"param_grid names a parameter {type(est).__name__} does not have: {exc}") from None
        scores, fit_s, pred_s, failure = [], 0.0, 0.0, None
        try:
            for j in range(n_folds):
                part = {k: s.iloc[: int(folds[k][j][-1]) + horizon] for k, s in series.items()}
                bt = backtest_global(candidate, part, initial={k: int(folds[k][j][0]) for k in series},
                                     horizon=horizon, step=step, metrics=(metric,), seasonal_period=seasonal_period)
                scores.append(float(bt.metrics.loc["all", metric]))
                fit_s, pred_s = fit_s + bt.fit_seconds, pred_s + bt.predict_seconds
        except TSForecastError as exc:
            scores, fit_s, pred_s, failure = [np.nan] * n_folds, np.nan, np.nan, exc
            warnings.warn(f"tune_global: candidate {params} failed and scores NaN: {exc}", RuntimeWarning, stacklevel=2)
        rows.append((np.array(scores), fit_s, pred_s, failure))
    weights = [sum(len(f[j]) for f in folds.values()) for j in range(n_folds)]
    fb = None if fallback is None else as_forecaster(fallback)
    fb_folds = None if fb is None else _fallback_folds(fb, series, folds, horizon, step, metric, seasonal_period)
    best, scores, results = _pick(candidates, rows, weights, metric, fb_folds)
    fell_back = best is None or _beats(fb_folds, weights, scores[best], metric)
    best_params = {} if best is None else dict(candidates[best])
    if not fit_best:
        fitted = None
    elif fell_back:
        fitted = {k: clone(fb).fit(s) for k, s in series.items()}
    else:
        fitted = clone(est).set_params(**best_params).fit(series)
    table = pd.DataFrame({
        "fold": np.arange(1, n_folds + 1),
        "train_end": [max(series[k].index[f[j][0] - 1] for k, f in folds.items()) for j in range(n_folds)],
        "first_target": [min(series[k].index[f[j][0]] for k, f in folds.items()) for j in range(n_folds)],
        "last_target": [max(series[k].index[f[j][-1] + horizon - 1] for k, f in folds.items()) for j in range(n_folds)],
        "n_origins": weights,
        "n_series": len(series),
    })
    return TuneResult(best_params_=best_params, best_score_=np.nan if best is None else float(scores[best]),
                      best_forecaster_=fitted, results_=results, folds_=table,
                      end_=max(s.index[-1] for s in series.values()), metric=metric,
                      fallback_score_=_fold_mean(fb_folds, weights), fallback_folds_=fb_folds, fell_back_=fell_back,
                      fallback_name_=_name(fb))


def _fallback_folds(fb, series, folds, horizon, step, metric, seasonal_period) -> np.ndarray:
    """Fold scores of a per-series ``fb`` on :func:`tune_global`'s folds: fitted on each series up to its
    fold origin, its metric averaged over series as :func:`~tsforecast.evaluation.backtest_global` does."""
    scores = []
    try:
        for j in range(len(next(iter(folds.values())))):
            per = [backtest(fb, s.iloc[: int(folds[k][j][-1]) + horizon], initial=int(folds[k][j][0]),
                            horizon=horizon, step=step, metrics=(metric,),
                            seasonal_period=seasonal_period).metrics.loc["all", metric]
                   for k, s in series.items()]
            scores.append(float(np.mean(per)))
    except TSForecastError as exc:
        warnings.warn(f"tune_global: the fallback failed and scores NaN: {exc}", RuntimeWarning, stacklevel=3)
        return np.full(len(next(iter(folds.values()))), np.nan)
    return np.array(scores)


def _results_table(candidates, scores, fold_scores, rows, sign) -> pd.DataFrame:
    table = pd.DataFrame({"params": candidates})
    for key in sorted({k for p in candidates for k in p}):
        table[f"param_{key}"] = [p.get(key, np.nan) for p in candidates]
    table["score"] = scores
    for k in range(fold_scores.shape[1]):
        table[f"score_fold{k + 1}"] = fold_scores[:, k]
    table["score_std"] = fold_scores.std(axis=1)
    table["fit_seconds"] = [r[1] for r in rows]
    table["predict_seconds"] = [r[2] for r in rows]
    table["rank"] = pd.Series(sign * scores).rank(method="min")  # float: failed candidates rank NaN
    return table
