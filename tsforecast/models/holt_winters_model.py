"""Holt-Winters exponential smoothing on statsmodels' state-space ETS model (``ETSModel``).

Smoothing parameters (and, with ``initialization_method="estimated"``, the
initial states) are estimated once, by maximum likelihood on the training
series divided by its mean absolute value: statsmodels' optimizer leaves
initial states of order 1e10 (bytes per hour) at their start values, so on
unscaled traffic data the "estimated" fit is not a maximum-likelihood fit at
all. The states are converted back to data units afterwards; with
``loss="trace"`` the smoothing parameters are then chosen again, on the
training part's multi-step errors. Forecasting from any other history reuses
them: one smoothing pass over the series with the fixed parameters, then every
origin's forecast is read off the smoothed states,
``yhat_{o+h} = (l_{o-1} + phi_h b_{o-1}) (+ or *) s_{o-1+h-m(k+1)}``, k = floor((h-1)/m).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import InvalidInputError, NotEnoughDataError, ParameterError
from ..seasonality import SEASON_LAGS, resolve_period
from ..statsmodels_guard import ConvergenceError, convergence_warned, statsmodels_guard
from .transform import check_transform, forward, inverse

# What each initialization_method tries, in order, until statsmodels reports convergence.
INIT_ATTEMPTS = {"auto": ("heuristic", "estimated"), "estimated": ("estimated", "heuristic"),
                 "heuristic": ("heuristic",)}


class HoltWintersForecaster(BaseForecaster):
    """Holt-Winters (additive or multiplicative season, optionally damped trend).

    Parameters
    ----------
    seasonal_periods : int, "season", "long_season" or None
        Season length m in steps (24 for hourly data with a daily cycle).
        None or ``"season"``: the first seasonal period of the training index's
        frequency (:func:`tsforecast.seasonality.seasonal_periods_for`; 24 for
        hourly, 7 for daily data); ``"long_season"``: the last (a week, 168, for
        hourly data); inside :func:`tsforecast.seasonality.use_periods`, those
        periods instead. Stored in ``seasonal_periods_``; a series without
        timestamps then needs it given.
    trend : {"add", None}
    seasonal : {"add", "mul", None}
        ``"mul"`` needs strictly positive data.
    damped_trend : bool
    error : {"add", "mul"}
        Error form of the ETS likelihood used to estimate the parameters
        (point forecasts from given states do not depend on it). ``"mul"``
        needs strictly positive data.
    initialization_method : {"auto", "heuristic", "estimated"}
        ``"heuristic"``: the initial level, trend and m seasonal states are
        computed from the first few seasons of the training series by
        statsmodels' moving-average decomposition heuristic (Hyndman &
        Athanasopoulos, *Forecasting: principles and practice*) and only the
        smoothing parameters are estimated (fast, even for m = 168; needs at
        least ``max(2 m, 10 + 2 (m // 2))`` points). ``"estimated"``: the
        initial states are estimated with the smoothing parameters (m + 2
        extra parameters; slow and often not converging for m >= 100); if it
        does not converge, the heuristic is used instead. ``"auto"``: the
        heuristic, then "estimated" if the heuristic fit did not converge (or
        the series is too short for it). A fit statsmodels reports as not
        converged is never kept: if no method converges,
        :class:`~tsforecast.statsmodels_guard.ConvergenceError` is raised.
        ``initialization_method_`` records the method used.
    maxiter : int
        Optimizer iterations.
    loss : {"likelihood", "trace"}
        How the smoothing parameters are chosen. ``"likelihood"``: maximum
        likelihood of the ETS model, i.e. one-step-ahead errors. ``"trace"``:
        the mean squared error of the forecasts at leads ``1..horizon`` from
        every origin of the training series (after its first two seasons), on
        the (transformed) values, with the initial states of the likelihood
        fit kept (the "trace" or "AMSE" criterion of Hyndman et al., 2008,
        ch. 5; ``ets(opt.crit="amse")`` in R's forecast). Choose it when the
        forecasts are read many steps ahead: a one-step fit of traffic often
        sets the level smoothing near 1 and the seasonal smoothing near 0,
        which are poor 24 steps out. With the default ``horizon=1`` both
        criteria look one step ahead.
    transform : {None, "log", "log1p"}
        ``"log"``: fit on ``log y`` (needs y > 0); forecasts are ``exp`` of
        the log-space forecasts. ``"log1p"``: ``log(1 + y)`` for counts with
        zeros (needs y >= 0); forecasts are ``expm1`` of them.
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    seasonal_periods_ : int or None
        Season length used (None without a seasonal component).
    initialization_method_ : {"heuristic", "estimated"}
        Initialization of the kept (converged) fit.
    params_ : ndarray
        Smoothing parameters and initial states (in model units: log units
        with ``transform="log"``) in the order of statsmodels'
        ``ETSModel(..., initialization_method="estimated").param_names``
        (``param_names_``), whatever ``initialization_method`` was used.
    results_ : statsmodels ETSResults
        The kept statsmodels fit, on the (transformed) training series divided
        by its mean absolute value (not kept by ``save``/``load_model``;
        forecasts use only ``params_``).
    """

    def __init__(self, seasonal_periods=None, trend="add", seasonal="add", damped_trend=False, error="add",
                 initialization_method="auto", maxiter=1000, loss="likelihood", transform=None, horizon=1):
        self.seasonal_periods, self.trend, self.seasonal = seasonal_periods, trend, seasonal
        self.damped_trend, self.error, self.initialization_method = damped_trend, error, initialization_method
        self.maxiter, self.loss, self.transform, self.horizon = maxiter, loss, transform, horizon

    def _check_params(self):
        check_choice(self.trend, ("add", None), "trend")
        check_choice(self.seasonal, ("add", "mul", None), "seasonal")
        check_choice(self.error, ("add", "mul"), "error")
        check_choice(self.initialization_method, tuple(INIT_ATTEMPTS), "initialization_method")
        if self.seasonal is not None and self.seasonal_periods is not None and self.seasonal_periods not in SEASON_LAGS:
            check_int(self.seasonal_periods, "seasonal_periods", minimum=2)
        if not isinstance(self.damped_trend, (bool, np.bool_)):
            raise ParameterError(f"damped_trend must be True or False, got {self.damped_trend!r}.")
        if self.damped_trend and self.trend is None:
            raise ParameterError("damped_trend=True needs trend='add'.")
        check_int(self.maxiter, "maxiter")
        check_choice(self.loss, ("likelihood", "trace"), "loss")
        check_transform(self.transform)
        check_int(self.horizon, "horizon")

    def _period(self):
        """Season length: fitted, given, or (before fit, frequency unknown) the shortest possible, 2."""
        if hasattr(self, "seasonal_periods_"):
            return self.seasonal_periods_
        return 2 if self.seasonal_periods is None or self.seasonal_periods in SEASON_LAGS else self.seasonal_periods

    def _method_min_length(self, method, m):
        if self.seasonal is None:
            return 10 if method == "heuristic" else (3 if self.trend else 2)
        if method == "heuristic":  # statsmodels' decomposition needs 10 deseasonalised points
            return max(2 * m, 10 + 2 * (m // 2))
        return 2 * m  # statsmodels' start values need two full seasons

    def _min_length(self):
        m = self._period()
        return min(self._method_min_length(method, m) for method in INIT_ATTEMPTS[self.initialization_method])

    def _model(self, y, initialization_method="estimated", smoothing=False):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        if smoothing and (self.seasonal == "mul" or self.error == "mul") and np.all(y >= 0):
            # Fitted parameters smooth a history with zeros well: a zero is a relative error of -1. Only the
            # likelihood needs y > 0, and ETSModel checks for it on construction, so zeros become the smallest
            # float (the same recursion to 1e-308). A cell that falls silent in the test part is forecast.
            y = np.where(y == 0, np.finfo(np.float64).tiny, y)
        if (self.seasonal == "mul" or self.error == "mul") and not np.all(y > 0):
            where = " after the log transform (so y must exceed 1)" if self.transform == "log" else ""
            raise InvalidInputError(
                f"multiplicative seasonality or errors need strictly positive data{where}; use seasonal='add' and "
                f"error='add', or shift the series."
            )
        return ETSModel(y, error=self.error, trend=self.trend, damped_trend=self.damped_trend,
                        seasonal=self.seasonal, seasonal_periods=self._period() if self.seasonal else None,
                        initialization_method=initialization_method)

    def _fit(self, y, X):
        self.seasonal_periods_ = None
        if self.seasonal is not None:
            self.seasonal_periods_ = resolve_period(self.seasonal_periods, self.y_.index, "seasonal_periods",
                                                    "HoltWintersForecaster")
        need = self._min_length()
        if len(y) < need:
            raise NotEnoughDataError(
                f"HoltWintersForecaster with seasonal_periods={self.seasonal_periods_} needs at least {need} points, "
                f"got {len(y)}; use a longer series or a shorter season."
            )
        z = forward(y, self.transform)
        scale = float(np.mean(np.abs(z))) or 1.0
        fit, method = self._converged_fit(z / scale)
        params = np.asarray(fit.params, dtype=np.float64)
        if method != "estimated":
            params = np.concatenate([params, self._initial_states(fit)])
        k = len(params) - len(fit.initial_state)  # smoothing parameters (and damping) come first
        states = params[k:]  # level (, trend), seasonal: all in data units / scale except mul seasonal factors
        n_scaled = len(states) if self.seasonal != "mul" else 1 + int(self.trend is not None)
        states[:n_scaled] *= scale
        if self.loss == "trace":
            params[:k] = self._trace_smoothing(z, params, k)
        self.params_, self.initialization_method_, self.results_ = params, method, fit
        with statsmodels_guard("HoltWintersForecaster fit"):
            self.param_names_ = list(self._model(z).param_names)
        self.context_length_ = None

    def _smoothing_from_unit(self, u):
        """Smoothing parameters (statsmodels' order) from a point of the unit cube, inside the usual
        region: 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98."""
        alpha, i, out = u[0], 1, [u[0]]
        if self.trend is not None:
            out.append(u[i] * alpha)
            i += 1
        if self.seasonal is not None:
            out.append(u[i] * (1.0 - alpha))
            i += 1
        if self.damped_trend:
            out.append(0.8 + 0.18 * u[i])
        return np.array(out)

    def _trace_smoothing(self, z, params, k):
        """Smoothing parameters minimising the mean squared 1..horizon-step error over the training origins."""
        from scipy.optimize import minimize

        m = self._period() if self.seasonal is not None else 1
        h = self.horizon
        first = min(2 * m, len(z) - h)
        if first < max(m, 1):
            raise NotEnoughDataError(
                f"HoltWintersForecaster(loss='trace') needs at least {max(m, 1) + h} points to score {h}-step "
                f"forecasts, got {len(z)}; use loss='likelihood', a shorter horizon or a longer series."
            )
        origins = np.arange(first, len(z) - h + 1)
        targets = z[origins[:, None] + np.arange(h)]
        trial = params.copy()

        def cost(u):
            trial[:k] = self._smoothing_from_unit(np.clip(u, 1e-4, 1 - 1e-4))
            err = self._origin_forecasts(z, trial, origins, h) - targets
            value = float(np.mean(err * err))
            return value if np.isfinite(value) else 1e300

        starts = [np.full(k, f) for f in (0.05, 0.5)] + [np.r_[0.05, np.full(k - 1, 0.9)]]
        best = min((minimize(cost, u0, method="L-BFGS-B", bounds=[(1e-4, 1 - 1e-4)] * k) for u0 in starts),
                   key=lambda r: r.fun)
        return self._smoothing_from_unit(np.clip(best.x, 1e-4, 1 - 1e-4))

    def _converged_fit(self, z):
        """The first fit, in ``INIT_ATTEMPTS`` order, that statsmodels reports as converged, and its method."""
        tried = []
        for method in INIT_ATTEMPTS[self.initialization_method]:
            if len(z) < self._method_min_length(method, self._period()):
                continue
            with statsmodels_guard("HoltWintersForecaster fit"), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fit = self._model(z, method).fit(disp=False, maxiter=self.maxiter)
            if fit.mle_retvals.get("converged", True) and not convergence_warned(caught):
                return fit, method
            tried.append(method)
        raise ConvergenceError(
            f"HoltWintersForecaster: the statsmodels fit did not converge with initialization {tried} "
            f"(maxiter={self.maxiter}). Try initialization_method='heuristic' (or 'auto'), a larger maxiter, "
            f"transform='log' or seasonal='add', fewer components (trend=None, damped_trend=False), or a longer series."
        )

    def _initial_states(self, fit):
        """Heuristic initial states of ``fit`` in the "estimated" parameter layout."""
        k = 1 + int(self.trend is not None)
        # ETSResults.initial_state lists the seasonal states newest first, the parameters oldest first (GH 7893)
        return np.concatenate([fit.initial_state[:k], fit.initial_state[k:][::-1]])

    def _forecast_origins(self, values, origins, horizon):
        """Smooth ``values`` once with the fitted parameters; forecasts (n_origins, horizon)."""
        values = forward(values, self.transform, "the history")
        return inverse(self._origin_forecasts(values, self.params_, origins, horizon), self.transform)

    def _origin_forecasts(self, values, params, origins, horizon):
        """Forecasts (n_origins, horizon) of transformed ``values`` smoothed once with ``params``."""
        with statsmodels_guard("HoltWintersForecaster smoothing"):
            # return_raw: a results object would compute a numerical Hessian (seconds for m = 168)
            _, states = self._model(values, smoothing=True).smooth(params, return_raw=True)
        S = np.asarray(states, dtype=np.float64)  # row t: states after observing y_t
        last = origins - 1
        hs = np.arange(1, horizon + 1)
        out = np.repeat(S[last, :1], horizon, axis=1)
        if self.trend is not None:
            phi = params[2 + int(self.seasonal is not None)] if self.damped_trend else 1.0
            out = out + S[last, 1:2] * np.cumsum(phi ** hs)[None]
        if self.seasonal is not None:
            m = self.seasonal_periods_
            # The season for step h was last updated at o-1+h-m(k+1) >= o-m >= 0 (origins >= 2m).
            s = S[last[:, None] + hs - m * ((hs - 1) // m + 1), -1]
            out = out + s if self.seasonal == "add" else out * s
        return out

    def _predict(self, Y, XH, XF, horizon):
        return self._forecast_origins(Y[0], np.array([Y.shape[1]]), horizon)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        return self._forecast_origins(values, origins, horizon)

    def _get_state(self):
        meta = {"param_names": self.param_names_, "seasonal_periods": self.seasonal_periods_,
                "initialization_method": self.initialization_method_}
        return meta, {"params": self.params_}, []

    def _set_state(self, meta, arrays, networks):
        self.params_, self.param_names_ = arrays["params"], list(meta["param_names"])
        self.seasonal_periods_ = meta.get("seasonal_periods", self.seasonal_periods)
        self.initialization_method_ = meta.get("initialization_method", self.initialization_method)

    @classmethod
    def _test_params(cls):
        return {"seasonal_periods": 4, "trend": "add", "seasonal": "add"}
