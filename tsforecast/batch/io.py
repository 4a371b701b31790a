"""Streaming reads of long tables and atomic writes of result files.

Inputs are long tables ``id, timestamp, value`` in CSV or Parquet, or a folder
of them (read in file-name order). They are read in blocks of rows, never
whole, so the rows of one series must be contiguous (the table sorted or
grouped by ``id``); :func:`scan_ids` checks that in a cheap first pass that
reads the ``id`` column only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..exceptions import DataFileError, InvalidInputError
from ..multiseries import LONG_COLUMNS
from ..tables import blank, integer_steps, iter_frames, read_header
from ..validation import check_series

SUFFIXES = (".csv", ".parquet")
BLOCK_ROWS = 200_000


def table_files(path) -> list:
    """The CSV/Parquet files of ``path`` (one file, or a folder's files sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
        if not files:
            raise DataFileError(f"folder {path} holds no .csv or .parquet files.")
        return files
    if not path.is_file():
        raise DataFileError(f"{path} does not exist.")
    if path.suffix.lower() not in SUFFIXES:
        raise DataFileError(f"{path} is neither .csv nor .parquet; convert it or rename it.")
    return [path]


def read_blocks(files, columns=None, rows=BLOCK_ROWS):
    """Yield DataFrames of at most ``rows`` rows from ``files``, in order; ``id`` as verbatim strings.

    An empty id is refused here: it cannot name a series in the output.
    """
    for f in files:
        _check_columns(read_header(f), f)
        wanted = columns or list(LONG_COLUMNS)  # not the pandas index columns a DataFrame.to_parquet adds
        seen = 0
        for block in iter_frames(f, rows, columns=wanted):
            empty = blank(block[["id"]])["id"].to_numpy()
            if empty.any():
                row = seen + int(np.argmax(empty)) + 1
                raise DataFileError(f"{f}, data row {row}: id is empty; every row needs the id of its series.")
            seen += len(block)
            yield block


def _check_columns(names, f):
    missing = [c for c in LONG_COLUMNS if c not in list(names)]
    if missing:
        raise DataFileError(
            f"{f} lacks column(s) {missing}; a batch input is a long table with columns {list(LONG_COLUMNS)}."
        )
    extra = [c for c in names if c not in LONG_COLUMNS and not c.startswith("__index_level_")]
    if extra:
        raise DataFileError(
            f"{f} has extra column(s) {extra}; batch jobs do not take exogenous inputs yet, so drop them."
        )


def scan_ids(files) -> list:
    """Series ids in order, from the ``id`` column alone; checks each series' rows are contiguous.

    Returns a list of (id, n_rows).
    """
    seen, order = set(), []
    current, count = None, 0
    for block in read_blocks(files, columns=["id"]):
        ids = block["id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        lengths = np.diff(np.r_[starts, len(ids)])
        for key, n in zip(ids[starts], lengths):
            if key == current:
                count += n
                continue
            if current is not None:
                order.append((current, int(count)))
            if key in seen:
                raise DataFileError(
                    f"the rows of series {key!r} are not contiguous; batch inputs are streamed, so sort them by id "
                    f"first, e.g. df.sort_values(['id', 'timestamp'], kind='stable')."
                )
            seen.add(key)
            current, count = key, n
    if current is not None:
        order.append((current, int(count)))
    if not order:
        raise DataFileError("the input holds no rows.")
    return order


def iter_series(files):
    """Yield ``(id, rows)`` for each series, reading ``files`` block by block."""
    carry_id, carry = None, []
    for block in read_blocks(files):
        ids = block["id"].to_numpy()
        bounds = np.r_[np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]), len(ids)]
        for s, e in zip(bounds[:-1], bounds[1:]):
            key = ids[s]
            if key != carry_id:
                if carry:
                    yield carry_id, _joined(carry)
                carry_id, carry = key, []
            carry.append(block.iloc[s:e])
    if carry:
        yield carry_id, _joined(carry)


def _joined(parts):
    # Most series sit inside one block; concatenating a single part would only cost time.
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def rows_to_series(key, rows: pd.DataFrame, missing: str) -> pd.Series:
    """One series from its long-table rows; a named :class:`InvalidInputError` when unusable."""
    name = f"series {key!r}"
    ts = rows["timestamp"]
    steps = None if pd.api.types.is_numeric_dtype(ts) else integer_steps(ts)
    if steps is not None:
        ts = pd.Series(steps, index=rows.index)
    elif not pd.api.types.is_numeric_dtype(ts):
        ts = ts.where(~blank(ts.to_frame())["timestamp"])  # an empty cell is a missing timestamp
        parsed = pd.to_datetime(ts, errors="coerce")
        bad = parsed.isna() & ts.notna()
        if bad.any() or ts.isna().any():
            first = ts[bad | ts.isna()].iloc[0]
            raise InvalidInputError(f"{name}: unparsable or missing timestamp {first!r}.")
        ts = parsed
    values = rows["value"]
    if not pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & values.notna()
        if bad.any():
            raise InvalidInputError(f"{name}: unparsable value {values[bad].iloc[0]!r} at {ts[bad].iloc[0]}.")
        values = num
    order = np.argsort(ts.to_numpy(), kind="stable")
    series = pd.Series(values.to_numpy(dtype=float)[order], index=pd.Index(ts.to_numpy()[order]), name=key)
    return check_series(series, name, missing)


def write_atomic(df: pd.DataFrame, path, fmt=None):
    """Write ``df`` to ``path`` (CSV or Parquet by ``fmt`` or suffix) via a temporary file and ``os.replace``.

    A reader (or a rerun after a crash) sees either no file or the whole file.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise DataFileError(f"cannot write {path}: the name must end in .csv or .parquet.")
    if fmt == "csv":
        return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))
    return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))
