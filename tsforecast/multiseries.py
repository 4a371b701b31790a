"""Many series at once: a dict ``{id: Series}`` or a long DataFrame ``id, timestamp, value``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import InvalidInputError
from .panel import LONG_COLUMNS, Panel, column_rows, group_long  # noqa: F401 - LONG_COLUMNS re-exported
from .validation import check_series


def is_multi(y) -> bool:
    return isinstance(y, dict) or (isinstance(y, pd.DataFrame) and "id" in y.columns)


def long_to_dict(df: pd.DataFrame) -> dict:
    """Split a long DataFrame ``id, timestamp, value`` into ``{id: Series}`` (order of first appearance).

    Only splits (and parses timestamps); :func:`to_series_dict` validates.
    """
    keys, offsets, ts, vals = group_long(df)
    out = {}
    for i, key in enumerate(keys):
        s, e = offsets[i], offsets[i + 1]
        out[str(key)] = pd.Series(column_rows(vals, s, e), index=pd.Index(column_rows(ts, s, e)), name=str(key))
    return out


def to_series_dict(y, missing="raise") -> dict:
    """Validate many series; errors name the series."""
    if isinstance(y, pd.DataFrame):
        return Panel.from_long(y, missing).to_dict()  # one vectorised pass instead of one check per series
    raw = dict(y)
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


def stacked_forecasts_to_long(ids, stamps, values: np.ndarray, value_name="forecast") -> pd.DataFrame:
    """Forecasts ``values`` (n_series, horizon) stamped with ``stamps`` as a long DataFrame.

    ``stamps`` comes from :meth:`tsforecast.panel.Panel.future_stamps`: one (n, horizon)
    array when every series shares a fixed step (no per-series work), else one array per series.
    """
    return _long_frame(ids, stamps, values, value_name)


def _long_frame(ids, stamps, values, value_name):
    ids = np.asarray(list(ids), dtype=object)
    if isinstance(stamps, np.ndarray) and isinstance(values, np.ndarray) and stamps.ndim == values.ndim == 2:
        n, horizon = values.shape  # one horizon for all: no per-series work
        return pd.DataFrame({
            "id": np.repeat(ids, horizon),
            "timestamp": stamps.reshape(-1),
            "step": np.tile(np.arange(1, horizon + 1), n),
            value_name: values.reshape(-1),
        })
    stamps, values = list(stamps), list(values)
    lengths = [len(v) for v in values]
    return pd.DataFrame({
        "id": np.repeat(ids, lengths),
        "timestamp": np.concatenate(stamps),
        "step": np.concatenate([np.arange(1, k + 1) for k in lengths]),
        value_name: np.concatenate(values),
    })
