"""Linear autoregression (AR / ARX) on statsmodels ``AutoReg``, with order selection by AIC/BIC.

The fitted model is a fixed-length linear filter, so forecasting needs only
the last ``context_length_`` points and runs for a whole batch of origins as
one matrix product per step ahead. Many series are fitted at once by
:func:`tsforecast.models.ar_batch.fit_many` (one batched least-squares solve).
"""

from __future__ import annotations

from contextvars import ContextVar

import numpy as np

from ..base import BaseForecaster, check_calendar_param, check_choice, check_int, check_lag_set
from ..exceptions import NotEnoughDataError, ParameterError
from ..seasonality import LAG_SETS, SEASON_LAGS, lag_set
from ..statsmodels_guard import FitWarning, statsmodels_guard  # noqa: F401  (FitWarning re-exported: old import path)
from .transform import check_transform, forward, inverse


# Set by tsforecast.models.ar_batch.fit_many: a list that collects (model, model-space y, lags) of fits whose
# least-squares solve is done later for many series at once, instead of one statsmodels fit each.
DEFERRED_SOLVES: ContextVar = ContextVar("tsforecast_ar_deferred_solves", default=None)


def ar_recursion(Y: np.ndarray, coef: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Recursive AR forecasts from the histories ``Y`` (batch, >= p), in model space.

    ``coef`` holds phi_1 .. phi_p, shared (p,) or one row per history (batch, p); ``known`` (batch, horizon)
    is the part of each forecast that does not depend on y (intercept, exogenous terms).
    """
    horizon, p = known.shape[1], coef.shape[-1]
    out = np.empty((len(Y), horizon))
    # Newest-first lag buffer: column i holds y_{t-1-i}.
    buf = Y[:, Y.shape[1] - p :][:, ::-1].astype(np.float64)
    for j in range(horizon):
        out[:, j] = known[:, j] + (buf @ coef if coef.ndim == 1 else np.einsum("bp,bp->b", buf, coef))
        if p:
            buf = np.column_stack([out[:, j], buf[:, :-1]])
    return out


def lagged_exog(X: np.ndarray, taps) -> np.ndarray:
    """Columns ``x_{t-l}`` for each tap ``l`` (tap-major); rows without that history are zero (held back in the fit)."""
    n, k = X.shape
    out = np.zeros((n, len(taps) * k))
    for i, lag in enumerate(taps):
        out[lag:, i * k : (i + 1) * k] = X[: n - lag]
    return out


class ARForecaster(BaseForecaster):
    """Autoregression y_t = c + sum_i phi_i y_{t-i} [+ sum_l beta_l x_{t-l}] + e_t, fitted by OLS (``AutoReg``).

    Parameters
    ----------
    lags : "auto", "season", "long_season", "seasonal_pairs", int or sequence of int
        Order p (lags 1..p); ``"season"``/``"long_season"``: p = the shortest / longest season of the
        training index's frequency (see :func:`tsforecast.seasonality.season_lags`); ``"seasonal_pairs"``:
        the last day's lags and those a day either side of a week (:func:`tsforecast.seasonality.lag_set`);
        or an explicit set of lags such as ``[1, 2, 3, 24, 168]`` (the other coefficients are zero). ``"auto"``
        picks p in 0..``max_lags`` by ``ic`` with
        ``statsmodels.tsa.ar_model.ar_select_order`` on the training series
        only (every candidate is scored on the same rows, after ``max_lags``).
    max_lags : int
        Largest order tried when ``lags="auto"``.
    ic : {"aic", "bic"}
        Information criterion for ``lags="auto"``.
    trend : {"c", "n"}
        Constant or no deterministic term. (Time trends are not offered: their
        forecasts would depend on where a new history starts; difference the
        series or use :class:`~tsforecast.models.arima_model.ARIMAForecaster`.)
    exog_lags : int
        With ``X``: the model uses ``x_{t-1} .. x_{t-exog_lags}`` (an ARX
        model). Past values only, so a one-step forecast needs no future
        ``X``; forecasting h steps needs ``X`` for the h-1 steps after the
        origin (the model does not forecast ``X``).
    known_future : bool
        Also use the current ``x_t`` (for inputs known in advance, such as
        calendar effects); then ``predict`` needs ``X`` for every forecast step.
    calendar : tuple of str, optional
        Calendar inputs computed from the timestamps, e.g. ``("hour", "dayofweek")``
        (sine/cosine pairs, see :func:`tsforecast.calendar.calendar_features`), used as
        known-future regressors; the user passes nothing for them. Any ``X`` given too is
        then treated as known-future.
    transform : {None, "log", "log1p"}
        ``"log"``: fit on ``log y`` (needs y > 0); forecasts are ``exp`` of
        the log-space forecasts. ``"log1p"``: ``log(1 + y)`` for counts with
        zeros (needs y >= 0); forecasts are ``expm1`` of them.
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    order_ : int
        Largest lag p (the selected or given order).
    lags_ : list of int
        Lags with a fitted coefficient.
    coef_ : ndarray of shape (p,)
        phi_1 .. phi_p (zero for lags not in ``lags_``).
    intercept_ : float
        c (0 for ``trend="n"``).
    exog_coef_ : ndarray of shape (n_taps, n_exog) or None
        beta per exogenous tap (row 0 is ``x_t`` when ``known_future``, then
        ``x_{t-1}``, ...).
    results_ : statsmodels AutoRegResults
        The fit (not kept by ``save``/``load_model``; forecasts use only the
        coefficients). Models fitted by :func:`~tsforecast.models.ar_batch.fit_many`
        build it from the training series on first access.
    """

    _tags = {"exog": True}

    def __init__(self, lags="auto", max_lags=24, ic="aic", trend="c", exog_lags=1, known_future=False, calendar=None,
                 transform=None, horizon=1):
        self.lags, self.max_lags, self.ic, self.trend = lags, max_lags, ic, trend
        self.exog_lags, self.known_future, self.transform, self.horizon = exog_lags, known_future, transform, horizon
        self.calendar = calendar

    def _check_params(self):
        if isinstance(self.lags, (list, tuple)):
            check_lag_set(self.lags)
        elif isinstance(self.lags, str):
            if self.lags != "auto" and self.lags not in SEASON_LAGS + LAG_SETS:
                raise ParameterError(f"lags must be 'auto', one of {SEASON_LAGS + LAG_SETS}, an integer or a list of "
                                     f"lags, got {self.lags!r}.")
        else:
            check_int(self.lags, "lags", minimum=0)
        check_transform(self.transform)
        check_int(self.max_lags, "max_lags")
        check_choice(self.ic, ("aic", "bic"), "ic")
        check_choice(self.trend, ("c", "n"), "trend")
        check_int(self.exog_lags, "exog_lags")
        check_int(self.horizon, "horizon")
        if not isinstance(self.known_future, (bool, np.bool_)):
            raise ParameterError(f"known_future must be True or False, got {self.known_future!r}.")
        check_calendar_param(self.calendar)

    def _lag_list(self):
        """The lags to fit (None for "auto")."""
        if isinstance(self.lags, str):
            if self.lags == "auto":
                return None
            y = getattr(self, "y_", None)  # a season's lags are known once the training index is;
            if y is None:                  # before that, length checks assume the fewest (fit checks again)
                return [1]
            return lag_set(self.lags, y.index, len(y))
        if isinstance(self.lags, (list, tuple)):
            return sorted(int(v) for v in self.lags)
        return list(range(1, int(self.lags) + 1))

    def _max_order(self):
        lags = self._lag_list()
        return self.max_lags if lags is None else max(lags, default=0)

    def _n_lag_coef(self):
        lags = self._lag_list()
        return self.max_lags if lags is None else len(lags)

    def _min_length(self):
        # p held-back rows + more rows than coefficients
        return self._max_order() + self._n_lag_coef() + (self.trend == "c") + 1

    def _taps(self):
        return ([0] if self._known_future() else []) + list(range(1, self.exog_lags + 1))

    def _fit(self, y, X):
        E = None if X is None else lagged_exog(X, self._taps())
        q = 0 if X is None else self.exog_lags
        y = forward(y, self.transform)
        n_coef = self._n_lag_coef() + (self.trend == "c") + (0 if E is None else E.shape[1])
        if len(y) - max(self._max_order(), q) <= n_coef:
            raise NotEnoughDataError(
                f"ARForecaster with {n_coef} coefficients needs more than {max(self._max_order(), q) + n_coef} "
                f"points, got {len(y)}; use a longer series or fewer lags / exogenous inputs."
            )
        lags = self._lag_list()
        deferred = DEFERRED_SOLVES.get()
        if deferred is not None and E is None and (lags is None or lags):
            deferred.append((self, y, lags))  # fit_many selects (lags None) and solves it with the other series
            return
        self._fit_statsmodels(y, E, q, lags)

    def _fit_statsmodels(self, y, E, q, lags):
        """OLS by statsmodels on the model-space ``y``; ``lags`` None selects them by ``ic``."""
        from statsmodels.tsa.ar_model import AutoReg, ar_select_order

        with statsmodels_guard("ARForecaster fit"):
            if lags is None:
                sel = ar_select_order(y, self.max_lags, ic=self.ic, trend=self.trend, exog=E,
                                      hold_back=max(self.max_lags, q), glob=False)
                lags = [] if sel.ar_lags is None else list(sel.ar_lags)
            p = max(lags, default=0)
            results = AutoReg(y, lags or 0, trend=self.trend, exog=E, hold_back=max(p, q)).fit()
        self._set_params(results.model.ar_lags or [], results.params, q,
                         None if E is None else E.shape[1] // len(self._taps()))
        self._results_ = results

    def _set_params(self, lags, params, q=0, n_exog=None):
        """Fitted attributes from the OLS parameters in ``AutoReg`` order: [const], phi per lag, [beta]."""
        params = np.asarray(params, dtype=np.float64)
        n_c, k = int(self.trend == "c"), len(lags)
        p = max(lags, default=0)
        self.order_, self.lags_ = int(p), [int(v) for v in lags]
        self.intercept_ = float(params[0]) if n_c else 0.0
        # Dense phi_1..phi_p (zeros off the lag set): forecasting stays one matrix product per step.
        self.coef_ = np.zeros(p)
        self.coef_[np.asarray(self.lags_, dtype=int) - 1] = params[n_c : n_c + k]
        self.exog_coef_ = None if n_exog is None else params[n_c + k :].reshape(len(self._taps()), n_exog)
        self.context_length_ = max(p, q, 1)

    @property
    def results_(self):
        """The statsmodels ``AutoRegResults`` of the fit (see the class docstring)."""
        if "_results_" not in self.__dict__:
            n_fit = self.__dict__.get("_n_fit_")
            if n_fit is None or getattr(self, "exog_coef_", None) is not None:
                raise AttributeError(
                    "results_ (the statsmodels fit) is not available: it is not kept by save/load_model and the "
                    "model is not fitted. Fit the model (or refit it with update(..., refit=True)) to get it."
                )
            from statsmodels.tsa.ar_model import AutoReg

            # A batched fit (fit_many) has the same coefficients; statsmodels refits the training part only,
            # which update() keeps as the first n_fit points of y_.
            y = forward(self.y_.to_numpy()[:n_fit], self.transform)
            with statsmodels_guard("ARForecaster results_"):
                self._results_ = AutoReg(y, self.lags_ or 0, trend=self.trend, hold_back=self.order_).fit()
        return self._results_

    def _future_exog_steps(self, horizon):
        if getattr(self, "exog_coef_", None) is None:
            return 0
        return horizon if self._known_future() else horizon - 1

    def _predict(self, Y, XH, XF, horizon):
        Y = forward(Y, self.transform, "the history")
        L = Y.shape[1]
        known = np.full((len(Y), horizon), self.intercept_)
        if self.exog_coef_ is not None:
            Xall = XH if XF is None else np.concatenate([XH, XF], axis=1)
            # x_{T+j-l} for step j (0-based, forecast of y_{T+j}) sits at row L + j - l of Xall.
            rows = L + np.arange(horizon)[:, None] - np.asarray(self._taps())[None, :]
            known += np.einsum("bjtk,tk->bj", Xall[:, rows], self.exog_coef_)
        return inverse(ar_recursion(Y, self.coef_, known), self.transform)

    def _get_state(self):
        arrays = {"coef": self.coef_}
        if self.exog_coef_ is not None:
            arrays["exog_coef"] = self.exog_coef_
        return {"order": self.order_, "lags": self.lags_, "intercept": self.intercept_}, arrays, []

    def _set_state(self, meta, arrays, networks):
        self.order_, self.intercept_ = int(meta["order"]), float(meta["intercept"])
        self.lags_ = [int(v) for v in meta.get("lags", range(1, self.order_ + 1))]
        self.coef_ = arrays["coef"]
        self.exog_coef_ = arrays.get("exog_coef")

    @classmethod
    def _test_params(cls):
        return {"lags": "auto", "max_lags": 4}


