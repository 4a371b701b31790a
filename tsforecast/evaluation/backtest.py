"""Rolling-origin backtests: every origin of a test part, predicted in batches.

Many series (a dict ``{id: Series}`` or a long frame) take a global model: it
is fitted once over the training part of every series and all origins of all
series are forecast in one batched call (:func:`backtest_global`).

Origin ``o`` (an integer position) forecasts ``y[o : o + horizon]`` from
``y[:o]``. Origins run ``initial, initial + step, ...`` while
``o + horizon <= len(y)``. A model is fitted once (``refit=False``) or a
fresh clone every ``refit`` origins on the data before that block's first
origin, and all origins of a block are predicted with one
``forecaster.predict_at`` call, so no fit ever sees a value at or after an
origin it is scored on.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from tqdm.auto import tqdm

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import InvalidInputError, NotEnoughDataError, ParameterError
from ..metrics import METRICS
from ..multiseries import is_multi, to_series_dict
from ..seasonality import carry_periods
from ..validation import check_exog, check_horizon, check_series
from .conformal import check_coverage, online_halfwidth
from .results import BacktestResult, GlobalBacktestResult  # noqa: F401 - BacktestResult re-exported

DEFAULT_METRICS = ("mae", "rmse", "mape", "smape", "mase")
GREATER_IS_BETTER = frozenset({"r2", "directional_accuracy", "coverage"})
WINDOWS = ("expanding", "sliding")


def _check_initial(initial, n: int) -> int:
    if isinstance(initial, (bool, np.bool_)):
        raise ParameterError(f"initial must be an int (points) or a float in (0, 1) (fraction), got {initial!r}.")
    if isinstance(initial, (float, np.floating)):
        if not 0 < initial < 1:
            raise ParameterError(f"initial as a fraction must lie in (0, 1), got {initial!r}.")
        return int(np.floor(initial * n))
    if isinstance(initial, (int, np.integer)) and initial >= 1:
        return int(initial)
    raise ParameterError(f"initial must be a positive int (points) or a float in (0, 1) (fraction), got {initial!r}.")


def _check_refit(refit) -> int:
    """0 = fit once; k >= 1 = refit every k origins (``True`` means every origin)."""
    if refit is False or refit is None:
        return 0
    if refit is True:
        return 1
    return check_int(refit, "refit")


def check_metrics(metrics) -> tuple:
    names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in names if m not in METRICS]
    if not names or unknown:
        raise ParameterError(f"unknown metric(s) {unknown}; choose from {sorted(METRICS)}.")
    return names


def check_n_jobs(n_jobs) -> int:
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ParameterError(f"n_jobs must be a non-zero integer (-1 = all cores), got {n_jobs!r}.")
    return int(n_jobs)


def as_forecaster(forecaster):
    if isinstance(forecaster, str):
        from ..registry import get_forecaster

        return get_forecaster(forecaster)
    if not isinstance(forecaster, BaseForecaster):
        raise ParameterError(
            f"forecaster must be a tsforecast forecaster or a registry name, got {type(forecaster).__name__}."
        )
    return forecaster


def _run_block(est, series, Xf, start, stop, origins, horizon, coverage=None):
    """Fit a fresh clone on ``series[start:stop]`` and forecast ``origins`` (positions in ``series``).

    With ``coverage`` and a model trained for quantiles, the forecasts are (point, lower, upper)
    from its quantile pair for that coverage."""
    t0 = time.perf_counter()
    model = clone(est).fit(series.iloc[start:stop], None if Xf is None else Xf.iloc[start:stop])
    t1 = time.perf_counter()
    n_fut = model._future_exog_steps(horizon) if Xf is not None else 0
    # Hand predict_at only data up to the block's last origin (plus the exogenous rows it may need after it);
    # predict_at reads y[:o] for origin o, so no forecast depends on a value at or after its origin.
    end = min(len(series), int(origins[-1]) + max(n_fut, 0))
    hist = series.iloc[start:end]
    Xh = None if Xf is None else Xf.iloc[start:end]
    if coverage is not None and getattr(model, "quantiles", None) is not None:
        from ..models.neural_base import quantile_pair

        i, j = quantile_pair(model.quantiles, coverage)
        Q = model.predict_quantiles_at(hist, origins - start, horizon, Xh)
        mid = [float(v) for v in model.quantiles].index(0.5)
        pred = np.stack([Q[..., mid], Q[..., i], Q[..., j]])
    else:
        pred = model.predict_at(hist, origins - start, horizon, Xh)
    t2 = time.perf_counter()
    return pred, t1 - t0, t2 - t1


def score(actual, pred, names, y_train, seasonal_period, y_ref) -> pd.DataFrame:
    """Metrics overall (row ``"all"``) and per lead time (rows 1..h); an undefined metric gives NaN and a warning."""
    h = actual.shape[1]
    index = pd.Index(["all", *range(1, h + 1)], name="step", dtype=object)
    values = np.full((h + 1, len(names)), np.nan)  # filled column by column, framed once
    for j, name in enumerate(names):
        fn = METRICS[name]
        extra = {}
        if name == "mase":
            extra = {"y_train": y_train, "m": seasonal_period}
        elif name == "directional_accuracy":
            extra = {"y_ref": y_ref}
        try:
            values[0, j] = fn(actual, pred, **extra)
            values[1:, j] = fn(actual, pred, per_horizon=True, **extra)
        except InvalidInputError as exc:
            warnings.warn(f"backtest: metric {name!r} is undefined here and set to NaN: {exc}", RuntimeWarning,
                          stacklevel=3)
    return pd.DataFrame(values, index=index, columns=list(names))


def _score_origins(series: pd.Series, origins, pred, initial: int, names, seasonal_period: int):
    """Actual values (n_origins, horizon), the metrics table and the prediction columns of one series.

    MASE is scaled by ``series[:initial]``; ``directional_accuracy`` is measured from ``series[o - 1]``.
    """
    horizon = pred.shape[1]
    values = series.to_numpy()
    target = origins[:, None] + np.arange(horizon)
    actual = values[target]
    table = score(actual, pred, names, values[:initial], seasonal_period, values[origins - 1])
    frame = {
        "origin": series.index[origins - 1].repeat(horizon),
        "step": np.tile(np.arange(1, horizon + 1), len(origins)),
        "timestamp": series.index[target.ravel()],
        "y_true": actual.ravel(),
        "y_pred": pred.ravel(),
    }
    return actual, table, frame


def _interval_scores(actual, lower, upper) -> pd.DataFrame:
    known = np.isfinite(lower)
    inside = np.where(known, (actual >= lower) & (actual <= upper), np.nan)
    width = np.where(known, upper - lower, np.nan)
    with warnings.catch_warnings():  # leads without any bounds give NaN, which is what we report
        warnings.simplefilter("ignore", RuntimeWarning)
        cov = np.concatenate([[np.nanmean(inside)], np.nanmean(inside, axis=0)])
        wid = np.concatenate([[np.nanmean(width)], np.nanmean(width, axis=0)])
    return pd.DataFrame({"coverage": cov, "width": wid})


def backtest(forecaster, y, X=None, initial=0.5, horizon=None, step=1, refit=False, window="expanding",
             metrics=DEFAULT_METRICS, n_jobs=1, coverage=None, seasonal_period=1, progress=False,
             desc=None) -> BacktestResult:
    """Rolling-origin evaluation of a forecaster over the tail of a series.

    Parameters
    ----------
    forecaster : BaseForecaster or str
        Unfitted template (it is cloned, never modified) or a registry name.
    y : pandas.Series, 1-D array, dict or long DataFrame
        One series; or many (``{id: Series}`` or ``id, timestamp, value``) for a
        global model, which :func:`backtest_global` fits once over all of them
        (``coverage``, ``window`` and ``n_jobs`` do not apply there).
    X : pandas.DataFrame or 2-D array, optional
        Exogenous data covering ``y`` (for models that take it).
    initial : int or float
        Length of the first training part: points (int) or a fraction of
        ``len(y)`` in (0, 1). The first origin is ``initial``.
    horizon : int, optional
        Lead times per origin; default the forecaster's ``horizon`` (or 1).
    step : int
        Distance between consecutive origins.
    refit : False or int
        ``False``: fit one clone on ``y[:initial]`` and predict every origin in
        one ``predict_at`` call. ``k``: fit a fresh clone every ``k`` origins on
        the data before that block's first origin and predict the block in one
        call (``True`` = every origin). Each fit rebuilds its scaler on its
        own training data.
    window : {"expanding", "sliding"}
        With refits, train on everything before the origin (expanding) or on
        its last ``initial`` points (sliding; forecasts then also condition
        only on history from the window's start).
    metrics : sequence of str
        Names from :data:`tsforecast.metrics.METRICS`. MASE is scaled by the
        in-sample seasonal-naive MAE of ``y[:initial]`` with period
        ``seasonal_period``; ``directional_accuracy`` is measured from the
        last observed value at each origin. A metric undefined on the data
        (e.g. MAPE with zeros in ``y``) is NaN with a warning.
    n_jobs : int
        Parallel refit blocks (joblib); only useful with ``refit``.
    coverage : float in (0, 1), optional
        Add intervals and score their coverage and width. A network trained with ``quantiles``
        takes its bounds from the quantile pair of that coverage (no calibration; e.g. 0.8 from
        0.1 and 0.9). Every other model gets online split-conformal intervals: at origin ``o`` the lead-``h``
        half-width is the conformal quantile of the absolute lead-``h`` errors
        of earlier origins ``o'`` with ``o' + h <= o`` (targets already
        observed). Origins with fewer than ``ceil(coverage/(1-coverage))`` such
        errors get NaN bounds and are left out of the ``coverage`` metric.
    seasonal_period : int
        Season length for MASE.
    progress : bool
        Show a tqdm bar over fits.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    BacktestResult or GlobalBacktestResult
        The latter for many series.
    """
    est = as_forecaster(forecaster)
    if is_multi(y):
        if coverage is not None:
            raise ParameterError("intervals (coverage) are not supported over many series yet; drop coverage.")
        return backtest_global(est, y, X=X, initial=initial, horizon=horizon, step=step, refit=refit,
                               metrics=metrics, seasonal_period=seasonal_period, progress=progress, desc=desc)
    series = check_series(y, "y")
    n = len(series)
    template = clone(est)
    template._check_params()
    horizon = template._default_horizon() if horizon is None else check_horizon(horizon)
    initial = _check_initial(initial, n)
    step = check_int(step, "step")
    every = _check_refit(refit)
    check_choice(window, WINDOWS, "window")
    names = check_metrics(metrics)
    seasonal_period = check_int(seasonal_period, "seasonal_period")
    n_jobs = check_n_jobs(n_jobs)
    if coverage is not None:
        coverage = check_coverage(coverage)
    need = template._min_length()
    if initial < need:
        raise NotEnoughDataError(
            f"initial={initial} training points, but {type(est).__name__} needs at least {need} to fit; "
            f"raise initial or use smaller lags/horizon."
        )
    origins = np.arange(initial, n - horizon + 1, step)
    if len(origins) == 0:
        raise NotEnoughDataError(
            f"y has {n} points: nothing is left for one origin after initial={initial} with horizon={horizon}; "
            f"need at least initial + horizon = {initial + horizon} points."
        )
    Xf = None if X is None else check_exog(X, series.index, "X")

    if every == 0:
        blocks = [(0, initial, origins)]
    else:
        blocks = [(0 if window == "expanding" else int(b[0]) - initial, int(b[0]), b)
                  for b in np.split(origins, np.arange(every, len(origins), every))]
    run_block = carry_periods(_run_block)  # here: joblib may build the jobs in a thread of its own
    jobs = (delayed(run_block)(est, series, Xf, start, stop, block, horizon, coverage) for start, stop, block in blocks)
    runner = Parallel(n_jobs=n_jobs, return_as="generator") if n_jobs != 1 and len(blocks) > 1 else None
    results = runner(jobs) if runner is not None else (job[0](*job[1], **job[2]) for job in jobs)
    bar = tqdm(results, total=len(blocks), desc=desc or f"backtest {type(est).__name__}", unit="fit",
               disable=not progress, leave=False)
    preds, fit_s, pred_s = [], 0.0, 0.0
    for pred, f_s, p_s in bar:
        preds.append(np.asarray(pred, dtype=np.float64))
        fit_s += f_s
        pred_s += p_s
    quantile_bounds = preds[0].ndim == 3  # (point, lower, upper) from a model's quantiles
    pred = np.concatenate(preds, axis=-2)
    if quantile_bounds:
        pred, lower, upper = pred

    actual, table, frame = _score_origins(series, origins, pred, initial, names, seasonal_period)
    errors = actual - pred
    if coverage is not None:
        if not quantile_bounds:
            half = online_halfwidth(errors, origins, coverage)
            lower, upper = pred - half, pred + half
        frame.update(lower=lower.ravel(), upper=upper.ravel())
        iv = _interval_scores(actual, lower, upper)
        table["coverage"] = iv["coverage"].to_numpy()
        table["width"] = iv["width"].to_numpy()
    return BacktestResult(
        predictions=pd.DataFrame(frame), metrics=table, errors=errors, origins=origins, fit_seconds=fit_s,
        predict_seconds=pred_s, horizon=horizon, n_fits=len(blocks), coverage=coverage,
        params={"initial": initial, "step": step, "refit": every, "window": window,
                "seasonal_period": seasonal_period},
    )


def _mean_table(tables: dict) -> pd.DataFrame:
    """The mean of metrics tables over series, cell by cell; a series where a metric is undefined (NaN) is
    left out of that cell's mean."""
    return pd.concat(list(tables.values())).groupby(level="step", sort=False).mean()


def global_origin_forecasts(model, series: dict, origins: dict, horizon: int) -> dict:
    """Forecasts of a fitted global network from every origin of every series, in one batched call
    (see :meth:`~tsforecast.models.neural_base.NeuralForecaster.forecast_origins`)."""
    return model.forecast_origins(series, origins, horizon)


def backtest_global(forecaster, y, X=None, initial=0.5, horizon=None, step=1, refit=False, metrics=DEFAULT_METRICS,
                    seasonal_period=1, progress=False, desc=None) -> GlobalBacktestResult:
    """Rolling-origin evaluation of a global model over many series.

    The model is fitted once over the training parts of all series (each series
    split at its own ``initial``); then every origin of every series is forecast
    in one batched call (:func:`global_origin_forecasts`), each window scaled
    with its series' fitted scaler. Origins of series ``k`` run ``initial_k,
    initial_k + step, ...`` while ``o + horizon <= len(y[k])``.

    Parameters
    ----------
    forecaster : BaseForecaster or str
        Unfitted global model (tag ``"global"``: the neural forecasters), cloned.
    y : dict or pandas.DataFrame
        ``{id: Series}`` or a long frame ``id, timestamp, value``.
    X : None
        Exogenous inputs are not supported here yet (calendar inputs, which the
        model computes itself, are).
    initial : int, float or dict
        First origin of each series: points (int), a fraction of its length
        (float in (0, 1)), or ``{id: int or float}`` per series.
    horizon : int, optional
        Lead times per origin; default the model's ``horizon``.
    step : int
        Distance between consecutive origins.
    refit : False
        A global model is fitted once.
    metrics : sequence of str
        As for :func:`backtest`; each series is scored on its own (MASE scaled
        by its own training part) and the tables are averaged.
    seasonal_period : int
        Season length for MASE.
    progress : bool
        Show a tqdm bar over the fit and the forecast.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    GlobalBacktestResult
    """
    est = as_forecaster(forecaster)
    if not est.get_tag("global"):
        raise ParameterError(f"{type(est).__name__} fits one series; backtest many series with a global model "
                             f"(e.g. 'lstm'), or backtest each series on its own.")
    if X is not None:
        raise ParameterError("exogenous X is not supported when backtesting many series yet; drop X.")
    if _check_refit(refit):
        raise ParameterError("a global model is fitted once over all series; set refit=False.")
    series = to_series_dict(y)
    template = clone(est)
    template._check_params()
    horizon = template._default_horizon() if horizon is None else check_horizon(horizon)
    step = check_int(step, "step")
    names = check_metrics(metrics)
    seasonal_period = check_int(seasonal_period, "seasonal_period")
    if isinstance(initial, dict):
        missing = [k for k in series if k not in initial]
        if missing:
            raise ParameterError(f"initial has no value for series {missing[:5]}.")
        initials = {k: _check_initial(initial[k], len(s)) for k, s in series.items()}
    else:
        initials = {k: _check_initial(initial, len(s)) for k, s in series.items()}
    need = template._min_length()
    short = [k for k, i in initials.items() if i < need]
    if short:
        raise NotEnoughDataError(f"series {short[:5]} have fewer than {need} training points before their first "
                                 f"origin, which {type(est).__name__} needs; raise initial or use smaller lags.")
    origins = {k: np.arange(initials[k], len(s) - horizon + 1, step) for k, s in series.items()}
    empty = [k for k, o in origins.items() if len(o) == 0]
    if empty:
        raise NotEnoughDataError(f"series {empty[:5]} leave no origin after their training part with "
                                 f"horizon={horizon}; they need at least initial + horizon points.")

    with tqdm(total=2, desc=desc or f"backtest {type(est).__name__} (global)", disable=not progress,
              leave=False) as bar:
        t0 = time.perf_counter()
        model = clone(est).fit({k: s.iloc[: initials[k]] for k, s in series.items()})
        bar.update(1)
        t1 = time.perf_counter()
        preds = global_origin_forecasts(model, series, origins, horizon)
        t2 = time.perf_counter()
        bar.update(1)

    tables, errors, frames = {}, {}, []
    for k, s in series.items():
        actual, tables[k], frame = _score_origins(s, origins[k], preds[k], initials[k], names, seasonal_period)
        errors[k] = actual - preds[k]
        frames.append(pd.DataFrame({"series": k, **frame}))
    return GlobalBacktestResult(
        predictions=pd.concat(frames, ignore_index=True), metrics=_mean_table(tables),
        series_metrics=tables, errors=errors, origins=origins, fit_seconds=t1 - t0, predict_seconds=t2 - t1,
        horizon=horizon, params={"initial": initials, "step": step, "refit": 0, "window": "expanding",
                                 "seasonal_period": seasonal_period},
    )
