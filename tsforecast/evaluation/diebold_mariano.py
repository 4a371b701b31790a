"""Diebold–Mariano test of equal forecast accuracy, with the Harvey–Leybourne–Newbold correction."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import stats

from ..base import check_choice, check_int
from ..exceptions import InvalidInputError, NotEnoughDataError

LOSSES = {"se": np.square, "ae": np.abs}
ALTERNATIVES = ("two-sided", "less", "greater")


class DMUndefinedWarning(UserWarning):
    """A Diebold–Mariano test could not be computed (e.g. identical losses); its result is NaN."""


class DMResult(NamedTuple):
    """Result of :func:`diebold_mariano`."""

    statistic: float
    pvalue: float


def _autocovariance(d: np.ndarray, lag: int) -> float:
    c = d - d.mean()
    return float(np.dot(c[lag:], c[: len(c) - lag]) / len(c))


def diebold_mariano(e1, e2, h=1, loss="se", alternative="two-sided") -> DMResult:
    """Test whether two forecasts of the same targets are equally accurate.

    With loss differential ``d_t = L(e1_t) - L(e2_t)`` the Diebold–Mariano (1995)
    statistic is ``mean(d) / sqrt(V / n)`` with the long-run variance
    ``V = gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k`` (rectangular window: h-step
    forecast errors are at most MA(h-1)). Harvey, Leybourne & Newbold (1997)
    multiply it by ``sqrt((n + 1 - 2h + h(h-1)/n) / n)`` and compare with
    Student-t with ``n - 1`` degrees of freedom.

    Parameters
    ----------
    e1, e2 : 1-D arrays
        Forecast errors of model 1 and model 2 for the same targets, in time order.
    h : int
        Forecast horizon of the errors (sets how many autocovariances enter V).
    loss : {"se", "ae"}
        Squared or absolute error.
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: model 1 has smaller expected loss (the statistic is negative
        when model 1 is more accurate); ``"greater"``: model 1 has larger loss.

    Returns
    -------
    DMResult
        ``(statistic, pvalue)``.

    Notes
    -----
    The rectangular window can give ``V <= 0`` for ``h > 1``; then, as R's
    ``forecast::dm.test`` does, the test is redone with ``h = 1`` and a
    ``RuntimeWarning`` says so. A constant loss differential (e.g. identical
    forecasts) has no variance and raises :class:`InvalidInputError`.
    """
    check_choice(loss, LOSSES, "loss")
    check_choice(alternative, ALTERNATIVES, "alternative")
    h = check_int(h, "h")
    a, b = (np.asarray(e, dtype=np.float64) for e in (e1, e2))
    if a.ndim != 1 or a.shape != b.shape:
        raise InvalidInputError(f"e1 and e2 must be 1-D arrays of equal length, got shapes {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InvalidInputError("e1 and e2 must be finite (no NaN or inf).")
    return dm_test_losses(LOSSES[loss](a), LOSSES[loss](b), h, alternative)


def dm_test_losses(loss1, loss2, h=1, alternative="two-sided") -> DMResult:
    """:func:`diebold_mariano` on losses already computed (e.g. averaged over lead times)."""
    d = np.asarray(loss1, dtype=np.float64) - np.asarray(loss2, dtype=np.float64)
    n = len(d)
    if n < max(3, h + 1):
        raise NotEnoughDataError(f"the Diebold-Mariano test needs more than max(2, h)={max(2, h)} errors, got {n}.")
    variance = (_autocovariance(d, 0) + 2 * sum(_autocovariance(d, k) for k in range(1, h))) / n
    if variance <= 0:
        if h > 1 and _autocovariance(d, 0) > 0:
            warnings.warn(f"Diebold-Mariano: long-run variance with h={h} is not positive; using h=1 instead.",
                          RuntimeWarning, stacklevel=3)
            return dm_test_losses(loss1, loss2, 1, alternative)
        raise InvalidInputError(
            "the loss differential is constant (e.g. identical forecasts), so the Diebold-Mariano test is undefined."
        )
    dm = d.mean() / np.sqrt(variance)
    statistic = float(dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    t = stats.t(df=n - 1)
    if alternative == "two-sided":
        pvalue = 2 * t.sf(abs(statistic))
    elif alternative == "less":
        pvalue = t.cdf(statistic)
    else:
        pvalue = t.sf(statistic)
    return DMResult(statistic, float(pvalue))


def holm(pvalues) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values; NaN entries are left out of the family and stay NaN.

    With the ``m`` defined p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted
    value of ``p_(i)`` is ``max_{j <= i} min(1, (m - j + 1) p_(j))``. Rejecting
    where it is below ``alpha`` controls the family-wise error rate at ``alpha``
    under any dependence between the tests (e.g. several models against one baseline).
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p))
    order = defined[np.argsort(p[defined], kind="stable")]
    m = len(order)
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out
