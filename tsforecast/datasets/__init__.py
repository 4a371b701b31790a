"""Datasets: real traffic and price data with their cards, a traffic simulator, file readers.

>>> from tsforecast.datasets import load_dataset, list_datasets
>>> y, info = load_dataset("traffic_synthetic")     # built in, no file needed
>>> y, info = load_dataset("cortez_a1h")            # needs TSFORECAST_DATA_DIR

External files are never shipped; see ``datasets/README.md`` for each card.
"""

from .catalog import (
    DATA_DIR_ENV,
    Dataset,
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    trading_day_series,
)
from .files import read_long_file, read_series_file
from .traffic_simulator import make_traffic, traffic_seasonal_periods

__all__ = [
    "DATA_DIR_ENV", "Dataset", "DatasetInfo", "dataset_info", "list_datasets", "load_dataset",
    "make_traffic", "read_long_file", "read_series_file", "traffic_seasonal_periods", "trading_day_series",
]
