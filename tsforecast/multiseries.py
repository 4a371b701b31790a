"""Many series at once: a dict ``{id: Series}`` or a long DataFrame ``id, timestamp, value``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import InvalidInputError
from .validation import check_series, future_index

LONG_COLUMNS = ("id", "timestamp", "value")


def is_multi(y) -> bool:
    return isinstance(y, dict) or (isinstance(y, pd.DataFrame) and "id" in y.columns)


def long_to_dict(df: pd.DataFrame) -> dict:
    """Split a long DataFrame ``id, timestamp, value`` into ``{id: Series}`` (order of first appearance)."""
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidInputError(
            f"a long DataFrame needs columns {LONG_COLUMNS}; missing {missing}. Rename yours, "
            f"e.g. df.rename(columns={{'series': 'id', 'date': 'timestamp', 'y': 'value'}})."
        )
    out = {}
    for key, part in df.groupby("id", sort=False):
        ts = part["timestamp"]
        if not pd.api.types.is_numeric_dtype(ts):
            try:
                ts = pd.to_datetime(ts)
            except (ValueError, TypeError) as exc:
                raise InvalidInputError(f"series {key!r}: unparsable timestamp ({exc}).") from None
        out[str(key)] = pd.Series(part["value"].to_numpy(), index=pd.Index(ts.to_numpy()), name=str(key))
    return out


def to_series_dict(y, missing="raise") -> dict:
    """Validate many series; errors name the series."""
    raw = long_to_dict(y) if isinstance(y, pd.DataFrame) else dict(y)
    if not raw:
        raise InvalidInputError("no series given (empty dict or DataFrame).")
    out = {}
    for key, s in raw.items():
        try:
            out[str(key)] = check_series(s, f"series {key!r}", missing)
        except InvalidInputError as exc:
            raise type(exc)(str(exc)) from None
    return out


def dict_to_long(forecasts: dict, value_name="forecast") -> pd.DataFrame:
    """``{id: Series}`` of forecasts to a long DataFrame ``id, timestamp, step, <value_name>``."""
    series = list(forecasts.values())
    return _long_frame(list(forecasts), [s.index.to_numpy() for s in series], [s.to_numpy() for s in series],
                       value_name)


def stacked_forecasts_to_long(ids, indexes, values: np.ndarray, value_name="forecast") -> pd.DataFrame:
    """Forecasts ``values`` (n_series, horizon) after each history index in ``indexes`` as a long DataFrame.

    Series sharing a fixed step (hourly, 5-minute, daily, positions) get their future
    timestamps from one array operation instead of one ``date_range`` per series.
    """
    n, horizon = values.shape
    steps = np.arange(1, horizon + 1)
    first = indexes[0] if n else None
    fixed = isinstance(first, pd.DatetimeIndex) and first.tz is None and isinstance(first.freq, pd.offsets.Tick)
    if fixed and all(isinstance(ix, pd.DatetimeIndex) and ix.freq == first.freq and ix.tz is None for ix in indexes):
        last = np.array([ix.values[-1].astype("datetime64[ns]") for ix in indexes])  # indexes may differ in unit
        stamps = last[:, None] + np.timedelta64(first.freq.nanos, "ns") * steps
    elif n and all(isinstance(ix, pd.RangeIndex) for ix in indexes):
        stamps = np.array([ix[-1] for ix in indexes])[:, None] + steps
    else:
        stamps = [future_index(ix, horizon).to_numpy() for ix in indexes]
    return _long_frame(list(ids), list(stamps), list(values), value_name)


def _long_frame(ids, stamps, values, value_name):
    lengths = [len(v) for v in values]
    return pd.DataFrame({
        "id": np.repeat(np.asarray(ids, dtype=object), lengths),
        "timestamp": np.concatenate(stamps),
        "step": np.concatenate([np.arange(1, k + 1) for k in lengths]),
        value_name: np.concatenate(values),
    })
