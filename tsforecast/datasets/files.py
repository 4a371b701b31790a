"""Read users' own data files (CSV or Parquet) into validated pandas objects.

Two layouts are supported:

* one series: columns ``timestamp,value`` -> :func:`read_series_file`;
* many series ("long"): columns ``id,timestamp,value[,exog...]`` -> :func:`read_long_file`.

Malformed files raise :class:`~tsforecast.exceptions.DataFileError` naming the
file and the offending line (CSV: 1-based, the header is line 1; Parquet: the
1-based data row) and saying how to fix it. Line numbers assume one record per
line, which holds for every file without quoted line breaks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, InvalidInputError, MissingValuesError, ParameterError
from ..tables import Table as _Table, blank, integer_steps, read_table  # noqa: F401 - read_table is re-exported
from ..validation import MissingValuesWarning, apply_missing_policy

SERIES_COLUMNS = ("timestamp", "value")
LONG_COLUMNS = ("id", "timestamp", "value")
# "keep" exists only for loaders: it returns NaN as found so the caller (e.g. a
# forecaster's own ``missing=``) decides later.
LOADER_MISSING_POLICIES = ("raise", "interpolate", "ffill", "keep")


def check_missing_policy(missing: str) -> None:
    if missing not in LOADER_MISSING_POLICIES:
        raise ParameterError(f"missing must be one of {LOADER_MISSING_POLICIES}, got {missing!r}.")


def require_columns(table: _Table, required, example: str) -> None:
    cols = list(table.frame.columns)
    lowered = {c.lower(): c for c in cols}
    missing = [c for c in required if c not in cols]
    if not missing:
        return
    renames = {lowered[c]: c for c in missing if c in lowered}
    if len(renames) == len(missing):
        table.frame.rename(columns=renames, inplace=True)
        return
    header = ",".join(cols)
    looks_like_data = False
    if cols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            looks_like_data = pd.notna(pd.to_datetime(cols[0], errors="coerce")) or _is_number(cols[0])
    where = ", line 1" if table.is_csv else ""
    if looks_like_data:
        raise DataFileError(
            f"{table.path}{where}: the file has no header line (line 1 is data: {header[:80]!r}); "
            f"insert the header {example!r} as line 1."
        )
    raise DataFileError(
        f"{table.path}{where}: header {header[:120]!r} lacks column(s) {missing}; the header must be "
        f"{example!r} (rename your columns to these names)."
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_numbers(table: _Table, column: str) -> np.ndarray:
    """A column as float64; empty cells become NaN, anything else non-numeric is an error."""
    raw = table.frame[column]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise table.error(None, f"column {column!r} holds true/false values; it must hold numbers.")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(values)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = (np.isnan(values) & raw.notna().to_numpy()) | np.isinf(values)
    if bad.any():
        pos = int(np.argmax(bad))
        raise table.error(
            pos,
            f"{column} {str(raw.iloc[pos])!r} is not a finite number; write a plain number "
            f"(e.g. 1234.5, no units or thousands separators) or leave the cell empty for a missing value.",
        )
    return values


def parse_timestamps(table: _Table, column: str = "timestamp") -> pd.Index:
    """Timestamps as a DatetimeIndex, or integer time steps as an integer Index."""
    raw = table.frame[column]
    empty = blank(raw.to_frame())[column].to_numpy()
    if empty.any():
        pos = int(np.argmax(empty))
        raise table.error(pos, f"{column} is empty; every row needs a timestamp (remove empty lines).")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.DatetimeIndex(raw)
    if pd.api.types.is_integer_dtype(raw.dtype):
        return pd.Index(raw.to_numpy(dtype=np.int64))
    steps = integer_steps(raw)
    if steps is not None:
        return pd.Index(steps)
    text = raw.astype(str).str.strip()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format" is handled below via NaT
            parsed = pd.to_datetime(text, errors="coerce")
    except (ValueError, TypeError, OverflowError) as exc:
        raise table.error(
            None, f"cannot parse column {column!r} as timestamps ({exc}); use one ISO 8601 format "
            f"throughout, e.g. 2024-01-31 13:00:00, with a single time zone or none."
        ) from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = int(np.argmax(bad))
        raise table.error(
            pos,
            f"unparsable {column} {raw.iloc[pos]!r}; use one ISO 8601 format throughout, e.g. "
            f"{_example_stamp(parsed)}.",
        )
    return pd.DatetimeIndex(parsed)


def _example_stamp(parsed: pd.Series) -> str:
    good = parsed.dropna()
    return str(good.iloc[0]) if len(good) else "2024-01-31 13:00:00"


def check_order(table: _Table, stamps: pd.Index, positions: np.ndarray | None = None, label: str = "") -> None:
    """Timestamps (of one series, at the given row positions) must be unique and increasing."""
    pos = np.arange(len(stamps)) if positions is None else positions
    values = stamps.to_numpy()
    if len(values) < 2:
        return
    dup = pd.Index(values).duplicated()
    if dup.any():
        second = int(np.argmax(dup))
        first = int(np.argmax(values == values[second]))
        raise table.error(
            pos[second],
            f"duplicate timestamp {stamps[second]}{label} (first seen at {table.where(pos[first])}); "
            f"keep one row per timestamp, e.g. aggregate them with df.groupby('timestamp').mean().",
        )
    back = values[1:] < values[:-1]
    if back.any():
        k = int(np.argmax(back)) + 1
        raise table.error(
            pos[k],
            f"timestamp {stamps[k]}{label} is earlier than the previous row's {stamps[k - 1]}; "
            f"sort the file by timestamp.",
        )


def regular_index(table: _Table, stamps: pd.Index, freq=None) -> pd.Index:
    """Give sorted unique stamps their frequency, or name the first irregular step."""
    if not isinstance(stamps, pd.DatetimeIndex):
        start = int(stamps[0])
        steps = np.diff(stamps.to_numpy())
        if (steps != 1).any():
            k = int(np.argmax(steps != 1)) + 1
            raise table.error(
                k, f"integer time steps must increase by 1; {stamps[k - 1]} is followed by {stamps[k]}. "
                f"Add the missing steps with an empty value (read as missing); if these are dates "
                f"such as 20240131, write them as 2024-01-31."
            )
        return pd.RangeIndex(start, start + len(stamps))
    if freq is None and len(stamps) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(stamps)
    elif freq is None and len(stamps) == 2:
        freq = stamps[1] - stamps[0]
    if freq is None:
        if len(stamps) < 2:
            raise table.error(None, "needs at least two rows to infer the frequency; pass freq=... explicitly.")
        steps = np.diff(stamps.asi8)
        typical = pd.Series(steps).mode().iloc[0]
        k = int(np.argmax(steps != typical)) + 1
        raise table.error(
            k,
            f"irregular time step: {stamps[k - 1]} -> {stamps[k]} "
            f"({pd.Timedelta(int(steps[k - 1]), unit=stamps.unit)}) while most steps are "
            f"{pd.Timedelta(int(typical), unit=stamps.unit)}. tsforecast never reindexes silently: add the "
            f"missing rows with an empty value (read as missing), or resample the data to a regular grid.",
        )
    try:
        return pd.DatetimeIndex(stamps, freq=freq)
    except ValueError:
        expected = pd.date_range(stamps[0], periods=len(stamps), freq=freq)
        k = int(np.argmax(expected != stamps))
        raise table.error(
            k, f"timestamp {stamps[k]} does not follow frequency {freq!r} (expected {expected[k]}); "
            f"fix or resample the file."
        ) from None


def read_series_file(path, missing: str = "raise", freq=None) -> pd.Series:
    """Read one series from a CSV or Parquet file with columns ``timestamp,value``.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (any other suffix is read as CSV) or ``.parquet``/``.pq``.
        Further columns are ignored. Empty value cells are missing values.
    missing : {"raise", "interpolate", "ffill", "keep"}, default "raise"
        Missing-value policy (see :func:`tsforecast.validation.apply_missing_policy`):
        ``"raise"`` refuses NaN; ``"ffill"`` fills each interior gap with the last
        observed value before it (uses only the past, so it is safe before a
        backtest); ``"interpolate"`` fills interior gaps linearly (uses the value
        after the gap); both trim leading/trailing gaps with a
        ``MissingValuesWarning``; ``"keep"`` returns NaN as they are.
    freq : str, optional
        Pandas frequency alias; inferred from the timestamps when omitted.

    Returns
    -------
    pandas.Series
        Float64 values named ``"value"`` on a ``DatetimeIndex`` with ``freq``
        set (or a ``RangeIndex`` when the timestamps are integer steps).

    Raises
    ------
    DataFileError
        The file is missing or malformed: bad header, unparsable timestamp,
        non-numeric value, duplicate/unsorted/irregular timestamps. The message
        names the file and the line.
    """
    check_missing_policy(missing)
    table = read_table(path)
    require_columns(table, SERIES_COLUMNS, "timestamp,value")
    if "id" in table.frame.columns:
        raise table.error(None, "has an 'id' column, so it holds many series; read it with read_long_file.")
    if len(table.frame) == 0:
        raise table.error(None, "has a header but no data rows.")
    stamps = parse_timestamps(table)
    check_order(table, stamps)
    index = regular_index(table, stamps, freq)
    values = parse_numbers(table, "value")
    if missing != "keep":
        try:
            values, index = apply_missing_policy(values, index, missing, name=str(table.path))
        except MissingValuesError as exc:
            pos = int(np.argmax(np.isnan(values)))
            raise MissingValuesError(f"{exc} First empty value: {table.where(pos)}.") from None
    return pd.Series(values, index=index, name="value")


def read_long_file(path, missing: str = "raise") -> pd.DataFrame:
    """Read many series from a CSV or Parquet file with columns ``id,timestamp,value[,exog...]``.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` or ``.parquet``/``.pq``. Columns beyond ``id,timestamp,value``
        are exogenous variables and must be numeric.
    missing : {"raise", "interpolate", "ffill", "keep"}, default "raise"
        Missing-``value`` policy, applied to each series on its own (as in
        :func:`read_series_file`; ``"ffill"`` fills a gap only from the same
        series' past). Exogenous columns are checked by the forecaster that uses them.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (categorical, in order of first appearance), ``timestamp``
        (datetime64, or int64 for integer steps), ``value`` (float64), then the
        exogenous columns (float64), in file order.

    Raises
    ------
    DataFileError
        Missing or malformed file (bad header, empty id, unparsable timestamp,
        non-numeric value, duplicate or unsorted timestamps within a series);
        the message names the file and the line.
    """
    check_missing_policy(missing)
    table = read_table(path)
    require_columns(table, LONG_COLUMNS, "id,timestamp,value")
    frame = table.frame
    if len(frame) == 0:
        raise table.error(None, "has a header but no data rows.")
    ids = frame["id"]
    empty_id = blank(ids.to_frame())["id"].to_numpy()
    if empty_id.any():
        raise table.error(int(np.argmax(empty_id)), "id is empty; every row needs the id of its series.")
    ids = ids.astype(str).str.strip()
    stamps = parse_timestamps(table)
    out = pd.DataFrame(
        {"id": pd.Categorical(ids, categories=pd.unique(ids)), "timestamp": stamps, "value": parse_numbers(table, "value")}
    )
    for column in frame.columns:
        if column not in LONG_COLUMNS:
            out[column] = parse_numbers(table, column)
    # Check uniqueness and order within each series in one pass over the (id, timestamp)-sorted rows.
    order = np.lexsort((np.arange(len(out)), out["id"].cat.codes.to_numpy()))
    codes = out["id"].cat.codes.to_numpy()[order]
    ts = out["timestamp"].to_numpy()[order]
    same = codes[1:] == codes[:-1]
    bad = same & (ts[1:] <= ts[:-1])
    if bad.any():
        k = int(np.argmax(bad)) + 1
        label = f" in series {out['id'].iloc[order[k]]!r}"
        check_order(table, pd.Index(ts[k - 1 : k + 1]), order[k - 1 : k + 1], label)
    return apply_missing_policy_long(out, missing, name=str(table.path))


def apply_missing_policy_long(df: pd.DataFrame, missing: str, name: str, stacklevel: int = 3) -> pd.DataFrame:
    """Apply ``missing=`` to each series of a long DataFrame (rows of a series in time order).

    ``"interpolate"`` and ``"ffill"`` fill each series only from its own values and
    report all series in one :class:`MissingValuesWarning`.
    """
    check_missing_policy(missing)
    values = df["value"].to_numpy(dtype=np.float64)
    nan = np.isnan(values)
    if missing == "keep" or not nan.any():
        return df
    groups = df.groupby("id", sort=False, observed=True).indices
    gappy = {key: pos for key, pos in groups.items() if nan[pos].any()}
    first_key = next(iter(gappy))
    first_pos = gappy[first_key][np.argmax(nan[gappy[first_key]])]
    if missing == "raise":
        raise MissingValuesError(
            f"{name}: {len(gappy)} of {len(groups)} series have missing values ({int(nan.sum())} in all; "
            f"first: series {first_key!r} at {df['timestamp'].iloc[first_pos]}). Pass missing='ffill' "
            f"(last observed value) or missing='interpolate' to fill interior gaps and trim leading/trailing "
            f"ones, or missing='keep' to keep them as NaN."
        )
    keep = np.ones(len(df), dtype=bool)
    values = values.copy()
    for key, pos in gappy.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingValuesWarning)
            try:
                filled, kept = apply_missing_policy(values[pos], pd.Index(pos), missing, f"series {key!r}")
            except InvalidInputError as exc:
                raise MissingValuesError(f"{name}: {exc} Drop that series first.") from None
        keep[pos] = False
        keep[kept.to_numpy()] = True
        values[kept.to_numpy()] = filled
    trimmed = int((~keep).sum())
    verb = "interpolated" if missing == "interpolate" else "forward-filled"
    warnings.warn(
        f"{name}: {len(gappy)} of {len(groups)} series had missing values; {verb} "
        f"{int(nan.sum()) - trimmed} interior value(s) and trimmed {trimmed} leading/trailing one(s).",
        MissingValuesWarning,
        stacklevel=stacklevel,
    )
    out = df.iloc[np.flatnonzero(keep)].copy()
    out["value"] = values[keep]
    return out.reset_index(drop=True)
