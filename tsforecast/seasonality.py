"""Seasonal periods implied by a time index's frequency.

Models that take a season length (``SeasonalNaiveForecaster(m)``,
``HoltWintersForecaster(seasonal_periods)``, ARIMA's ``s``, MSTL) use these
when the user gives none, so hourly data gets its daily (24) and weekly (168)
cycles without configuration.
"""

from __future__ import annotations

import pandas as pd

from .exceptions import ParameterError

_DAY = pd.Timedelta("1D")
_WEEK = pd.Timedelta("7D")
# Calendar offsets (not fixed-length) -> cycles per year / week, keyed by the offset class name.
_CALENDAR_CYCLES = {"BusinessDay": 5, "Week": 52, "MonthEnd": 12, "MonthBegin": 12, "BusinessMonthEnd": 12,
                    "BusinessMonthBegin": 12, "QuarterEnd": 4, "QuarterBegin": 4, "BusinessQuarterEnd": 4,
                    "BusinessQuarterBegin": 4}


def seasonal_periods_for(freq) -> tuple:
    """Seasonal periods, in steps, of data at ``freq``, shortest first.

    Fixed steps up to a day: the day and the week when they span a whole
    number (> 1) of steps (``"5min"`` -> (288, 2016), ``"15min"`` -> (96, 672),
    ``"h"`` -> (24, 168), ``"D"`` -> (7,)). Calendar frequencies: ``"B"`` ->
    (5,), ``"W"`` -> (52,), months -> (12,), quarters -> (4,). None (a
    RangeIndex) and frequencies without a natural cycle (years) -> ().
    """
    if freq is None:
        return ()
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError):
        raise ParameterError(f"{freq!r} is not a pandas frequency alias such as 'h', 'D' or 'MS'.") from None
    n = abs(getattr(offset, "n", 1)) or 1
    try:
        step = pd.Timedelta(offset)
    except (ValueError, TypeError):
        cycle = _CALENDAR_CYCLES.get(type(offset).__name__)
        if cycle is None or cycle % n or cycle // n < 2:
            return ()
        return (cycle // n,)
    out = []
    for span in (_DAY, _WEEK):
        count, rem = divmod(span, step)
        if rem == pd.Timedelta(0) and count > 1:
            out.append(int(count))
    return tuple(out)


def index_periods(index) -> tuple:
    """:func:`seasonal_periods_for` the frequency of ``index`` (() for a RangeIndex or None)."""
    return seasonal_periods_for(getattr(index, "freq", None))


def resolve_period(value, index, param: str, model: str) -> int:
    """``value`` if given, else the first seasonal period of ``index``'s frequency.

    Raises :class:`~tsforecast.exceptions.ParameterError` when none is given
    and the index has no frequency with a natural cycle (e.g. a RangeIndex).
    """
    if value is not None:
        return int(value)
    periods = index_periods(index)
    if not periods:
        what = "positions (a RangeIndex or an array)" if not isinstance(index, pd.DatetimeIndex) else (
            f"frequency {index.freqstr!r}, which has no natural seasonal cycle")
        raise ParameterError(
            f"{model} cannot infer the season length from a series indexed by {what}; pass {param} "
            f"(the season length in steps, e.g. {param}=24 for hourly data with a daily cycle)."
        )
    return periods[0]


SEASON_LAGS = ("season", "long_season")
"""Lag counts a model can take by name, resolved from the training index's frequency."""


def season_lags(spec, index, n=None) -> int:
    """The number of lags ``spec`` names for data on ``index``.

    ``"season"``: the shortest season (24 for hourly data, 288 for 5-minute data, 7 for daily
    data). ``"long_season"``: the longest season that leaves at least two thirds of ``n``
    training points to learn from (a week, 168, for hourly data), else the shortest. So one
    configuration serves every sampling rate.
    """
    if spec not in SEASON_LAGS:
        raise ParameterError(f"lags must be an integer or one of {SEASON_LAGS}, got {spec!r}.")
    periods = index_periods(index)
    if not periods:
        raise ParameterError(f"lags={spec!r} needs timestamps with a frequency that has a season (hourly, daily, ...); "
                             f"give lags as an integer instead.")
    if spec == "season":
        return periods[0]
    fitting = [p for p in periods if n is None or 3 * p <= n]
    return fitting[-1] if fitting else periods[0]
