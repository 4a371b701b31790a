"""Metrics against hand-computed values and brute-force loops."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tsforecast import metrics
from tsforecast.exceptions import InvalidInputError

Y = np.array([1.0, 2.0, 4.0, 8.0])
P = np.array([2.0, 2.0, 3.0, 10.0])


def test_hand_computed_values():
    assert metrics.mae(Y, P) == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert metrics.rmse(Y, P) == pytest.approx(np.sqrt((1 + 0 + 1 + 4) / 4))
    assert metrics.mape(Y, P) == pytest.approx(100 * (1 / 1 + 0 + 1 / 4 + 2 / 8) / 4)
    assert metrics.smape(Y, P) == pytest.approx(100 * (2 * 1 / 3 + 0 + 2 * 1 / 7 + 2 * 2 / 18) / 4)
    assert metrics.r2(Y, P) == pytest.approx(1 - 6 / np.sum((Y - Y.mean()) ** 2))


def test_mase_with_seasonal_period():
    train = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 7.0])
    # m=2 naive errors: |2-1|,|6-5|,|3-2|,|7-6| -> 1 ; m=1: 4,3,4,3,4 -> 3.6
    assert metrics.mase(Y, P, train, m=2) == pytest.approx(1.0)
    assert metrics.mase(Y, P, train, m=1) == pytest.approx(1.0 / 3.6)


def test_directional_accuracy_hand_computed():
    y = np.array([10.0, 11.0, 9.0, 12.0])
    p = np.array([0.0, 12.0, 12.0, 11.0])
    # from previous actual: 10->11 pred 12 up/up ok; 11->9 pred 12 down/up no; 9->12 pred 11 up/up ok
    assert metrics.directional_accuracy(y, p) == pytest.approx(2 / 3)
    y2 = np.array([[11.0, 9.0], [8.0, 7.0]])
    p2 = np.array([[12.0, 12.0], [9.0, 6.0]])
    ref = np.array([10.0, 10.0])  # step 1: both right; step 2: row 0 wrong (down vs up)
    np.testing.assert_allclose(metrics.directional_accuracy(y2, p2, ref, per_horizon=True), [1.0, 0.5])


def test_mape_zeros_raise_or_skip():
    with pytest.raises(InvalidInputError, match="zero"):
        metrics.mape([0.0, 1.0], [1.0, 1.0])
    with pytest.warns(RuntimeWarning):
        assert metrics.mape([0.0, 2.0], [1.0, 1.0], zeros="skip") == pytest.approx(50.0)


def test_shape_mismatch_and_nan_raise():
    with pytest.raises(InvalidInputError, match="shape"):
        metrics.mae([1.0, 2.0], [1.0])
    with pytest.raises(InvalidInputError, match="finite"):
        metrics.rmse([1.0, np.nan], [1.0, 2.0])


matrices = st.tuples(st.integers(1, 8), st.integers(1, 5)).flatmap(
    lambda s: st.tuples(
        arrays(np.float64, s, elements=st.floats(0.5, 100)), arrays(np.float64, s, elements=st.floats(0.5, 100))
    )
)


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_per_horizon_matches_loop(pair):
    a, b = pair
    for name in ("mae", "rmse", "mape", "smape"):
        fn = getattr(metrics, name)
        per_h = fn(a, b, per_horizon=True)
        loop = [fn(a[:, j], b[:, j]) for j in range(a.shape[1])]
        np.testing.assert_allclose(per_h, loop, rtol=1e-10)
    total = metrics.mae(a, b)
    assert total == pytest.approx(np.mean([abs(x - z) for x, z in zip(a.ravel(), b.ravel())]))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 30), elements=st.floats(-1e3, 1e3)))
def test_perfect_forecast_scores(y):
    assert metrics.mae(y, y) == 0 and metrics.rmse(y, y) == 0 and metrics.smape(y, y) == 0
    assert metrics.directional_accuracy(y, y) == 1.0
