"""Datasets: catalogue cards vs the real files, file readers and their errors, traffic simulator."""

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.datasets import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    make_traffic,
    read_long_file,
    read_series_file,
    traffic_seasonal_periods,
    trading_day_series,
)
from tsforecast.exceptions import DataFileError, MissingValuesError, ParameterError
from tsforecast.validation import MissingValuesWarning, apply_missing_policy

DATA_DIR = os.environ.get("TSFORECAST_DATA_DIR")

# Independent truth: the numbers published in /work/shared/data/README.md (not the cards).
CORTEZ_FACTS = {
    "cortez_a5m": ("cortez2012_A5M.csv", 14772, "2005-06-07 07:00", "2005-07-28 13:55", "5min"),
    "cortez_a1h": ("cortez2012_A1H.csv", 1231, "2005-06-07 07:00", "2005-07-28 13:00", "h"),
    "cortez_a1d": ("cortez2012_A1D.csv", 51, "2005-06-07", "2005-07-27", "D"),
}
MILAN_FILE = "milan_ferreira2023_hourly_281cells.csv"


def needs_file(filename):
    """Mark a test as needing one real data file; skip with the reason when it is absent."""
    reason = None
    if not DATA_DIR:
        reason = "TSFORECAST_DATA_DIR is not set (point it at the shared real-data folder)"
    elif not (Path(DATA_DIR) / filename).is_file():
        reason = f"{filename} not found in TSFORECAST_DATA_DIR={DATA_DIR}"
    return [pytest.mark.data, pytest.mark.skipif(reason is not None, reason=reason or "")]


def write(tmp_path, text, name="y.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- catalogue


def test_catalogue_lists_every_dataset_with_a_card():
    names = list_datasets()
    assert set(names) == {"traffic_synthetic", "sp500", "nasdaq", "cortez_a5m", "cortez_a1h", "cortez_a1d",
                          "milan_cells"}
    assert names[0] == "traffic_synthetic"
    for name in names:
        info = dataset_info(name)
        assert isinstance(info, DatasetInfo) and info.name == name
        assert info.kind in ("series", "frame", "long")
        assert info.seasonal_periods and all(isinstance(p, int) and p > 1 for p in info.seasonal_periods)
        pd.tseries.frequencies.to_offset(info.frequency)  # a valid pandas alias
        assert info.source and info.licence and info.unit
        assert info.external == (info.filename is not None)
    assert dataset_info("cortez_a1h").protocol == {"train_fraction": 2 / 3, "horizon": 24, "metric": "mape"}
    assert dataset_info("cortez_a1d").protocol["horizon"] == 7
    milan = dataset_info("milan_cells").protocol
    # 50 + 5 + 7 days cover the 1,488 hourly rows exactly.
    assert (milan["train_days"] + milan["val_days"] + milan["test_days"]) * 24 == 1488 and milan["lags"] == 24
    with pytest.raises(ParameterError, match="unknown dataset 'nope'"):
        load_dataset("nope")
    with pytest.raises(ParameterError, match="missing must be one of"):
        load_dataset("traffic_synthetic", missing="drop")


def test_cards_are_not_shared_mutable_state():
    info = dataset_info("cortez_a1h")
    info.protocol["horizon"] = 1
    assert dataset_info("cortez_a1h").protocol["horizon"] == 24


def test_traffic_synthetic_is_built_in():
    # Its load time is measured by experiments/bench_speed.py, not asserted here.
    y, info = load_dataset("traffic_synthetic")
    assert len(y) == 24 * 7 * 8 == info.rows
    assert y.index.freq == pd.tseries.frequencies.to_offset("h")
    assert y.index[0] == pd.Timestamp("2024-01-01 00:00") and y.index[-1] == pd.Timestamp("2024-02-25 23:00")
    assert info.seasonal_periods == (24, 168) and not info.external
    assert np.isfinite(y).all() and (y > 0).all()
    np.testing.assert_array_equal(y.to_numpy(), make_traffic(length=1344, freq="h", seed=0).to_numpy())


@pytest.mark.parametrize("name", ["sp500", "nasdaq"])
def test_prices_keep_real_trading_dates(name):
    df, info = load_dataset(name)
    assert df.shape == (5031, 6)
    assert {"Open", "High", "Low", "Close", "Adj Close", "Volume"} == set(df.columns)
    assert df.index[0] == pd.Timestamp("1999-01-04") and df.index[-1] == pd.Timestamp("2018-12-31")
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.is_monotonic_increasing and df.index.is_unique
    assert df.index.freq is None  # holidays are absent: not silently reindexed to business days
    assert info.frequency == "B" and info.seasonal_periods == (5,) and info.kind == "frame"
    assert (df.index.day_of_week < 5).all()
    assert info.rows == len(df) and pd.Timestamp(info.start) == df.index[0] and pd.Timestamp(info.end) == df.index[-1]


def test_trading_day_series_positions_and_business_days():
    df, _ = load_dataset("sp500")
    s = trading_day_series(df)
    assert isinstance(s.index, pd.RangeIndex) and len(s) == 5031
    np.testing.assert_array_equal(s.to_numpy(), df["Adj Close"].to_numpy())
    # calendar="B": holidays become NaN; the default policy refuses them, interpolate fills them.
    n_business = int(np.busday_count("1999-01-04", "2019-01-01"))
    with pytest.raises(MissingValuesError, match=f"{n_business - 5031} missing"):
        trading_day_series(df, calendar="B")
    with pytest.warns(MissingValuesWarning, match=f"interpolated {n_business - 5031} interior"):
        b = trading_day_series(df, column="Close", calendar="B", missing="interpolate")
    assert len(b) == n_business and b.index.freq == pd.tseries.frequencies.to_offset("B")
    np.testing.assert_array_equal(b.loc[df.index].to_numpy(), df["Close"].to_numpy())  # real prices untouched
    with pytest.raises(ParameterError):
        trading_day_series(df, calendar="W")


def test_price_frame_missing_policy(monkeypatch):
    import arch.data.sp500

    real = arch.data.sp500.load()
    holed = real.copy()
    holed.iloc[3, 0] = np.nan
    holed.iloc[-1, 2] = np.nan
    monkeypatch.setattr(arch.data.sp500, "load", lambda: holed.copy())
    with pytest.raises(MissingValuesError):
        load_dataset("sp500")
    with pytest.warns(MissingValuesWarning):
        df, _ = load_dataset("sp500", missing="interpolate")
    assert len(df) == 5030 and not df.isna().any().any()  # last row trimmed for every column
    assert df.iloc[3, 0] == pytest.approx((real.iloc[2, 0] + real.iloc[4, 0]) / 2)
    assert load_dataset("sp500", missing="keep").data.isna().sum().sum() == 2


def test_price_frame_ffill_takes_the_last_observed_price(monkeypatch):
    import arch.data.sp500

    real = arch.data.sp500.load()
    holed = real.copy()
    holed.iloc[3, 0] = np.nan
    holed.iloc[4, 0] = np.nan
    holed.iloc[-1, 2] = np.nan
    monkeypatch.setattr(arch.data.sp500, "load", lambda: holed.copy())
    with pytest.warns(MissingValuesWarning, match="forward-filled"):
        df, _ = load_dataset("sp500", missing="ffill")
    assert len(df) == 5030 and not df.isna().any().any()  # last row trimmed for every column
    assert df.iloc[3, 0] == df.iloc[4, 0] == real.iloc[2, 0]  # the price before the gap, not the one after
    np.testing.assert_array_equal(df.iloc[:, 1:].to_numpy(), real.iloc[:-1, 1:].to_numpy())


def test_trading_day_series_ffill_repeats_the_previous_trading_day():
    df, _ = load_dataset("sp500")
    n_business = int(np.busday_count("1999-01-04", "2019-01-01"))
    with pytest.warns(MissingValuesWarning, match=f"forward-filled {n_business - 5031} interior"):
        b = trading_day_series(df, column="Close", calendar="B", missing="ffill")
    assert b[pd.Timestamp("1999-01-18")] == df.loc["1999-01-15", "Close"]  # Martin Luther King day: Friday's close
    np.testing.assert_array_equal(b.to_numpy(), df["Close"].reindex(b.index, method="ffill").to_numpy())


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=needs_file(CORTEZ_FACTS[n][0])) for n in CORTEZ_FACTS]
)
def test_cortez_matches_published_facts(name):
    filename, rows, first, last, freq = CORTEZ_FACTS[name]
    y, info = load_dataset(name)
    assert len(y) == rows
    assert y.index[0] == pd.Timestamp(first) and y.index[-1] == pd.Timestamp(last)
    assert y.index.freq == pd.tseries.frequencies.to_offset(freq)
    assert info.filename == filename and info.rows == rows and info.external
    assert y.dtype == np.float64 and (y > 0).all()
    raw = pd.read_csv(Path(DATA_DIR) / filename)  # round trip against a plain read
    np.testing.assert_array_equal(y.to_numpy(), raw["value"].to_numpy(dtype=float))
    assert info.seasonal_periods == {"5min": (288, 2016), "h": (24, 168), "D": (7,)}[freq]


@pytest.mark.data
@pytest.mark.skipif(not DATA_DIR, reason="TSFORECAST_DATA_DIR is not set (point it at the shared real-data folder)")
def test_cortez_scales_aggregate_each_other():
    """README: an hour is the sum of its 12 five-minute values, a day the sum of 24 hours from 07:00."""
    for filename in ("cortez2012_A5M.csv", "cortez2012_A1H.csv", "cortez2012_A1D.csv"):
        if not (Path(DATA_DIR) / filename).is_file():
            pytest.skip(f"{filename} not found in TSFORECAST_DATA_DIR={DATA_DIR}")
    five, hour, day = (load_dataset(n).data for n in ("cortez_a5m", "cortez_a1h", "cortez_a1d"))
    np.testing.assert_array_equal(five.to_numpy().reshape(-1, 12).sum(axis=1), hour.to_numpy())
    np.testing.assert_array_equal(hour.to_numpy()[: 51 * 24].reshape(51, 24).sum(axis=1), day.to_numpy())


@pytest.mark.parametrize("_", [pytest.param(0, marks=needs_file(MILAN_FILE))])
def test_milan_cells_ragged_data_kept_honestly(_):
    with pytest.raises(MissingValuesError, match="70 of 281 series have missing values"):
        load_dataset("milan_cells")
    long, info = load_dataset("milan_cells", missing="keep")
    assert list(long.columns) == ["id", "timestamp", "value"] and info.kind == "long"
    assert long["id"].nunique() == 281 == info.n_series
    counts = long.groupby("id", observed=True).size()
    assert (counts == 1488).all()
    stamps = long.loc[long["id"] == "cell_1", "timestamp"]
    assert stamps.iloc[0] == pd.Timestamp("2013-11-01 00:00") and stamps.iloc[-1] == pd.Timestamp("2014-01-01 23:00")
    assert (np.diff(stamps.to_numpy()) == np.timedelta64(1, "h")).all()
    wide = pd.read_csv(Path(DATA_DIR) / MILAN_FILE)  # independent plain read
    cells = [c for c in wide.columns if c.startswith("cell_")]
    np.testing.assert_array_equal(long["value"].to_numpy(), wide[cells].to_numpy(dtype=float).T.ravel())
    nan = long["value"].isna().to_numpy().reshape(281, 1488)
    assert int((~nan.any(axis=1)).sum()) == 211
    # the gaps are trailing only: once a cell is empty it stays empty
    assert (np.diff(nan.astype(int), axis=1) >= 0).all() and nan.any(axis=1).sum() == 70
    with pytest.warns(MissingValuesWarning, match=f"70 of 281 series.*trimmed {int(nan.sum())}"):
        trimmed, _ = load_dataset("milan_cells", missing="interpolate")
    assert not trimmed["value"].isna().any()
    lengths = trimmed.groupby("id", observed=True).size().to_numpy()
    np.testing.assert_array_equal(lengths, (~nan).sum(axis=1))
    np.testing.assert_array_equal(trimmed["value"].to_numpy(), long["value"].dropna().to_numpy())
    with pytest.warns(MissingValuesWarning, match=f"70 of 281 series.*forward-filled 0 interior.*trimmed {int(nan.sum())}"):
        filled, _ = load_dataset("milan_cells", missing="ffill")  # trailing gaps only: nothing to fill
    pd.testing.assert_frame_equal(filled, trimmed)


def test_missing_external_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("TSFORECAST_DATA_DIR", raising=False)
    with pytest.raises(DataFileError, match="cortez2012_A1H.csv.*TSFORECAST_DATA_DIR"):
        load_dataset("cortez_a1h")
    with pytest.raises(DataFileError, match=f"{MILAN_FILE} not found in {tmp_path}.*TSFORECAST_DATA_DIR"):
        load_dataset("milan_cells", data_dir=tmp_path)
    monkeypatch.setenv("TSFORECAST_DATA_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match=r"cortez2012_A5M.csv not found .*from \$TSFORECAST_DATA_DIR"):
        load_dataset("cortez_a5m")


def test_external_file_that_differs_from_its_card_is_refused(tmp_path):
    index = pd.date_range("2005-06-07", periods=10, freq="D")
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d"), "value": np.arange(10) + 1.0}).to_csv(
        tmp_path / "cortez2012_A1D.csv", index=False
    )
    with pytest.raises(DataFileError, match="expected 51 rows .* found 10 rows"):
        load_dataset("cortez_a1d", data_dir=tmp_path)


# --------------------------------------------------------------------------- file readers

MALFORMED = [
    # (file text, line named in the error, words that must appear)
    ("2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n", 1, "no header"),
    ("time,val\n2024-01-01,1\n2024-01-02,2\n", 1, "lacks column"),
    ("timestamp,value\n2024-01-01,1\n2024-01-02,2\nyesterday,3\n2024-01-04,4\n", 4, "unparsable timestamp"),
    ("timestamp,value\n2024-01-01,1\n2024-01-02,2\n2024-01-03,abc\n2024-01-04,4\n", 4, "not a finite number"),
    ("timestamp,value\n2024-01-01,1\n2024-01-02,2 Mb\n", 3, "not a finite number"),
    ("timestamp,value\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n2024-01-03,4\n", 4, "duplicate timestamp"),
    ("timestamp,value\n2024-01-01,1\n2024-01-03,2\n2024-01-02,3\n", 4, "sort the file"),
    ("timestamp,value\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-05,4\n2024-01-06,5\n", 5, "irregular"),
    ("timestamp,value\n2024-01-01,1\n\n2024-01-03,3\n", 3, "timestamp is empty"),
]


@pytest.mark.parametrize("text, line, words", MALFORMED)
def test_malformed_series_file_names_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as err:
        read_series_file(path)
    message = str(err.value)
    assert str(path) in message and f"line {line}:" in message and words in message, message


def test_duplicate_error_names_both_lines(tmp_path):
    path = write(tmp_path, "timestamp,value\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n")
    with pytest.raises(DataFileError, match=r"line 4: duplicate timestamp 2024-01-02.*first seen at line 3"):
        read_series_file(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_series_file(tmp_path / "absent.csv")
    with pytest.raises(DataFileError, match="empty"):
        read_series_file(write(tmp_path, ""))
    with pytest.raises(DataFileError, match="no data rows"):
        read_series_file(write(tmp_path, "timestamp,value\n"))
    with pytest.raises(DataFileError, match="read_long_file"):
        read_series_file(write(tmp_path, "id,timestamp,value\na,2024-01-01,1\n"))
    with pytest.raises(DataFileError, match="not a valid CSV"):
        read_series_file(write(tmp_path, "timestamp,value\n2024-01-01,1\n2024-01-02,2,7\n"))


def test_parquet_errors_name_the_row(tmp_path):
    path = tmp_path / "y.parquet"
    stamps = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"])
    pd.DataFrame({"timestamp": stamps, "value": [1.0, 2.0, 3.0]}).to_parquet(path)
    with pytest.raises(DataFileError, match=f"{path}, row 3: duplicate"):
        read_series_file(path)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False)), min_size=3, max_size=40),
    freq=st.sampled_from(["5min", "h", "D", "MS"]),
    parquet=st.booleans(),
)
def test_series_file_round_trip(values, freq, parquet):
    y = pd.Series([np.nan if v is None else v for v in values], index=pd.date_range("2020-03-01", periods=len(values), freq=freq))
    with tempfile.TemporaryDirectory() as tmp:
        frame = pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()})
        path = Path(tmp) / ("y.parquet" if parquet else "y.csv")
        frame.to_parquet(path) if parquet else frame.to_csv(path, index=False)
        back = read_series_file(path, missing="keep")
    assert back.index.freq == pd.tseries.frequencies.to_offset(freq)
    np.testing.assert_array_equal(back.index.to_numpy(), y.index.to_numpy())
    np.testing.assert_array_equal(back.to_numpy(), y.to_numpy())


def test_series_file_missing_policy(tmp_path):
    path = write(tmp_path, "timestamp,value\n2024-01-01,1\n2024-01-02,\n2024-01-03,5\n2024-01-04,\n")
    with pytest.raises(MissingValuesError, match="First empty value: line 3"):
        read_series_file(path)
    with pytest.warns(MissingValuesWarning, match="interpolated 1 interior.*trimmed 1"):
        y = read_series_file(path, missing="interpolate")
    np.testing.assert_array_equal(y.to_numpy(), [1.0, 3.0, 5.0])  # hand-computed
    assert y.index.freq == pd.tseries.frequencies.to_offset("D")
    assert read_series_file(path, missing="keep").isna().sum() == 2


def test_series_file_ffill_takes_the_last_observed_value(tmp_path):
    text = "timestamp,value\n2024-01-01,\n2024-01-02,1\n2024-01-03,\n2024-01-04,5\n2024-01-05,\n2024-01-06,\n2024-01-07,2\n2024-01-08,\n"
    path = write(tmp_path, text)
    with pytest.warns(MissingValuesWarning, match="forward-filled 3 interior.*trimmed 2"):
        y = read_series_file(path, missing="ffill")
    np.testing.assert_array_equal(y.to_numpy(), [1.0, 1.0, 5.0, 5.0, 5.0, 2.0])  # hand-computed
    assert list(y.index) == list(pd.date_range("2024-01-02", "2024-01-07", freq="D"))
    assert y.index.freq == pd.tseries.frequencies.to_offset("D")


def test_load_dataset_ffill_on_a_series_file(tmp_path):
    index = pd.date_range("2005-06-07", periods=51, freq="D")  # the card of cortez_a1d
    values = np.arange(51) + 1.0
    values[[10, 11, 30]] = np.nan
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d"), "value": values}).to_csv(
        tmp_path / "cortez2012_A1D.csv", index=False, na_rep=""
    )
    with pytest.raises(MissingValuesError):
        load_dataset("cortez_a1d", data_dir=tmp_path)
    with pytest.warns(MissingValuesWarning, match="forward-filled 3 interior"):
        y, info = load_dataset("cortez_a1d", data_dir=tmp_path, missing="ffill")
    assert y.name == "cortez_a1d" and len(y) == 51 and info.kind == "series"
    assert y.iloc[10] == y.iloc[11] == 10.0 and y.iloc[30] == 30.0  # hand-computed: the values of rows 9 and 29
    assert y.drop(y.index[[10, 11, 30]]).to_numpy().tolist() == np.delete(values, [10, 11, 30]).tolist()


def test_integer_time_steps_are_positions_not_epoch_nanoseconds(tmp_path):
    y = read_series_file(write(tmp_path, "timestamp,value\n10,1\n11,2\n12,3\n"))
    assert y.index.equals(pd.RangeIndex(10, 13))
    with pytest.raises(DataFileError, match="line 3: integer time steps must increase by 1"):
        read_series_file(write(tmp_path, "timestamp,value\n10,1\n12,2\n13,3\n"))


def test_long_file_round_trip_with_exog(tmp_path):
    long = make_traffic(n_series=3, length=60, seed=4, missing_rate=0.05)
    long["temperature"] = np.linspace(-3, 30, len(long))
    path = tmp_path / "panel.csv"
    long.to_csv(path, index=False)
    back = read_long_file(path, missing="keep")
    assert list(back.columns) == ["id", "timestamp", "value", "temperature"]
    assert list(back["id"].cat.categories) == ["link_0000", "link_0001", "link_0002"]
    np.testing.assert_array_equal(back["timestamp"].to_numpy(), long["timestamp"].to_numpy())
    np.testing.assert_array_equal(back["value"].to_numpy(), long["value"].to_numpy())
    np.testing.assert_array_equal(back["temperature"].to_numpy(), long["temperature"].to_numpy())


def test_long_file_missing_policy_per_series_matches_brute_force(tmp_path):
    long = make_traffic(n_series=4, length=80, seed=5, missing_rate=0.1)
    path = tmp_path / "panel.parquet"
    long.to_parquet(path)
    with pytest.raises(MissingValuesError, match="4 of 4 series have missing values"):
        read_long_file(path)
    with pytest.warns(MissingValuesWarning, match="4 of 4 series"):
        got = read_long_file(path, missing="interpolate")
    for key, part in long.groupby("id", observed=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingValuesWarning)
            values, index = apply_missing_policy(part["value"].to_numpy(), pd.DatetimeIndex(part["timestamp"]), "interpolate")
        mine = got[got["id"] == key]
        np.testing.assert_array_equal(mine["value"].to_numpy(), values)
        np.testing.assert_array_equal(mine["timestamp"].to_numpy(), index.to_numpy())


def test_long_file_ffill_fills_each_series_from_its_own_past(tmp_path):
    # Rows of the series interleave, so the row above a gap in the file belongs to another series.
    path = write(tmp_path, (
        "id,timestamp,value\n"
        "a,2024-01-01,1\n" "b,2024-01-01,10\n" "c,2024-01-01,\n"
        "a,2024-01-02,\n" "b,2024-01-02,20\n" "c,2024-01-02,7\n"
        "a,2024-01-03,3\n" "b,2024-01-03,\n" "c,2024-01-03,\n"
        "a,2024-01-04,\n" "b,2024-01-04,40\n" "c,2024-01-04,8\n"
    ), "long.csv")
    with pytest.warns(MissingValuesWarning, match="3 of 3 series.*forward-filled 3 interior.*trimmed 2"):
        got = read_long_file(path, missing="ffill")
    d = pd.Timestamp
    want = {  # hand-computed: a's trailing gap and c's leading gap are trimmed
        "a": ([d("2024-01-01"), d("2024-01-02"), d("2024-01-03")], [1.0, 1.0, 3.0]),
        "b": ([d("2024-01-01"), d("2024-01-02"), d("2024-01-03"), d("2024-01-04")], [10.0, 20.0, 20.0, 40.0]),
        "c": ([d("2024-01-02"), d("2024-01-03"), d("2024-01-04")], [7.0, 7.0, 8.0]),
    }
    for key, (stamps, values) in want.items():
        mine = got[got["id"] == key]
        assert list(mine["timestamp"]) == stamps
        assert mine["value"].tolist() == values


def test_long_file_ffill_matches_brute_force(tmp_path):
    long = make_traffic(n_series=4, length=80, seed=5, missing_rate=0.1)
    path = tmp_path / "panel.parquet"
    long.to_parquet(path)
    with pytest.warns(MissingValuesWarning, match="4 of 4 series.*forward-filled"):
        got = read_long_file(path, missing="ffill")
    for key, part in long.groupby("id", observed=True):
        observed = part["value"].notna().to_numpy().nonzero()[0]
        kept = part.iloc[observed[0]: observed[-1] + 1]
        mine = got[got["id"] == key]
        np.testing.assert_array_equal(mine["timestamp"].to_numpy(), kept["timestamp"].to_numpy())
        filled = [v for v in kept["value"]]
        for i in range(1, len(filled)):  # loop: each gap takes the value before it
            if np.isnan(filled[i]):
                filled[i] = filled[i - 1]
        np.testing.assert_array_equal(mine["value"].to_numpy(), filled)


def test_load_dataset_ffill_on_wide_cells_fills_each_cell_from_its_own_past(tmp_path):
    index = pd.date_range("2013-11-01", periods=1488, freq="h")  # the card of milan_cells
    a = np.arange(1488) + 1.0
    b = 1000 + np.arange(1488.0)
    a[[5, 6]] = np.nan
    a[-3:] = np.nan  # a's trailing gap: the row before b's first row in the long layout
    b[[0, 10]] = np.nan
    pd.DataFrame({"hour_index": np.arange(1488), "timestamp_assumed": index.strftime("%Y-%m-%d %H:%M"),
                  "cell_1": a, "cell_2": b}).to_csv(tmp_path / MILAN_FILE, index=False, na_rep="")
    with pytest.warns(MissingValuesWarning, match="2 of 2 series.*forward-filled 3 interior.*trimmed 4"):
        long, info = load_dataset("milan_cells", data_dir=tmp_path, missing="ffill")
    assert info.kind == "long"
    one, two = long[long["id"] == "cell_1"], long[long["id"] == "cell_2"]
    assert len(one) == 1485 and one["value"].iloc[5] == one["value"].iloc[6] == 5.0  # hand-computed
    assert len(two) == 1487 and two["timestamp"].iloc[0] == index[1]  # leading gap trimmed, not filled from cell_1
    assert two["value"].iloc[0] == 1001.0 and two["value"].iloc[9] == 1009.0  # row 10 takes row 9's value


LONG_MALFORMED = [
    ("series,timestamp,value\na,2024-01-01,1\n", 1, "lacks column"),
    ("id,timestamp,value\na,2024-01-01,1\n,2024-01-02,2\n", 3, "id is empty"),
    ("id,timestamp,value\na,2024-01-01,1\nb,2024-01-01,5\na,2024-01-01,2\n", 4, "duplicate timestamp 2024-01-01 00:00:00 in series 'a' (first seen at line 2)"),
    ("id,timestamp,value\na,2024-01-02,1\nb,2024-01-01,5\na,2024-01-01,2\n", 4, "in series 'a' is earlier"),
    ("id,timestamp,value,load\na,2024-01-01,1,3\na,2024-01-02,2,high\n", 3, "load 'high' is not a finite number"),
    ("id,timestamp,value\na,2024-01-01,1\na,2024-13-45,2\n", 3, "unparsable timestamp"),
]


@pytest.mark.parametrize("text, line, words", LONG_MALFORMED)
def test_malformed_long_file_names_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text, "panel.csv")
    with pytest.raises(DataFileError) as err:
        read_long_file(path)
    message = str(err.value)
    assert str(path) in message and f"line {line}:" in message and words in message, message


# --------------------------------------------------------------------------- simulator


def dominant_periods(y: np.ndarray):
    """Period of the strongest periodogram bin, and of the strongest bin slower than a day."""
    t = np.arange(len(y))
    detrended = y - np.polyval(np.polyfit(t, y, 1), t)
    power = np.abs(np.fft.rfft(detrended)) ** 2
    k = np.arange(len(power))
    power[0] = 0
    return len(y) / k[np.argmax(power)], power, k


@pytest.mark.parametrize("freq, day, week", [("h", 24, 168), ("5min", 288, 2016)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulator_has_the_seasonal_periods_it_claims(freq, day, week, seed):
    assert traffic_seasonal_periods(freq) == (day, week)
    length = 4 * week  # whole weeks, so both periods fall exactly on Fourier bins
    y = np.log(make_traffic(length=length, freq=freq, seed=seed).to_numpy())  # multiplicative -> log
    strongest, power, k = dominant_periods(y)
    assert strongest == day
    slower = k < length / day  # components slower than a day
    assert length / k[slower][np.argmax(power[slower])] == week


def test_simulator_is_reproducible_and_realistic():
    a = make_traffic(n_series=5, length=24 * 7 * 4, seed=11)
    b = make_traffic(n_series=5, length=24 * 7 * 4, seed=11)
    c = make_traffic(n_series=5, length=24 * 7 * 4, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["value"], c["value"])
    assert list(a.columns) == ["id", "timestamp", "value"]
    assert list(a["id"].cat.categories) == [f"link_{i:04d}" for i in range(5)]
    values = a["value"].to_numpy().reshape(5, -1)
    assert (values > 0).all()
    levels = np.median(values, axis=1)
    assert levels.min() >= 1e6 and levels.max() <= 1e10 and len(np.unique(levels.round(-3))) == 5  # per link
    # troughs in the early morning, peaks between 13:00 and 22:00 (the documented peak-hour range)
    hours = pd.DatetimeIndex(a["timestamp"].iloc[: values.shape[1]]).hour.to_numpy()
    profile = np.array([np.log(values[:, hours == h]).mean(axis=1) for h in range(24)])  # (24, links)
    assert np.isin(profile.argmax(axis=0), np.arange(12, 24)).all()
    # heavy tails: hour-to-hour log changes have excess kurtosis (Gaussian noise would give ~0)
    assert pd.Series(np.diff(np.log(values), axis=1).ravel()).kurt() > 1.0


def test_simulator_single_series_and_missing_rate():
    y = make_traffic(length=20000, freq="5min", seed=3, missing_rate=0.1)
    assert isinstance(y, pd.Series) and y.index.freq == pd.tseries.frequencies.to_offset("5min")
    rate = y.isna().mean()
    assert abs(rate - 0.1) < 0.01  # binomial sd is 0.002
    clean = make_traffic(length=20000, freq="5min", seed=3)
    np.testing.assert_array_equal(y.dropna().to_numpy(), clean[y.notna()].to_numpy())  # holes only
    assert traffic_seasonal_periods("D") == (7,)
    with pytest.raises(ParameterError):
        make_traffic(freq="MS")
    with pytest.raises(ParameterError):
        make_traffic(missing_rate=1.5)
    with pytest.raises(ParameterError):
        make_traffic(n_series=0)


def test_simulator_10000_links():
    # Its wall and CPU time are measured by experiments/bench_speed.py, not asserted here.
    panel = make_traffic(n_series=10_000, length=2_000, seed=0)
    assert len(panel) == 20_000_000 and panel["id"].nunique() == 10_000
    assert np.isfinite(panel["value"]).all() and (panel["value"] > 0).all()


def test_long_file_keeps_ids_that_pandas_would_read_as_missing(tmp_path):
    from tsforecast.datasets import read_long_file

    keys = ["NA", "nan", "null", "None", "N/A"]
    path = tmp_path / "ids.csv"
    rows = [f"{k},2024-01-0{d},{10 * i + d}" for i, k in enumerate(keys) for d in (1, 2, 3)]
    path.write_text("id,timestamp,value\n" + "\n".join(rows) + "\n")
    got = read_long_file(path)
    assert list(got["id"].cat.categories) == keys
    assert got.groupby("id", observed=True)["value"].sum().to_dict() == {k: 30 * i + 6 for i, k in enumerate(keys)}
