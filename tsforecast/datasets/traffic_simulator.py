"""Synthetic network-link traffic with the structure of real measurements.

The model works in log space, so values stay strictly positive and every
effect is multiplicative, as in measured link loads::

    log x[t] = log level + trend * t + diurnal(t) + weekly(t) + AR(1) Student-t noise
    x[t]    <- x[t] * (1 + burst[t])

* diurnal: two harmonics of the time of day, with a per-series peak hour
  (13:00-22:00) and amplitude, so troughs fall in the early morning;
* weekly: two harmonics of the day of week, peaking mid-week and dipping at the
  weekend;
* trend: a per-series growth rate (a few percent a week, either sign);
* noise: AR(1) with heavy-tailed Student-t innovations (clipped at 10 sd so one
  draw cannot produce an absurd spike);
* bursts: Poisson arrivals with exponential sizes (capped at 5x the mean) that
  decay with a one-hour time constant (per-series arrival rate and size);
* missing values: each point independently NaN with probability ``missing_rate``.

Everything is drawn for all series at once as ``(n_series, length)`` arrays;
the only recursions (AR noise, burst decay) run through
:func:`scipy.signal.lfilter` along the time axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ParameterError

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
BURST_DECAY = pd.Timedelta(hours=1)
NOISE_AR = 0.5


def _step(freq) -> pd.Timedelta:
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        step = pd.Timedelta(offset)
    except (ValueError, TypeError):
        raise ParameterError(
            f"freq must be a fixed-step pandas alias such as '5min', 'h' or 'D', got {freq!r}."
        ) from None
    if step <= pd.Timedelta(0) or step > DAY:
        raise ParameterError(f"freq must be a step between 1 ns and one day, got {freq!r}.")
    return step


def traffic_seasonal_periods(freq) -> tuple[int, ...]:
    """Seasonal periods, in steps, of :func:`make_traffic` data at ``freq``.

    The day and the week when they span a whole number (> 1) of steps:
    ``(24, 168)`` for ``"h"``, ``(288, 2016)`` for ``"5min"``, ``(7,)`` for ``"D"``.
    """
    step = _step(freq)
    out = []
    for span in (DAY, WEEK):
        n, rem = divmod(span, step)
        if rem == pd.Timedelta(0) and n > 1:
            out.append(int(n))
    return tuple(out)


def _check_params(n_series, length, missing_rate, burst_rate, noise_df):
    for name, value in (("n_series", n_series), ("length", length)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}.")
    if not 0.0 <= float(missing_rate) < 1.0:
        raise ParameterError(f"missing_rate must be in [0, 1), got {missing_rate!r}.")
    if float(burst_rate) < 0:
        raise ParameterError(f"burst_rate must be >= 0 (bursts per series per day), got {burst_rate!r}.")
    if float(noise_df) <= 2:
        raise ParameterError(f"noise_df must be > 2 so the noise has a finite variance, got {noise_df!r}.")


def make_traffic(
    n_series: int = 1,
    length: int = 2000,
    freq: str = "h",
    start="2024-01-01",
    seed=0,
    missing_rate: float = 0.0,
    burst_rate: float = 1.0,
    noise_df: float = 4.0,
):
    """Simulate link traffic in bit/s with daily and weekly seasonality.

    Parameters
    ----------
    n_series : int, default 1
        Number of links. Level, seasonal amplitudes, peak hour, trend, noise
        scale and burstiness are drawn per link.
    length : int, default 2000
        Points per link.
    freq : str, default "h"
        Fixed sampling step (pandas alias, at most one day). Seasonal periods
        follow from it, see :func:`traffic_seasonal_periods`.
    start : str or Timestamp, default "2024-01-01"
        First timestamp; time of day and day of week are taken from the real
        calendar.
    seed : int or numpy.random.Generator, default 0
        Same seed, same output.
    missing_rate : float, default 0.0
        Probability that a point is NaN (independently). Drawn last, so the
        non-missing values do not depend on it.
    burst_rate : float, default 1.0
        Mean number of traffic bursts per link per day (scaled per link by a
        factor between 0.2 and 3).
    noise_df : float, default 4.0
        Degrees of freedom of the Student-t innovations (smaller = heavier tails).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        For ``n_series == 1`` a float64 Series named ``"link_0000"`` on a
        DatetimeIndex with ``freq``; otherwise a long DataFrame with columns
        ``id`` (categorical ``"link_0000"``, ...), ``timestamp``, ``value``.

    Examples
    --------
    >>> y = make_traffic(length=24 * 7 * 8, seed=0)   # eight weeks, hourly
    >>> panel = make_traffic(n_series=100, length=2000, freq="5min", seed=1)
    """
    from scipy.signal import lfilter  # here, not at import: it is most of `import tsforecast`'s time

    _check_params(n_series, length, missing_rate, burst_rate, noise_df)
    step = _step(freq)
    try:
        index = pd.date_range(pd.Timestamp(start), periods=length, freq=freq)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"start must be a timestamp such as '2024-01-01', got {start!r} ({exc}).") from None
    rng = np.random.default_rng(seed)
    n = int(n_series)

    # Per-series parameters (column vectors broadcast over time). The (n, length) work
    # runs in float32 (half the memory traffic); the level is applied in float64 at the end.
    f32 = np.float32
    level = np.exp(rng.uniform(np.log(1e7), np.log(1e9), n))[:, None]  # 10 Mbit/s .. 1 Gbit/s
    peak_hour = rng.uniform(13.0, 22.0, n)[:, None]
    day_amp = rng.uniform(0.3, 0.8, n).astype(f32)[:, None]
    day_h2 = rng.uniform(0.1, 0.4, n).astype(f32)[:, None]
    week_amp = rng.uniform(0.05, 0.25, n).astype(f32)[:, None]
    trend_per_week = rng.normal(0.01, 0.02, n).astype(f32)[:, None]
    noise_sd = rng.uniform(0.03, 0.1, n).astype(f32)[:, None]
    burst_per_day = float(burst_rate) * np.exp(rng.uniform(np.log(0.2), np.log(3.0), n))[:, None]
    burst_size = rng.uniform(0.2, 1.5, n)

    # Calendar time shared by all series.
    hours = ((index - index.normalize()) / pd.Timedelta(hours=1)).to_numpy()[None, :]
    days_since_monday = (index.day_of_week.to_numpy() + hours[0] / 24.0)[None, :]
    weeks = ((index - index[0]) / WEEK).to_numpy().astype(f32)[None, :]

    # cos(k(a - b)) = cos(ka)cos(kb) + sin(ka)sin(kb): outer products instead of n x length cosines.
    a = (2 * np.pi / 24.0) * hours
    b = (2 * np.pi / 24.0) * peak_hour
    log_x = np.cos(b).astype(f32) * np.cos(a).astype(f32)
    log_x += np.sin(b).astype(f32) * np.sin(a).astype(f32)
    log_x += day_h2 * (np.cos(2 * b) * np.cos(2 * a) + np.sin(2 * b) * np.sin(2 * a)).astype(f32)
    log_x *= day_amp
    phi = (2 * np.pi / 7.0) * (days_since_monday - 2.5)  # mid-week peak, weekend trough
    log_x += week_amp * (np.cos(phi) + 0.3 * np.cos(2 * phi)).astype(f32)
    log_x += trend_per_week * weeks

    # Student-t innovations as normal / sqrt(chi2 / df), which is cheaper than standard_t.
    shocks = rng.standard_normal((n, length), dtype=f32)
    shocks /= np.sqrt(rng.standard_gamma(noise_df / 2.0, (n, length), dtype=f32) * f32(2.0 / noise_df))
    shocks *= f32(np.sqrt((noise_df - 2.0) / noise_df))  # unit variance
    np.clip(shocks, -10.0, 10.0, out=shocks)
    shocks *= noise_sd * f32(np.sqrt(1 - NOISE_AR**2))  # stationary sd = noise_sd
    log_x += lfilter(f32([1.0]), f32([1.0, -NOISE_AR]), shocks, axis=1)
    del shocks

    arrivals = np.flatnonzero(rng.random((n, length), dtype=f32) < (burst_per_day * (step / DAY)).astype(f32))
    impulses = np.zeros((n, length), dtype=f32)
    # Sizes are capped at 5x the link's mean so a burst cannot exceed a plausible link capacity.
    sizes = np.minimum(rng.exponential(1.0, arrivals.size), 5.0)
    impulses.ravel()[arrivals] = sizes * burst_size[arrivals // length]
    decay = f32(np.exp(-(step / BURST_DECAY)))
    bursts = lfilter(f32([1.0]), f32([1.0, -decay]), impulses, axis=1)
    del impulses
    bursts += f32(1.0)

    relative = np.exp(log_x, out=log_x)
    relative *= bursts
    del bursts
    values = np.multiply(relative, level, dtype=np.float64)
    del relative
    if missing_rate > 0:
        values[rng.random((n, length), dtype=f32) < missing_rate] = np.nan

    if n == 1:
        return pd.Series(values[0], index=index, name="link_0000")
    ids = pd.Categorical.from_codes(
        np.repeat(np.arange(n), length), categories=[f"link_{i:04d}" for i in range(n)]
    )
    return pd.DataFrame({"id": ids, "timestamp": np.tile(index.to_numpy(), n), "value": values.ravel()})
