"""The ``transform`` parameter of the statistical forecasters: fit and forecast in log space.

Traffic and prices grow multiplicatively; a linear model of ``log y`` turns
that into additive structure. Forecasts are ``exp`` of the log-space
forecast (the conditional median of ``y`` under log-normal errors, which is
what MAPE/MAE reward).
"""

from __future__ import annotations

import numpy as np

from ..base import check_choice
from ..exceptions import InvalidInputError

TRANSFORMS = (None, "log")


def check_transform(transform):
    """Validate the ``transform`` parameter (raises ParameterError)."""
    return check_choice(transform, TRANSFORMS, "transform")


def forward(values: np.ndarray, transform, what: str = "y") -> np.ndarray:
    """Values in model space: ``log(values)`` for ``transform="log"``, else unchanged."""
    if transform is None:
        return values
    if not np.all(values > 0):
        bad = np.asarray(values)[~(np.asarray(values) > 0)]
        raise InvalidInputError(
            f"transform='log' needs strictly positive values, but {what} holds {bad.size} value(s) <= 0 "
            f"(e.g. {bad.ravel()[0]!r}); use transform=None, or shift the series so it is positive."
        )
    return np.log(values)


def inverse(values: np.ndarray, transform) -> np.ndarray:
    """Back to data units: ``exp`` for ``transform="log"``."""
    return values if transform is None else np.exp(values)
