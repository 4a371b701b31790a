"""Naive (last value) and seasonal naive forecasters."""

import numpy as np

from ..base import BaseForecaster, check_int


def seasonal_repeat(Y: np.ndarray, m: int, horizon: int) -> np.ndarray:
    """Forecast ``y[T+h] = y[T+h - m*ceil(h/m)]`` for every row of ``Y`` (batch, >= m)."""
    last_season = Y[:, -m:]
    return last_season[:, np.arange(horizon) % m]


class SeasonalNaiveForecaster(BaseForecaster):
    """Repeat the last observed season.

    Parameters
    ----------
    m : int
        Season length in steps (24 for hourly data with a daily cycle).
    """

    def __init__(self, m=1):
        self.m = m

    def _check_params(self):
        check_int(self.m, "m")

    def _min_length(self):
        return self.m

    def _fit(self, y, X):
        self.context_length_ = self.m

    def _predict(self, Y, XH, XF, horizon):
        return seasonal_repeat(Y, self.m, horizon)

    @classmethod
    def _test_params(cls):
        return {"m": 4}


class NaiveForecaster(BaseForecaster):
    """Repeat the last observed value (the random walk forecast)."""

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return seasonal_repeat(Y, 1, horizon)
