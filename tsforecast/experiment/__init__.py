"""Run a model-comparison experiment from a TOML config and write a reproducible report.

``tsforecast experiment [CONFIG] [--full]`` backtests every model of the config
on the same forecast origins (:func:`tsforecast.evaluation.compare`) and
writes ``results/<name>/``: ``metrics.csv``, ``report.md`` (tables, DM tests,
the protocol in words, versions, the command that reproduces it),
``forecasts.parquet`` (every forecast, long), ``config.json`` and PNG plots.
Without CONFIG it runs the packaged default experiment (simulated hourly
traffic; naive, seasonal naive, AR, NARX, TDNN, SimpleRNN, LSTM, GRU).
"""

from .config import ExperimentConfig, ModelSpec, RunSpec, load_config
from .runner import ExperimentResult, ManySeriesComparison, add_arguments, main, run_experiment

__all__ = [
    "ExperimentConfig", "ExperimentResult", "ManySeriesComparison", "ModelSpec", "RunSpec", "add_arguments",
    "load_config", "main", "run_experiment",
]
