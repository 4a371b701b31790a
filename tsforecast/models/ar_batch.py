"""Many AR models at once: one batched least-squares solve instead of one statsmodels fit per series.

:func:`fit_many` fits a copy of a template forecaster on each series of a dict and returns real fitted
forecasters. For an :class:`~tsforecast.models.ar_model.ARForecaster` with fixed lags (an order, a lag set
or a season) and no exogenous inputs, every series goes through the model's own ``fit`` (validation,
missing values, transform, length checks), but the least-squares problems are collected and solved
together by :func:`solve_ar`, per group of series with the same lags; the parameters equal
statsmodels ``AutoReg`` on each series (to about 1e-12 relative on real traffic). With ``lags="auto"`` the
order is chosen first, for all series at once (:func:`select_orders`, the choice of statsmodels
``ar_select_order``). Everything else (exogenous or calendar inputs, other models, and any series whose
batched solve is not accurate enough) is fitted one series at a time, exactly as ``fit`` does. :func:`predict_many` forecasts
many fitted AR models from the ends of their histories in one recursion per order.

The solve: each series is centred (with a constant) and scaled, its design is built from shifted copies of
the series, and the normal equations of a block of series (of any lengths: shorter designs are padded with
zero rows, which change nothing) are formed with one stacked matrix product and solved, then corrected by
one step of iterative refinement on the residuals (corrected semi-normal equations). The size of that
correction measures the accuracy: a series where it is not tiny (an ill-conditioned or singular design,
e.g. a constant series) is refitted by statsmodels.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from ..exceptions import ExogenousError, TSForecastError
from .ar_model import DEFERRED_SOLVES, ARForecaster, ar_recursion
from .transform import forward, inverse

# Bytes of design matrix per block of series: small enough to stay in cache between its product and refinement.
BLOCK_BYTES = 4 << 20
# Accept a batched solve when its refinement step moved the coefficients by at most this much (relative, in
# the centred and scaled problem): the error left after that step is then about its square, ~1e-12.
REFINE_TOL = 1e-6


def fit_many(template, series: dict, X: dict | None = None, *, missing: str = "raise") -> dict:
    """Fit a copy of ``template`` on every series, batching the least-squares solves of AR models.

    Parameters
    ----------
    template : BaseForecaster
        Unfitted forecaster (it is not modified); each series gets a clone with its parameters.
    series : dict
        ``{id: pandas.Series or 1-D array}``.
    X : dict, optional
        ``{id: exogenous DataFrame}`` for models that take it (fitted one series at a time).
    missing : {"raise", "interpolate", "ffill"}
        As for ``fit``.

    Returns
    -------
    dict
        ``{id: fitted forecaster}`` in the order of ``series``. Each equals ``clone(template).fit(y, X)``: same
        fitted attributes and forecasts (AR coefficients to rounding), saved and loaded the same way.

    Raises
    ------
    TSForecastError
        The first series that cannot be fitted, named in the message (the error type of ``fit``).
    """
    models, failures = fit_each(template, series, X, missing=missing)
    for key, exc in failures.items():
        raise type(exc)(f"series {key!r}: {exc}") from exc
    return models


def fit_each(template, series: dict, X: dict | None = None, *, missing: str = "raise", catch=(TSForecastError,)):
    """:func:`fit_many` that goes on past series that fail.

    Returns
    -------
    models : dict
        ``{id: fitted forecaster}`` of the series that could be fitted, in input order.
    failures : dict
        ``{id: exception}`` of the others: errors of the types in ``catch`` (anything else propagates).
    """
    proto = clone(template)
    proto._check_params()  # a bad parameter is the template's fault, not every series'
    params = proto.get_params(deep=False)
    pending, fitted, failures = [], {}, {}
    token = DEFERRED_SOLVES.set(pending) if isinstance(proto, ARForecaster) else None
    try:
        for key, y in series.items():
            # A new instance per series (what clone does, without its per-call checks); lists are copied.
            model = type(proto)(**{k: list(v) if isinstance(v, list) else v for k, v in params.items()})
            try:
                if X is not None and key not in X:
                    raise ExogenousError("X has no exogenous data for it; give X a frame for every series.")
                fitted[key] = model.fit(y, None if X is None else X[key], missing=missing)
            except catch as exc:
                failures[key] = exc
    finally:
        if token is not None:
            DEFERRED_SOLVES.reset(token)
    _solve_pending(pending, failures, catch, {id(m): k for k, m in fitted.items()})
    return ({k: m for k, m in fitted.items() if k not in failures},
            {k: failures[k] for k in series if k in failures})


def _solve_pending(pending, failures, catch, key_of):
    """Finish the deferred AR fits: batched solves per (lags, trend), statsmodels for the rest."""
    groups, auto = {}, {}
    for model, y, lags in pending:
        if lags is None:
            auto.setdefault((model.max_lags, model.ic, model.trend), []).append((model, y))
        else:
            groups.setdefault((tuple(lags), model.trend), []).append((model, y))
    for (max_lags, ic, trend), items in auto.items():
        orders, ok = select_orders([y for _, y in items], max_lags, ic, trend)
        for (model, y), p, good in zip(items, orders, ok):
            if good and p > 0:
                groups.setdefault((tuple(range(1, p + 1)), trend), []).append((model, y))
                continue
            try:  # the mean alone (p = 0), or a series the batched selection could not score
                model._fit_statsmodels(y, None, 0, [] if good else None)
            except catch as exc:
                failures[key_of[id(model)]] = exc
    for (lags, trend), items in groups.items():
        params, ok = solve_ar([y for _, y in items], lags, trend)
        for (model, y), row, good in zip(items, params, ok):
            try:
                if good:
                    model._set_params(lags, row)
                    model._n_fit_ = len(y)  # results_ refits these points on demand
                else:
                    model._fit_statsmodels(y, None, 0, list(lags))
            except catch as exc:
                failures[key_of[id(model)]] = exc


def solve_ar(Y, lags, trend: str = "c"):
    """Least-squares AR parameters of many series, as ``AutoReg`` computes them one by one.

    Parameters
    ----------
    Y : ndarray of shape (n_series, n), or sequence of 1-D arrays
        The series (in model space): rows of one array, or arrays of any lengths.
    lags : sequence of int
        Lags with a coefficient (at least one; sorted, positive); the first ``max(lags)`` points of each series
        are held back.
    trend : {"c", "n"}
        With or without a constant.

    Returns
    -------
    params : ndarray of shape (n_series, n_params)
        ``[const,] phi_l for l in lags`` per series (``AutoReg`` order).
    ok : ndarray of bool, shape (n_series,)
        False where the batched solve is not accurate enough (singular or ill-conditioned design, constant or
        non-finite series, no more rows than parameters); solve those one by one.

    Notes
    -----
    Series are solved in blocks of similar length, longest first. In a block, a shorter series' design is
    padded with rows of zeros, which add nothing to its normal equations: its answer is its own.
    """
    series = [np.asarray(y, dtype=np.float64) for y in Y]
    lags = [int(v) for v in lags]
    p, n_c = max(lags), int(trend == "c")
    k = n_c + len(lags)
    lengths = np.array([len(y) for y in series], dtype=np.int64)
    params = np.full((len(series), k), np.nan)
    ok = np.zeros(len(series), dtype=bool)
    todo = np.flatnonzero(lengths - p > k)
    todo = todo[np.argsort(-lengths[todo], kind="stable")]
    start = 0
    while start < len(todo):
        rows = int(lengths[todo[start]]) - p
        block = todo[start : start + max(1, BLOCK_BYTES // (8 * (k + 1) * rows))]
        params[block], ok[block] = _solve_block([series[i] for i in block], lengths[block], lags, n_c)
        start += len(block)
    return params, ok


def select_orders(Y, max_lags: int, ic: str = "aic", trend: str = "c"):
    """AR orders chosen by ``ic`` for many series, as ``ar_select_order(y, max_lags, ic, trend, glob=False)``
    chooses them one by one: every order 0..max_lags is scored on the same rows (after ``max_lags``).

    Returns
    -------
    orders : ndarray of int, shape (n_series,)
    ok : ndarray of bool, shape (n_series,)
        False where the series could not be scored in the batch (too short, constant, ill-conditioned);
        select those one by one.

    Notes
    -----
    The residual sum of squares of every nested order comes from one QR factorisation of
    ``[regressors, target]``: regressing on the first j columns leaves ``sum_{i >= j} R[i, k]^2``.
    """
    series = [np.asarray(y, dtype=np.float64) for y in Y]
    n_c, lags = int(trend == "c"), list(range(1, max_lags + 1))
    k = n_c + max_lags
    lengths = np.array([len(y) for y in series], dtype=np.int64)
    orders, ok = np.zeros(len(series), dtype=np.int64), np.zeros(len(series), dtype=bool)
    todo = np.flatnonzero(lengths - max_lags > k) if max_lags else np.flatnonzero(lengths > k)
    todo = todo[np.argsort(-lengths[todo], kind="stable")]
    start = 0
    while start < len(todo):
        rows = int(lengths[todo[start]]) - max_lags
        block = todo[start : start + max(1, BLOCK_BYTES // (8 * (k + 1) * rows))]
        orders[block], ok[block] = _select_block([series[i] for i in block], lengths[block], lags, n_c, ic)
        start += len(block)
    return orders, ok


def _select_block(series, lengths, lags, n_c, ic):
    if not lags:
        return np.zeros(len(series), dtype=np.int64), np.ones(len(series), dtype=bool)
    D, _, _, usable = _design(series, lengths, lags, n_c)
    k = D.shape[1] - 1
    usable &= np.isfinite(D).all(axis=(1, 2))
    D[~usable] = 0.0
    # QR rather than a Cholesky factor of the Gram matrix: the small sums of squares of well-fitting orders
    # keep their accuracy (the Gram matrix squares the design's condition number).
    R = np.linalg.qr(D.transpose(0, 2, 1), mode="r")
    tail = np.cumsum((R[:, ::-1, k]) ** 2, axis=1)[:, ::-1]  # tail[:, j] = sum_{i >= j} R[i, k]^2
    p = np.arange(len(lags) + 1)
    ssr = tail[:, n_c + p]  # order p regresses on the constant (if any) and lags 1..p
    nobs = (lengths - len(lags)).astype(np.float64)[:, None]
    usable &= (ssr > 0).all(axis=1)
    llf = -nobs / 2 * (np.log(2 * np.pi) + np.log(np.where(ssr > 0, ssr, 1.0) / nobs) + 1)
    penalty = 2.0 if ic == "aic" else np.log(nobs)
    crit = -2 * llf + penalty * (p + n_c + 1)[None, :]
    return np.argmin(crit, axis=1), usable


def _design(series, lengths, lags, n_c):
    """Centred and scaled design of a block of series: ``D[:, i, t]`` regressor i (the constant first, then
    each lag), the target last, for t = max(lags) .. n-1; shorter series right-aligned after zero rows."""
    b, n = len(series), int(lengths.max())
    p, k = max(lags), n_c + len(lags)
    ragged = bool((lengths != n).any())
    if ragged:  # each series right-aligned, after zeros
        Y = np.zeros((b, n))
        for i, y in enumerate(series):
            Y[i, n - len(y) :] = y
        valid = np.arange(n)[None, :] >= (n - lengths)[:, None]
    else:
        Y = np.stack(series)
    # Centre (with a constant, only the intercept changes) and scale, so the normal equations are well scaled.
    mu = (Y.sum(axis=1) / lengths)[:, None] if n_c else np.zeros((b, 1))
    Z = Y - mu
    if ragged:
        Z *= valid
    scale = np.sqrt(np.sum(Z * Z, axis=1, keepdims=True) / lengths[:, None])
    usable = np.isfinite(scale[:, 0]) & (scale[:, 0] > 0)
    Z /= np.where(usable[:, None], scale, 1.0)
    D = np.empty((b, k + 1, n - p))
    if n_c:
        D[:, 0] = 1.0
    for i, lag in enumerate(lags):
        D[:, n_c + i] = Z[:, p - lag : n - lag]
    D[:, k] = Z[:, p:]
    if ragged:  # rows whose lags reach into the padding are not rows of that series: all zero
        D *= (np.arange(p, n)[None, :] >= (n - lengths + p)[:, None])[:, None, :]
    return D, mu, scale, usable


def _solve_block(series, lengths, lags, n_c):
    k = n_c + len(lags)
    D, mu, scale, usable = _design(series, lengths, lags, n_c)
    G = D @ D.transpose(0, 2, 1)
    A, rhs = G[:, :k, :k], G[:, :k, k]
    usable &= np.isfinite(G).all(axis=(1, 2))
    A[~usable] = np.eye(k)  # placeholders, so that one bad series does not stop the stacked solve
    rhs[~usable] = 0.0
    beta = _solve(A, rhs, usable)
    # One refinement step: the residuals are exact to rounding, so the correction removes most of the error
    # the normal equations made, and its size tells how large that error was.
    X = D[:, :k]
    resid = D[:, k] - (beta[:, None, :] @ X)[:, 0]
    delta = _solve(A, (X @ resid[:, :, None])[:, :, 0], usable)
    beta += delta
    size = np.max(np.abs(beta), axis=1)
    usable &= np.isfinite(size) & (np.max(np.abs(delta), axis=1) <= REFINE_TOL * size)
    phi = beta[:, n_c:]  # unchanged by centring and scaling; the constant is mapped back to data units
    out = np.column_stack([beta[:, 0] * scale[:, 0] + mu[:, 0] * (1.0 - phi.sum(axis=1)), phi]) if n_c else phi
    out[~usable] = np.nan
    return out, usable


def _solve(A, rhs, usable):
    """Stacked ``solve``; a singular matrix marks its series unusable instead of failing the block."""
    try:
        return np.linalg.solve(A, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.zeros_like(rhs)
        for i in range(len(A)):
            try:
                out[i] = np.linalg.solve(A[i], rhs[i])
            except np.linalg.LinAlgError:
                usable[i] = False
        return out


def predict_many(models, horizon: int) -> np.ndarray:
    """Forecasts of many fitted AR models (without exogenous inputs) from the ends of their own histories ``y_``.

    Equals ``[m.predict(horizon).to_numpy() for m in models]`` to rounding, with one recursion per group of
    models of the same order and transform.

    Returns
    -------
    ndarray of shape (len(models), horizon)
    """
    out = np.empty((len(models), horizon))
    groups = {}
    for i, model in enumerate(models):
        if getattr(model, "exog_coef_", None) is not None:
            raise ExogenousError("predict_many forecasts AR models fitted without exogenous or calendar inputs; "
                                 "forecast the others with predict.")
        groups.setdefault((model.context_length_, model.order_, model.transform), []).append(i)
    for (L, p, transform), idx in groups.items():
        Y = forward(np.stack([models[i].y_.to_numpy()[-L:] for i in idx]), transform, "the history")
        coef = np.stack([models[i].coef_ for i in idx]).reshape(len(idx), p)
        known = np.repeat(np.array([models[i].intercept_ for i in idx])[:, None], horizon, axis=1)
        out[idx] = inverse(ar_recursion(Y, coef, known), transform)
    return out
