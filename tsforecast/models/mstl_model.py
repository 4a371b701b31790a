"""Several seasonal cycles at once (daily and weekly in hourly traffic): statsmodels ``MSTL`` + AR.

MSTL runs once, on the training series. Each seasonal component is reduced to
a fixed profile indexed by phase (the mean of its last ``profile_cycles``
cycles), the series minus the profiles is modelled by an
:class:`~tsforecast.models.ar_model.ARForecaster`, and a forecast is the AR
forecast plus the profiles at the future phases. Forecasting from any origin
therefore needs no new decomposition: a backtest over hundreds of origins is
one batched AR forecast. Phases count steps from the training start, so a new
history must continue the training index (the same clock).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..base import BaseForecaster, check_int, check_lag_set
from ..exceptions import ExogenousError, FrequencyError, InvalidInputError, NotEnoughDataError, ParameterError
from ..seasonality import index_periods
from ..statsmodels_guard import statsmodels_guard
from ..validation import check_horizon, check_series
from ..windowing import origin_windows
from .ar_model import ARForecaster
from .transform import check_transform, forward, inverse


class MSTLForecaster(BaseForecaster):
    """Multi-seasonal decomposition (``statsmodels.tsa.seasonal.MSTL``) with an AR model of the remainder.

    Parameters
    ----------
    seasonal_periods : sequence of int or None
        Season lengths in steps, e.g. ``(24, 168)``. None: all periods of the
        training index's frequency (:func:`tsforecast.seasonality.seasonal_periods_for`;
        ``(24, 168)`` for hourly data); a series without timestamps then
        needs them given.
    transform : {None, "log", "log1p"}
        ``"log"``: decompose and model ``log y`` (needs y > 0), so the
        seasons act multiplicatively; forecasts are ``exp`` of the log-space
        forecasts. ``"log1p"``: ``log(1 + y)``, for counts with zeros (y >= 0).
    lags, max_lags : as for :class:`~tsforecast.models.ar_model.ARForecaster`
        AR model of the deseasonalised series.
    profile_cycles : int
        Each seasonal profile is the mean, by phase, of the last this many
        cycles of the MSTL component (as many as fit if the series is shorter).
    iterate : int
        MSTL's back-fitting iterations.
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    seasonal_periods_ : tuple of int
        Periods used.
    profiles_ : list of ndarray
        Seasonal profile per period, indexed by phase = steps since the
        training start modulo the period (in log units with ``transform="log"``).
    ar_ : ARForecaster
        The fitted AR model of the deseasonalised series.
    """

    def __init__(self, seasonal_periods=None, transform=None, lags="auto", max_lags=24, profile_cycles=4, iterate=2,
                 horizon=1):
        self.seasonal_periods, self.transform, self.lags, self.max_lags = seasonal_periods, transform, lags, max_lags
        self.profile_cycles, self.iterate, self.horizon = profile_cycles, iterate, horizon

    def _check_params(self):
        if self.seasonal_periods is not None:
            periods = self.seasonal_periods
            if not isinstance(periods, (list, tuple)) or not periods:
                raise ParameterError(f"seasonal_periods must be None or a list of integers >= 2, got {periods!r}.")
            for p in periods:
                check_int(p, "each seasonal period", minimum=2)
        check_transform(self.transform)
        self._ar_template()._check_params()
        check_int(self.profile_cycles, "profile_cycles")
        check_int(self.iterate, "iterate")
        check_int(self.horizon, "horizon")

    def _ar_template(self, n=None):
        """The remainder's AR model; with ``lags="auto"`` on ``n`` points, orders above ``(n - 2) // 3``
        are not tried (a short daily series cannot hold back 24 lags), so longer series are unaffected."""
        lags = check_lag_set(self.lags) if isinstance(self.lags, (list, tuple)) else self.lags
        max_lags = self.max_lags
        if lags == "auto":
            max_lags = 1 if n is None else max(1, min(self.max_lags, (n - 2) // 3))
        return ARForecaster(lags=lags, max_lags=max_lags)

    def _periods(self):
        if hasattr(self, "seasonal_periods_"):
            return self.seasonal_periods_
        return tuple(self.seasonal_periods) if self.seasonal_periods is not None else (2,)  # None: known in fit

    def _min_length(self):
        # statsmodels' MSTL drops periods of at least half the series
        return max(2 * max(self._periods()) + 1, self._ar_template()._min_length())

    def _fit(self, y, X):
        from statsmodels.tsa.seasonal import MSTL

        periods = tuple(sorted(int(p) for p in self.seasonal_periods)) if self.seasonal_periods is not None else (
            index_periods(self.y_.index))
        if not periods:
            raise ParameterError(
                "MSTLForecaster cannot infer seasonal periods from a series without a daily/weekly/yearly cycle in "
                "its index (a RangeIndex or array, or a yearly frequency); pass seasonal_periods, e.g. (24, 168)."
            )
        self.seasonal_periods_ = periods
        if len(y) < self._min_length():
            raise NotEnoughDataError(
                f"MSTLForecaster with seasonal_periods={periods} needs at least {self._min_length()} points, got "
                f"{len(y)}; use a longer series or shorter periods."
            )
        z = forward(y, self.transform)
        with statsmodels_guard("MSTLForecaster decomposition"):
            seasonal = np.asarray(MSTL(z, periods=periods, iterate=self.iterate).fit().seasonal, dtype=np.float64)
        seasonal = seasonal.reshape(len(z), -1)
        self.profiles_ = [self._profile(seasonal[:, k], p) for k, p in enumerate(periods)]
        deseasonalised = z - self._seasonal_at(np.arange(len(z)))
        self.ar_ = self._ar_template(len(deseasonalised)).fit(deseasonalised)
        self.context_length_ = self.ar_.context_length_

    def _profile(self, component, period):
        """Mean of the last ``profile_cycles`` cycles of ``component`` by phase (position modulo ``period``)."""
        n = len(component)
        cycles = min(self.profile_cycles, n // period)
        first = n - cycles * period
        mean = component[first:].reshape(cycles, period).mean(axis=0)
        profile = np.empty(period)
        profile[(first + np.arange(period)) % period] = mean
        return profile

    def _seasonal_at(self, steps):
        """Sum of the seasonal profiles at absolute steps (any shape)."""
        return sum(profile[steps % len(profile)] for profile in self.profiles_)

    def _steps_from_start(self, stamp) -> int:
        """Steps between the training start and ``stamp`` (an index value on the training grid)."""
        start = self.y_.index[0]
        if not isinstance(self.y_.index, pd.DatetimeIndex):
            return int(stamp) - int(start)
        freq = self.y_.index.freq
        try:
            n, rem = divmod(stamp - start, pd.Timedelta(freq))
        except (ValueError, TypeError):  # calendar steps (months, business days): count them
            lo, hi = sorted((start, stamp))
            grid = pd.date_range(lo, hi, freq=freq)
            n = (len(grid) - 1) * (1 if stamp >= start else -1)
            rem = pd.Timedelta(0) if len(grid) and grid[-1] == hi and grid[0] == lo else pd.Timedelta(1)
        if rem != pd.Timedelta(0):
            raise FrequencyError(
                f"the history's timestamps ({stamp}) are not on the training grid (start {start}, step "
                f"{self.y_.index.freqstr}); MSTLForecaster's seasonal phases need the same clock."
            )
        return int(n)

    def _forecast(self, Y, first_steps, horizon):
        """Forecasts (batch, horizon) from windows ``Y`` whose first points sit at ``first_steps`` after the start."""
        Z = forward(Y, self.transform, "the history")
        L = Y.shape[1]
        steps = np.asarray(first_steps, dtype=np.int64)[:, None]
        D = Z - self._seasonal_at(steps + np.arange(L))
        out = self.ar_._predict(D, None, None, horizon) + self._seasonal_at(steps + L + np.arange(horizon))
        return inverse(out, self.transform)

    def _prepare_origin(self, history, X, y_given, horizon):
        # MSTL has no exogenous inputs; the XH slot carries the step of the window's first point instead.
        Y, _, _, fut_idx = super()._prepare_origin(history, X, y_given, horizon)
        first = self._steps_from_start(history.index[len(history) - Y.shape[1]])
        return Y, np.array([first]), None, fut_idx

    def _predict(self, Y, XH, XF, horizon):
        return self._forecast(Y, XH, horizon)

    def predict_at(self, y, origins, horizon, X=None):
        """Forecast from many origins of ``y`` (continuing the training clock) in one batched AR pass.

        See :meth:`tsforecast.base.BaseForecaster.predict_at`.
        """
        check_is_fitted(self, "context_length_")
        if X is not None:
            raise ExogenousError("MSTLForecaster uses no exogenous inputs; drop X.")
        horizon = check_horizon(horizon)
        series = self._check_history(y)
        values = series.to_numpy()
        origins = np.asarray(origins, dtype=np.int64)
        L = self.context_length_
        if origins.size == 0 or origins.min() < L or origins.max() > len(values):
            raise InvalidInputError(f"origins must lie in [{L}, {len(values)}] so each has {L} points of history.")
        Y = origin_windows(values, L, origins)
        return self._forecast(Y, self._steps_from_start(series.index[0]) + origins - L, horizon)

    def _get_state(self):
        ar_meta, ar_arrays, _ = self.ar_._get_state()
        meta = {"seasonal_periods": list(self.seasonal_periods_), "ar": ar_meta,
                "ar_context_length": self.ar_.context_length_}
        arrays = {f"ar_{k}": v for k, v in ar_arrays.items()}
        arrays.update({f"profile_{k}": p for k, p in enumerate(self.profiles_)})
        return meta, arrays, []

    def _set_state(self, meta, arrays, networks):
        self.seasonal_periods_ = tuple(int(p) for p in meta["seasonal_periods"])
        self.profiles_ = [np.asarray(arrays[f"profile_{k}"]) for k in range(len(self.seasonal_periods_))]
        self.ar_ = self._ar_template()
        self.ar_._set_state(meta["ar"], {k[3:]: v for k, v in arrays.items() if k.startswith("ar_")}, [])
        self.ar_.context_length_, self.ar_.exog_columns_ = int(meta["ar_context_length"]), None

    @classmethod
    def _test_params(cls):
        return {"seasonal_periods": (6, 12), "lags": 2}
