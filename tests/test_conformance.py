"""Every registered forecaster against the contract (tsforecast.testing)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tsforecast.base import BaseForecaster
from tsforecast.exceptions import ContractError
from tsforecast.registry import get_forecaster_class, list_forecasters
from tsforecast.testing import (
    CHECKS,
    DATA_SAFETY_CHECKS,
    check_exog,
    check_forecaster,
    check_global_rng_untouched,
    check_no_lookahead,
    check_no_reference_to_caller_data,
    check_save_keeps_user_files,
)


def _instance(name):
    cls = get_forecaster_class(name)
    return cls(**cls._test_params())


# The registry alone decides what is tested: a newly registered model is run through every
# check with its own ``_test_params()``; exports are tested in tests/test_registry.py.
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

    with pytest.raises(ContractError, match=r"returned shape \(1, 6\).*must return \(1, 5\)"):
        check_fit_predict_index(_WrongLengthForecaster())


class _WrongLengthForecaster(BaseForecaster):
    """Clones fine, but forecasts one step too many."""

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return np.zeros((len(Y), horizon + 1))


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


def test_data_safety_checks_are_part_of_the_suite():
    assert all(check in CHECKS for check in DATA_SAFETY_CHECKS)


class _LastValue(BaseForecaster):
    """A correct toy: repeats the last value; the broken variants below change one thing each."""

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return np.repeat(Y[:, -1:], horizon, axis=1)


class _IgnoresX(_LastValue):
    """Claims exogenous support, accepts X, never uses it."""

    _tags = {"exog": True}


class _PeeksAtFutureX(BaseForecaster):
    """Uses the *last* X row of the whole series from every origin: look-ahead through X only."""

    _tags = {"exog": True}

    def _fit(self, y, X):
        self.context_length_ = None

    def _predict(self, Y, XH, XF, horizon):
        return np.repeat(Y[:, -1:] + XH[:, -1, :1], horizon, axis=1)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        return np.tile((values[origins - 1] + Xv[-1, 0])[:, None], (1, horizon))


class _KeepsReference(_LastValue):
    """Stores the caller's Series itself."""

    def fit(self, y, X=None, missing="raise"):
        super().fit(y, X, missing)
        self.y_ = y
        return self


class _ReseedsNumpy(_LastValue):
    """Reseeds numpy's global generator in fit, as code calling np.random.seed does."""

    def _fit(self, y, X):
        np.random.seed(0)
        super()._fit(y, X)


class _DeletesOnSave(_LastValue):
    """Saves like the old save_model did: wipe the target folder, then write."""

    def save(self, path):
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True)
        (Path(path) / "metadata.json").write_text(json.dumps({"format": "tsforecast-model"}))
        return path


def test_correct_toy_passes_the_data_safety_checks_it_can_take():
    # The toy is not registered, so it cannot be saved; the other checks must pass on it.
    for check in (check_no_lookahead, check_no_reference_to_caller_data, check_global_rng_untouched, check_exog):
        check(_LastValue())


def test_suite_catches_a_model_that_ignores_x():
    with pytest.raises(AssertionError, match="ignores X"):
        check_exog(_IgnoresX())


def test_suite_catches_lookahead_through_x():
    with pytest.raises(AssertionError, match="changed forecasts"):
        check_no_lookahead(_PeeksAtFutureX())


def test_suite_catches_a_kept_reference():
    with pytest.raises(AssertionError, match="kept a reference"):
        check_no_reference_to_caller_data(_KeepsReference())


def test_suite_catches_global_reseeding():
    with pytest.raises(AssertionError, match="global random"):
        check_global_rng_untouched(_ReseedsNumpy())
    np.random.seed(0)  # the very state the reseeding fit leaves: still caught, and the caller's state kept
    with pytest.raises(AssertionError, match="global random"):
        check_global_rng_untouched(_ReseedsNumpy())
    expected = np.random.RandomState(0).random_sample()
    assert np.random.random_sample() == expected


def test_suite_catches_a_save_that_deletes_user_files():
    with pytest.raises(AssertionError, match="deleted or changed a file of the user's"):
        check_save_keeps_user_files(_DeletesOnSave())


class _ForgetfulUpdateForecaster(BaseForecaster):
    """A naive forecast whose update() drops the new rows (returns self, changes nothing)."""

    def _fit(self, y, X):
        self.context_length_ = 1

    def _predict(self, Y, XH, XF, horizon):
        return np.repeat(Y[:, -1:], horizon, axis=1)

    def update(self, y_new, X_new=None, **kwargs):
        return self


def test_suite_catches_an_update_that_forgets_the_new_rows():
    from tsforecast.testing import check_update

    with pytest.raises(AssertionError, match="forecasts must start at"):
        check_update(_ForgetfulUpdateForecaster())
