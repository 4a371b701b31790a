"""Every forecaster by short name, so the CLI, configs and tests can build them.

Adding a model = one module under ``tsforecast/models`` and one line here.
Entries are import paths so that listing models does not import TensorFlow.
"""

from __future__ import annotations

import importlib

from .exceptions import ParameterError

REGISTRY = {
    "naive": "tsforecast.models.naive_model:NaiveForecaster",
    "seasonal_naive": "tsforecast.models.naive_model:SeasonalNaiveForecaster",
    "ar": "tsforecast.models.ar_model:ARForecaster",
    "arima": "tsforecast.models.arima_model:ARIMAForecaster",
    "holt_winters": "tsforecast.models.holt_winters_model:HoltWintersForecaster",
    "mstl": "tsforecast.models.mstl_model:MSTLForecaster",
    "narx": "tsforecast.models.narx_model:NARXForecaster",
    "tdnn": "tsforecast.models.tdnn_model:TDNNForecaster",
    "simple_rnn": "tsforecast.models.rnn_model:SimpleRNNForecaster",
    "lstm": "tsforecast.models.rnn_model:LSTMForecaster",
    "gru": "tsforecast.models.rnn_model:GRUForecaster",
    "ensemble": "tsforecast.models.ensemble_model:EnsembleForecaster",
}


def list_forecasters() -> list:
    """Short names of all registered forecasters."""
    return sorted(REGISTRY)


def get_forecaster_class(name: str):
    try:
        module, cls = REGISTRY[name].split(":")
    except KeyError:
        raise ParameterError(f"unknown model {name!r}; choose one of {list_forecasters()}.") from None
    return getattr(importlib.import_module(module), cls)


def get_forecaster(name: str, **params):
    """Build a registered forecaster by short name, e.g. ``get_forecaster("lstm", lags=48)``."""
    cls = get_forecaster_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ParameterError(f"invalid parameters for {name!r}: {exc}") from None
