"""The ``transform`` parameter of the statistical forecasters: fit and forecast in log space.

Traffic and prices grow multiplicatively; a linear model of ``log y`` turns
that into additive structure. Forecasts are ``exp`` of the log-space
forecast (the conditional median of ``y`` under log-normal errors, which is
what MAPE/MAE reward). ``"log1p"`` fits ``log(1 + y)`` and takes ``y >= 0``: counts
with zeros (quiet cells, idle links), where ``log`` is undefined; on large values
it is practically ``log``.
"""

from __future__ import annotations

import numpy as np

from ..base import check_choice
from ..exceptions import InvalidInputError

TRANSFORMS = (None, "log", "log1p")


def check_transform(transform):
    """Validate the ``transform`` parameter (raises ParameterError)."""
    return check_choice(transform, TRANSFORMS, "transform")


def forward(values: np.ndarray, transform, what: str = "y") -> np.ndarray:
    """Values in model space: ``log(values)`` for ``"log"``, ``log(1 + values)`` for ``"log1p"``,
    else unchanged."""
    if transform is None:
        return values
    values = np.asarray(values)
    ok = values > 0 if transform == "log" else values >= 0
    if not np.all(ok):
        bad = values[~ok]
        need, fix = (("strictly positive values", "transform='log1p' (it takes zeros)") if transform == "log"
                     else ("values >= 0", "transform=None"))
        raise InvalidInputError(
            f"transform={transform!r} needs {need}, but {what} holds {bad.size} value(s) outside that "
            f"(e.g. {float(bad.ravel()[0])!r}); use {fix}, or shift the series."
        )
    return np.log(values) if transform == "log" else np.log1p(values)


def inverse(values: np.ndarray, transform) -> np.ndarray:
    """Back to data units: ``exp`` for ``"log"``, ``expm1`` for ``"log1p"``."""
    if transform is None:
        return values
    return np.exp(values) if transform == "log" else np.expm1(values)
