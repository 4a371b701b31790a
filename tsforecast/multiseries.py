"""Many series at once: a dict ``{id: Series}`` or a long DataFrame ``id, timestamp, value``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import InvalidInputError
from .validation import check_series

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
    frames = []
    for key, s in forecasts.items():
        frames.append(
            pd.DataFrame({"id": key, "timestamp": s.index, "step": np.arange(1, len(s) + 1), value_name: s.to_numpy()})
        )
    return pd.concat(frames, ignore_index=True)
