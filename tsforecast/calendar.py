"""Calendar features of a time index, as known-future covariates.

Each feature is a position within a cycle (hour of the day, day of the week,
...) encoded as the pair ``sin(2 pi v / P), cos(2 pi v / P)``: the two ends of
the cycle are neighbours (23 h is next to 0 h), which a raw integer is not.
They depend only on the timestamps, so a model can compute them for any
forecast step itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import ParameterError

_DAY = pd.Timedelta("1D")
_MONTH = _DAY * 365.25 / 12
_YEAR = _DAY * 365.25

# name -> (nominal cycle length, function index -> (value in the cycle, cycle length in the same unit))
_FEATURES = {
    "minute": (pd.Timedelta("1h"), lambda ix: (ix.minute.to_numpy(), 60.0)),
    "minuteofday": (_DAY, lambda ix: (ix.hour.to_numpy() * 60 + ix.minute.to_numpy(), 1440.0)),
    "hour": (_DAY, lambda ix: (ix.hour.to_numpy(), 24.0)),
    "dayofweek": (7 * _DAY, lambda ix: (ix.day_of_week.to_numpy(), 7.0)),
    "dayofmonth": (_MONTH, lambda ix: (ix.day.to_numpy() - 1, ix.days_in_month.to_numpy().astype(float))),
    "dayofyear": (_YEAR, lambda ix: (ix.day_of_year.to_numpy() - 1, 365.0 + ix.is_leap_year)),
    "month": (_YEAR, lambda ix: (ix.month.to_numpy() - 1, 12.0)),
}

CALENDAR_FEATURES = tuple(_FEATURES)
"""Names :func:`calendar_features` accepts."""


def nominal_step(freq) -> pd.Timedelta | None:
    """Typical length of one step of ``freq`` (a month is 365.25/12 days), or None if unknown."""
    if freq is None:
        return None
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        return pd.Timedelta(offset)  # fixed-length steps: minutes, hours, days
    except (ValueError, TypeError):
        pass
    name = type(offset).__name__
    n = abs(getattr(offset, "n", 1)) or 1
    if name in ("BusinessDay", "CustomBusinessDay"):
        return n * _DAY
    if name == "Week":
        return n * 7 * _DAY
    if "Month" in name:
        return n * _MONTH
    if "Quarter" in name:
        return n * 3 * _MONTH
    if "Year" in name:
        return n * _YEAR
    return None


def _index_step(index: pd.DatetimeIndex):
    freq = index.freq
    if freq is None and len(index) >= 3:
        freq = pd.infer_freq(index)
    if freq is not None:
        return nominal_step(freq), getattr(pd.tseries.frequencies.to_offset(freq), "freqstr", str(freq))
    if len(index) >= 2:
        step = pd.Timedelta(int(np.min(np.diff(index.asi8))), unit="ns")
        return step, str(step)
    return None, None


def check_calendar_names(names, index) -> tuple:
    """Validate ``names`` against ``index``; return them as a tuple.

    Raises :class:`~tsforecast.exceptions.ParameterError` for an index that is
    not a DatetimeIndex, an unknown name, or a feature that cannot vary at the
    index's frequency (one step spans the whole cycle, e.g. ``"hour"`` on
    daily data).
    """
    if isinstance(names, str):
        names = (names,)
    try:
        names = tuple(names)
    except TypeError:
        raise ParameterError(f"calendar feature names must be a tuple of strings, got {names!r}.") from None
    if not names:
        raise ParameterError(f"give at least one calendar feature; choose from {CALENDAR_FEATURES}.")
    unknown = [n for n in names if n not in _FEATURES]
    if unknown:
        raise ParameterError(f"unknown calendar feature(s) {unknown}; choose from {CALENDAR_FEATURES}.")
    if len(set(names)) != len(names):
        raise ParameterError(f"calendar feature names repeat: {names}; give each once.")
    if not isinstance(index, pd.DatetimeIndex):
        raise ParameterError(
            f"calendar features need timestamps, but the index is a {type(index).__name__}; give the series a "
            f"DatetimeIndex (e.g. y.index = pd.date_range(start, periods=len(y), freq='h')) or drop the calendar features."
        )
    step, freqstr = _index_step(index)
    if step is not None:
        # A step at least as long as the cycle lands on the same phase every time: a constant column.
        useless = [n for n in names if step >= _FEATURES[n][0] * 0.99]
        if useless:
            raise ParameterError(
                f"calendar feature(s) {useless} do not vary at frequency {freqstr!r} (one step covers the whole "
                f"cycle); drop them. Features meaningful here: "
                f"{[n for n in CALENDAR_FEATURES if step < _FEATURES[n][0] * 0.99]}."
            )
    return names


def calendar_feature_names(names) -> list:
    """Column names of :func:`calendar_features` output, e.g. ``["hour_sin", "hour_cos"]``."""
    names = (names,) if isinstance(names, str) else tuple(names)
    return [f"{n}_{part}" for n in names for part in ("sin", "cos")]


def calendar_features(index, names=("hour", "dayofweek")) -> np.ndarray:
    """Sine/cosine encoding of calendar positions of ``index``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timestamps (training rows, or the forecast steps after an origin).
    names : sequence of str
        Features from :data:`CALENDAR_FEATURES`: ``"minute"`` (of the hour),
        ``"minuteofday"``, ``"hour"``, ``"dayofweek"``, ``"dayofmonth"``,
        ``"dayofyear"``, ``"month"``.

    Returns
    -------
    ndarray of shape (len(index), 2 * len(names))
        Columns ``sin, cos`` per feature, in the order of ``names``
        (:func:`calendar_feature_names` names them).

    Raises
    ------
    ParameterError
        ``index`` is not a DatetimeIndex, a name is unknown, or a feature
        cannot vary at the index's frequency.
    """
    names = check_calendar_names(names, index)
    out = np.empty((len(index), 2 * len(names)))
    for i, name in enumerate(names):
        value, period = _FEATURES[name][1](index)
        angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
        out[:, 2 * i] = np.sin(angle)
        out[:, 2 * i + 1] = np.cos(angle)
    return out
