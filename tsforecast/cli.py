"""The ``tsforecast`` command line (also ``python -m tsforecast``).

Subcommands: ``experiment``, ``fit``, ``predict``, ``backtest``, ``batch``, ``datasets``, ``models``.
``--data`` of fit, predict and backtest takes a file or a dataset name (``tsforecast datasets``);
``fit --calibrate`` stores conformal errors for ``predict --interval``; ``backtest --coverage``
scores online intervals and states the season ``m`` of its MASE.
Global options ``--quiet`` (no progress bars or info lines) and ``--verbose`` (Python warnings
in full, TensorFlow's start-up lines kept); by default a warning prints as one line
``Category: message`` and TensorFlow's C++ start-up lines are dropped.
Bad input (a missing file, a malformed config, an unknown model) ends with exit
code 2 and one line ``tsforecast: error: ...`` on stderr; anything else that
goes wrong is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

from .exceptions import ConfigError, DataFileError, TSForecastError

PROG = "tsforecast"
MISSING_CHOICES = ("raise", "interpolate", "ffill")  # --missing of fit and backtest


# -- helpers ---------------------------------------------------------------------

_BATCH_KEYS = [
    ("input, output, model", "the table of series, the output folder, a registry name or a saved model"),
    ("horizon, format, missing", "steps ahead; csv or parquet output; raise, interpolate or ffill"),
    ('exog = ["temp"]', "extra numeric columns of the input table (covariates)"),
    ('future = "FILE"', "id, timestamp and the exog columns for the forecast steps"),
    ("coverage = 0.9", "lower/upper from conformal errors on each series' tail (interval: older name)"),
    ("global = true", "one network over all series; skip_short = true lists short series in errors.csv"),
    ('save_models = "DIR"', "keep the fitted models; mode = \"update\" loads them, update()s each with the rows"),
    ("", "after its last timestamp, forecasts and saves (nightly jobs)"),
    ("[params]", 'model parameters, e.g. calendar = ["hour", "dayofweek"]'),
    ("[run]", "n_jobs, scheduler, cluster, chunk_size, n_workers"),
]
BATCH_DESCRIPTION = ("Run a batch forecast job (TOML). A killed job rerun with the same output folder finishes only "
                     "the missing work.\n\nKeys:\n" + "\n".join(f"  {k:<26}{v}" for k, v in _BATCH_KEYS))

def parse_param(text: str):
    """``"k=v"`` -> ``(k, value)``; the value is a Python literal (int, float, tuple, bool, None) or else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise ConfigError(f"--param must look like name=value (e.g. lags=24), got {text!r}.")
    raw = raw.strip()
    lowered = {"true": True, "false": False, "none": None}
    if raw.lower() in lowered:
        return key, lowered[raw.lower()]
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        try:
            return key, float(raw)  # inf, nan (not Python literals)
        except ValueError:
            return key, raw
    return key, tuple(value) if isinstance(value, list) else value


def _params(items) -> dict:
    return dict(parse_param(p) for p in items or [])


def _model(args):
    """The registered model ``--model`` with its ``--param`` values; unknown names list the valid ones."""
    from .model_docs import check_parameter_names
    from .registry import get_forecaster

    params = _params(args.param)
    check_parameter_names(args.model, params)
    return get_forecaster(args.model, **params)


def _info(args, text):
    """Print an info line unless ``--quiet``."""
    if not args.quiet:
        print(text)


def _columns(path) -> list:
    """Column names of a CSV/Parquet file, without reading its rows."""
    from .tables import read_header

    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist.")
    return [c.strip() for c in read_header(path)]


def read_data(path, missing="raise"):
    """The data ``--data`` names: a file, or else a dataset of the catalogue (``tsforecast datasets``).

    A ``timestamp,value`` file (or a series dataset) gives a Series, a long
    ``id,timestamp,value`` file (or a long dataset) a DataFrame. An existing
    file wins over a dataset of the same name.
    """
    from .datasets import list_datasets, read_long_file, read_series_file

    if not Path(path).is_file() and str(path) in list_datasets():
        return _dataset(str(path), missing)
    if not Path(path).is_file():
        raise DataFileError(
            f"data file {path} does not exist, and {str(path)!r} is not a dataset name either; give a CSV or "
            f"Parquet file or one of the datasets {', '.join(list_datasets())} (see 'tsforecast datasets')."
        )
    if "id" in _columns(path):
        return read_long_file(path, missing=missing)
    return read_series_file(path, missing=missing)


def _dataset(name, missing):
    """A catalogue dataset as forecasters take it (its file read from $TSFORECAST_DATA_DIR if external)."""
    from .datasets import dataset_info, load_dataset

    if dataset_info(name).kind == "frame":
        raise DataFileError(
            f"dataset {name!r} is a table of several price columns, not one series; write the column you want "
            f"to a timestamp,value file (tsforecast.datasets.trading_day_series(load_dataset({name!r}).data)) "
            f"and pass that file."
        )
    return load_dataset(name, missing=missing).data


def _forecast_table(pred):
    """A forecast Series / interval frame / global long frame as the table ``predict`` writes."""
    import pandas as pd

    if isinstance(pred, pd.Series):
        return pd.DataFrame({"timestamp": pred.index, "forecast": pred.to_numpy()})
    if "id" in pred.columns:
        return pred
    return pred.rename_axis("timestamp").reset_index()


def _write_table(df, path):
    from .batch.io import write_atomic

    return write_atomic(df, path)


# -- subcommands ------------------------------------------------------------------
def cmd_fit(args):
    from .persistence import check_save_target

    model = _model(args)
    calibrating = args.calibrate is not None or args.calibrate_from is not None
    if not calibrating and (args.horizon is not None or args.coverage is not None):
        raise ConfigError("--horizon and --coverage of fit set up the calibration; use them with --calibrate "
                          "FRACTION or --calibrate-from DATE.")
    if calibrating and args.missing == "interpolate":
        raise ConfigError("--missing interpolate fills a gap from the value after it, so the model fitted before "
                          "the calibration tail could see tail values; use --missing ffill with --calibrate.")
    check_save_target(args.out)  # the check model.save makes, done before reading and training, not after
    y = read_data(args.data, missing=args.missing)
    if calibrating:
        start, n_errors = fit_calibrated(model, y, args)
        _info(args, f"calibrated on {n_errors} forecast origins in the last {len(y) - start} points, with the "
                    f"model fitted on the first {start}; refitted on all {len(y)} points")
    else:
        model.fit(y, missing=args.missing)
    model.save(args.out)
    _info(args, f"fitted {args.model} on {args.data}; saved to {args.out}")


def _calibration_start(y, args) -> int:
    """Position of the first point of the calibration tail (``--calibrate`` or ``--calibrate-from``)."""
    import math

    import pandas as pd

    from .evaluation.tune import _check_end
    from .exceptions import ParameterError

    n = len(y)
    if args.calibrate is not None:
        return n - math.ceil(args.calibrate * n - 1e-9)  # the tail: the last ceil(FRACTION * n) points
    text = args.calibrate_from.strip()
    if not text:
        raise ConfigError("--calibrate-from needs a date, e.g. --calibrate-from 2024-02-01.")
    if isinstance(y.index, pd.DatetimeIndex):
        try:
            return _check_end(text, y.index)
        except ParameterError as exc:
            raise ConfigError(f"--calibrate-from {text!r}: {exc}") from None
    try:  # integer steps: the value of the timestamp column, not its row number
        start = int(y.index.searchsorted(int(text)))
    except ValueError:
        raise ConfigError(f"--calibrate-from: the series is indexed by integer steps, so give one of them "
                          f"(e.g. {y.index[n // 2]}), got {text!r}.") from None
    return start


def fit_calibrated(model, y, args):
    """Fit ``model`` on all of ``y`` with conformal errors from a copy fitted on the head only.

    The errors are honest (the copy never saw the tail it forecasts); the final
    model uses all the data. Returns (start of the tail, number of error rows).
    """
    import pandas as pd
    from sklearn.base import clone

    from .evaluation.conformal import min_calibration_errors
    from .exceptions import NotEnoughDataError

    if isinstance(y, pd.DataFrame):
        raise ConfigError(f"{args.data} holds many series (an id column); --calibrate works on one "
                          f"timestamp,value series.")
    model._check_params()
    start = _calibration_start(y, args)
    horizon = model._default_horizon() if args.horizon is None else args.horizon
    coverage = 0.9 if args.coverage is None else args.coverage
    n_errors, need = len(y) - start - horizon + 1, min_calibration_errors(coverage)
    if start < 1:
        raise ConfigError(f"the calibration tail covers all {len(y)} points, which leaves nothing to fit on; "
                          f"use a smaller --calibrate or a later --calibrate-from.")
    if n_errors < need:
        raise NotEnoughDataError(
            f"the calibration tail has {len(y) - start} point(s), which give {max(n_errors, 0)} forecast error(s) "
            f"per lead time at horizon {horizon}, but {coverage:.0%} intervals need at least {need}; use a larger "
            f"--calibrate (or an earlier --calibrate-from), a shorter --horizon or a lower --coverage."
        )
    try:
        head = clone(model).fit(y.iloc[:start])
    except NotEnoughDataError as exc:
        raise NotEnoughDataError(f"fitting on the {start} point(s) before the calibration tail: {exc} "
                                 f"Use a smaller calibration tail.") from None
    head.calibrate(y, horizon=horizon)
    model.fit(y)  # fit clears fitted attributes, so the errors are attached after it
    model.conformal_errors_ = head.conformal_errors_
    return start, n_errors


def cmd_predict(args):
    from .outputs import check_output_file
    from .persistence import load_model

    check_output_file(args.out, "--out")
    model = load_model(args.model)
    y = None if args.data is None else read_data(args.data)
    if args.interval is not None:
        if getattr(model, "is_global_", False):
            raise ConfigError("--interval works with single-series models only.")
        errors = getattr(model, "conformal_errors_", None)
        if errors is None:
            raise ConfigError(f"the model in {args.model} is not calibrated, so it has no intervals; fit it with "
                              f"--calibrate FRACTION (or --calibrate-from DATE) to predict with --interval.")
        if args.horizon > errors.shape[1]:
            raise ConfigError(f"the model in {args.model} is calibrated for {errors.shape[1]} lead time(s); fit it "
                              f"with --calibrate ... --horizon {args.horizon} for intervals that far ahead.")
        pred = model.predict_interval(args.horizon, coverage=args.interval, y=y)
    else:
        pred = model.predict(args.horizon, y=y)
    table = _forecast_table(pred)
    _write_table(table, args.out)
    _info(args, f"wrote {len(table)} forecast rows to {args.out}")


def cmd_backtest(args):
    import pandas as pd

    from .evaluation import backtest
    from .evaluation.backtest import DEFAULT_METRICS
    from .outputs import check_output_file

    model = _model(args)
    for option, path in (("--out", args.out), ("--predictions", args.predictions)):
        if path:
            check_output_file(path, option)
    y = read_data(args.data, missing=args.missing)
    if isinstance(y, pd.DataFrame):
        raise DataFileError(f"{args.data} holds many series (an id column); backtest takes one timestamp,value series.")
    m, season_note = mase_period(y.index, args.seasonal_period)
    metrics = DEFAULT_METRICS if m is not None else tuple(x for x in DEFAULT_METRICS if x != "mase")
    result = backtest(model, y, initial=args.initial, horizon=args.horizon, step=args.step,
                      refit=args.refit if args.refit else False, metrics=metrics, coverage=args.coverage,
                      seasonal_period=m or 1, progress=not args.quiet)
    print(season_note)
    if args.coverage is not None:
        print(_interval_note(result.metrics, args.coverage))
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(result.metrics.to_string(float_format=lambda v: f"{v:.4g}"))
    if args.out:
        _write_table(result.metrics.reset_index(), args.out)
    if args.predictions:
        _write_table(result.predictions, args.predictions)


def mase_period(index, given):
    """``(m, note)``: the MASE season ``m`` (``--seasonal-period``, else the index frequency's shortest season)
    and the line that says which; ``m`` is None when neither gives one, and MASE is then left out."""
    from .seasonality import index_periods

    if given is not None:
        return given, f"MASE: seasonal period m={given} (--seasonal-period)"
    periods = index_periods(index)
    freq = getattr(index, "freqstr", None)
    if periods:
        return periods[0], (f"MASE: seasonal period m={periods[0]} (the shortest season of frequency {freq!r}; "
                            f"choose another with --seasonal-period)")
    what = f"frequency {freq!r}" if freq else "integer steps"
    return None, (f"MASE: not computed: the series has {what}, which has no known season; pass "
                  f"--seasonal-period M (M=1 scales by the one-step naive error)")


def _interval_note(metrics, coverage) -> str:
    """The line that says how the backtest intervals were made, or that none could be."""
    from .evaluation.conformal import min_calibration_errors

    need = min_calibration_errors(coverage)
    if metrics["coverage"].isna().all():
        return (f"intervals: none: no origin had the {need} earlier forecast errors per lead time that "
                f"{coverage:.0%} intervals need; use more origins (a smaller --initial or --step) or a lower "
                f"--coverage")
    return (f"intervals: online split-conformal at {coverage:.0%}, each origin from the errors of earlier origins "
            f"whose targets it has seen; origins with fewer than {need} such errors per lead time have none "
            f"and are left out of coverage and width")


def cmd_batch(args):
    from .batch import run_batch

    summary = run_batch(args.job, progress=not args.quiet, n_jobs=args.n_jobs, scheduler=args.scheduler,
                        cluster=args.cluster, n_workers=args.n_workers)
    print(summary)


def cmd_datasets(args):
    import dataclasses

    from .datasets import dataset_info, list_datasets

    if args.name is None:
        for name in list_datasets():
            info = dataset_info(name)
            where = f"file {info.filename} in $TSFORECAST_DATA_DIR" if info.external else "built in"
            print(f"{name:20s} {info.title} ({where})")
        return
    for key, value in dataclasses.asdict(dataset_info(args.name)).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        print(f"{key:17s} {value}")


def cmd_models(args):
    from .model_docs import describe_parameters, model_summaries
    from .registry import REGISTRY, get_forecaster_class

    if args.name is None:
        for name, cls_name, first_line in model_summaries():
            print(f"{name:15s} {cls_name:24s} {first_line}")
        return
    cls = get_forecaster_class(args.name)
    print(f"{args.name}: {REGISTRY[args.name]}")
    rows = [(f"{name} = {default!r}", meaning) for name, default, meaning in describe_parameters(cls)]
    if not rows:
        print("  (no parameters)")
    width = max((len(left) for left, _ in rows), default=0)
    for left, meaning in rows:
        print(f"  {left:{width}s}  {meaning}")


def cmd_experiment(args, extra):
    from . import experiment

    parser = argparse.ArgumentParser(prog=f"{PROG} experiment", description=experiment.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    experiment.add_arguments(parser)
    parsed = parser.parse_args(extra)
    parsed.no_progress = parsed.no_progress or args.quiet
    return experiment.main(parsed)


# -- parser -------------------------------------------------------------------------
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _unit_interval(what):
    """An argparse type for a number strictly between 0 and 1 (a fraction, a coverage level)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} in (0, 1), e.g. 0.2, got {text!r}") from None
        if not 0 < value < 1:
            raise argparse.ArgumentTypeError(f"expected {what} in (0, 1), e.g. 0.2, got {value}")
        return value
    return parse


_fraction = _unit_interval("a fraction")
_coverage = _unit_interval("a coverage")


FIT_DESCRIPTION = """\
Fit a registered model on a timestamp,value file or dataset (or a long id,timestamp,value
file for global models) and save it to a folder.

Prediction intervals (--calibrate FRACTION or --calibrate-from DATE): a copy of the model is
fitted on the head of the data only and forecasts the tail from every origin inside it;
the errors of those forecasts, per lead time, are stored with the saved model and
give split-conformal intervals ('tsforecast predict --interval'). The errors come from a
model that did not see the tail, so they are honest; the saved model is then refitted on
all the data, as is standard practice, and keeps those errors. A tail of n points gives
n - horizon + 1 errors per lead time; a coverage of LEVEL needs ceil(LEVEL/(1-LEVEL))."""

FIT_EXAMPLES = """\
examples:
  tsforecast fit --model ar --data series.csv --out models/ar
  tsforecast fit --model seasonal_naive --data traffic_synthetic --out models/sn \\
      --calibrate 0.25 --horizon 24 --coverage 0.9
  tsforecast fit --model ar --data cortez_a1h --out models/ar --calibrate-from 2005-07-14 --horizon 24"""

PREDICT_EXAMPLES = """\
examples:
  tsforecast predict --model models/ar --horizon 24 --out forecast.csv
  tsforecast predict --model models/sn --horizon 24 --interval 0.9 --out forecast.parquet
      (needs a model fitted with --calibrate; writes timestamp, forecast, lower, upper)"""

BACKTEST_DESCRIPTION = """\
Rolling-origin backtest: fit on the first INITIAL points, forecast HORIZON steps from every
STEP-th origin after, and print the metrics per lead time.

MASE is scaled by the in-sample seasonal naive error of the first INITIAL points with period
m: --seasonal-period, else the shortest season of the data's frequency (24 for hourly data);
the output says which m was used. With --coverage LEVEL each origin also gets split-conformal
intervals from the errors of earlier origins whose targets it has already seen (nothing
later), and the table adds their empirical coverage and mean width."""

BACKTEST_EXAMPLES = """\
examples:
  tsforecast backtest --model seasonal_naive --data traffic_synthetic --horizon 24 --initial 672
  tsforecast backtest --model ar --data series.csv --horizon 24 --initial 500 --step 24 \\
      --coverage 0.9 --seasonal-period 168 --predictions preds.csv"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fit, evaluate and run time series forecasters (AR, Holt-Winters, NARX, TDNN, RNN/LSTM/GRU).",
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info lines")
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="Python warnings in full (with file and line) and TensorFlow's start-up lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("experiment", add_help=False, help="run a model comparison experiment from a config",
                       description="Run a model comparison experiment (options: tsforecast experiment --help).")
    p.set_defaults(func=None)

    missing_help = ("missing values: 'raise' (default) refuses them; 'ffill' fills each interior gap with the "
                    "last observed value before it (uses only the past: the only fill safe for backtests); "
                    "'interpolate' fills interior gaps linearly (uses the value after the gap). Both fills trim "
                    "leading/trailing gaps")
    param_help = "model parameter name=value (repeatable; values typed like Python: 24, 0.1, (32, 16), true, text)"

    data_help = ("CSV or Parquet file, or a dataset name from 'tsforecast datasets' (e.g. traffic_synthetic; "
                 "the real ones read their file from $TSFORECAST_DATA_DIR)")
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("fit", help="fit a model on a data file and save it", formatter_class=raw,
                       description=FIT_DESCRIPTION, epilog=FIT_EXAMPLES)
    p.add_argument("--model", required=True, help="registry name, e.g. naive, ar, lstm")
    p.add_argument("--data", required=True, help=data_help)
    p.add_argument("--out", required=True, help="folder to save the fitted model to")
    p.add_argument("--param", action="append", metavar="K=V", help=param_help)
    p.add_argument("--missing", choices=MISSING_CHOICES, default="raise", help=missing_help)
    tail = p.add_mutually_exclusive_group()
    tail.add_argument("--calibrate", type=_fraction, metavar="FRACTION",
                      help="hold out the last ceil(FRACTION x n) points to calibrate prediction intervals "
                           "(0 < FRACTION < 1, e.g. 0.2); see above")
    tail.add_argument("--calibrate-from", metavar="DATE",
                      help="calibrate on the points from DATE on (e.g. 2024-02-15, or an integer step for "
                           "integer timestamps) instead of a fraction")
    p.add_argument("--horizon", type=_positive_int,
                   help="lead times to calibrate (default: the model's horizon parameter, or 1); predict --interval "
                        "can then forecast up to this many steps")
    p.add_argument("--coverage", type=_coverage, metavar="LEVEL",
                   help="highest interval coverage you will ask for (default 0.9): the tail must give at least "
                        "ceil(LEVEL/(1-LEVEL)) forecast errors per lead time (9 for 0.9), else fit refuses")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("predict", help="forecast with a saved model", formatter_class=raw,
                       description="Forecast with a saved model; writes timestamp, forecast[, lower, upper]\n"
                                   "(id, timestamp, step, forecast for global models) as CSV or Parquet by extension.",
                       epilog=PREDICT_EXAMPLES)
    p.add_argument("--model", required=True, help="saved model folder (from 'tsforecast fit' or model.save)")
    p.add_argument("--horizon", required=True, type=_positive_int, help="steps ahead")
    p.add_argument("--out", required=True, help="output file, .csv or .parquet")
    p.add_argument("--data", help="forecast from this new history instead of the training series (no refit): "
                                  "a file or a dataset name")
    p.add_argument("--interval", type=_coverage, metavar="LEVEL",
                   help="add split-conformal lower/upper columns with this coverage, e.g. 0.9 (the model must be "
                        "fitted with --calibrate)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("backtest", help="rolling-origin evaluation of a model on a series", formatter_class=raw,
                       description=BACKTEST_DESCRIPTION, epilog=BACKTEST_EXAMPLES)
    p.add_argument("--model", required=True, help="registry name")
    p.add_argument("--data", required=True, help=data_help.replace("CSV or Parquet file", "timestamp,value CSV or "
                                                                   "Parquet file"))
    p.add_argument("--horizon", required=True, type=_positive_int, help="lead times per origin")
    p.add_argument("--initial", required=True, type=_positive_int, help="points in the first training part")
    p.add_argument("--step", type=_positive_int, default=1, help="distance between origins (default 1)")
    p.add_argument("--refit", type=int, default=0, metavar="K", help="refit every K origins (default 0: fit once)")
    p.add_argument("--param", action="append", metavar="K=V", help=param_help)
    p.add_argument("--missing", choices=MISSING_CHOICES, default="raise", help=missing_help)
    p.add_argument("--coverage", type=_coverage, metavar="LEVEL",
                   help="add online split-conformal intervals with this coverage (e.g. 0.9) and report their "
                        "empirical coverage and mean width per lead time; --predictions then has lower, upper")
    p.add_argument("--seasonal-period", type=_positive_int, metavar="M",
                   help="season length of the MASE scale (default: the shortest season of the data's frequency, "
                        "24 for hourly data; without one MASE is left out and the output says so)")
    p.add_argument("--out", help="write the metrics table to this .csv/.parquet file")
    p.add_argument("--predictions", help="write every forecast (origin, step, y_true, y_pred[, lower, upper]) to "
                                         "this file")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("batch", help="forecast many series from a job file",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=BATCH_DESCRIPTION)
    p.add_argument("job", help="job file (.toml)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler")
    where.add_argument("--cluster", choices=("local",), help="start a local Dask cluster")
    p.add_argument("--n-jobs", type=_positive_int, help="local worker processes (overrides [run] n_jobs)")
    p.add_argument("--n-workers", type=_positive_int, help="workers of --cluster local (default 2)")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar (as the global --quiet)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("datasets", help="list datasets, or describe one",
                       description="List the bundled and real datasets; with NAME print its card.")
    p.add_argument("name", nargs="?", help="dataset name")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("models", help="list the registered models, or the parameters of one",
                       description="List the registered models; with NAME print its parameters, their defaults "
                                   "and what they mean (for --param of fit and backtest).")
    p.add_argument("name", nargs="?", help="registry name, e.g. ar")
    p.set_defaults(func=cmd_models)
    return parser


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and not isinstance(exc, TSForecastError):
        text = f"{exc.strerror or type(exc).__name__}: {exc.filename}" if exc.filename else text or type(exc).__name__
    return text


# -- console output ---------------------------------------------------------------------
# What TensorFlow's C++ libraries print on stderr while ``import tensorflow`` runs (absl logs
# before its InitializeLog, oneDNN and CUDA notes, CPU instruction hints); TF_CPP_MIN_LOG_LEVEL
# does not reach the absl lines, so they are dropped from a capture of file descriptor 2.
TF_STARTUP_NOISE = re.compile(r"absl::InitializeLog|oneDNN|cuda|cudnn|cufft|cublas|TF-TRT|cpu_feature_guard|"
                              r"To enable the following instructions|rebuild TensorFlow with", re.IGNORECASE)


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """``warnings.formatwarning`` of the command line: ``Category: message`` on one line."""
    return f"{category.__name__}: {' '.join(str(message).split())}\n"


@contextlib.contextmanager
def _without_startup_noise():
    """Run the block with fd 2 captured, then write back the lines that are not TensorFlow start-up noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not TF_STARTUP_NOISE.search(line)))
            sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    """Wraps the loader of ``tensorflow`` so that executing the package drops the start-up noise."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with _without_startup_noise():
            self.loader.exec_module(module)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Meta path finder that hands the first ``import tensorflow`` a :class:`_QuietLoader`."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


@contextlib.contextmanager
def console(verbose=False):
    """Warnings and TensorFlow output as the command line shows them, restored on exit.

    Parameters
    ----------
    verbose : bool
        Keep Python's full warning format and TensorFlow's start-up lines. Otherwise each
        warning prints as one line (:func:`one_line_warning`), TF_CPP_MIN_LOG_LEVEL goes from
        the package's default 2 to 3 (any other value the user set is kept), and the C++
        start-up lines of the first ``import tensorflow`` are dropped.
    """
    saved_format, saved_level = warnings.formatwarning, os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    finder = _QuietTensorFlowImport()
    if not verbose:
        warnings.formatwarning = one_line_warning
        if saved_level in (None, "2"):  # "2" is what ``import tsforecast`` sets when the user set nothing
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        if "tensorflow" not in sys.modules:
            sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        warnings.formatwarning = saved_format
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        if "tensorflow" not in sys.modules:  # else the level no longer matters
            if saved_level is None:
                os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
            else:
                os.environ["TF_CPP_MIN_LOG_LEVEL"] = saved_level


def main(argv=None) -> int:
    """Entry point of the ``tsforecast`` command; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Every fitted network traces its own predict function, and TensorFlow warns about each trace
    # after the fifth; in a comparison of many models that is expected, not a problem to report.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with console(verbose=args.verbose):
        return _run(parser, args, extra)


def _run(parser, args, extra) -> int:
    try:
        if args.command == "experiment":
            return int(cmd_experiment(args, extra) or 0)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return int(args.func(args) or 0)
    except (TSForecastError, OSError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
