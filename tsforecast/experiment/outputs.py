"""Write an experiment's results: metrics and timings tables, forecasts, plots and the reports (Markdown, HTML)."""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write, atomic_write_text
from ..exceptions import FrequencyError, ParameterError
from ..validation import check_index
from .config import ExperimentConfig
from .html_report import render_html
from .plots import lead_axis_label, plot_by_lead, plot_forecasts
from .report import (
    UNIT_COLUMNS,
    format_table,
    origins_note,
    origins_per_lead,
    protocol_items,
    render_markdown,
    scaling_text,
    series_unit,
    versions,
)

TIMING_COLUMNS = ("fit_seconds", "predict_seconds")
# The figures of one run (file ``<prefix><kind>.png``) and what each shows, for the HTML captions.
PLOT_KINDS = {
    "forecast_vs_actual": "forecasts of the best 3 models against the actual values, end of the test part",
    "error_by_lead": "the headline metric by lead time",
    "coverage_by_lead": "empirical coverage of the intervals by lead time",
}


def _figure_name(prefix: str, kind: str) -> str:
    """File name of a figure of :data:`PLOT_KINDS` (``prefix``: ``"<run label>_"`` when an experiment has many runs)."""
    return f"{prefix}{kind}.png"


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
        if cfg.selected is not None:
            parts += ["--datasets", ",".join(cfg.selected)]
    else:
        parts = ["tsforecast", "experiment", str(config_json)]
    parts += ["--seed", str(cfg.seed), "--results-dir", str(results_dir), "--name", cfg.name]
    return shlex.join(parts)


def _card_unit(y):
    """The unit on the card of the catalogue dataset ``y`` is (its loader names the series after it); else None."""
    from ..datasets import list_datasets
    from ..datasets.catalog import dataset_info

    name = getattr(y, "name", None)
    return series_unit(dataset_info(name)) if isinstance(name, str) and name in list_datasets() else None


def _frequency(index):
    """The step of ``index`` as a pandas alias ("h"): its ``freq``, else inferred from regular timestamps; or None."""
    try:
        return getattr(check_index(index), "freqstr", None)
    except FrequencyError:  # irregular timestamps: no step length to state
        return None


def _plots(out: Path, prefix: str, y, predictions, table, steps, p, title, unit=None):
    """Write the figures of one run; ``unit``: the series' unit (default: the catalogue card's, if any)."""
    files = []
    order = table.sort_values("rank")["model"].tolist()
    many = isinstance(y, dict)
    shown, shown_predictions, shown_title = y, predictions, title
    if many:  # many series: show the first one
        first = next(iter(y))
        shown, shown_predictions = y[first], predictions[predictions["series"] == first]
        shown_title = f"{title}, series {first}"
    unit = unit or _card_unit(shown)
    xlabel = lead_axis_label(_frequency(shown.index))
    path = out / _figure_name(prefix, "forecast_vs_actual")
    plot_forecasts(shown, shown_predictions, order[:3], p["horizon"], path,
                   f"{shown_title}: best 3 models by {p['headline']}, end of the test part", unit=unit,
                   level=p["coverage"])
    files.append(path)
    if p["horizon"] > 1:
        path = out / _figure_name(prefix, "error_by_lead")
        plot_by_lead({m: steps[m][p["headline"]] for m in order}, p["headline"], path,
                     f"{title}: {p['headline']} by lead time", unit=unit if p["headline"] in UNIT_COLUMNS else None,
                     xlabel=xlabel, note=origins_note(origins_per_lead(predictions)[order], many))
        files.append(path)
    if p["coverage"] is not None:
        path = out / _figure_name(prefix, "coverage_by_lead")
        counts = origins_per_lead(predictions, ("y_true", "lower", "upper"))[order]
        plot_by_lead({m: steps[m]["coverage"] for m in order}, "empirical coverage (share inside the interval)", path,
                     f"{title}: coverage of the {p['coverage'] * 100:g}% intervals by lead time",
                     nominal=p["coverage"], xlabel=xlabel, note=origins_note(counts, many))
        files.append(path)
    return files


def _series_summary(y, params, p, n_origins, source, models, baseline, unit=None):
    first = y if not isinstance(y, dict) else next(iter(y.values()))
    n = len(first)
    initial = params["initial"]
    return {
        "source": source, "n": n, "frequency": _frequency(first.index) or (
            "irregular timestamps" if isinstance(first.index, pd.DatetimeIndex) else "integer steps"),
        "first": first.index[0], "last": first.index[-1], "n_series": len(y) if isinstance(y, dict) else None,
        "initial": initial, "train_share": initial / n, "train_end": first.index[initial - 1],
        "n_origins": n_origins, "step": p["step"], "horizon": p["horizon"], "refit": p["refit"],
        "window": p["window"], "scaling": scaling_text(models), "metrics": p["metrics"], "headline": p["headline"],
        "seasonal_period": p["seasonal_period"], "coverage": p["coverage"], "baseline": baseline,
        "unit": unit or _card_unit(y), "periods": params.get("periods"),
    }


def _section_figures(sections, figures):
    """Each section's figures (by file name, see :data:`PLOT_KINDS`), and any figure no section claims."""
    multi = len(sections) > 1
    left = list(figures)
    out = []
    for s in sections:
        prefix = f"{s['label']}_" if multi else ""
        names = {_figure_name(prefix, kind): text for kind, text in PLOT_KINDS.items()}
        mine = [f for f in left if f.name in names]
        left = [f for f in left if f not in mine]
        out.append([(f, f"`{f.name}`: {names[f.name]}.") for f in mine])
    return out, [(f, f"`{f.name}`") for f in left]


def _report(cfg, sections, wall, command, files) -> list:
    """The report's blocks (see :mod:`.report`): what ``report.md`` and ``report.html`` both show."""
    blocks = [("heading", 1, f"Experiment `{cfg.name}`")]
    if cfg.description:
        blocks.append(("text", [cfg.description.strip()]))
    blocks += [
        ("list", [f"Profile: `{cfg.profile}`; seed: `{cfg.seed}` (passed to every stochastic model without its "
                  f"own seed).", f"Wall time: {wall:.1f} s in all."]),
        ("text", ["Reproduce every number with:"]),
        ("code", command),
    ]
    figures, other = _section_figures(sections, [f for f in files if f.suffix == ".png"])
    for s, figs in zip(sections, figures):
        table = s["table"].sort_values("rank")
        blocks += [("heading", 2, s["label"]), ("heading", 3, "Protocol"), ("list", protocol_items(s["summary"])),
                   ("heading", 3, f"Results (sorted by {s['summary']['headline']}; wall time {s['seconds']:.1f} s)"),
                   ("table", format_table(table.drop(columns=["dataset"]), index=False, unit=s["summary"]["unit"]))]
        if s.get("selection"):
            blocks += [("heading", 3, "Chosen inside the training part"),
                       ("text", ["Parameters with a `search` table were chosen by rolling-origin cross-validation on "
                                 "the training part only (mean over folds of the headline metric), then refitted on "
                                 "all of it; an ensemble that weights or picks its members did so on folds of the "
                                 "training part inside its own fit:"]),
                       ("list", list(s["selection"]))]
        lines = _ranking_lines(table, s["summary"]["headline"])
        if "dm_pvalue_holm" in table.columns:
            lines.append(_dm_sentence(table, s["baseline"]))
        if "wins_vs_baseline" in table.columns:
            lines.append(f"`wins_vs_baseline`: series on which the model's {s['summary']['headline']} beats "
                         f"`{s['baseline']}`; metrics are averages over series.")
        blocks.append(("text", lines))
        blocks += [("figure", path, caption) for path, caption in figs]
        blocks.append(("text", ["Timings: `fit_seconds` and `predict_seconds` are wall times summed over all fits "
                                "and forecast calls of a model. A fit equal to one done before on the same data "
                                "(an ensemble member that is also a model here) is reused, so its time counts "
                                "once, where it was first done."]))
    if other:
        blocks += [("heading", 2, "Figures"), *[("figure", path, caption) for path, caption in other]]
    v = versions()
    blocks += [("heading", 2, "Versions"),
               ("table", format_table(pd.DataFrame({"package": list(v), "version": list(v.values())}), index=False)),
               ("heading", 2, "Files"), ("list", [f"`{f.name}`" for f in files])]
    return blocks


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


def write_results(out: Path, cfg: ExperimentConfig, table: pd.DataFrame, forecasts: list, sections: list,
                  files: list, results_dir, t_start: float) -> float:
    """Write ``config.json``, ``metrics.csv``, ``timings.csv``, ``forecasts.parquet``, ``report.md`` and
    ``report.html`` (the same report, self-contained, figures embedded) to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Results directory of the experiment.
    cfg : ExperimentConfig
        The configuration that ran.
    table : pandas.DataFrame
        One row per dataset and model (metrics and timings).
    forecasts : list of pandas.DataFrame
        Every forecast of each run, long.
    sections : list of dict
        One report section per run (label, table, protocol summary, seconds, baseline).
    files : list of pathlib.Path
        Figures already written, listed in the report.
    results_dir : str or Path
        As given to :func:`~tsforecast.experiment.run_experiment` (for the reproduce command).
    t_start : float
        ``time.perf_counter()`` at the start of the experiment.

    Returns
    -------
    float
        Wall time of the whole experiment, as the report states it.
    """
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
    blocks = _report(cfg, sections, wall, command, files)
    atomic_write_text(out / "report.md", render_markdown(blocks))
    atomic_write_text(out / "report.html", render_html(blocks, title=f"Experiment {cfg.name}"))
    return wall
