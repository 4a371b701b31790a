"""Naive (last value) and seasonal naive forecasters."""

import numpy as np

from ..base import BaseForecaster, check_int
from ..exceptions import NotEnoughDataError
from ..seasonality import SEASON_LAGS, resolve_period


def seasonal_repeat(Y: np.ndarray, m: int, horizon: int) -> np.ndarray:
    """Forecast ``y[T+h] = y[T+h - m*ceil(h/m)]`` for every row of ``Y`` (batch, >= m)."""
    last_season = Y[:, -m:]
    return last_season[:, np.arange(horizon) % m]


class SeasonalNaiveForecaster(BaseForecaster):
    """Repeat the last observed season.

    Parameters
    ----------
    m : int, "season", "long_season" or None
        Season length in steps (24 for hourly data with a daily cycle).
        None or ``"season"``: the first seasonal period of the training index's
        frequency (:func:`tsforecast.seasonality.seasonal_periods_for`: 24 for
        hourly, 7 for daily, 12 for monthly data); ``"long_season"``: the last
        (168, a week, for hourly data); inside
        :func:`tsforecast.seasonality.use_periods`, those periods instead. A
        series without timestamps then needs ``m``.

    Attributes
    ----------
    m_ : int
        Season length used.
    """

    def __init__(self, m=None):
        self.m = m

    def _check_params(self):
        if self.m is not None and self.m not in SEASON_LAGS:
            check_int(self.m, "m")

    def _min_length(self):
        # m=None or a season's name: checked again in fit once known
        return getattr(self, "m_", None) or (1 if self.m is None or self.m in SEASON_LAGS else self.m)

    def _fit(self, y, X):
        self.m_ = resolve_period(self.m, self.y_.index, "m", "SeasonalNaiveForecaster")
        if len(y) < self.m_:
            raise NotEnoughDataError(
                f"SeasonalNaiveForecaster with m={self.m_} needs at least {self.m_} points, got {len(y)}; "
                f"use a longer series or pass a smaller m."
            )
        self.context_length_ = self.m_

    def _predict(self, Y, XH, XF, horizon):
        return seasonal_repeat(Y, self.m_, horizon)

    def _get_state(self):
        return {"m": self.m_}, {}, []

    def _set_state(self, meta, arrays, networks):
        self.m_ = int(meta.get("m", self.m or 1))

    @classmethod
    def _test_params(cls):
        return {"m": 4}


class NaiveForecaster(BaseForecaster):
    """Repeat the last observed value (the random walk forecast)."""

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return seasonal_repeat(Y, 1, horizon)
