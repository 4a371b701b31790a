"""Season lengths measured on the data (tsforecast.seasonality.detect_periods)."""

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import MissingValuesError, NotEnoughDataError, ParameterError
from tsforecast.seasonality import detect_periods


def _traffic(n, week, day, seed=0):
    """Hourly-indexed traffic whose weekly cycle lasts ``week`` steps and daily cycle ``day`` steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 10 + np.sin(2 * np.pi * t / day) + 0.6 * (np.sin(2 * np.pi * t / week) > 0.6) + 0.1 * rng.normal(size=n)
    return pd.Series(np.exp(level), index=pd.date_range("2005-06-07", periods=n, freq="h"))


def _brute_force(v, p, r):
    """The lag within r of p with the largest autocorrelation (pairs averaged per lag), nearest p on ties."""
    x = np.log1p(v) if v.min() >= 0 else v
    x = x - x.mean()
    var = np.dot(x, x) / len(x)
    best, best_rho = None, -np.inf
    for lag in sorted((k for k in range(p - r, p + r + 1) if k >= 2), key=lambda k: abs(k - p)):
        rho = np.dot(x[:-lag], x[lag:]) / (len(x) - lag) / var
        if rho > best_rho + 1e-9:
            best, best_rho = lag, rho
    return best


def test_a_drifting_clock_is_found_and_an_exact_one_is_kept():
    # A week of 165 hourly steps (seven days of 23.57 hours), as on the Cortez ISP A link.
    assert detect_periods(_traffic(900, 165, 165 / 7)) == (24, 165)
    assert detect_periods(_traffic(900, 168, 24)) == (24, 168)
    assert detect_periods(_traffic(900, 165, 165 / 7).to_numpy(), periods=[168]) == (165,)


@pytest.mark.skipif(not os.environ.get("TSFORECAST_DATA_DIR"),
                    reason="TSFORECAST_DATA_DIR is not set (point it at the shared real-data folder)")
def test_the_cortez_link_clock():
    y = tsf.load_dataset("cortez_a1h").data
    train = y.iloc[: len(y) * 2 // 3]
    assert detect_periods(train) == (24, 165)
    assert detect_periods(train.iloc[: len(train) // 2])[1] == 165


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(2, 40), tolerance=st.sampled_from([0.0, 0.05, 0.2]),
       positive=st.booleans())
def test_equals_a_brute_force_search_over_the_lags(seed, p, tolerance, positive):
    rng = np.random.default_rng(seed)
    n = 3 * p + 20
    v = np.cumsum(rng.normal(size=n)) + np.sin(2 * np.pi * np.arange(n) / (p + rng.uniform(-2, 2)))
    v = np.abs(v) if positive else v
    r = max(1, round(tolerance * p)) if tolerance else 0
    assert detect_periods(v, periods=[p], tolerance=tolerance) == (_brute_force(v, p, r),)


def test_a_constant_series_keeps_its_nominal_periods():
    assert detect_periods(pd.Series(5.0, index=pd.date_range("2024-01-01", periods=400, freq="h"))) == (24, 168)


def test_bad_input_gets_named_errors():
    y = _traffic(900, 168, 24)
    with pytest.raises(NotEnoughDataError, match="two cycles, 352 points"):
        detect_periods(y.iloc[:300])
    with pytest.raises(MissingValuesError, match="fill them"):
        detect_periods(y.where(y.index != y.index[10]))
    with pytest.raises(ParameterError, match="pass periods="):
        detect_periods(y.to_numpy())
    with pytest.raises(ParameterError, match="tolerance"):
        detect_periods(y, tolerance=0.7)
    with pytest.raises(ParameterError, match="at least 2"):
        detect_periods(y, periods=[1])
