"""(Seasonal) ARIMA on statsmodels ``SARIMAX``: the classical comparator of the neural forecasters.

Parameters are estimated once, by maximum likelihood on the training series.
Forecasting from any other history reuses them: the Kalman filter runs once
over the series with the fitted parameters (no refit), and the forecast from
every origin is read off the one-step predicted states,
``E[y_{o+j}] = Z T^j a_{o|o-1} + Z (I + T + ... + T^{j-1}) c + d_{o+j}``.
"""

from __future__ import annotations

import numpy as np

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import NotEnoughDataError, ParameterError
from ..seasonality import SEASON_LAGS, resolve_period
from ..statsmodels_guard import statsmodels_guard
from .transform import check_transform, forward, inverse


def _is_count(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 0


def _check_order(value, name, size, last_may_be_none=False):
    ok = isinstance(value, (tuple, list)) and len(value) == size and all(
        _is_count(v) or (last_may_be_none and i == size - 1 and (v is None or v in SEASON_LAGS))
        for i, v in enumerate(value)
    )
    if not ok:
        extra = (" (the last may be None or \"season\"/\"long_season\": a season length of the data's frequency)"
                 if last_may_be_none else "")
        raise ParameterError(f"{name} must be a tuple of {size} non-negative integers{extra}, got {value!r}.")
    return tuple(v if v is None or isinstance(v, str) else int(v) for v in value)


class ARIMAForecaster(BaseForecaster):
    """SARIMA(p, d, q)(P, D, Q, s) with optional regression on exogenous inputs (``SARIMAX``).

    Parameters
    ----------
    order : tuple (p, d, q)
    seasonal_order : tuple (P, D, Q, s)
        ``(0, 0, 0, 0)`` for none; ``s`` is the season length in steps, or
        None (or ``"season"``) for the first seasonal period of the training
        index's frequency (:func:`tsforecast.seasonality.seasonal_periods_for`:
        24 for hourly data), ``"long_season"`` for the last (168), stored in
        ``seasonal_order_``.
    trend : {None, "n", "c"}
        ``"c"`` adds a constant (a drift when d = 1). Time trends are not
        offered because their forecasts would depend on where a new history
        starts.
    enforce_stationarity, enforce_invertibility : bool
        Passed to ``SARIMAX``.
    simple_differencing : bool
        Passed to ``SARIMAX``: difference the series, ``(1 - B)^d (1 - B^s)^D y``,
        before the model sees it, and fit an ARMA to the differences
        (conditional on the first ``d + s D`` points) instead of keeping the
        differencing inside the state. Forecasts are integrated back. The state
        then has ``max(p + s P, q + s Q + 1)`` entries instead of ``d + s D``
        more: seasonal differencing of 5-minute data (s = 288) fits in seconds
        rather than tens of minutes.
    maxiter : int
        Optimizer iterations of the maximum-likelihood fit.
    transform : {None, "log", "log1p"}
        ``"log"``: fit on ``log y`` (needs y > 0); forecasts are ``exp`` of
        the log-space forecasts. ``"log1p"``: ``log(1 + y)`` for counts with
        zeros (needs y >= 0); forecasts are ``expm1`` of them.
    horizon : int
        Default number of steps for ``predict``.

    Notes
    -----
    With ``X`` the model is a regression with SARIMA errors,
    ``y_t = x_t' beta + u_t``: it uses the *current* ``x_t``, so ``X`` must be
    known for every forecast step (calendar effects, planned events), and
    ``predict`` needs ``X`` for the ``horizon`` steps after the origin.

    Attributes
    ----------
    seasonal_order_ : tuple (P, D, Q, s)
        ``seasonal_order`` with ``s`` resolved.
    params_ : ndarray
        Fitted parameters in statsmodels' order (``param_names_``).
    results_ : statsmodels SARIMAXResults
        The maximum-likelihood fit (after ``load_model``: a filter run with the
        stored parameters).
    """

    _tags = {"exog": True}

    def __init__(self, order=(1, 0, 0), seasonal_order=(0, 0, 0, 0), trend=None, enforce_stationarity=True,
                 enforce_invertibility=True, simple_differencing=False, maxiter=50, transform=None, horizon=1):
        self.order, self.seasonal_order, self.trend = order, seasonal_order, trend
        self.enforce_stationarity, self.enforce_invertibility = enforce_stationarity, enforce_invertibility
        self.simple_differencing = simple_differencing
        self.maxiter, self.transform, self.horizon = maxiter, transform, horizon

    def _check_params(self):
        _check_order(self.order, "order", 3)
        P, D, Q, s = _check_order(self.seasonal_order, "seasonal_order", 4, last_may_be_none=True)
        if (P or D or Q) and isinstance(s, int) and s < 2:
            raise ParameterError(f"seasonal_order has seasonal terms but season length s={s}; set s >= 2.")
        check_choice(self.trend, (None, "n", "c"), "trend")
        check_transform(self.transform)
        if not isinstance(self.simple_differencing, (bool, np.bool_)):
            raise ParameterError(f"simple_differencing must be True or False, got {self.simple_differencing!r}.")
        check_int(self.maxiter, "maxiter")
        check_int(self.horizon, "horizon")

    def _seasonal_order(self):
        """``seasonal_order`` with s resolved from the training frequency (fitted value once fitted)."""
        if hasattr(self, "seasonal_order_"):
            return self.seasonal_order_
        P, D, Q, s = self.seasonal_order
        if (s is None or s in SEASON_LAGS) and not (P or D or Q):
            s = 0
        elif s is None or s in SEASON_LAGS:
            y = getattr(self, "y_", None)
            s = resolve_period(s, None if y is None else y.index, "seasonal_order's s", "ARIMAForecaster")
        return (int(P), int(D), int(Q), int(s))

    def _min_length(self, seasonal_order=None):
        p, d, q = self.order
        if seasonal_order is None:
            seasonal_order = getattr(self, "seasonal_order_", self.seasonal_order)
        P, D, Q, s = seasonal_order
        if s is None or s in SEASON_LAGS:  # resolved from the frequency in fit, which checks the length again
            s = 2 if (P or D or Q) else 0
        n_params = p + q + P + Q + (self.trend == "c") + 1
        return d + D * s + max(p + P * s, q + Q * s, 1) + n_params + 1

    def _future_exog_steps(self, horizon):
        return horizon if getattr(self, "exog_columns_", None) is not None else 0

    def _model(self, y, X):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        return SARIMAX(y, exog=X, order=tuple(self.order), seasonal_order=self._seasonal_order(),
                       trend=self.trend, enforce_stationarity=self.enforce_stationarity,
                       enforce_invertibility=self.enforce_invertibility,
                       simple_differencing=bool(self.simple_differencing))

    def _difference_polynomial(self):
        """Coefficients of ``(1 - B)^d (1 - B^s)^D`` in powers of B when the model differences the data
        itself (``simple_differencing``), else ``[1]``."""
        poly = np.array([1.0])
        if self.simple_differencing:
            P, D, Q, s = self.seasonal_order_
            for _ in range(self.order[1]):
                poly = np.convolve(poly, [1.0, -1.0])
            for _ in range(D):
                poly = np.convolve(poly, np.r_[1.0, np.zeros(s - 1), -1.0])
        return poly

    def _fit(self, y, X):
        self.seasonal_order_ = self._seasonal_order()
        self._check_seasonal_length(len(y))
        y = forward(y, self.transform)
        with statsmodels_guard("ARIMAForecaster fit"):
            self.results_ = self._model(y, X).fit(disp=False, maxiter=self.maxiter)
        self.params_ = np.asarray(self.results_.params, dtype=np.float64)
        self.param_names_ = list(self.results_.model.param_names)
        self.context_length_ = None

    def _forecast_origins(self, values, Xv, origins, horizon):
        """Filter ``values`` once with the fitted parameters; forecasts (n_origins, horizon).

        ``Xv`` covers ``values`` and, for exogenous models, at least ``origins.max() + horizon`` rows.
        """
        n = len(values)
        poly = self._difference_polynomial()
        k0 = len(poly) - 1  # rows lost to differencing the data before the model (simple_differencing)
        with statsmodels_guard("ARIMAForecaster filter"):
            model = self._model(values, None if Xv is None else Xv[:n])
            res = model.filter(self.params_, cov_type="none")  # no standard errors: only the states are needed
        ssm = model.ssm
        Z, T = ssm["design"], ssm["transition"]
        if Z.ndim == 3 or T.ndim == 3:  # SARIMAX keeps them time-invariant; guard against a future change
            raise NotImplementedError("time-varying SARIMAX system matrices are not supported")
        c = ssm["state_intercept"]
        c = c.reshape(len(c), -1)[:, :1]  # constant over time for trend in (None, "n", "c")
        A = res.predicted_state[:, origins - k0]  # a_{o|o-1} of the modelled (differenced) series: y[:o] only
        d = np.zeros((len(origins), horizon))
        if Xv is not None:
            beta = self.params_[model.k_trend : model.k_trend + model.k_exog]
            Xd = sum(poly[k] * Xv[k0 - k : len(Xv) - k] for k in range(k0 + 1))  # exog differenced like y
            d = (Xd @ beta)[origins[:, None] - k0 + np.arange(horizon)]
        out = np.empty((len(origins), horizon))
        for j in range(horizon):
            out[:, j] = (Z @ A)[0] + d[:, j]
            A = T @ A + c
        if k0 == 0:
            return out
        # Integrate: y_t = w_t - sum_{k>=1} poly_k y_{t-k}, with forecasts standing in for unseen y.
        Y = np.empty((len(origins), k0 + horizon))
        Y[:, :k0] = values[origins[:, None] - k0 + np.arange(k0)]
        for j in range(horizon):
            Y[:, k0 + j] = out[:, j] - Y[:, j : k0 + j] @ poly[:0:-1]
        return Y[:, k0:]

    def _check_seasonal_length(self, n):
        """The season from the frequency may need more data than the base's check (before fit) assumed."""
        need = self._min_length(self.seasonal_order_)
        if n < need:
            raise NotEnoughDataError(
                f"ARIMAForecaster with seasonal_order {self.seasonal_order_} needs at least {need} points, got {n}; "
                f"use a longer series or a shorter season."
            )

    def _predict(self, Y, XH, XF, horizon):
        Xv = None if XH is None else (XH[0] if XF is None else np.concatenate([XH[0], XF[0]]))
        return self._predict_origins(Y[0], Xv, np.array([Y.shape[1]]), None, horizon)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        values = forward(values, self.transform, "the history")
        return inverse(self._forecast_origins(values, Xv, origins, horizon), self.transform)

    def _get_state(self):
        meta = {"param_names": self.param_names_, "seasonal_order": list(self.seasonal_order_)}
        return meta, {"params": self.params_}, []

    def _set_state(self, meta, arrays, networks):
        self.params_, self.param_names_ = arrays["params"], list(meta["param_names"])
        self.seasonal_order_ = tuple(int(v) for v in meta.get("seasonal_order", self.seasonal_order))
        X = None if self.X_ is None else self.X_.to_numpy()
        with statsmodels_guard("ARIMAForecaster load"):
            self.results_ = self._model(forward(self.y_.to_numpy(), self.transform), X).filter(self.params_)

    @classmethod
    def _test_params(cls):
        return {"order": (1, 0, 0), "trend": "c"}
