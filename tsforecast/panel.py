"""Many series as flat arrays, validated in a few vectorised passes.

A :class:`Panel` holds every series' values concatenated in one float64 array
plus what is needed to stamp forecasts. Most real panels are regular (hourly,
5-minute, daily, positions), and for those the checks and the future
timestamps are array operations over all series at once. Anything else
(calendar frequencies such as ``"MS"`` or ``"B"``, time zones, missing values,
bad input) goes through :func:`~tsforecast.validation.check_series` series by
series, so the results and the error messages are those of the per-series path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import InvalidInputError
from .validation import MISSING_POLICIES, check_index, check_series, future_index

LONG_COLUMNS = ("id", "timestamp", "value")

# How a series' timestamps are stored.
POSITIONS = 0  # consecutive integers: ``last`` is the last position
STEPS = 1  # tz-naive timestamps with a constant step: ``last`` and ``step`` in ns
INDEX = 2  # anything else: the checked pd.Index is kept and stamped with future_index

_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_NAT = np.iinfo(np.int64).min
_NS_LIMIT = 2**62  # nanosecond stamps stay well inside int64 (years 1824-2116 and a horizon beyond)


def _in_ns_range(values, per):
    return np.abs(values.astype(np.float64)) * per < _NS_LIMIT


class Panel:
    """Many validated series, stored flat.

    Build one with :meth:`from_long` or :meth:`from_dict`; the constructor
    takes the arrays as they are.

    Parameters
    ----------
    ids : numpy.ndarray of str (object dtype)
        Series ids, in order.
    values : numpy.ndarray of float64
        All series' values, concatenated in ``ids`` order.
    offsets : numpy.ndarray of int64, shape (n + 1,)
        Series ``i`` is ``values[offsets[i]:offsets[i + 1]]``.
    kind : numpy.ndarray of int8
        ``POSITIONS``, ``STEPS`` or ``INDEX`` per series.
    last, step : numpy.ndarray of int64
        Last position (step 1) or last timestamp and step in nanoseconds.
    units : list of str or None
        Datetime unit of each ``STEPS`` series (the unit its index had).
    sources : list
        Per series, the pd.Index to check for :meth:`index` (the checked index
        for ``INDEX`` series), or None to rebuild it from ``last``/``step``.
    names : list
        The ``name`` each series gets in :meth:`series`.
    """

    def __init__(self, ids, values, offsets, kind, last, step, units, sources, names):
        self.ids = ids
        self.values = values
        self.offsets = offsets
        self.kind = kind
        self.last = last
        self.step = step
        self.units = units
        self.sources = sources
        self.names = names

    def __len__(self):
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_long(cls, df: pd.DataFrame, missing: str = "raise") -> "Panel":
        """Validate a long DataFrame ``id, timestamp, value``.

        Ids keep their order of first appearance and become str; rows of one id
        need not be adjacent, but within a series they must be in time order
        (as :func:`~tsforecast.validation.check_series` requires).

        Raises
        ------
        InvalidInputError
            Or a subclass (FrequencyError, MissingValuesError) naming the first
            bad series, exactly as checking the series one at a time would.
        """
        keys, offsets, ts, vals = group_long(df)
        if not len(keys):
            raise InvalidInputError("no series given (empty dict or DataFrame).")
        ids = np.array([str(k) for k in keys], dtype=object)
        n, lengths = len(ids), np.diff(offsets)
        kind = np.full(n, POSITIONS, dtype=np.int8)
        last, step = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
        ok = np.zeros(n, dtype=bool)
        values, unit = None, None
        t_dtype, v_dtype = ts.dtype, vals.dtype
        if (missing in MISSING_POLICIES and isinstance(v_dtype, np.dtype) and v_dtype.kind in "fiu"
                and isinstance(t_dtype, np.dtype) and t_dtype.kind in "Miu"):
            values = vals.to_numpy().astype(np.float64, copy=False)
            datetimes = t_dtype.kind == "M"
            t = ts.to_numpy().view(np.int64) if datetimes else ts.to_numpy().astype(np.int64, copy=False)
            bad_row = ~np.isfinite(values)  # NaN and inf: check_series decides (raise or interpolate)
            if datetimes:
                bad_row |= t == _NAT
            d = np.diff(t)
            first = np.minimum(offsets[:-1], max(len(d) - 1, 0))
            step = np.where(lengths >= 2, d[first] if len(d) else 0, 1)
            # Row r > 0 is also bad when its step from row r - 1 is not its series' step; a series' first
            # row has no step of its own (the diff before it crosses two series).
            off_step = np.empty(len(t), dtype=bool)
            np.not_equal(d, np.repeat(step, lengths)[1:], out=off_step[1:])
            off_step[offsets[:-1]] = False
            bad_row |= off_step
            # Every series has a row (group_long), so each reduceat segment is a whole series.
            ok = ~np.logical_or.reduceat(bad_row, offsets[:-1])
            last = t[offsets[1:] - 1]
            if datetimes:
                # check_index needs 3 points to call a step regular; shorter series get its error.
                ok &= (lengths >= 3) & (step > 0)
                unit = np.datetime_data(t_dtype)[0]
                ok &= _in_ns_range(last, _NS_PER[unit])  # beyond 2262 in s/ms/us: kept as a pandas index
                last, step = np.where(ok, last, 0) * _NS_PER[unit], np.where(ok, step, 0) * _NS_PER[unit]
                kind[:] = STEPS
            else:
                ok &= (step == 1) | (lengths == 1)
                step = np.ones(n, dtype=np.int64)
        units = [unit] * n
        sources = [None] * n
        if ok.all():
            return cls(ids, values, offsets, kind, last, step, units, sources, list(ids))
        pieces = [None] * n
        for i in np.flatnonzero(~ok):
            s, e = offsets[i], offsets[i + 1]
            # Built as multiseries.long_to_dict builds it, so check_series sees what it always saw.
            raw = pd.Series(column_rows(vals, s, e), index=pd.Index(column_rows(ts, s, e)), name=ids[i])
            checked = _checked(raw, f"series {ids[i]!r}", missing)
            pieces[i] = checked.to_numpy()
            kind[i], last[i], step[i], units[i], sources[i] = _describe(checked.index)
        if values is None:  # no fast path: every series was checked on its own
            flat = pieces
        else:
            flat = [values[offsets[i]:offsets[i + 1]] if p is None else p for i, p in enumerate(pieces)]
        new_offsets = np.concatenate([[0], np.cumsum([len(p) for p in flat])]).astype(np.int64)
        return cls(ids, np.concatenate(flat).astype(np.float64, copy=False), new_offsets, kind, last, step,
                   units, sources, list(ids))

    @classmethod
    def from_dict(cls, series: dict, missing: str = "raise") -> "Panel":
        """Validate a dict ``{id: Series}``; ids become str.

        A float or integer Series with finite values and a constant-step
        tz-naive DatetimeIndex, or consecutive integer positions, is accepted
        after a check of a few microseconds; anything else goes through
        :func:`~tsforecast.validation.check_series` (errors name the series).
        """
        if not series:
            raise InvalidInputError("no series given (empty dict or DataFrame).")
        n = len(series)
        ids = np.array([str(k) for k in series], dtype=object)
        _check_unique_ids(list(series), ids)
        kind = np.zeros(n, dtype=np.int8)
        last, step = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
        units, sources, names, pieces = [None] * n, [None] * n, [None] * n, [None] * n
        fast = missing in MISSING_POLICIES  # an unknown policy: let check_series raise its error
        for i, (key, s) in enumerate(series.items()):
            desc = _quick(s) if fast else None
            if desc is None:
                checked = _checked(s, f"series {key!r}", missing)
                pieces[i], names[i], sources[i] = checked.to_numpy(), checked.name, checked.index
                kind[i], last[i], step[i], units[i], _ = _describe(checked.index)
            else:
                pieces[i], (kind[i], last[i], step[i], units[i]) = desc
                names[i], sources[i] = s.name, s.index
        offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
        return cls(ids, np.concatenate(pieces).astype(np.float64, copy=False), offsets, kind, last, step,
                   units, sources, names)

    # -- access --------------------------------------------------------------------
    def last_values(self, length: int) -> np.ndarray:
        """The last ``length`` values of every series, shape (n, length); each series must be that long."""
        return self.values[self.offsets[1:, None] - length + np.arange(length)]

    def gather(self, rows) -> tuple:
        """Flat values and lengths of the series at positions ``rows`` (one fancy index)."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        starts = self.offsets[:-1][rows]
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        return self.values[np.arange(lengths.sum()) + shift], lengths

    def future_stamps(self, horizon: int):
        """Timestamps (or positions) of the ``horizon`` steps after each series.

        Returns an array (n, horizon) when every series has the same constant
        step (datetime64[ns]) or every series is positional (int64); otherwise
        a list of per-series arrays, each equal to ``future_index(index(i), horizon)``.
        """
        k = np.arange(1, horizon + 1)
        if (self.kind == STEPS).all() and (self.step == self.step[0]).all():
            return (self.last[:, None] + self.step[0] * k).view("datetime64[ns]")
        if (self.kind == POSITIONS).all():
            return self.last[:, None] + k
        out = []
        for i in range(len(self)):
            if self.kind[i] == POSITIONS:
                out.append(self.last[i] + k)
            elif self.kind[i] == STEPS:
                ns = (self.last[i] + self.step[i] * k).view("datetime64[ns]")
                out.append(ns.astype(f"datetime64[{self.units[i]}]"))
            else:
                out.append(future_index(self.sources[i], horizon).to_numpy())
        return out

    def index(self, i: int) -> pd.Index:
        """The checked index of series ``i``, as ``check_series`` returns it."""
        src = self.sources[i]
        if src is not None:
            return check_index(src, f"series {self.ids[i]!r}")  # already checked: returned as is
        n = int(self.offsets[i + 1] - self.offsets[i])
        if self.kind[i] == POSITIONS:
            return pd.RangeIndex(int(self.last[i]) - n + 1, int(self.last[i]) + 1)
        unit = self.units[i]
        step = int(self.step[i]) // _NS_PER[unit]
        start = pd.Timestamp(int(self.last[i] - (n - 1) * self.step[i]), unit="ns").as_unit(unit)
        freq = pd.tseries.frequencies.to_offset(pd.Timedelta(step, unit=unit))
        return pd.date_range(start, periods=n, freq=freq, unit=unit)

    def series(self, i: int) -> pd.Series:
        """Series ``i`` as a float64 pd.Series with its checked index."""
        return pd.Series(self.values[self.offsets[i]:self.offsets[i + 1]], index=self.index(i), name=self.names[i])

    def to_dict(self) -> dict:
        """``{id: Series}``, as :func:`~tsforecast.multiseries.to_series_dict` returns it."""
        return {k: self.series(i) for i, k in enumerate(self.ids)}


# -- helpers ------------------------------------------------------------------------
def check_long_columns(df: pd.DataFrame):
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidInputError(
            f"a long DataFrame needs columns {LONG_COLUMNS}; missing {missing}. Rename yours, "
            f"e.g. df.rename(columns={{'series': 'id', 'date': 'timestamp', 'y': 'value'}})."
        )


def group_long(df: pd.DataFrame) -> tuple:
    """Rows of a long frame grouped by id: ``(keys, offsets, timestamps, values)``.

    ``keys`` are the ids in order of first appearance (a missing id, or two ids
    with the same text such as ``1`` and ``"1"``, is an error); series ``i`` is rows
    ``offsets[i]:offsets[i + 1]`` of the returned ``timestamps`` and ``values``
    Series, in their original order within the series. Timestamps are parsed
    once for the whole column (numeric ones are positions and left as they are).
    """
    check_long_columns(df)
    grouped = _contiguous_ids(df["id"])
    if grouped is not None:
        keys, offsets = grouped
        return _timestamps_values(df["timestamp"], df["value"], keys, offsets)
    codes, keys = pd.factorize(df["id"], sort=False)
    if (codes < 0).any():
        raise InvalidInputError(f"{int((codes < 0).sum())} row(s) have no id (first: row {int(np.argmax(codes < 0))}); "
                                f"fill the id column or drop those rows.")
    _check_unique_ids(list(keys), [str(k) for k in keys])
    rows, c = None, codes
    if len(c) and (np.diff(c) < 0).any():  # ids not grouped: a stable sort keeps each series' row order
        order = np.argsort(c, kind="stable")
        rows = order if rows is None else rows[order]
        c = c[order]
    ts, vals = df["timestamp"], df["value"]
    if rows is not None:
        ts, vals = ts.iloc[rows], vals.iloc[rows]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(c, minlength=len(keys)))]).astype(np.int64)
    return _timestamps_values(ts, vals, list(keys), offsets)


def _contiguous_ids(ids: pd.Series):
    """``(keys, offsets)`` when each id's rows are one run (the usual, sorted layout), found by comparing
    neighbours, which is cheaper than hashing every row; None otherwise (or when an id is missing)."""
    if not len(ids):
        return None
    starts = np.flatnonzero(ids.ne(ids.shift()).to_numpy(dtype=bool, na_value=True))
    keys = ids.iloc[starts]
    if keys.isna().any() or not keys.is_unique:
        return None
    keys = keys.tolist()
    if not isinstance(ids.dtype, pd.StringDtype):  # a string column's distinct ids are distinct texts already
        _check_unique_ids(keys, [str(k) for k in keys])
    return keys, np.r_[starts, len(ids)].astype(np.int64)


def _timestamps_values(ts, vals, keys, offsets):
    if not pd.api.types.is_numeric_dtype(ts):
        try:
            # One format for the whole column only when it cannot be ambiguous; otherwise each
            # series is parsed on its own, as a per-series check would (day-first vs month-first).
            ts = pd.to_datetime(ts, format="ISO8601")
        except (ValueError, TypeError):
            ts = _parse_by_series(keys, offsets, ts)
    return keys, offsets, ts, vals


def _check_unique_ids(keys, names):
    names = pd.Index(names)
    if names.has_duplicates:
        twins = [k for k, dup in zip(keys, names.duplicated(keep=False)) if dup][:2]
        raise InvalidInputError(f"ids {twins[0]!r} and {twins[1]!r} are different values with the same text; "
                                f"ids are used as strings, so make them unique as strings.")


def _parse_by_series(keys, offsets, ts):
    """Parse timestamps series by series: names the first unparsable series, or parses each in its own format."""
    parts = []
    for i, key in enumerate(keys):
        try:
            parts.append(pd.to_datetime(ts.iloc[offsets[i]:offsets[i + 1]]))
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"series {key!r}: unparsable timestamp ({exc}).") from None
    return pd.concat(parts)


def column_rows(col: pd.Series, start, stop) -> np.ndarray:
    """Rows ``start:stop`` of a column as the array ``part.to_numpy()`` of that part would give."""
    if isinstance(col.dtype, np.dtype):
        return col.to_numpy()[start:stop]
    return col.iloc[start:stop].to_numpy()  # extension dtypes: to_numpy depends on the part (e.g. pd.NA)


def _checked(y, name, missing) -> pd.Series:
    try:
        return check_series(y, name, missing)
    except InvalidInputError as exc:
        raise type(exc)(str(exc)) from None  # a short traceback: the message says it all


def _describe(index: pd.Index) -> tuple:
    """``(kind, last, step, unit, source)`` of a checked index."""
    if isinstance(index, pd.RangeIndex):
        return POSITIONS, int(index[-1]), 1, None, None
    if isinstance(index, pd.DatetimeIndex) and index.tz is None and isinstance(index.freq, pd.offsets.Tick):
        last = int(index.asi8[-1]) * _NS_PER[index.unit]
        if abs(last) < _NS_LIMIT:
            return STEPS, last, index.freq.nanos, index.unit, index
    return INDEX, 0, 0, None, index


def _quick(s):
    """``(float64 values, (kind, last, step, unit))`` when ``s`` is clearly valid and regular, else None."""
    if not isinstance(s, pd.Series):
        return None
    v = s.to_numpy()
    if v.dtype.kind not in "fiu" or not len(v):
        return None
    v = v.astype(np.float64, copy=False)
    if not np.isfinite(v).all():
        return None
    ix = s.index
    if isinstance(ix, pd.DatetimeIndex):
        if ix.tz is not None:
            return None
        per = _NS_PER[ix.unit]
        freq = ix.freq
        if not _in_ns_range(ix.asi8[-1:], per).all():
            return None
        if freq is not None:  # pandas validated it on construction
            if not isinstance(freq, pd.offsets.Tick) or freq.n <= 0:  # "-1h": descending, check_series refuses it
                return None
            return v, (STEPS, int(ix.asi8[-1]) * per, freq.nanos, ix.unit)
        if len(ix) < 3:
            return None
        a = ix.asi8
        d = np.diff(a)
        if d[0] <= 0 or not (d == d[0]).all():
            return None
        return v, (STEPS, int(a[-1]) * per, int(d[0]) * per, ix.unit)
    if isinstance(ix, pd.RangeIndex):
        return (v, (POSITIONS, int(ix[-1]), 1, None)) if ix.step == 1 else None
    if ix.dtype.kind in "iu":
        a = ix.to_numpy()
        if len(a) > 1 and not (np.diff(a) == 1).all():
            return None
        return v, (POSITIONS, int(a[-1]), 1, None)
    return None


def first_differences(values: np.ndarray, lengths: np.ndarray) -> tuple:
    """First differences of every series in a flat array: ``(differences, lengths - 1)``.

    The differences that would span two series are dropped.
    """
    d = np.diff(values)
    keep = np.ones(len(d), dtype=bool)
    keep[np.cumsum(lengths)[:-1] - 1] = False
    return d[keep], lengths - 1
