"""tsforecast: window time series and compare classic and neural forecasters on equal terms.

Every forecaster class is exported from :data:`tsforecast.registry.REGISTRY`: registering a
model (one line there) makes it ``tsforecast.<ClassName>``, listed in ``__all__`` and ``dir()``.
Classes are imported on first use, so ``import tsforecast`` loads neither TensorFlow nor Keras.
"""

import os

# Quiet TensorFlow's C++ start-up banner unless the user asked for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import exceptions, metrics  # noqa: E402
from .datasets import list_datasets, load_dataset, make_traffic  # noqa: E402
from .evaluation import backtest, compare, diebold_mariano, tune, tune_global  # noqa: E402
from .base import BaseForecaster  # noqa: E402
from .persistence import load_model  # noqa: E402
from .registry import get_forecaster, list_forecasters  # noqa: E402
from .registry import class_names as _class_names, load_class as _load_class  # noqa: E402
from .scaling import Scaler  # noqa: E402
from .seasonality import detect_periods, use_periods  # noqa: E402
from .windowing import make_windows, train_val_split  # noqa: E402

__version__ = "0.1.0"

# Exports besides the registered forecaster classes, which come from the registry.
_EXPORTS = [
    "BaseForecaster", "Scaler", "backtest", "compare", "detect_periods", "diebold_mariano", "exceptions",
    "get_forecaster", "list_datasets", "list_forecasters", "load_dataset", "load_model", "make_traffic",
    "make_windows", "metrics", "train_val_split", "tune", "tune_global", "use_periods",
]


def __getattr__(name):
    """Resolve ``__all__`` and registered forecaster classes (PEP 562), importing a class's module on first use.

    Parameters
    ----------
    name : str
        An attribute not found in the module's namespace.

    Returns
    -------
    object
        ``__all__`` (the fixed exports plus every registered class name), or the class.

    Raises
    ------
    AttributeError
        If ``name`` is neither.
    """
    if name == "__all__":
        return sorted(set(_EXPORTS) | set(_class_names()))
    path = _class_names().get(name)
    if path is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _load_class(path)


def __dir__():
    """Module names plus every registered forecaster class, for ``dir(tsforecast)`` and completion."""
    return sorted(set(globals()) | set(_class_names()))
