"""Holt-Winters exponential smoothing on statsmodels' state-space ETS model (``ETSModel``).

Smoothing parameters (and, with ``initialization_method="estimated"``, the
initial states) are estimated once, by maximum likelihood on the training
series divided by its mean absolute value: statsmodels' optimizer leaves
initial states of order 1e10 (bytes per hour) at their start values, so on
unscaled traffic data the "estimated" fit is not a maximum-likelihood fit at
all. The states are converted back to data units afterwards. Forecasting from any other history reuses
them: one smoothing pass over the series with the fixed parameters, then every
origin's forecast is read off the smoothed states,
``yhat_{o+h} = (l_{o-1} + phi_h b_{o-1}) (+ or *) s_{o-1+h-m(k+1)}``, k = floor((h-1)/m).
"""

from __future__ import annotations

import numpy as np

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import InvalidInputError, ParameterError
from .ar_model import statsmodels_guard


class HoltWintersForecaster(BaseForecaster):
    """Holt-Winters (additive or multiplicative season, optionally damped trend).

    Parameters
    ----------
    seasonal_periods : int or None
        Season length m in steps (24 for hourly data with a daily cycle).
        Required when ``seasonal`` is set.
    trend : {"add", None}
    seasonal : {"add", "mul", None}
        ``"mul"`` needs strictly positive data.
    damped_trend : bool
    error : {"add", "mul"}
        Error form of the ETS likelihood used to estimate the parameters
        (point forecasts from given states do not depend on it). ``"mul"``
        needs strictly positive data.
    initialization_method : {"estimated", "heuristic"}
        ``"estimated"``: initial level, trend and the m seasonal states are
        estimated with the smoothing parameters (m + 2 extra parameters; slow
        for m = 288). ``"heuristic"``: they are computed from the first few
        seasons of the training series by statsmodels' moving-average
        decomposition heuristic (Hyndman & Athanasopoulos, *Forecasting:
        principles and practice*) and only the smoothing parameters are
        estimated. Needs at least ``max(2 m, 10 + 2 (m // 2))`` points.
    maxiter : int
        Optimizer iterations.
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    params_ : ndarray
        Smoothing parameters and initial states (in data units) in the order of
        statsmodels' ``ETSModel(..., initialization_method="estimated").param_names``
        (``param_names_``), whatever ``initialization_method`` was used.
    results_ : statsmodels ETSResults
        A smoothing run of the training series with ``params_`` (its
        ``forecast``/``fittedvalues`` are in data units).
    """

    def __init__(self, seasonal_periods=None, trend="add", seasonal="add", damped_trend=False, error="add",
                 initialization_method="estimated", maxiter=1000, horizon=1):
        self.seasonal_periods, self.trend, self.seasonal = seasonal_periods, trend, seasonal
        self.damped_trend, self.error, self.initialization_method = damped_trend, error, initialization_method
        self.maxiter, self.horizon = maxiter, horizon

    def _check_params(self):
        check_choice(self.trend, ("add", None), "trend")
        check_choice(self.seasonal, ("add", "mul", None), "seasonal")
        check_choice(self.error, ("add", "mul"), "error")
        check_choice(self.initialization_method, ("estimated", "heuristic"), "initialization_method")
        if self.seasonal is not None:
            if self.seasonal_periods is None:
                raise ParameterError(f"seasonal={self.seasonal!r} needs seasonal_periods (the season length in steps).")
            check_int(self.seasonal_periods, "seasonal_periods", minimum=2)
        if not isinstance(self.damped_trend, (bool, np.bool_)):
            raise ParameterError(f"damped_trend must be True or False, got {self.damped_trend!r}.")
        if self.damped_trend and self.trend is None:
            raise ParameterError("damped_trend=True needs trend='add'.")
        check_int(self.maxiter, "maxiter")
        check_int(self.horizon, "horizon")

    def _min_length(self):
        if self.initialization_method == "heuristic":  # statsmodels' decomposition needs 10 deseasonalised points
            return max(2 * self.seasonal_periods, 10 + 2 * (self.seasonal_periods // 2)) if self.seasonal else 10
        if self.seasonal is not None:
            return 2 * self.seasonal_periods  # statsmodels' start values need two full seasons
        return 3 if self.trend else 2

    def _model(self, y, initialization_method="estimated"):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        if (self.seasonal == "mul" or self.error == "mul") and not np.all(y > 0):
            raise InvalidInputError(
                "multiplicative seasonality or errors need strictly positive data; use seasonal='add' and "
                "error='add', or shift the series."
            )
        return ETSModel(y, error=self.error, trend=self.trend, damped_trend=self.damped_trend,
                        seasonal=self.seasonal, seasonal_periods=self.seasonal_periods if self.seasonal else None,
                        initialization_method=initialization_method)

    def _fit(self, y, X):
        scale = float(np.mean(np.abs(y))) or 1.0
        with statsmodels_guard("HoltWintersForecaster fit"):
            fit = self._model(y / scale, self.initialization_method).fit(disp=False, maxiter=self.maxiter)
            params = np.asarray(fit.params, dtype=np.float64)
            if self.initialization_method != "estimated":
                params = np.concatenate([params, self._initial_states(fit)])
            k = len(params) - len(fit.initial_state)  # smoothing parameters (and damping) come first
            states = params[k:]  # level (, trend), seasonal: all in data units / scale except mul seasonal factors
            n_scaled = len(states) if self.seasonal != "mul" else 1 + int(self.trend is not None)
            states[:n_scaled] *= scale
            self.params_ = params
            self.results_ = self._model(y).smooth(self.params_)
        self.param_names_ = list(self.results_.model.param_names)
        self.context_length_ = None

    def _initial_states(self, fit):
        """Heuristic initial states of ``fit`` in the "estimated" parameter layout."""
        k = 1 + int(self.trend is not None)
        # ETSResults.initial_state lists the seasonal states newest first, the parameters oldest first (GH 7893)
        return np.concatenate([fit.initial_state[:k], fit.initial_state[k:][::-1]])

    def _forecast_origins(self, values, origins, horizon):
        """Smooth ``values`` once with the fitted parameters; forecasts (n_origins, horizon)."""
        with statsmodels_guard("HoltWintersForecaster smoothing"):
            res = self._model(values).smooth(self.params_)
        S = np.asarray(res.states, dtype=np.float64)  # row t: states after observing y_t
        last = origins - 1
        hs = np.arange(1, horizon + 1)
        out = np.repeat(S[last, :1], horizon, axis=1)
        if self.trend is not None:
            names = self.param_names_
            phi = self.params_[names.index("damping_trend")] if self.damped_trend else 1.0
            out = out + S[last, 1:2] * np.cumsum(phi ** hs)[None]
        if self.seasonal is not None:
            m = self.seasonal_periods
            # The season for step h was last updated at o-1+h-m(k+1) >= o-m >= 0 (origins >= 2m).
            s = S[last[:, None] + hs - m * ((hs - 1) // m + 1), -1]
            out = out + s if self.seasonal == "add" else out * s
        return out

    def _predict(self, Y, XH, XF, horizon):
        return self._forecast_origins(Y[0], np.array([Y.shape[1]]), horizon)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        return self._forecast_origins(values, origins, horizon)

    def _get_state(self):
        return {"param_names": self.param_names_}, {"params": self.params_}, []

    def _set_state(self, meta, arrays, networks):
        self.params_, self.param_names_ = arrays["params"], list(meta["param_names"])
        with statsmodels_guard("HoltWintersForecaster load"):
            self.results_ = self._model(self.y_.to_numpy()).smooth(self.params_)

    @classmethod
    def _test_params(cls):
        return {"seasonal_periods": 4, "trend": "add", "seasonal": "add"}
