"""The dataset catalogue: one :class:`DatasetInfo` card per dataset plus its loader.

The cards mirror ``datasets/README.md`` at the repository top. External files
are never shipped: they are read from ``data_dir`` or the directory named by
the environment variable ``TSFORECAST_DATA_DIR``.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, InvalidInputError, MissingValuesError, ParameterError
from ..validation import MissingValuesWarning, apply_missing_policy
from .files import (
    apply_missing_policy_long,
    check_missing_policy,
    check_order,
    parse_numbers,
    parse_timestamps,
    read_series_file,
    read_table,
    regular_index,
    require_columns,
)
from .traffic_simulator import make_traffic, traffic_seasonal_periods

DATA_DIR_ENV = "TSFORECAST_DATA_DIR"


@dataclass(frozen=True)
class DatasetInfo:
    """The card of one dataset (see ``datasets/README.md``).

    Attributes
    ----------
    name : str
        Name for :func:`load_dataset`.
    title : str
        One-line description.
    kind : {"series", "frame", "long"}
        What ``load_dataset`` returns: a Series, a wide DataFrame (one column per
        variable), or a long DataFrame ``id, timestamp, value``.
    frequency : str
        Pandas alias of the sampling step.
    seasonal_periods : tuple of int
        Seasonal periods in steps, shortest first.
    unit : str
        Unit of the values.
    source : str
        Citation.
    licence : str
        Terms of use as far as the source states them.
    protocol : dict
        Evaluation protocol of the source publication.
    external : bool
        True when the data are read from a file in ``TSFORECAST_DATA_DIR``.
    filename : str or None
        That file's name.
    rows : int
        Time steps (rows of the source table).
    start, end : str
        First and last timestamp.
    n_series : int
        Number of series (columns for "frame", ids for "long").
    notes : str
        Anything a user must know before using the data.
    """

    name: str
    title: str
    kind: str
    frequency: str
    seasonal_periods: tuple
    unit: str
    source: str
    licence: str
    protocol: dict = field(default_factory=dict)
    external: bool = False
    filename: str | None = None
    rows: int | None = None
    start: str | None = None
    end: str | None = None
    n_series: int = 1
    notes: str = ""


class Dataset(NamedTuple):
    """What :func:`load_dataset` returns: ``data, info = load_dataset(name)``."""

    data: Any
    info: DatasetInfo


CORTEZ_SOURCE = (
    "Cortez, Rio, Rocha & Sousa (2012), 'Multi-scale Internet traffic forecasting using neural networks "
    "and time series methods', Expert Systems 29(2):143-155, doi:10.1111/j.1468-0394.2010.00568.x; "
    "also in Hyndman's Time Series Data Library. ISP 'A', transatlantic link."
)
CORTEZ_LICENCE = "No licence stated by the source; cite the paper. Not redistributed with tsforecast."
ARCH_SOURCE = "Daily prices shipped in the arch package (Kevin Sheppard), module arch.data.{}."
ARCH_LICENCE = "NCSA licence (arch package)."
PRICE_NOTES = (
    "Indexed by the real trading dates: exchange holidays are absent, so the index has no regular pandas "
    "frequency ('B' is the nominal step). For a forecastable series use trading_day_series(df), which puts "
    "the prices on trading-day positions (RangeIndex) or, with calendar='B', on business days with "
    "holidays as NaN handled by the explicit missing= policy. No price is ever invented."
)


def _cortez(code: str, frequency: str, step: str, adjective: str, rows: int, start: str, end: str, horizon: int) -> DatasetInfo:
    return DatasetInfo(
        name=f"cortez_{code.lower()}",
        title=f"Internet traffic on a transatlantic ISP link, {adjective} totals (Cortez et al. 2012, {code})",
        kind="series",
        frequency=frequency,
        seasonal_periods=traffic_seasonal_periods(frequency),
        unit=f"bits per {step}",
        source=CORTEZ_SOURCE,
        licence=CORTEZ_LICENCE,
        protocol={"train_fraction": 2 / 3, "horizon": horizon, "metric": "mape"},
        external=True,
        filename=f"cortez2012_{code}.csv",
        rows=rows,
        start=start,
        end=end,
    )


def _prices(name: str, title: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        title=title,
        kind="frame",
        frequency="B",
        seasonal_periods=(5,),
        unit="index points (Open, High, Low, Close, Adj Close); shares (Volume)",
        source=ARCH_SOURCE.format(name),
        licence=ARCH_LICENCE,
        protocol={},
        rows=5031,
        start="1999-01-04",
        end="2018-12-31",
        n_series=6,
        notes=PRICE_NOTES,
    )


SYNTHETIC_LENGTH = 24 * 7 * 8

CARDS = {
    info.name: info
    for info in (
        DatasetInfo(
            name="traffic_synthetic",
            title="Simulated hourly link traffic, 8 weeks (make_traffic, seed 0)",
            kind="series",
            frequency="h",
            seasonal_periods=traffic_seasonal_periods("h"),
            unit="bit/s",
            source=f"tsforecast.datasets.make_traffic(n_series=1, length={SYNTHETIC_LENGTH}, freq='h', "
            f"start='2024-01-01', seed=0)",
            licence="MIT (generated by tsforecast)",
            protocol={"train_fraction": 2 / 3, "horizon": 24, "metric": "mape"},
            rows=SYNTHETIC_LENGTH,
            start="2024-01-01 00:00",
            end="2024-02-25 23:00",
            notes="Generated on the fly; no file. Same numbers on every machine.",
        ),
        _cortez("A5M", "5min", "5 minutes", "5-minute", 14772, "2005-06-07 07:00", "2005-07-28 13:55", 24),
        _cortez("A1H", "h", "hour", "hourly", 1231, "2005-06-07 07:00", "2005-07-28 13:00", 24),
        _cortez("A1D", "D", "day", "daily", 51, "2005-06-07", "2005-07-27", 7),
        DatasetInfo(
            name="milan_cells",
            title="Hourly CDR activity of 281 Milan grid cells (Telecom Italia Big Data Challenge subset)",
            kind="long",
            frequency="h",
            seasonal_periods=(24, 168),
            unit="activity count per hour (CDR 'traffic load')",
            source=(
                "Ferreira et al. (2023), 'Forecasting Network Traffic: A Survey and Tutorial With Open-Source "
                "Comparative Evaluation', IEEE Access 11:6018-6044, doi:10.1109/ACCESS.2023.3236261; subset of "
                "the Telecom Italia Big Data Challenge (Barlacchi et al. 2015, Scientific Data 2:150055)."
            ),
            licence=(
                "Telecom Italia Big Data Challenge data: Open Database License (ODbL); the subset's own terms are "
                "not stated. Not redistributed with tsforecast."
            ),
            protocol={
                "train_days": 50, "val_days": 5, "test_days": 7, "lags": 24,
                "scaling": "standardise with train mean/std", "strategy": "recursive",
            },
            external=True,
            filename="milan_ferreira2023_hourly_281cells.csv",
            rows=1488,
            start="2013-11-01 00:00",
            end="2014-01-01 23:00",
            n_series=281,
            notes=(
                "211 cells are complete; 70 end early and their trailing values are empty. They are kept as NaN "
                "(missing='keep'), refused (missing='raise', the default) or trimmed (missing='ffill' or "
                "missing='interpolate'). "
                "Timestamps assume a start at 2013-11-01 00:00; the source gives hour indices only."
            ),
        ),
        _prices("sp500", "S&P 500 index, daily OHLCV"),
        _prices("nasdaq", "NASDAQ Composite index, daily OHLCV"),
    )
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`, built-in (no file needed) first."""
    return sorted(CARDS, key=lambda name: (CARDS[name].external, name != "traffic_synthetic", name))


def dataset_info(name: str) -> DatasetInfo:
    """The card of dataset ``name`` without loading it."""
    if name not in CARDS:
        raise ParameterError(f"unknown dataset {name!r}; choose one of {list_datasets()}.")
    info = CARDS[name]
    return dataclasses.replace(info, protocol=dict(info.protocol))  # callers may edit their copy


def data_file(info: DatasetInfo, data_dir=None) -> Path:
    """Path of an external dataset's file, or a DataFileError saying where to put it."""
    origin = "data_dir"
    if data_dir is None:
        data_dir, origin = os.environ.get(DATA_DIR_ENV) or None, f"${DATA_DIR_ENV}"
    if data_dir is None:
        raise DataFileError(
            f"dataset {info.name!r} needs the file {info.filename}, which tsforecast does not ship. Put it in a "
            f"folder and pass load_dataset({info.name!r}, data_dir='that/folder'), or set the environment "
            f"variable {DATA_DIR_ENV} to that folder (e.g. export {DATA_DIR_ENV}=../shared/data)."
        )
    path = Path(os.fspath(data_dir)).expanduser() / info.filename
    if not path.is_file():
        raise DataFileError(
            f"dataset {info.name!r}: file {info.filename} not found in {path.parent} (from {origin}). Put "
            f"{info.filename} there, or point data_dir / the environment variable {DATA_DIR_ENV} to the "
            f"folder that holds it."
        )
    return path


def _check_against_card(info: DatasetInfo, path: Path, n_rows: int, index: pd.Index) -> None:
    found = (n_rows, pd.Timestamp(index[0]), pd.Timestamp(index[-1]))
    expected = (info.rows, pd.Timestamp(info.start), pd.Timestamp(info.end))
    if found != expected:
        raise DataFileError(
            f"{path}: expected {expected[0]} rows from {expected[1]} to {expected[2]} (dataset card of "
            f"{info.name!r}), found {found[0]} rows from {found[1]} to {found[2]}. The file is not the published "
            f"one; replace it with the original."
        )


def _load_synthetic(info, data_dir, missing):
    y = make_traffic(n_series=1, length=info.rows, freq=info.frequency, start=info.start, seed=0)
    return y.rename(info.name)


def _load_cortez(info, data_dir, missing):
    path = data_file(info, data_dir)
    y = read_series_file(path, missing="keep", freq=info.frequency)
    _check_against_card(info, path, len(y), y.index)
    if missing != "keep":
        values, index = apply_missing_policy(y.to_numpy(), y.index, missing, name=info.name)
        y = pd.Series(values, index=index)
    return y.rename(info.name)


def _load_milan(info, data_dir, missing):
    path = data_file(info, data_dir)
    table = read_table(path)
    require_columns(table, ("hour_index", "timestamp_assumed"), "hour_index,timestamp_assumed,cell_<id>,...")
    cells = [c for c in table.frame.columns if c.startswith("cell_")]
    if not cells:
        raise table.error(None, "has no cell_<id> columns; is it the Milan file?")
    stamps = parse_timestamps(table, "timestamp_assumed")
    check_order(table, stamps)
    index = regular_index(table, stamps, info.frequency)
    _check_against_card(info, path, len(index), index)
    values = np.column_stack([parse_numbers(table, c) for c in cells])  # (time, cell)
    long = pd.DataFrame(
        {
            "id": pd.Categorical.from_codes(np.repeat(np.arange(len(cells)), len(index)), categories=cells),
            "timestamp": np.tile(index.to_numpy(), len(cells)),
            "value": values.T.ravel(),
        }
    )
    return apply_missing_policy_long(long, missing, name=info.name, stacklevel=4)


def _load_prices(info, data_dir, missing):
    import arch.data.nasdaq
    import arch.data.sp500

    module = {"sp500": arch.data.sp500, "nasdaq": arch.data.nasdaq}[info.name]
    frame = module.load().astype(np.float64)
    frame.index.name = "date"
    if missing == "keep" or not frame.isna().any().any():
        return frame
    columns = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        for column in frame.columns:
            values, index = apply_missing_policy(frame[column].to_numpy(), frame.index, missing, f"{info.name}[{column}]")
            columns[column] = pd.Series(values, index=index)
    out = pd.DataFrame(columns).dropna()  # rows trimmed from any column are trimmed from all
    how = "linearly" if missing == "interpolate" else "with the last observed price (forward-filled)"
    warnings.warn(f"{info.name}: filled interior missing prices {how} and trimmed the ends to {len(out)} rows.",
                  MissingValuesWarning, stacklevel=3)
    return out


LOADERS: dict[str, Callable] = {
    "traffic_synthetic": _load_synthetic,
    "cortez_a5m": _load_cortez,
    "cortez_a1h": _load_cortez,
    "cortez_a1d": _load_cortez,
    "milan_cells": _load_milan,
    "sp500": _load_prices,
    "nasdaq": _load_prices,
}


def load_dataset(name: str, data_dir=None, missing: str = "raise") -> Dataset:
    """Load a dataset of the catalogue with its card.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    data_dir : str or path-like, optional
        Folder holding the external files; defaults to the environment variable
        ``TSFORECAST_DATA_DIR``. Built-in datasets ignore it.
    missing : {"raise", "interpolate", "ffill", "keep"}, default "raise"
        ``"raise"`` refuses data with missing values (:class:`MissingValuesError`).
        ``"ffill"`` fills each interior gap with the last observed value before
        it; a filled value depends only on the past, so it is the policy to use
        before a backtest. ``"interpolate"`` fills interior gaps linearly, which
        uses the value after the gap (fine for a one-off fit on data that ends
        where forecasting starts, not for backtests). Both trim leading/trailing
        gaps, work per series for long data (a series is filled only from its
        own values) and per column for prices, and report with a
        :class:`MissingValuesWarning`. ``"keep"`` returns missing values as NaN.

    Returns
    -------
    Dataset
        Named tuple ``(data, info)``: ``data`` is a Series (``info.kind ==
        "series"``), a wide DataFrame ("frame") or a long DataFrame ``id,
        timestamp, value`` ("long"); ``info`` is the :class:`DatasetInfo` card.

    Raises
    ------
    DataFileError
        An external file is absent (the message says where to put it) or is not
        the published one.

    Examples
    --------
    >>> y, info = load_dataset("traffic_synthetic")
    >>> info.seasonal_periods
    (24, 168)
    """
    info = dataset_info(name)
    check_missing_policy(missing)
    return Dataset(LOADERS[name](info, data_dir, missing), info)


def trading_day_series(frame: pd.DataFrame, column: str = "Adj Close", calendar: str = "trading",
                       missing: str = "raise") -> pd.Series:
    """One price column as a regularly indexed series that forecasters accept.

    Parameters
    ----------
    frame : pandas.DataFrame
        Prices on their real trading dates, e.g. ``load_dataset("sp500").data``.
    column : str, default "Adj Close"
        Column to return.
    calendar : {"trading", "B"}, default "trading"
        ``"trading"``: values on a ``RangeIndex`` of trading-day positions
        (position ``i`` is the date ``frame.index[i]``); nothing is added or
        removed. ``"B"``: values reindexed to every business day, so exchange
        holidays become NaN and ``missing`` decides what happens to them.
    missing : {"raise", "ffill", "interpolate"}, default "raise"
        Policy for the holidays that ``calendar="B"`` exposes: ``"ffill"``
        repeats the last trading day's price (uses only the past, safe for
        backtests), ``"interpolate"`` draws a line to the next trading day's
        price (uses the future).

    Returns
    -------
    pandas.Series
    """
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        have = list(frame.columns) if isinstance(frame, pd.DataFrame) else type(frame).__name__
        raise InvalidInputError(f"trading_day_series needs a DataFrame with column {column!r}; got {have}.")
    prices = frame[column].astype(np.float64)
    if calendar == "trading":
        if prices.isna().any():
            raise MissingValuesError(f"{column} has missing prices; load the data with missing='ffill' "
                                     f"(or missing='interpolate').")
        return pd.Series(prices.to_numpy(), index=pd.RangeIndex(len(prices)), name=column)
    if calendar != "B":
        raise ParameterError(f"calendar must be 'trading' or 'B', got {calendar!r}.")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InvalidInputError("calendar='B' needs a DatetimeIndex of trading dates.")
    days = pd.bdate_range(frame.index[0], frame.index[-1], unit=frame.index.unit)
    extra = frame.index.difference(days)
    if len(extra):
        raise InvalidInputError(f"{column} has prices on non-business days (first: {extra[0]}); use calendar='trading'.")
    prices = prices.reindex(days)
    values, index = apply_missing_policy(prices.to_numpy(), days, missing, name=f"{column} on business days")
    return pd.Series(values, index=index, name=column)
