"""Ridge fit of a network's frozen linear part (NARX ``linear_skip="ridge"``).

A linear map from hundreds of lags is what gradient descent learns worst (the inputs are strongly
correlated) and what ridge regression solves in closed form, so the linear part is solved over the
training windows and the MLP trains on what it leaves.
"""

from __future__ import annotations

import numpy as np

# Candidate penalties, relative to the mean variance of the inputs; each output step takes the one
# generalised cross-validation prefers (short leads want less shrinkage than long ones).
ALPHAS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0, 10.0, 30.0, 100.0)
_ROWS = 4096  # windows per accumulated block: memory stays at one block


def ridge_fit(blocks, alphas=ALPHAS):
    """Ridge regression with an unpenalised intercept, accumulated over ``(features, targets)`` blocks.

    Minimises ``sum ||t_j - b_j - x'w_j||^2 + lam_j ||w_j||^2`` for each target column ``j``, with
    ``lam_j = alpha_j * trace(S) / d`` (``S`` the centred Gram matrix of the ``d`` features: the
    penalty scales with the inputs, whatever they are). ``alpha_j`` is the one of ``alphas`` with the
    lowest generalised cross-validation score ``n RSS / (n - df)^2`` (Golub, Heath & Wahba, 1979;
    ``df`` counts the intercept), computed for every candidate from one eigendecomposition of ``S``.

    Returns ``(coef (d, k), intercept (k,), alpha (k,))``.
    """
    n, sx, sy, xx, xy, yy, shift = 0, 0.0, 0.0, 0.0, 0.0, 0.0, None
    for x, t in blocks:
        x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
        if shift is None and len(x):  # sums of rows minus the first: a constant column sums to exactly 0
            shift = x[0].copy(), t[0].copy()
        x, t = x - shift[0], t - shift[1]
        n += len(x)
        sx, sy = sx + x.sum(axis=0), sy + t.sum(axis=0)
        xx, xy, yy = xx + x.T @ x, xy + x.T @ t, yy + (t * t).sum(axis=0)
    if n == 0:
        raise ValueError("ridge_fit needs at least one row")
    mx, my = sx / n, sy / n
    gram = xx - n * np.outer(mx, mx)
    cross = xy - n * np.outer(mx, my)
    d = gram.shape[0]
    eig, vec = np.linalg.eigh(gram)
    eig = np.maximum(eig, 0.0)
    alphas = np.asarray(alphas, dtype=np.float64)
    if eig.max() <= 0:  # constant features (a flat series): nothing to regress on
        return np.zeros_like(cross), my + shift[1], np.full(len(my), alphas[0])
    z = vec.T @ cross  # the targets' covariances with the principal directions
    lams = alphas * (eig.sum() / d)
    shrink = (eig[None, :] + 2 * lams[:, None]) / (eig[None, :] + lams[:, None]) ** 2
    rss = (yy - n * my * my)[None, :] - shrink @ (z * z)  # (candidates, k)
    df = 1 + (eig[None, :] / (eig[None, :] + lams[:, None])).sum(axis=1)  # 1: the intercept
    gcv = n * np.maximum(rss, 0.0) / np.maximum(n - df, 1e-12)[:, None] ** 2
    best = gcv.argmin(axis=0)
    coef = vec @ (z / (eig[:, None] + lams[best][None, :]))
    return coef, my + shift[1] - (mx + shift[0]) @ coef, alphas[best]


def linear_part(source, starts, design, *, target_slice=slice(None), alphas=ALPHAS):
    """:func:`ridge_fit` over the windows of ``source`` at ``starts``, one block of windows at a time.

    ``design(past, targets, future)`` maps a block (as :class:`~tsforecast.windowing.WindowSource`
    gives it, targets and future already cut to ``target_slice``) to ``(features, core_targets)``:
    what the linear layer reads and what it must output. Returns ``(kernel, bias, alpha)``, the
    first two in float32 as the layer holds them.
    """
    def blocks():
        for i in range(0, len(starts), _ROWS):
            past, targets, future = source.gather(starts[i:i + _ROWS])
            yield design(past, targets[:, target_slice], None if future is None else future[:, target_slice])

    coef, intercept, alpha = ridge_fit(blocks(), alphas)
    return coef.astype("float32"), intercept.astype("float32"), alpha
