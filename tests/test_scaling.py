import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tsforecast import Scaler
from tsforecast.exceptions import InvalidInputError, ParameterError


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(0, 1e6)), st.sampled_from(["standard", "minmax", "robust", "log", None]))
def test_round_trip(y, method):
    s = Scaler(method).fit(y)
    np.testing.assert_allclose(s.inverse_transform(s.transform(y)), y, rtol=1e-9, atol=1e-6)


def test_standard_values_and_constant():
    s = Scaler("standard").fit([1.0, 3.0])
    assert (s.loc_, s.scale_) == (2.0, 1.0)
    c = Scaler("minmax").fit([5.0, 5.0, 5.0])
    assert c.scale_ == 1.0 and np.all(c.transform([5.0]) == 0)


def test_bad_method_and_log_domain():
    with pytest.raises(ParameterError):
        Scaler("zscore").fit([1.0])
    with pytest.raises(InvalidInputError):
        Scaler("log").fit([-2.0, 1.0])


@settings(max_examples=40, deadline=None)
@given(st.lists(arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1e6)), min_size=1, max_size=6),
       st.sampled_from(["standard", "minmax", "robust", "log", None]))
def test_fit_many_equals_one_scaler_per_series(series, method):
    many = Scaler(method).fit_many(series)
    for i, y in enumerate(series):
        one = Scaler(method).fit(y)
        np.testing.assert_allclose([many.loc_[i, 0], many.scale_[i, 0]], [one.loc_, one.scale_], rtol=1e-12)


def test_standard_against_numpy():
    y = np.array([3.0, 7.0, 8.0, 1.0, 5.0])
    s = Scaler("standard").fit(y)
    assert s.loc_ == pytest.approx(np.mean(y)) and s.scale_ == pytest.approx(np.std(y))
    r = Scaler("robust").fit(y)
    assert r.loc_ == 5.0 and r.scale_ == pytest.approx(np.percentile(y, 75) - np.percentile(y, 25))
