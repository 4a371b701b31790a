"""Per-series target scaling: fitted on training data only, inverted on forecasts.

Every method is an affine map ``(f(y) - loc) / scale`` where ``f`` is the
identity or ``log1p``. Keeping it affine lets one array of ``loc``/``scale``
per series scale a whole batch of windows from many series at once.
"""

from __future__ import annotations

import numpy as np

from .exceptions import InvalidInputError, ParameterError

SCALERS = ("standard", "minmax", "robust", "log", None)


def _check_method(method):
    if method not in SCALERS:
        raise ParameterError(f"scaler must be one of {SCALERS}, got {method!r}.")


class Scaler:
    """Affine target scaler.

    Parameters
    ----------
    method : {"standard", "minmax", "robust", "log", None}
        ``log`` applies ``log1p`` then standardises (for positive, heavy-tailed
        data such as traffic volumes). ``None`` leaves values unchanged.

    Attributes
    ----------
    loc_, scale_ : float
        Fitted location and scale. A constant series gets ``scale_ = 1`` so it
        scales to zeros instead of dividing by zero.
    """

    def __init__(self, method="standard"):
        self.method = method

    def fit(self, y):
        _check_method(self.method)
        y = self._forward(np.asarray(y, dtype=np.float64))
        if self.method is None:
            loc, scale = 0.0, 1.0
        elif self.method in ("standard", "log"):
            loc, scale = float(np.mean(y)), float(np.std(y))
        elif self.method == "minmax":
            loc, scale = float(np.min(y)), float(np.ptp(y))
        else:
            q1, med, q3 = np.percentile(y, [25, 50, 75])
            loc, scale = float(med), float(q3 - q1)
        if not np.isfinite(scale) or scale <= 1e-12 * max(1.0, abs(loc)):
            scale = 1.0
        self.loc_, self.scale_ = loc, scale
        return self

    def _forward(self, y):
        if self.method != "log":
            return y
        if np.any(y <= -1):
            raise InvalidInputError("scaler='log' needs values > -1; use another scaler for data with large negatives.")
        return np.log1p(y)

    def transform(self, y):
        return (self._forward(np.asarray(y, dtype=np.float64)) - self.loc_) / self.scale_

    def inverse_transform(self, z):
        y = np.asarray(z, dtype=np.float64) * self.scale_ + self.loc_
        return np.expm1(y) if self.method == "log" else y

    def get_state(self) -> dict:
        return {"method": self.method, "loc": self.loc_, "scale": self.scale_}

    @classmethod
    def from_state(cls, state: dict) -> "Scaler":
        obj = cls(state["method"])
        obj.loc_, obj.scale_ = float(state["loc"]), float(state["scale"])
        return obj
