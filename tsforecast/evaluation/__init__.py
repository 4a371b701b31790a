"""Evaluation: rolling-origin backtests, model comparison, tuning, DM tests and conformal intervals."""

from .backtest import DEFAULT_METRICS, BacktestResult, backtest
from .compare import ComparisonResult, compare
from .conformal import calibrate, predict_interval
from .diebold_mariano import DMResult, DMUndefinedWarning, diebold_mariano, holm
from .tune import TuneResult, tune, tune_global

__all__ = [
    "DEFAULT_METRICS", "BacktestResult", "ComparisonResult", "DMResult", "DMUndefinedWarning", "TuneResult", "backtest",
    "calibrate", "compare", "diebold_mariano", "holm", "predict_interval", "tune", "tune_global",
]
