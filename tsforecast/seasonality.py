"""Seasonal periods: implied by a time index's frequency, or measured on the data.

Models that take a season length (``SeasonalNaiveForecaster(m)``,
``HoltWintersForecaster(seasonal_periods)``, ARIMA's ``s``, MSTL) use these
when the user gives none, so hourly data gets its daily (24) and weekly (168)
cycles without configuration. :func:`detect_periods` measures them on a
training part (a clock that drifts against the index moves them) and
:func:`use_periods` makes every model take the measured ones.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

import numpy as np
import pandas as pd

from .exceptions import InvalidInputError, MissingValuesError, NotEnoughDataError, ParameterError

_MEASURED = contextvars.ContextVar("tsforecast_measured_periods", default=None)

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
    """:func:`seasonal_periods_for` the frequency of ``index`` (() for a RangeIndex or None); inside
    :func:`use_periods`, the periods given there."""
    measured = _MEASURED.get()
    if measured is not None:
        return measured
    return seasonal_periods_for(getattr(index, "freq", None))


@contextmanager
def use_periods(periods):
    """Within the block, every model takes ``periods`` (e.g. from :func:`detect_periods`) wherever it would
    take the seasonal periods of its data's frequency: default season lengths, ``"season"`` and
    ``"long_season"``. ``None`` changes nothing. Parallel backtests and searches carry them to their
    workers (:func:`carry_periods`)."""
    if periods is None:
        yield
        return
    token = _MEASURED.set(tuple(int(p) for p in periods))
    try:
        yield
    finally:
        _MEASURED.reset(token)


def carry_periods(fn):
    """``fn``, run inside the caller's :func:`use_periods` block wherever it is called (a joblib worker
    process or thread does not inherit the block)."""
    periods = _MEASURED.get()
    if periods is None:
        return fn
    return _Carried(fn, periods)


class _Carried:
    # A class rather than a closure, so that it pickles for process workers.
    def __init__(self, fn, periods):
        self.fn, self.periods = fn, periods

    def __call__(self, *args, **kwargs):
        with use_periods(self.periods):
            return self.fn(*args, **kwargs)


def resolve_period(value, index, param: str, model: str) -> int:
    """``value`` if it is a number; ``"season"``/``"long_season"``: the shortest/longest seasonal period of
    ``index``'s frequency; None: the shortest.

    Raises :class:`~tsforecast.exceptions.ParameterError` when none is given
    and the index has no frequency with a natural cycle (e.g. a RangeIndex).
    """
    if value is not None and value not in SEASON_LAGS:
        return int(value)
    periods = index_periods(index)
    if not periods:
        what = "positions (a RangeIndex or an array)" if not isinstance(index, pd.DatetimeIndex) else (
            f"frequency {index.freqstr!r}, which has no natural seasonal cycle")
        raise ParameterError(
            f"{model} cannot infer the season length from a series indexed by {what}; pass {param} "
            f"(the season length in steps, e.g. {param}=24 for hourly data with a daily cycle)."
        )
    return periods[-1] if value == "long_season" else periods[0]


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


LAG_SETS = ("seasonal_pairs",)
"""Lag sets a model that takes explicit lags (NARX, AR) can take by name, resolved like :data:`SEASON_LAGS`."""


def lag_set(spec, index, n=None) -> list:
    """The lags ``spec`` names for data on ``index``, as a sorted list.

    ``"season"`` / ``"long_season"``: ``1..p`` (:func:`season_lags`). ``"seasonal_pairs"``: the last
    season's lags ``1..s`` and the lags ``L-s..L+s`` a season either side of the long season ``L``
    (hourly data: 1..24 and 144..192, 73 lags instead of 168). With them a model sees the last day next
    to the same hours a week earlier, and the hours a week before each lead time: what a forecast from
    the week-on-week change needs, without the lags in between. ``L`` is the longest season whose
    pairs leave at least half of ``n`` points as targets, and at least two targets per lag (a regression
    on the lags is not to have nearly as many coefficients as rows), else the shortest (daily data:
    1..14); when not even that one's do, the last season's lags ``1..s`` (daily data under 42 points).
    """
    if spec in SEASON_LAGS:
        return list(range(1, season_lags(spec, index, n) + 1))
    if spec not in LAG_SETS:
        raise ParameterError(f"lags must be a number, a list of lags or one of {SEASON_LAGS + LAG_SETS}, "
                             f"got {spec!r}.")
    s = season_lags("season", index, n)

    def pairs(p):
        return sorted(set(range(1, s + 1)) | set(range(max(1, p - s), p + s + 1)))

    def fits(p):  # at least half of n as targets, and two targets per lag
        return n is None or (2 * (p + s) <= n and n - (p + s) >= 2 * len(pairs(p)))

    fitting = [p for p in index_periods(index) if fits(p)]
    return pairs(fitting[-1]) if fitting else list(range(1, s + 1))


def detect_periods(y, periods=None, *, tolerance=0.05, min_gain=0.005) -> tuple:
    """Season lengths measured on the data: each nominal period moved to the lag near it where the
    series' autocorrelation peaks.

    A clock that drifts against the index makes the true cycle a few steps off the calendar's: on the
    Cortez ISP A traffic the daily low moves an hour earlier every two to three days, and the weekly
    autocorrelation peaks at 165 hourly steps (0.99), not 168 (0.71). Fit this on training data only.

    Parameters
    ----------
    y : pandas.Series or 1-D array
        The series (training part). Non-negative data is compared on log1p values, so that the busy
        hours of traffic do not decide alone.
    periods : sequence of int, optional
        Nominal periods; defaults to those of ``y``'s frequency (:func:`seasonal_periods_for`).
    tolerance : float
        How far a period may move, as a fraction of it (at least one step; 0 keeps the nominal periods).
    min_gain : float
        How much higher the autocorrelation at the peak must be than at the nominal period for the period
        to move. Neighbouring lags of a clean cycle differ by less (a simulated exact week: 0.7032 at 169
        against 0.7027 at 168), so noise alone does not move a period; Cortez's week: 0.99 against 0.69.

    Returns
    -------
    tuple of int
        One period per nominal period, in the same order; the nominal one where no lag near it beats its
        autocorrelation by ``min_gain`` (and for a constant series).

    Raises
    ------
    ParameterError
        No periods given and none implied by ``y``'s index, or a bad ``tolerance`` or ``min_gain``.
    NotEnoughDataError
        Fewer than two cycles of the longest period searched.
    MissingValuesError
        ``y`` holds missing or infinite values (fill them first).
    """
    if periods is None:
        periods = index_periods(getattr(y, "index", None))
        if not periods:
            raise ParameterError("detect_periods needs nominal periods: give y a DatetimeIndex with a frequency "
                                 "such as 'h', or pass periods=[24, 168].")
    periods = [int(p) for p in periods]
    if any(p < 2 for p in periods):
        raise ParameterError(f"periods must be at least 2 steps, got {periods}.")
    if isinstance(tolerance, bool) or not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 0.5):
        raise ParameterError(f"tolerance must be a fraction in [0, 0.5), got {tolerance!r}.")
    if isinstance(min_gain, bool) or not (isinstance(min_gain, (int, float)) and 0 <= min_gain < 1):
        raise ParameterError(f"min_gain must be an autocorrelation difference in [0, 1), got {min_gain!r}.")
    try:
        v = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidInputError("y must hold numbers; convert it first (e.g. pd.to_numeric(y)).") from None
    if not np.isfinite(v).all():
        raise MissingValuesError("y holds missing or infinite values; fill them (e.g. y.interpolate()) before "
                                 "detecting periods.")
    reach = [max(1, round(tolerance * p)) if tolerance else 0 for p in periods]
    longest = max(p + r for p, r in zip(periods, reach))
    if len(v) < 2 * longest:
        raise NotEnoughDataError(f"y has {len(v)} points; measuring a period of up to {longest} steps needs two "
                                 f"cycles, {2 * longest} points.")
    x = np.log1p(v) if v.min() >= 0 else v
    if not np.ptp(x) > 0:
        return tuple(periods)  # a constant series has no cycle to measure
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x, 2 * len(x))) ** 2  # autocovariance of every lag at once (Wiener-Khinchin)
    acov = np.fft.irfft(power)[: len(x)]
    out = []
    for p, r in zip(periods, reach):
        lags = p + np.array(sorted(range(-r, r + 1), key=abs))  # nearest the nominal period first: it wins ties
        lags = lags[lags >= 2]
        # Normalised by the pairs each lag has (n - k), so that longer lags are not penalised for having fewer.
        rho = np.round(acov[lags] / (len(x) - lags) / (acov[0] / len(x)), 9)
        best = int(np.argmax(rho))
        out.append(int(lags[best]) if rho[best] - rho[0] >= min_gain else p)  # lags[0] is p itself
    return tuple(out)
