"""Calendar features against hand-computed angles."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.calendar import CALENDAR_FEATURES, calendar_feature_names, calendar_features
from tsforecast.exceptions import ParameterError


def test_hour_and_dayofweek_by_hand():
    # 2024-01-01 was a Monday (dayofweek 0); 06:00 is a quarter of the day.
    ix = pd.DatetimeIndex(["2024-01-01 06:00", "2024-01-03 18:00"])
    got = calendar_features(ix, ("hour", "dayofweek"))
    want = np.array([[1.0, 0.0, 0.0, 1.0],
                     [-1.0, 0.0, np.sin(2 * np.pi * 2 / 7), np.cos(2 * np.pi * 2 / 7)]])
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert calendar_feature_names(("hour", "dayofweek")) == ["hour_sin", "hour_cos", "dayofweek_sin", "dayofweek_cos"]


def test_dayofmonth_uses_the_month_length_and_month_is_twelfths():
    ix = pd.DatetimeIndex(["2024-02-15", "2024-03-16", "2023-07-01"])
    got = calendar_features(ix, ("dayofmonth", "month"))
    dom = np.array([14 / 29, 15 / 31, 0.0])
    mon = np.array([1 / 12, 2 / 12, 6 / 12])
    np.testing.assert_allclose(got[:, 0], np.sin(2 * np.pi * dom), atol=1e-12)
    np.testing.assert_allclose(got[:, 3], np.cos(2 * np.pi * mon), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(start=st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                          max_value=pd.Timestamp("2050-01-01").to_pydatetime()),
       n=st.integers(1, 50))
def test_minuteofday_matches_a_loop_and_lies_on_the_unit_circle(start, n):
    ix = pd.date_range(pd.Timestamp(start).floor("min"), periods=n, freq="7min")
    got = calendar_features(ix, ("minuteofday", "minute"))
    for row, ts in zip(got, ix):
        a = 2 * np.pi * (ts.hour * 60 + ts.minute) / 1440
        b = 2 * np.pi * ts.minute / 60
        np.testing.assert_allclose(row, [np.sin(a), np.cos(a), np.sin(b), np.cos(b)], atol=1e-9)
    np.testing.assert_allclose(got[:, 0] ** 2 + got[:, 1] ** 2, 1.0)


@pytest.mark.parametrize("freq, name", [("D", "hour"), ("h", "minute"), ("W", "dayofweek"), ("MS", "dayofmonth"),
                                        ("D", "minuteofday")])
def test_feature_that_cannot_vary_at_the_frequency_is_refused(freq, name):
    ix = pd.date_range("2024-01-01", periods=10, freq=freq)
    with pytest.raises(ParameterError, match="do not vary"):
        calendar_features(ix, (name,))


@pytest.mark.parametrize("freq, name", [("30min", "minute"), ("B", "dayofweek"), ("MS", "month"), ("W", "month")])
def test_feature_that_varies_is_accepted(freq, name):
    ix = pd.date_range("2024-01-01", periods=12, freq=freq)
    assert calendar_features(ix, (name,)).std(axis=0).max() > 0.1


def test_bad_index_and_names_are_refused():
    with pytest.raises(ParameterError, match="DatetimeIndex"):
        calendar_features(pd.RangeIndex(10), ("hour",))
    ix = pd.date_range("2024-01-01", periods=10, freq="h")
    with pytest.raises(ParameterError, match="unknown calendar feature"):
        calendar_features(ix, ("hours",))
    with pytest.raises(ParameterError, match="repeat"):
        calendar_features(ix, ("hour", "hour"))
    assert set(CALENDAR_FEATURES) >= {"hour", "dayofweek", "month"}
