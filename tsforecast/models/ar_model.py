"""Linear autoregression (AR / ARX) on statsmodels ``AutoReg``, with order selection by AIC/BIC.

The fitted model is a fixed-length linear filter, so forecasting needs only
the last ``context_length_`` points and runs for a whole batch of origins as
one matrix product per step ahead.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import InvalidInputError, NotEnoughDataError, ParameterError


class FitWarning(UserWarning):
    """A statsmodels fit did not converge; the parameters (and forecasts) may be poor.

    Raised for statsmodels' ``ConvergenceWarning``. Typical causes: a constant
    or very short series (degenerate likelihood), or an order too large for
    the data.
    """


@contextmanager
def statsmodels_guard(what: str):
    """Run statsmodels code with its failures turned into tsforecast errors and one clear warning.

    Non-convergence becomes one :class:`FitWarning`; statsmodels' other warnings
    (start values, rank-deficient designs of constant series, Hessian inversion
    for standard errors we do not report) do not affect the point forecasts and
    are silenced. ``LinAlgError``/``ValueError`` become :class:`InvalidInputError`.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (np.linalg.LinAlgError, ValueError, IndexError) as exc:
            if isinstance(exc, (InvalidInputError, ParameterError)):
                raise
            raise InvalidInputError(
                f"{what} failed inside statsmodels ({type(exc).__name__}: {exc}); check that the series is long "
                f"and varied enough for the chosen order, or choose a smaller model."
            ) from None
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        warnings.warn(
            f"{what}: the statsmodels optimizer did not converge, so the parameters may be poor. A constant or very "
            f"short series does this; otherwise try a smaller order or a longer series.",
            FitWarning,
            stacklevel=3,
        )


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
    lags : "auto" or int
        Order p. ``"auto"`` picks p in 0..``max_lags`` by ``ic`` with
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
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    order_ : int
        Selected (or given) p.
    coef_ : ndarray of shape (p,)
        phi_1 .. phi_p.
    intercept_ : float
        c (0 for ``trend="n"``).
    exog_coef_ : ndarray of shape (n_taps, n_exog) or None
        beta per exogenous tap (row 0 is ``x_t`` when ``known_future``, then
        ``x_{t-1}``, ...).
    results_ : statsmodels AutoRegResults
        The fit (not kept by ``save``/``load_model``; forecasts use only the
        coefficients).
    """

    _tags = {"exog": True}

    def __init__(self, lags="auto", max_lags=24, ic="aic", trend="c", exog_lags=1, known_future=False, horizon=1):
        self.lags, self.max_lags, self.ic, self.trend = lags, max_lags, ic, trend
        self.exog_lags, self.known_future, self.horizon = exog_lags, known_future, horizon

    def _check_params(self):
        if self.lags != "auto":
            check_int(self.lags, "lags", minimum=0)
        check_int(self.max_lags, "max_lags")
        check_choice(self.ic, ("aic", "bic"), "ic")
        check_choice(self.trend, ("c", "n"), "trend")
        check_int(self.exog_lags, "exog_lags")
        check_int(self.horizon, "horizon")
        if not isinstance(self.known_future, (bool, np.bool_)):
            raise ParameterError(f"known_future must be True or False, got {self.known_future!r}.")

    def _max_order(self):
        return self.max_lags if self.lags == "auto" else self.lags

    def _min_length(self):
        p = self._max_order()
        return 2 * p + (self.trend == "c") + 1  # p held-back rows + more rows than coefficients

    def _taps(self):
        return ([0] if self.known_future else []) + list(range(1, self.exog_lags + 1))

    def _fit(self, y, X):
        from statsmodels.tsa.ar_model import AutoReg, ar_select_order

        E = None if X is None else lagged_exog(X, self._taps())
        q = 0 if X is None else self.exog_lags
        n_coef = self._max_order() + (self.trend == "c") + (0 if E is None else E.shape[1])
        if len(y) - max(self._max_order(), q) <= n_coef:
            raise NotEnoughDataError(
                f"ARForecaster with {n_coef} coefficients needs more than {max(self._max_order(), q) + n_coef} "
                f"points, got {len(y)}; use a longer series or fewer lags / exogenous inputs."
            )
        with statsmodels_guard("ARForecaster fit"):
            if self.lags == "auto":
                sel = ar_select_order(y, self.max_lags, ic=self.ic, trend=self.trend, exog=E,
                                      hold_back=max(self.max_lags, q), glob=False)
                p = 0 if sel.ar_lags is None else len(sel.ar_lags)
            else:
                p = self.lags
            self.results_ = AutoReg(y, p, trend=self.trend, exog=E, hold_back=max(p, q)).fit()
        params = np.asarray(self.results_.params, dtype=np.float64)
        n_c = int(self.trend == "c")
        self.order_ = p
        self.intercept_ = float(params[0]) if n_c else 0.0
        self.coef_ = params[n_c : n_c + p].copy()
        self.exog_coef_ = None if X is None else params[n_c + p :].reshape(len(self._taps()), X.shape[1])
        self.context_length_ = max(p, q, 1)

    def _future_exog_steps(self, horizon):
        if getattr(self, "exog_coef_", None) is None:
            return 0
        return horizon if self.known_future else horizon - 1

    def _predict(self, Y, XH, XF, horizon):
        p, L = self.order_, Y.shape[1]
        out = np.empty((len(Y), horizon))
        known = np.full((len(Y), horizon), self.intercept_)
        if self.exog_coef_ is not None:
            Xall = XH if XF is None else np.concatenate([XH, XF], axis=1)
            # x_{T+j-l} for step j (0-based, forecast of y_{T+j}) sits at row L + j - l of Xall.
            rows = L + np.arange(horizon)[:, None] - np.asarray(self._taps())[None, :]
            known += np.einsum("bjtk,tk->bj", Xall[:, rows], self.exog_coef_)
        # Newest-first lag buffer: column i holds y_{t-1-i}.
        buf = Y[:, L - p :][:, ::-1].astype(np.float64)
        for j in range(horizon):
            out[:, j] = known[:, j] + buf @ self.coef_
            if p:
                buf = np.column_stack([out[:, j], buf[:, :-1]])
        return out

    def _get_state(self):
        arrays = {"coef": self.coef_}
        if self.exog_coef_ is not None:
            arrays["exog_coef"] = self.exog_coef_
        return {"order": self.order_, "intercept": self.intercept_}, arrays, []

    def _set_state(self, meta, arrays, networks):
        self.order_, self.intercept_ = int(meta["order"]), float(meta["intercept"])
        self.coef_ = arrays["coef"]
        self.exog_coef_ = arrays.get("exog_coef")

    @classmethod
    def _test_params(cls):
        return {"lags": "auto", "max_lags": 4}
