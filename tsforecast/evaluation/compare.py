"""Several forecasters through the same backtest, with a Diebold–Mariano test against a baseline."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..exceptions import InvalidInputError, ParameterError
from .backtest import DEFAULT_METRICS, GREATER_IS_BETTER, as_forecaster, backtest, check_metrics
from .diebold_mariano import LOSSES, DMUndefinedWarning, dm_test_losses, holm


@dataclass
class ComparisonResult:
    """Outcome of :func:`compare`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model, in the order given: ``model``, each metric over all
        origins and leads (plus ``coverage``/``width`` with ``coverage``),
        ``rank`` (1 = best by the first metric; ties share the best rank; models
        whose metric is undefined, e.g. MAPE with a zero target, rank last, see
        :func:`rank_models`), ``dm_stat``, ``dm_pvalue`` (against the baseline;
        NaN on the baseline's own row and where the test is undefined),
        ``dm_pvalue_holm`` (``dm_pvalue`` Holm-adjusted over the models tested
        against the baseline: base "significantly better" claims on it),
        ``fit_seconds``, ``predict_seconds``, ``n_origins``.
    backtests : dict
        Model name -> :class:`~tsforecast.evaluation.BacktestResult`.
    baseline : str
        Name of the model the DM tests compare against.
    """

    table: pd.DataFrame
    backtests: dict
    baseline: str


def _as_models(models) -> dict:
    if isinstance(models, dict):
        out = {str(k): as_forecaster(v) for k, v in models.items()}
    elif isinstance(models, (list, tuple)) and all(isinstance(m, str) for m in models):
        if len(set(models)) != len(models):
            raise ParameterError(f"models lists a name twice: {list(models)}.")
        out = {m: as_forecaster(m) for m in models}
    else:
        raise ParameterError("models must be a dict {name: forecaster} or a list of registry names.")
    if not out:
        raise ParameterError("models is empty; pass at least one forecaster.")
    return out


def _default_baseline(names):
    for candidate in ("seasonal_naive", "naive"):
        if candidate in names:
            return candidate
    return names[0]


def rank_models(values, greater_is_better=False) -> np.ndarray:
    """Ranks of models by one metric: 1 = best, ties share the best rank, undefined (NaN) values rank last.

    Returns an int64 array, so a table always has a complete ranking even
    when a metric is undefined for some model (all NaN models share the last rank).
    """
    values = pd.Series(np.asarray(values, dtype=np.float64))
    ranks = values.rank(method="min", ascending=not greater_is_better, na_option="bottom")
    return ranks.to_numpy().astype(np.int64)


def dm_against(errors, base_errors, step, loss, name="model", baseline="baseline"):
    """DM test of one model's errors against the baseline's (same origins).

    The loss of each origin is averaged over its lead times, giving one
    number per origin; consecutive origins ``step`` apart share targets up
    to ``ceil(horizon / step) - 1`` origins back, so that many autocovariances
    enter the variance (``h = ceil(horizon / step)``). Negative statistic:
    the model beats the baseline. When the rectangular long-run variance is
    not positive (it happens when the loss differential is seasonal) the test
    falls back to ``h = 1`` with a ``RuntimeWarning``, as
    :func:`~tsforecast.evaluation.diebold_mariano` documents. When the test is
    undefined (identical losses, too few origins) the result is ``(nan, nan)``
    with a :class:`~tsforecast.evaluation.diebold_mariano.DMUndefinedWarning`
    naming ``name``, ``baseline`` and the reason.
    """
    horizon = errors.shape[1]
    loss_fn = LOSSES[loss]
    try:
        return dm_test_losses(loss_fn(errors).mean(axis=1), loss_fn(base_errors).mean(axis=1),
                              h=math.ceil(horizon / step))
    except InvalidInputError as exc:
        warnings.warn(f"Diebold-Mariano test of {name!r} against the baseline {baseline!r} is undefined, so its "
                      f"dm_stat and dm_pvalue are NaN: {exc}", DMUndefinedWarning, stacklevel=2)
        return (np.nan, np.nan)


def compare(models, y, X=None, baseline=None, initial=0.5, horizon=None, step=1, refit=False, window="expanding",
            metrics=DEFAULT_METRICS, seasonal_period=1, coverage=None, dm_loss="se", n_jobs=1,
            progress=True) -> ComparisonResult:
    """Backtest several forecasters on the same origins and tabulate them.

    Parameters
    ----------
    models : dict or list of str
        ``{name: forecaster}`` (forecaster objects or registry names), or a
        list of registry names.
    y, X, initial, horizon, step, refit, window, metrics, seasonal_period, coverage, n_jobs
        As for :func:`~tsforecast.evaluation.backtest` (the same for every
        model, so every model is scored on the same origins and targets).
        ``horizon`` defaults to the models' common default horizon.
    baseline : str, optional
        Model the DM tests compare against; default ``"seasonal_naive"`` if
        present, else ``"naive"``, else the first model.
    dm_loss : {"se", "ae"}
        Loss of the Diebold–Mariano test (HLN-corrected, two-sided). The test
        runs on the per-origin loss averaged over lead times with
        ``h = ceil(horizon / step)``; see :func:`dm_against`.
    progress : bool
        tqdm bars over models and fits.

    Returns
    -------
    ComparisonResult
    """
    models = _as_models(models)
    names = list(models)
    metric_names = check_metrics(metrics)
    if dm_loss not in LOSSES:
        raise ParameterError(f"dm_loss must be one of {tuple(LOSSES)}, got {dm_loss!r}.")
    baseline = _default_baseline(names) if baseline is None else baseline
    if baseline not in models:
        raise ParameterError(f"baseline {baseline!r} is not one of the models {names}.")
    if horizon is None:
        defaults = {name: m._default_horizon() for name, m in models.items()}
        if len(set(defaults.values())) > 1:
            raise ParameterError(f"the models have different default horizons {defaults}; pass horizon=.")
        horizon = next(iter(defaults.values()))

    backtests = {}
    for name in tqdm(names, desc="models", unit="model", disable=not progress):
        backtests[name] = backtest(models[name], y, X=X, initial=initial, horizon=horizon, step=step, refit=refit,
                                   window=window, metrics=metric_names, n_jobs=n_jobs, coverage=coverage,
                                   seasonal_period=seasonal_period, progress=progress, desc=name)

    rows = []
    base_errors = backtests[baseline].errors
    for name, bt in backtests.items():
        row = {"model": name, **bt.metrics.loc["all"].to_dict()}
        stat, pvalue = ((np.nan, np.nan) if name == baseline
                        else dm_against(bt.errors, base_errors, step, dm_loss, name, baseline))
        row.update(dm_stat=stat, dm_pvalue=pvalue, fit_seconds=bt.fit_seconds, predict_seconds=bt.predict_seconds,
                   n_origins=bt.n_origins)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("dm_pvalue") + 1, "dm_pvalue_holm", holm(table["dm_pvalue"]))
    first = metric_names[0]
    n_metric_cols = len(metric_names) + (2 if coverage is not None else 0)
    table.insert(1 + n_metric_cols, "rank", rank_models(table[first], first in GREATER_IS_BETTER))
    return ComparisonResult(table=table, backtests=backtests, baseline=baseline)
