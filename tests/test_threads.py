"""tsforecast.threads.blas_threads: limits BLAS inside the block, restores the previous limits, changes no result."""

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from tsforecast.models.ar_model import ARForecaster
from tsforecast.threads import blas_threads


def blas_limits():
    """{library path: num_threads} for every loaded BLAS, straight from threadpoolctl."""
    return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def ar_series(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    e = rng.normal(size=n)
    for t in range(2, n):
        y[t] = 1.0 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def test_limits_inside_and_restores_previous_limits():
    import scipy.linalg  # noqa: F401  (loads scipy's own BLAS too)

    before = blas_limits()
    assert before, "no BLAS library loaded"
    with blas_threads(1):
        assert set(blas_limits().values()) == {1}
    assert blas_limits() == before


def test_restores_a_limit_set_by_the_caller_and_after_an_error():
    with threadpool_limits(limits=2, user_api="blas"):
        outer = blas_limits()
        with pytest.raises(RuntimeError):
            with blas_threads(1):
                raise RuntimeError("boom")
        assert blas_limits() == outer


def test_rejects_a_non_positive_count():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            with blas_threads(bad):
                pass


def test_ar_forecasts_identical_inside_and_outside():
    """Same forecasts with the limit and without, and equal to statsmodels called directly (no limit set)."""
    from statsmodels.tsa.ar_model import AutoReg

    y = ar_series()
    outside = ARForecaster(lags=24).fit(y).predict(12).to_numpy()
    with blas_threads(1):
        inside = ARForecaster(lags=24).fit(y).predict(12).to_numpy()
    np.testing.assert_array_equal(inside, outside)
    direct = AutoReg(y.to_numpy(), 24, trend="c").fit().forecast(12)
    np.testing.assert_allclose(outside, direct, rtol=1e-10)


def test_statsmodels_guard_limits_blas_and_restores():
    from tsforecast.statsmodels_guard import statsmodels_guard

    before = blas_limits()
    with statsmodels_guard("test"):
        assert set(blas_limits().values()) == {1}
    assert blas_limits() == before
