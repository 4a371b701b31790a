"""Run an experiment: load each dataset, backtest every model on the same origins, write the results."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..exceptions import ConfigError, ParameterError
from ..multiseries import to_series_dict
from .config import ExperimentConfig, RunSpec, load_config
from ..atomic import atomic_write, atomic_write_text
from .plots import plot_by_lead, plot_forecasts
from .report import markdown_table, protocol_text, scaling_text, versions

DEFAULT_METRICS = ["mae", "rmse", "mape", "mase"]
DEFAULT_TRAIN_FRACTION = 0.75
TIMING_COLUMNS = ("fit_seconds", "predict_seconds")


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


# -- data ----------------------------------------------------------------------------
def _dataset_path(run: RunSpec) -> Path:
    path = Path(run.dataset).expanduser()
    candidates = [path] if path.is_absolute() else [p for p in ((run.base_dir / path) if run.base_dir else None, path) if p]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    from ..datasets import list_datasets

    raise ConfigError(f"dataset {run.dataset!r} (datasets.{run.label}) is neither a built-in dataset "
                      f"{list_datasets()} nor an existing file (looked for {', '.join(map(str, candidates))}).")


def _select_long(long: pd.DataFrame, run: RunSpec) -> dict:
    from ..multiseries import long_to_dict

    series = long_to_dict(long)
    sel = run.series
    if sel is None:
        raise ConfigError(f"dataset {run.dataset!r} holds {len(series)} series; choose with series = \"<id>\", a list "
                          f"of ids, a count (the first n) or \"all\".")
    if sel == "all":
        return series
    if isinstance(sel, int):
        return dict(list(series.items())[:sel])
    ids = [sel] if isinstance(sel, str) else sel
    unknown = [k for k in ids if k not in series]
    if unknown:
        raise ConfigError(f"series {unknown[0]!r} is not in dataset {run.dataset!r}; ids look like {list(series)[:3]}.")
    return {k: series[k] for k in ids}


def load_run_data(run: RunSpec):
    """The series (or ``{id: series}``) and dataset card (None for a user file) of one run.

    The loaders apply ``missing``, except ``"ffill"`` on many series (``series =``
    given): those are loaded with gaps as NaN and only the selected series are
    filled, so a gap in a series that is not used cannot stop the run.
    """
    from ..datasets import list_datasets, load_dataset, read_long_file, read_series_file, trading_day_series

    loader_missing = "keep" if run.missing == "ffill" and run.series is not None else run.missing
    if run.dataset in list_datasets():
        data, info = load_dataset(run.dataset, missing=loader_missing)
        source = f"catalogue dataset `{run.dataset}` ({info.title})"
    else:
        path = _dataset_path(run)
        read = read_long_file if run.series is not None else read_series_file
        data = read(path, missing=loader_missing)
        info, source = None, f"file `{path}`"
    if isinstance(data, pd.DataFrame) and "id" in data.columns:
        data = _select_long(data, run)
        if run.missing == "ffill":
            data = to_series_dict(data, missing="ffill")
    elif isinstance(data, pd.DataFrame):
        if run.column is None or run.column not in data.columns:
            raise ConfigError(f"dataset {run.dataset!r} has columns {list(data.columns)}; choose one with column = \"<name>\".")
        data = trading_day_series(data, run.column) if info is not None and info.kind == "frame" else data[run.column]
        source += f", column `{run.column}`"
    elif run.column is not None or run.series is not None:
        raise ConfigError(f"dataset {run.dataset!r} is a single series; drop column / series from the config.")
    return data, info, source


# -- protocol --------------------------------------------------------------------------
def resolve_protocol(protocol: dict, info) -> dict:
    """Protocol settings with defaults from the dataset card; ``initial`` may be a fraction or a test size."""
    card = info.protocol if info is not None else {}
    metrics = list(protocol.get("metrics", DEFAULT_METRICS))
    headline = protocol.get("headline", card.get("metric") if card.get("metric") in metrics else metrics[0])
    metrics = [headline] + [m for m in metrics if m != headline]  # compare ranks by the first metric
    if "initial" in protocol:
        initial = protocol["initial"]
    elif "test_size" in protocol:
        initial = -protocol["test_size"]  # resolved per series: len(y) - test_size
    else:
        initial = float(protocol.get("train_fraction", card.get("train_fraction", DEFAULT_TRAIN_FRACTION)))
    return {
        "initial": initial,
        "horizon": protocol.get("horizon", card.get("horizon", 1)),
        "step": protocol.get("step", 1),
        "refit": protocol.get("refit", False),
        "window": protocol.get("window", "expanding"),
        "metrics": metrics,
        "headline": headline,
        "coverage": protocol.get("coverage"),
        "seasonal_period": protocol.get("seasonal_period", info.seasonal_periods[0] if info is not None else 1),
        "n_jobs": protocol.get("n_jobs", 1),
    }


def _initial_for(initial, n: int):
    return n + initial if isinstance(initial, int) and initial < 0 else initial


def _compare_kwargs(p: dict, n: int) -> dict:
    kw = {k: p[k] for k in ("horizon", "step", "refit", "window", "metrics", "coverage", "seasonal_period", "n_jobs")}
    kw["initial"] = _initial_for(p["initial"], n)
    return kw


# -- one series ----------------------------------------------------------------------------
def _run_single(run: RunSpec, y: pd.Series, p: dict, progress: bool):
    from ..evaluation import compare

    models = {label: spec.build(p["horizon"]) for label, spec in run.models.items()}
    cmp = compare(models, y, baseline=run.baseline, progress=progress, **_compare_kwargs(p, len(y)))
    frames = [bt.predictions.assign(model=name) for name, bt in cmp.backtests.items()]
    steps = {name: bt.metrics.drop(index="all") for name, bt in cmp.backtests.items()}
    first = next(iter(cmp.backtests.values()))
    return cmp, cmp.table, pd.concat(frames, ignore_index=True), steps, first.params, len(first.origins), models


# -- many series ---------------------------------------------------------------------------
def _origins(n, initial, horizon, step):
    return np.arange(initial, n - horizon + 1, step)


def _predict_global(est, series: dict, initials: dict, p: dict, bar):
    """Forecasts of a fitted global model at every origin of every series, one batched call per origin rank."""
    h, step = p["horizon"], p["step"]
    origins = {k: _origins(len(s), initials[k], h, step) for k, s in series.items()}
    preds = {k: np.empty((len(o), h)) for k, o in origins.items()}
    for j in range(max(len(o) for o in origins.values())):
        hist = {k: series[k].iloc[: o[j]] for k, o in origins.items() if len(o) > j}
        out = est.predict(h, y=hist)
        block = out["forecast"].to_numpy().reshape(len(hist), h)  # ids in the order given, steps 1..h
        for i, k in enumerate(out["id"].to_numpy()[::h]):
            preds[k][j] = block[i]
        bar.update(1)
    return origins, preds


def _run_many(run: RunSpec, series: dict, p: dict, progress: bool):
    from sklearn.base import clone

    from ..evaluation import compare
    from ..evaluation.backtest import score
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

    if local:
        for k, y in tqdm(series.items(), desc=f"{run.label}: per-series models", unit="series", disable=not progress):
            kw = _compare_kwargs(p, len(y))
            kw["initial"] = initials[k]
            cmp = compare({n: models[n] for n in local}, y, baseline=None, progress=False, **kw)
            for name, bt in cmp.backtests.items():
                per[name][k] = (bt.metrics, bt.errors)
                frames.append(bt.predictions.assign(model=name, series=k))
                fit_s[name] += bt.fit_seconds
                pred_s[name] += bt.predict_seconds
    for name in glob:
        est = clone(models[name])
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est.fit({k: s.iloc[: initials[k]] for k, s in series.items()})
        t1 = time.perf_counter()
        n_ranks = max(len(_origins(len(s), initials[k], p["horizon"], p["step"])) for k, s in series.items())
        with tqdm(total=n_ranks, desc=f"{run.label}: {name} (global)", unit="origin", disable=not progress) as bar:
            origins, preds = _predict_global(est, series, initials, p, bar)
        pred_s[name] = time.perf_counter() - t1
        fit_s[name] = t1 - t0
        for k, y in series.items():
            o, values = origins[k], y.to_numpy()
            target = o[:, None] + np.arange(p["horizon"])
            actual = values[target]
            table = score(actual, preds[k], metric_names, values[: initials[k]], p["seasonal_period"], values[o - 1])
            per[name][k] = (table, actual - preds[k])
            frames.append(pd.DataFrame({
                "origin": y.index[o - 1].repeat(p["horizon"]), "step": np.tile(np.arange(1, p["horizon"] + 1), len(o)),
                "timestamp": y.index[target.ravel()], "y_true": actual.ravel(), "y_pred": preds[k].ravel(),
                "model": name, "series": k}))

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


# -- outputs ---------------------------------------------------------------------------------
def _reproduce_command(cfg: ExperimentConfig, results_dir, config_json: Path) -> str:
    """The ``tsforecast experiment`` command that reruns ``cfg``.

    A config file is named with its profile switch. A dict config has no file,
    so the command names the saved ``config.json``: it holds the resolved
    config (profile already applied, no ``[profiles]``), so it takes no profile switch.
    """
    if cfg.source is not None:
        parts = ["tsforecast", "experiment", str(cfg.source)]
        if cfg.profile == "full":
            parts.append("--full")
        elif cfg.profile != "quick":
            parts += ["--profile", cfg.profile]
    else:
        parts = ["tsforecast", "experiment", str(config_json)]
    parts += ["--seed", str(cfg.seed), "--results-dir", str(results_dir), "--name", cfg.name]
    return shlex.join(parts)


def _plots(out: Path, prefix: str, y, predictions, table, steps, p, title):
    files = []
    order = table.sort_values("rank")["model"].tolist()
    if isinstance(y, dict):  # many series: show the first one
        first = next(iter(y))
        y, predictions, title = y[first], predictions[predictions["series"] == first], f"{title}, series {first}"
    path = out / f"{prefix}forecast_vs_actual.png"
    plot_forecasts(y, predictions, order[:3], p["horizon"], path, f"{title}: best 3 models by {p['headline']}, "
                   f"end of the test part")
    files.append(path)
    if p["horizon"] > 1:
        path = out / f"{prefix}error_by_lead.png"
        plot_by_lead({m: steps[m][p["headline"]] for m in order}, p["headline"], path,
                     f"{title}: {p['headline']} by lead time")
        files.append(path)
    if p["coverage"] is not None:
        path = out / f"{prefix}coverage_by_lead.png"
        plot_by_lead({m: steps[m]["coverage"] for m in order}, "empirical coverage", path,
                     f"{title}: interval coverage by lead time", nominal=p["coverage"])
        files.append(path)
    return files


def _series_summary(y, params, p, n_origins, source, models, baseline):
    first = y if not isinstance(y, dict) else next(iter(y.values()))
    n = len(first)
    initial = params["initial"]
    return {
        "source": source, "n": n, "frequency": getattr(first.index, "freqstr", None) or "integer steps",
        "first": first.index[0], "last": first.index[-1], "n_series": len(y) if isinstance(y, dict) else None,
        "initial": initial, "train_share": initial / n, "train_end": first.index[initial - 1],
        "n_origins": n_origins, "step": p["step"], "horizon": p["horizon"], "refit": p["refit"],
        "window": p["window"], "scaling": scaling_text(models), "metrics": p["metrics"], "headline": p["headline"],
        "seasonal_period": p["seasonal_period"], "coverage": p["coverage"], "baseline": baseline,
    }


def _report(cfg, sections, wall, command, files, results_dir) -> str:
    v = versions()
    lines = [f"# Experiment `{cfg.name}`", ""]
    if cfg.description:
        lines += [cfg.description.strip(), ""]
    lines += [
        f"- Profile: `{cfg.profile}`; seed: `{cfg.seed}` (passed to every stochastic model without its own seed).",
        f"- Wall time: {wall:.1f} s in all.",
        "",
        "Reproduce every number with:",
        "",
        "```", command, "```", "",
    ]
    for s in sections:
        table = s["table"].sort_values("rank")
        lines += [f"## {s['label']}", "", "### Protocol", "", protocol_text(s["summary"]), "",
                  f"### Results (sorted by {s['summary']['headline']}; wall time {s['seconds']:.1f} s)", "",
                  markdown_table(table.drop(columns=["dataset"]), index=False), ""]
        lines += _ranking_lines(table, s["summary"]["headline"])
        if "dm_pvalue_holm" in table.columns:
            lines.append(_dm_sentence(table, s["baseline"]))
        if "wins_vs_baseline" in table.columns:
            lines.append(f"`wins_vs_baseline`: series on which the model's {s['summary']['headline']} beats "
                         f"`{s['baseline']}`; metrics are averages over series.")
        lines += ["", "Timings: `fit_seconds` and `predict_seconds` are wall times summed over all fits and "
                  "forecast calls of a model.", ""]
    lines += ["## Versions", "", "| package | version |", "| :--- | :--- |"]
    lines += [f"| {k} | {val} |" for k, val in v.items()]
    lines += ["", "## Files", ""]
    lines += [f"- `{f.name}`" for f in files]
    return "\n".join(lines) + "\n"


def _names(models) -> str:
    return ", ".join(f"`{m}`" for m in models) or "none"


def _ranking_lines(table: pd.DataFrame, headline: str) -> list:
    """The best model, and which models have no headline value (ranked last)."""
    undefined = table.loc[table[headline].isna(), "model"].tolist()
    if len(undefined) == len(table):
        return [f"{headline} is undefined for every model (e.g. MAPE with a zero target); the ranking says nothing."]
    lines = [f"Best by {headline}: **{table.iloc[0]['model']}**."]
    if undefined:
        lines.append(f"{headline} is undefined for {_names(undefined)} (e.g. MAPE with a zero target); "
                     f"ranked last.")
    return lines


def _dm_sentence(table: pd.DataFrame, baseline) -> str:
    """Significance against the baseline from Holm-adjusted DM p-values (one family: all models vs the baseline)."""
    significant = table["dm_pvalue_holm"] < 0.05
    better = table.loc[significant & (table["dm_stat"] < 0), "model"]
    worse = table.loc[significant & (table["dm_stat"] > 0), "model"]
    return (f"Significantly more accurate than `{baseline}` (DM, squared error, 5% after Holm's adjustment for "
            f"testing every model against it): {_names(better)}; significantly less accurate: {_names(worse)}.")


def _write_parquet(df: pd.DataFrame, path: Path):
    df = df.copy()
    for col in ("origin", "timestamp"):
        if df[col].dtype == object:  # datasets with timestamps and with integer steps in one file
            df[col] = df[col].astype(str)
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def check_writable_dir(path: Path) -> None:
    """Raise ParameterError unless ``path`` can be created and written; leave nothing behind.

    Writes and removes a probe file (permission bits alone say nothing for
    root, or on read-only mounts), and removes any directory it had to create.
    """
    path = Path(path)
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ParameterError(
            f"results directory {path} cannot be created or written ({exc.strerror or exc}); pass a writable "
            f"folder as results_dir (--results-dir on the command line)."
        ) from None
    finally:
        for p in created:  # deepest first
            try:
                p.rmdir()
            except OSError:
                pass


def _determinism(cfg):
    """Make Keras training repeatable (same seed -> same numbers) when the experiment has neural models."""
    if any(spec.build().get_tag("neural") for run in cfg.runs for spec in run.models.values()):
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def run_experiment(config=None, *, profile="quick", results_dir="results", seed=None, progress=True,
                   name=None) -> ExperimentResult:
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

    Returns
    -------
    ExperimentResult

    Notes
    -----
    Writes ``metrics.csv``, ``timings.csv``, ``report.md``, ``forecasts.parquet``,
    ``config.json`` (the resolved config) and PNG figures, each atomically.
    With neural models it turns on TensorFlow's deterministic ops for the
    process, so the same seed gives the same numbers.
    """
    t_start = time.perf_counter()
    cfg = load_config(config, profile=profile, seed=seed, name=name)
    out = Path(results_dir) / cfg.name
    check_writable_dir(out)  # before any training: a bad --results-dir must not cost the run
    _determinism(cfg)
    tables, forecasts, comparisons, sections, files = [], [], {}, [], []
    multi = len(cfg.runs) > 1
    for run in cfg.runs:
        t0 = time.perf_counter()
        y, info, source = load_run_data(run)
        p = resolve_protocol(run.protocol, info)
        runner = _run_many if isinstance(y, dict) else _run_single
        cmp, table, preds, steps, params, n_origins, models = runner(run, y, p, progress)
        seconds = time.perf_counter() - t0
        table = table.copy()
        table["rank"] = table["rank"].astype("int64")
        table.insert(0, "dataset", run.label)
        preds.insert(0, "dataset", run.label)
        tables.append(table)
        forecasts.append(preds)
        comparisons[run.label] = cmp
        baseline = getattr(cmp, "baseline", run.baseline)
        summary = _series_summary(y, params, p, n_origins, source, models, baseline)
        sections.append({"label": run.label, "table": table, "summary": summary, "seconds": seconds,
                         "baseline": baseline})
        title = run.label if multi else cfg.name
        files += _plots(out, f"{run.label}_" if multi else "", y, preds, table, steps, p, title)

    table = pd.concat(tables, ignore_index=True)
    config_json = out / "config.json"
    atomic_write_text(config_json, json.dumps(cfg.resolved, indent=2, default=str) + "\n")
    # metrics.csv holds only what the seed determines, so a rerun reproduces it byte for byte.
    metrics = table.drop(columns=[c for c in TIMING_COLUMNS if c in table.columns])
    timings = table[["dataset", "model", *[c for c in TIMING_COLUMNS if c in table.columns]]]
    atomic_write(out / "metrics.csv", lambda tmp: metrics.to_csv(tmp, index=False))
    atomic_write(out / "timings.csv", lambda tmp: timings.to_csv(tmp, index=False))
    _write_parquet(pd.concat(forecasts, ignore_index=True), out / "forecasts.parquet")
    wall = time.perf_counter() - t_start
    command = _reproduce_command(cfg, results_dir, config_json)
    files = [out / "metrics.csv", out / "timings.csv", out / "forecasts.parquet", config_json, *files]
    atomic_write_text(out / "report.md", _report(cfg, sections, wall, command, files, results_dir))
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
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def profile_from_args(args) -> str:
    """The profile that parsed ``tsforecast experiment`` arguments select."""
    if args.full:
        return "full"
    return args.profile or "quick"


def main(args) -> int:
    """Run ``tsforecast experiment`` with parsed ``args``; errors propagate as tsforecast exceptions."""
    result = run_experiment(args.config, profile=profile_from_args(args), results_dir=args.results_dir,
                            seed=args.seed, progress=not args.no_progress, name=args.name)
    headline = [c for c in result.table.columns if c not in ("dataset", "model")][0]
    cols = ["dataset", "model", headline, "rank"] + [c for c in ("dm_pvalue", "dm_pvalue_holm")
                                                     if c in result.table.columns]
    print(result.table[cols].sort_values(["dataset", "rank"]).to_string(index=False), file=sys.stdout)
    print(f"\nresults in {result.path} ({result.wall_seconds:.0f} s): metrics.csv, report.md, forecasts.parquet, plots")
    return 0
