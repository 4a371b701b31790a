"""Many-series helpers against one date_range per series."""

import numpy as np
import pandas as pd
import pytest

from tsforecast.multiseries import dict_to_long, stacked_forecasts_to_long
from tsforecast.panel import Panel
from tsforecast.validation import future_index


def _indexes(kind):
    if kind == "hourly_mixed_units":
        a = pd.date_range("2024-01-01", periods=5, freq="h")
        b = pd.DatetimeIndex(pd.date_range("2024-03-01 07:00", periods=9, freq="h").to_numpy().astype("datetime64[us]"),
                             freq="h")
        return [a, b]
    if kind == "five_minute":
        return [pd.date_range("2005-06-07 07:00", periods=n, freq="5min") for n in (3, 8)]
    if kind == "positions":
        return [pd.RangeIndex(0, 4), pd.RangeIndex(10, 30)]
    if kind == "month_start":  # not a fixed step: the fallback path
        return [pd.date_range("2024-01-01", periods=3, freq="MS"), pd.date_range("2020-05-01", periods=4, freq="MS")]
    return [pd.date_range("2024-01-01", periods=6, freq="h", tz="Europe/Lisbon")]


@pytest.mark.parametrize("kind", ["hourly_mixed_units", "five_minute", "positions", "month_start", "tz"])
def test_stacked_long_equals_one_series_at_a_time(kind):
    indexes = _indexes(kind)
    horizon = 3
    values = np.arange(len(indexes) * horizon, dtype=float).reshape(len(indexes), horizon)
    ids = [f"s{i}" for i in range(len(indexes))]
    histories = {k: pd.Series(np.zeros(len(ix)), index=ix) for k, ix in zip(ids, indexes)}
    stamps = Panel.from_dict(histories).future_stamps(horizon)
    fast = stacked_forecasts_to_long(ids, stamps, values)
    slow = dict_to_long({k: pd.Series(v, index=future_index(ix, horizon)) for k, ix, v in zip(ids, indexes, values)})
    assert list(fast.columns) == ["id", "timestamp", "step", "forecast"]
    np.testing.assert_array_equal(fast["id"].to_numpy(), slow["id"].to_numpy())
    np.testing.assert_array_equal(fast["step"].to_numpy(), np.tile([1, 2, 3], len(indexes)))
    np.testing.assert_array_equal(fast["forecast"].to_numpy(), values.ravel())
    assert [pd.Timestamp(t) if not isinstance(t, (int, np.integer)) else t for t in fast["timestamp"]] == \
        [pd.Timestamp(t) if not isinstance(t, (int, np.integer)) else t for t in slow["timestamp"]]


@pytest.mark.parametrize("freq", ["h", "5min", "D", "7D", "15s"])
@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_constant_step_frequency_matches_pandas_inference(freq, unit):
    from tsforecast.validation import check_index

    raw = pd.date_range("2024-03-01 07:00", periods=12, freq=freq)
    stamps = pd.DatetimeIndex(raw.to_numpy().astype(f"datetime64[{unit}]"))  # no freq attached
    checked = check_index(stamps)
    assert checked.freq is not None
    np.testing.assert_array_equal(checked.to_numpy(), stamps.to_numpy())
    np.testing.assert_array_equal(future_index(checked, 3).to_numpy().astype("datetime64[ns]"),
                                  pd.date_range(raw[-1], periods=4, freq=pd.infer_freq(raw))[1:].to_numpy())
