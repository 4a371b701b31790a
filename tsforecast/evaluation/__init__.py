"""Evaluation: rolling-origin backtests, model comparison, tuning, DM tests and conformal intervals."""

from .backtest import DEFAULT_METRICS, BacktestResult, backtest
from .compare import ComparisonResult, compare
from .conformal import calibrate, predict_interval
from .diebold_mariano import DMResult, diebold_mariano
from .tune import TuneResult, tune

__all__ = [
    "DEFAULT_METRICS", "BacktestResult", "ComparisonResult", "DMResult", "TuneResult", "backtest", "calibrate",
    "compare", "diebold_mariano", "predict_interval", "tune",
]
