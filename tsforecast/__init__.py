"""tsforecast: window time series and compare classic and neural forecasters on equal terms."""

import os

# Quiet TensorFlow's C++ start-up banner unless the user asked for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import exceptions, metrics  # noqa: E402
from .datasets import list_datasets, load_dataset, make_traffic  # noqa: E402
from .evaluation import backtest, compare, diebold_mariano, tune  # noqa: E402
from .base import BaseForecaster  # noqa: E402
from .persistence import load_model  # noqa: E402
from .registry import get_forecaster, list_forecasters  # noqa: E402
from .scaling import Scaler  # noqa: E402
from .windowing import make_windows, train_val_split  # noqa: E402
from .models.ar_model import ARForecaster  # noqa: E402
from .models.arima_model import ARIMAForecaster  # noqa: E402
from .models.holt_winters_model import HoltWintersForecaster  # noqa: E402
from .models.mstl_model import MSTLForecaster  # noqa: E402
from .models.naive_model import NaiveForecaster, SeasonalNaiveForecaster  # noqa: E402
from .models.narx_model import NARXForecaster  # noqa: E402
from .models.rnn_model import GRUForecaster, LSTMForecaster, SimpleRNNForecaster  # noqa: E402
from .models.tdnn_model import TDNNForecaster  # noqa: E402
from .models.ensemble_model import EnsembleForecaster  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ARForecaster", "ARIMAForecaster", "BaseForecaster", "HoltWintersForecaster", "MSTLForecaster", "GRUForecaster", "LSTMForecaster", "NARXForecaster", "SimpleRNNForecaster",
    "TDNNForecaster", "EnsembleForecaster", "backtest", "compare", "diebold_mariano", "load_model", "tune", "NaiveForecaster", "SeasonalNaiveForecaster", "Scaler", "exceptions",
    "get_forecaster", "list_datasets", "list_forecasters", "load_dataset", "make_traffic", "make_windows", "metrics", "train_val_split",
]
