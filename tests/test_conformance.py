"""Every registered forecaster against the contract (tsforecast.testing)."""

import numpy as np
import pytest

from tsforecast.base import BaseForecaster
from tsforecast.registry import get_forecaster_class, list_forecasters
from tsforecast.testing import CHECKS, check_forecaster


def _instance(name):
    cls = get_forecaster_class(name)
    return cls(**cls._test_params())


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list_forecasters())
def test_conformance(name, check):
    check(_instance(name))


class _BrokenForecaster(BaseForecaster):
    """Breaks the contract: mangles a parameter in __init__ and forecasts the wrong length."""

    def __init__(self, lags=3):
        self.lags = int(lags) + 1

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return np.zeros((len(Y), horizon + 1))


class _LeakyErrorsForecaster(BaseForecaster):
    """Accepts NaN silently (no validation of its own would catch it, the base does)."""

    def fit(self, y, X=None):  # bypasses the validated fit
        self.context_length_ = 1
        self.y_ = y
        self.exog_columns_ = None
        self.is_global_ = False
        return self

    def _predict(self, Y, XH, XF, horizon):
        return np.repeat(Y[:, -1:], horizon, axis=1)


def test_suite_catches_a_broken_model():
    with pytest.raises(AssertionError, match="altered parameter"):
        check_forecaster(_BrokenForecaster(lags=3))
    from tsforecast.testing import check_fit_predict_index

    broken = _BrokenForecaster.__new__(_BrokenForecaster)
    broken.lags = 3
    with pytest.raises(Exception):
        check_fit_predict_index(broken)


def test_suite_catches_missing_validation():
    from tsforecast.testing import check_bad_inputs

    with pytest.raises(AssertionError, match="accepted"):
        check_bad_inputs(_LeakyErrorsForecaster())


class _PeekingForecaster(BaseForecaster):
    """Forecasts every origin from the *whole* series: the look-ahead the suite must catch."""

    def _fit(self, y, X):
        self.context_length_ = None

    def _predict(self, Y, XH, XF, horizon):
        return np.repeat(Y[:, -1:], horizon, axis=1)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        return np.tile(values[-1], (len(origins), horizon))


def test_suite_catches_lookahead():
    from tsforecast.testing import check_no_lookahead

    with pytest.raises(AssertionError, match="changed forecasts"):
        check_no_lookahead(_PeekingForecaster())


def test_every_registered_forecaster_is_a_top_level_name():
    import tsforecast

    for name in list_forecasters():
        cls = get_forecaster_class(name)
        assert getattr(tsforecast, cls.__name__, None) is cls, f"tsforecast.{cls.__name__} is not exported"
        assert cls.__name__ in tsforecast.__all__
