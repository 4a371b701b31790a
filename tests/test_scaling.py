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
