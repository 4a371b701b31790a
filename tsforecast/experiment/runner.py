"""Run an experiment: backtest every model of each run on the same origins.

Loading the data lives in :mod:`.data`, writing the results in :mod:`.outputs`;
their public names are importable from here too.
"""

from __future__ import annotations

import argparse

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm.auto import tqdm

from ..exceptions import ConfigError
from ..seasonality import use_periods
from ..shared_fits import shared_fits
from .config import ExperimentConfig, RunSpec, load_config
from .data import (  # noqa: F401 - re-exported: loading used to live here
    DEFAULT_METRICS,
    DEFAULT_TRAIN_FRACTION,
    _compare_kwargs,
    _initial_for,
    load_run_data,
    measured_periods,
    resolve_protocol,
)
from .outputs import (  # noqa: F401 - re-exported: writing used to live here
    TIMING_COLUMNS,
    _dm_sentence,
    _plots,
    _ranking_lines,
    _reproduce_command,
    _series_summary,
    check_writable_dir,
    write_results,
)
from .report import series_unit


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns.

    Attributes
    ----------
    path : pathlib.Path
        Results directory (``results_dir/<name>``).
    table : pandas.DataFrame
        One row per dataset and model: the columns of ``metrics.csv`` plus the
        ``fit_seconds``/``predict_seconds`` written to ``timings.csv``.
    comparisons : dict
        Dataset label -> :class:`~tsforecast.evaluation.ComparisonResult`
        (or :class:`ManySeriesComparison` for multi-series datasets).
    wall_seconds : float
        Wall time of the whole experiment.
    config : ExperimentConfig
        The checked configuration that ran.
    """

    path: Path
    table: pd.DataFrame
    comparisons: dict
    wall_seconds: float
    config: ExperimentConfig


@dataclass
class ManySeriesComparison:
    """Outcome of comparing models over many series (per-series models and global models).

    ``table`` holds each metric averaged over series; ``backtests[model][series]``
    the per-series :class:`~tsforecast.evaluation.BacktestResult` (global models:
    ``None`` — their predictions are in ``predictions``); ``predictions`` is long
    with a ``series`` column.
    """

    table: pd.DataFrame
    predictions: pd.DataFrame
    step_metrics: dict
    baseline: str
    params: dict


# -- one series ----------------------------------------------------------------------------
def _run_single(run: RunSpec, y: pd.Series, p: dict, progress: bool):
    from ..evaluation import compare

    from ..evaluation.backtest import _check_initial

    kwargs = _compare_kwargs(p, len(y))
    models = {label: _select(spec, y, p, kwargs, progress) for label, spec in run.models.items()}
    train = y.iloc[: _check_initial(kwargs["initial"], len(y))]
    for label, model in models.items():
        _describe_fit_choice(label, model, train)
    cmp = compare(models, y, baseline=run.baseline, progress=progress, **kwargs)
    frames = [bt.predictions.assign(model=name) for name, bt in cmp.backtests.items()]
    steps = {name: bt.metrics.drop(index="all") for name, bt in cmp.backtests.items()}
    first = next(iter(cmp.backtests.values()))
    return cmp, cmp.table, pd.concat(frames, ignore_index=True), steps, first.params, len(first.origins), models


def _select(spec, y, p, kwargs, progress):
    """The model of ``spec``; with a ``search`` table, its parameters chosen by rolling-origin
    cross-validation (3 folds) inside the training part, ``y[:initial]`` only, scored by the
    headline metric; with a ``fallback``, that model instead when it scores at least as well on the
    same folds. What was chosen and why is kept on the model for the report."""
    from ..evaluation import tune
    from ..evaluation.backtest import _check_initial

    model = spec.build(p["horizon"])
    if not spec.search and not spec.fallback:
        return model
    end = _check_initial(kwargs["initial"], len(y))  # the first test origin: the search never reads past it
    result = tune(model, y, spec.search or {}, horizon=p["horizon"], step=p["step"], metric=p["headline"],
                  n_folds=3, end=end, seasonal_period=p["seasonal_period"], progress=progress,
                  fallback=spec.build_fallback(p["horizon"]))
    return _chosen(spec, model, result, p["horizon"], f"`{spec.label}`: ")


def _chosen(spec, model, result, horizon, prefix):
    """``model`` with the search's parameters, or the fallback the folds preferred (unfitted), with the reason."""
    if result.fell_back_:
        model = spec.build_fallback(horizon)
        model.fell_back_from_ = spec.label
    else:
        model.set_params(**result.best_params_)
    model.selection_ = prefix + result.summary()
    return model


def _choice(spec, model) -> tuple:
    """What the per-series selection of ``spec`` chose on one series, as sorted (name, value) pairs."""
    if hasattr(model, "fell_back_from_"):
        return (("fallback", spec.fallback),)
    return tuple(sorted((key, model.get_params()[key]) for key in spec.search or {}))


def _describe_fit_choice(label, model, train):
    """For a model that chooses something inside its own fit (an ensemble whose weights or members come from
    folds of its training data), fit it on the training part and keep what it chose for the report. Inside
    the run's ``shared_fits`` the backtest then takes this fit instead of fitting again."""
    from ..models.ensemble_model import CHOSEN_ON_FOLDS

    if getattr(model, "combine", None) not in CHOSEN_ON_FOLDS or not hasattr(model, "selection_summary"):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        text = clone(model).fit(train).selection_summary()
    model.selection_ = f"`{label}`: {text}"


def _select_global(name, spec, model, series, initials, p, progress):
    """The global ``model`` with its ``search`` parameters chosen by rolling-origin cross-validation (3 folds)
    inside every series' training part (:func:`~tsforecast.evaluation.tune_global`), or its ``fallback``
    (fitted per series) when that scores at least as well; the choice and its fold scores are kept on it."""
    from ..evaluation import tune_global

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = tune_global(model, series, spec.search or {}, end=initials, horizon=p["horizon"], step=p["step"],
                             metric=p["headline"], n_folds=3, seasonal_period=p["seasonal_period"], progress=progress,
                             fit_best=False, fallback=spec.build_fallback(p["horizon"]))
    n_series = int(result.folds_["n_series"].iloc[0])
    prefix = f"`{name}` (one model over {n_series} series, each fold's score the mean over series): "
    return _chosen(spec, model, result, p["horizon"], prefix)


# -- many series ---------------------------------------------------------------------------
def _run_many(run: RunSpec, series: dict, p: dict, progress: bool):
    from ..evaluation import compare
    from ..evaluation.backtest import backtest_global
    from ..evaluation.compare import rank_models

    if p["coverage"] is not None:
        raise ConfigError(f"datasets.{run.label}: intervals (coverage) are not supported over many series yet.")
    local = {k: s for k, s in run.models.items() if not s.global_}
    glob = {k: s for k, s in run.models.items() if s.global_}
    if glob and p["refit"] is not False:
        raise ConfigError(f"datasets.{run.label}: global models are fitted once; set refit = false.")
    names = list(run.models)
    baseline = run.baseline or names[0]
    initials = {}
    for k, s in series.items():
        init = _initial_for(p["initial"], len(s))
        initials[k] = int(np.floor(init * len(s))) if isinstance(init, float) else int(init)
    metric_names = p["metrics"]
    models = {label: spec.build(p["horizon"]) for label, spec in run.models.items()}
    per = {name: {} for name in names}  # model -> series -> (metrics table, errors)
    frames, fit_s, pred_s = [], dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)

    for name in list(glob):
        spec = run.models[name]
        if spec.search or spec.fallback:
            models[name] = _select_global(name, spec, models[name], series, initials, p, progress)
        if hasattr(models[name], "fell_back_from_"):  # its per-series fallback is forecast with the local models
            local[name] = glob.pop(name)
    choices = {n: [] for n in local if not hasattr(models[n], "fell_back_from_")
               and (run.models[n].search or run.models[n].fallback)}
    if local:
        for k, y in tqdm(series.items(), desc=f"{run.label}: per-series models", unit="series", disable=not progress):
            kw = _compare_kwargs(p, len(y))
            kw["initial"] = initials[k]
            # A search table chooses each series' parameters on that series' own training part.
            chosen = {n: _select(run.models[n], y, p, kw, False) if n in choices else models[n] for n in local}
            for n in choices:
                choices[n].append(_choice(run.models[n], chosen[n]))
            cmp = compare(chosen, y, baseline=None, progress=False, **kw)
            for name, bt in cmp.backtests.items():
                per[name][k] = (bt.metrics, bt.errors)
                frames.append(bt.predictions.assign(model=name, series=k))
                fit_s[name] += bt.fit_seconds
                pred_s[name] += bt.predict_seconds
    for name in glob:
        _describe_fit_choice(name, models[name], {k: s.iloc[: initials[k]] for k, s in series.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bt = backtest_global(models[name], series, initial=initials, horizon=p["horizon"], step=p["step"],
                                 metrics=metric_names, seasonal_period=p["seasonal_period"], progress=progress,
                                 desc=f"{run.label}: {name} (global)")
        for k in series:
            per[name][k] = (bt.series_metrics[k], bt.errors[k])
        pred = bt.predictions
        frames.append(pred[[c for c in pred.columns if c != "series"]].assign(model=name, series=pred["series"]))
        fit_s[name], pred_s[name] = bt.fit_seconds, bt.predict_seconds

    for n, picks in choices.items():
        counts = pd.Series([", ".join(f"{key}={v!r}" for key, v in c) or "as configured" for c in picks]).value_counts()
        models[n].selection_ = (f"`{n}`: chosen per series by rolling-origin cross-validation (3 folds) inside each "
                                f"series' training part, by {p['headline']}: "
                                + "; ".join(f"{c} on {int(v)} series" for c, v in counts.items()))
    headline = p["headline"]
    greater = headline in ("r2", "directional_accuracy")
    rows, steps = [], {}
    for name in names:
        tables = [t for t, _ in per[name].values()]
        overall = pd.DataFrame([t.loc["all"] for t in tables]).mean()
        steps[name] = sum(t.drop(index="all") for t in tables) / len(tables)
        base = {k: t.loc["all", headline] for k, (t, _) in per[baseline].items()}
        own = {k: t.loc["all", headline] for k, (t, _) in per[name].items()}
        wins = sum((own[k] > base[k]) if greater else (own[k] < base[k]) for k in own)
        rows.append({"model": name, **overall.to_dict(), "wins_vs_baseline": wins, "n_series": len(own),
                     "fit": "global" if name in glob else "per series", "fit_seconds": fit_s[name],
                     "predict_seconds": pred_s[name],
                     "n_origins": int(sum(len(e) for _, e in per[name].values()))})
    table = pd.DataFrame(rows)
    table.insert(1 + len(metric_names), "rank", rank_models(table[headline], greater))
    predictions = pd.concat(frames, ignore_index=True)
    params = {"initial": int(np.median(list(initials.values()))), "step": p["step"], "refit": p["refit"],
              "window": p["window"], "seasonal_period": p["seasonal_period"]}
    cmp = ManySeriesComparison(table, predictions, steps, baseline, params)
    n_origins = int(predictions.groupby("series", observed=True)["origin"].nunique().sum())
    return cmp, table, predictions, steps, params, n_origins, models


def _determinism(cfg):
    """Make Keras training repeatable (same seed -> same numbers) when the experiment has neural models."""
    if any(spec.build().get_tag("neural") for run in cfg.runs for spec in run.models.values()):
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def run_experiment(config=None, *, profile="quick", results_dir="results", seed=None, progress=True,
                   name=None, datasets=None) -> ExperimentResult:
    """Run a model-comparison experiment and write its results.

    Parameters
    ----------
    config : str, Path, dict or None
        TOML config file, a dict of the same shape, or None for the packaged
        default experiment (``tsforecast/configs/default.toml``).
    profile : str
        ``"quick"`` (as written) or ``"full"`` (apply ``[profiles.full]``, paper scale).
    results_dir : str or Path
        Results go to ``results_dir/<name>/``.
    seed : int, optional
        Overrides the config's seed.
    progress : bool
        tqdm bars over models and fits.
    name : str, optional
        Overrides the config's name.
    datasets : sequence of str, optional
        Run only these dataset labels of the config.

    Returns
    -------
    ExperimentResult

    Notes
    -----
    Writes ``metrics.csv``, ``timings.csv``, ``report.md``, ``report.html``, ``forecasts.parquet``,
    ``config.json`` (the resolved config) and PNG figures, each atomically.
    With neural models it turns on TensorFlow's deterministic ops for the
    process, so the same seed gives the same numbers. Within a dataset, a model
    equal to one fitted before on the same data (an ensemble member that is also
    a model of the run) reuses that fit (:mod:`tsforecast.shared_fits`).
    """
    t_start = time.perf_counter()
    cfg = load_config(config, profile=profile, seed=seed, name=name, datasets=datasets)
    out = Path(results_dir) / cfg.name
    check_writable_dir(out)  # before any training: a bad --results-dir must not cost the run
    _determinism(cfg)
    tables, forecasts, comparisons, sections, files = [], [], {}, [], []
    multi = len(cfg.runs) > 1
    for run in cfg.runs:
        t0 = time.perf_counter()
        y, info, source = load_run_data(run)
        p = resolve_protocol(run.protocol, info)
        periods = measured_periods(y, p)
        runner = _run_many if isinstance(y, dict) else _run_single
        # shared_fits: an ensemble's member equal to a model of the run reuses that model's fit.
        with shared_fits(), use_periods(periods):
            cmp, table, preds, steps, params, n_origins, models = runner(run, y, p, progress)
        params = {**params, "periods": periods}
        seconds = time.perf_counter() - t0
        table = table.copy()
        table["rank"] = table["rank"].astype("int64")
        table.insert(0, "dataset", run.label)
        preds.insert(0, "dataset", run.label)
        tables.append(table)
        forecasts.append(preds)
        comparisons[run.label] = cmp
        baseline = getattr(cmp, "baseline", run.baseline)
        summary = _series_summary(y, params, p, n_origins, source, models, baseline,
                                  unit=series_unit(info, run.column))
        sections.append({"label": run.label, "table": table, "summary": summary, "seconds": seconds,
                         "baseline": baseline,
                         "selection": [m.selection_ for m in models.values() if hasattr(m, "selection_")]})
        title = run.label if multi else cfg.name
        files += _plots(out, f"{run.label}_" if multi else "", y, preds, table, steps, p, title, unit=summary["unit"])

    table = pd.concat(tables, ignore_index=True)
    wall = write_results(out, cfg, table, forecasts, sections, files, results_dir, t_start)
    return ExperimentResult(out, table, comparisons, wall, cfg)


# -- command line ----------------------------------------------------------------------------
def add_arguments(parser):
    """Add the ``tsforecast experiment`` options to an argparse parser."""
    parser.add_argument("config", nargs="?", default=None,
                        help="experiment config (TOML); default: the packaged default experiment "
                             "(traffic_synthetic, naive to GRU, a few minutes on 2 cores)")
    profiles = parser.add_mutually_exclusive_group()
    profiles.add_argument("--full", action="store_true",
                          help="apply the config's [profiles.full] table (paper-scale settings; slow)")
    profiles.add_argument("--profile", default=None, metavar="NAME",
                          help="apply the config's [profiles.NAME] table (--full is --profile full)")
    parser.add_argument("--results-dir", default="results", metavar="DIR",
                        help="write results to DIR/<name>/ (default: results)")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--name", default=None, help="override the config's name (the results sub-directory)")
    parser.add_argument("--datasets", type=_labels, default=None, metavar="A,B",
                        help="run only these [datasets.<label>] of the config, e.g. --full --datasets milan")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def _labels(text: str) -> tuple:
    labels = tuple(t.strip() for t in text.split(",") if t.strip())
    if not labels:
        raise argparse.ArgumentTypeError("give dataset labels separated by commas, e.g. a1h,a5m")
    return labels


def profile_from_args(args) -> str:
    """The profile that parsed ``tsforecast experiment`` arguments select."""
    if args.full:
        return "full"
    return args.profile or "quick"


def main(args) -> int:
    """Run ``tsforecast experiment`` with parsed ``args``; errors propagate as tsforecast exceptions."""
    result = run_experiment(args.config, profile=profile_from_args(args), results_dir=args.results_dir,
                            seed=args.seed, progress=not args.no_progress, name=args.name,
                            datasets=args.datasets)
    headline = [c for c in result.table.columns if c not in ("dataset", "model")][0]
    cols = ["dataset", "model", headline, "rank"] + [c for c in ("dm_pvalue", "dm_pvalue_holm")
                                                     if c in result.table.columns]
    print(result.table[cols].sort_values(["dataset", "rank"]).to_string(index=False), file=sys.stdout)
    print(f"\nresults in {result.path} ({result.wall_seconds:.0f} s): metrics.csv, report.md, report.html, "
          f"forecasts.parquet, plots")
    return 0
