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
        y = np.asarray(y, dtype=np.float64)
        loc, scale = self._stats(y, np.array([len(y)]))
        self.loc_, self.scale_ = float(loc[0]), float(scale[0])
        return self

    def fit_many(self, arrays):
        """Fit one loc/scale per array in one pass; ``loc_`` and ``scale_`` become (n, 1) columns
        that scale a (n, time) batch row by row."""
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        return self.fit_flat(np.concatenate(arrays), [len(a) for a in arrays])

    def fit_flat(self, values, lengths):
        """Like :meth:`fit_many` for series given concatenated: ``values`` holds ``lengths[0]`` values
        of the first series, then the second's, ...; saves splitting a flat panel into arrays."""
        loc, scale = self._stats(np.asarray(values, dtype=np.float64), np.asarray(lengths, dtype=np.int64))
        self.loc_, self.scale_ = loc[:, None], scale[:, None]
        return self

    def fit_prefixes(self, y, ends):
        """One loc/scale per prefix ``y[:end]``, as ``fit(y[:end])`` gives, for every ``end`` in ``ends``
        ((n, 1) columns like :meth:`fit_many`). Running sums and extrema make it one pass over ``y``
        (``robust`` needs a percentile per prefix)."""
        _check_method(self.method)
        ends = np.asarray(ends, dtype=np.int64)
        if len(ends) and (ends.min() < 1 or ends.max() > len(y)):
            raise InvalidInputError(f"prefix ends must lie in [1, {len(y)}], got {ends.min()}..{ends.max()}.")
        f = self._forward(np.asarray(y, dtype=np.float64))
        if self.method is None:
            loc, scale = np.zeros(len(ends)), np.ones(len(ends))
        elif self.method in ("standard", "log"):
            shift = f[0]  # centring on the first value keeps the running sums of squares accurate
            c1, c2 = np.cumsum(f - shift), np.cumsum((f - shift) ** 2)
            mean = c1[ends - 1] / ends
            loc = mean + shift
            scale = np.sqrt(np.maximum(c2[ends - 1] / ends - mean**2, 0.0))
        elif self.method == "minmax":
            loc = np.minimum.accumulate(f)[ends - 1]
            scale = np.maximum.accumulate(f)[ends - 1] - loc
        else:
            q1, loc, q3 = np.array([np.percentile(f[:e], [25, 50, 75]) for e in ends]).reshape(-1, 3).T
            scale = q3 - q1
        flat = ~np.isfinite(scale) | (scale <= 1e-12 * np.maximum(1.0, np.abs(loc)))
        self.loc_, self.scale_ = loc[:, None], np.where(flat, 1.0, scale)[:, None]
        return self

    def _stats(self, y, lengths):
        _check_method(self.method)
        y = self._forward(y)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        if self.method is None:
            loc, scale = np.zeros(len(lengths)), np.ones(len(lengths))
        elif self.method in ("standard", "log"):
            loc = np.add.reduceat(y, starts) / lengths
            scale = np.sqrt(np.add.reduceat((y - np.repeat(loc, lengths)) ** 2, starts) / lengths)
        elif self.method == "minmax":
            loc = np.minimum.reduceat(y, starts)
            scale = np.maximum.reduceat(y, starts) - loc
        else:
            q1, loc, q3 = np.array([np.percentile(y[s : s + n], [25, 50, 75]) for s, n in zip(starts, lengths)]).T
            scale = q3 - q1
        flat = ~np.isfinite(scale) | (scale <= 1e-12 * np.maximum(1.0, np.abs(loc)))
        return loc, np.where(flat, 1.0, scale)

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
