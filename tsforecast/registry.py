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
    "rtrl": "tsforecast.models.rtrl_model:RTRLForecaster",
}


def list_forecasters() -> list:
    """Short names of all registered forecasters.

    Returns
    -------
    list of str
        The keys of :data:`REGISTRY`, sorted.
    """
    return sorted(REGISTRY)


def class_names() -> dict:
    """Class name of every registered forecaster, mapped to its import path.

    Returns
    -------
    dict
        ``{"ARForecaster": "tsforecast.models.ar_model:ARForecaster", ...}``, read from
        :data:`REGISTRY` at each call (nothing is imported). ``tsforecast`` exports exactly
        these names, so registering a model exports it.
    """
    return {path.rsplit(":", 1)[1]: path for path in REGISTRY.values()}


def load_class(path: str):
    """Import a class from a ``"package.module:ClassName"`` registry path.

    Parameters
    ----------
    path : str
        An import path as stored in :data:`REGISTRY`.

    Returns
    -------
    type
        The class; its module is imported on first use.
    """
    module, cls = path.split(":")
    return getattr(importlib.import_module(module), cls)


def get_forecaster_class(name: str):
    """The forecaster class registered under a short name.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`, e.g. ``"ar"``.

    Returns
    -------
    type
        The forecaster class (its module is imported on first use).

    Raises
    ------
    ParameterError
        If ``name`` is not registered.
    """
    if name not in REGISTRY:
        raise ParameterError(f"unknown model {name!r}; choose one of {list_forecasters()}.")
    return load_class(REGISTRY[name])


def get_forecaster(name: str, **params):
    """Build a registered forecaster by short name, e.g. ``get_forecaster("lstm", lags=48)``."""
    cls = get_forecaster_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ParameterError(f"invalid parameters for {name!r}: {exc}") from None
