"""Streaming reads of long tables and atomic writes of result files.

Inputs are long tables ``id, timestamp, value`` (plus the exogenous columns a
job names) in CSV or Parquet, or a folder of them (read in file-name order). They are read in blocks of rows, never
whole, so the rows of one series must be contiguous (the table sorted or
grouped by ``id``); :func:`scan_ids` checks that in a cheap first pass that
reads the ``id`` column only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..exceptions import DataFileError, InvalidInputError
from ..multiseries import LONG_COLUMNS
from ..tables import blank, integer_steps, iter_frames, read_frame, read_header
from ..validation import check_series

SUFFIXES = (".csv", ".parquet")
BLOCK_ROWS = 200_000
SCAN_ROWS = 2_000_000  # the id scan holds one integer code per row


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


def read_blocks(files, columns=None, rows=BLOCK_ROWS, exog=(), categorical=()):
    """Yield ``(block, starts, ids)`` from ``files``, in order: DataFrames of at most ``rows`` rows (``id`` as
    verbatim strings), the first row of each run of equal ids in the block, and those ids.

    ``exog`` names the exogenous columns the table must hold besides ``id, timestamp, value``.
    An empty id is refused here: it cannot name a series in the output.
    """
    for f in files:
        _check_columns(read_header(f), f, exog)
        wanted = columns or [*LONG_COLUMNS, *exog]  # not the pandas index columns a DataFrame.to_parquet adds
        seen = 0
        for block in iter_frames(f, rows, columns=wanted, categorical=categorical):
            starts, ids = _runs(block["id"])
            # All rows of a run share its id, so checking the first row of each run checks every row.
            empty = blank(pd.DataFrame({"id": ids}, dtype=object))["id"].to_numpy()
            if empty.any():
                row = seen + int(starts[np.argmax(empty)]) + 1
                raise DataFileError(f"{f}, data row {row}: id is empty; every row needs the id of its series.")
            seen += len(block)
            yield block, starts, ids


def _check_columns(names, f, exog=(), required=LONG_COLUMNS, what="a batch input"):
    names = list(names)
    missing = [c for c in required if c not in names]
    if missing:
        raise DataFileError(f"{f} lacks column(s) {missing}; {what} is a long table with columns {list(required)}"
                            + (" plus the exogenous ones." if exog else "."))
    missing = [c for c in exog if c not in names]
    if missing:
        raise DataFileError(f"{f} lacks the exogenous column(s) {missing} the job lists in exog; add them to the "
                            f"table or drop them from exog.")
    extra = [c for c in names if c not in required and c not in exog and not c.startswith("__index_level_")]
    if extra:
        raise DataFileError(
            f"{f} has extra column(s) {extra}; list them in the job's exog = [...] to use them as exogenous "
            f"inputs, or drop them."
        )


def _runs(ids: pd.Series):
    """First row of each run of equal ids in a block, and those ids (compared in one vectorised pass)."""
    # A missing id starts a run (and is refused).
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()
        change = np.r_[True, codes[1:] != codes[:-1]] | (codes < 0)
    else:
        change = ids.ne(ids.shift()).to_numpy(dtype=bool, na_value=True)
    starts = np.flatnonzero(change[1:]) + 1
    starts = np.r_[0, starts] if len(ids) else starts
    return starts, ids.iloc[starts].tolist()


def scan_ids(files, exog=()) -> list:
    """Series ids in order, from the ``id`` column alone; checks each series' rows are contiguous.

    Returns a list of (id, n_rows).
    """
    seen, order = set(), []
    current, count = None, 0
    for block, starts, keys in read_blocks(files, columns=["id"], rows=SCAN_ROWS, exog=exog,
                                                categorical=["id"]):
        lengths = np.diff(np.r_[starts, len(block)])
        for key, n in zip(keys, lengths.tolist()):
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


@dataclass
class SeriesChunk:
    """The rows of consecutive series of a long table, kept together in one frame.

    Series ``i`` is ``keys[i]`` with the rows ``frame.iloc[bounds[i] : bounds[i + 1]]``.
    """

    frame: pd.DataFrame
    keys: list
    bounds: np.ndarray

    def __len__(self):
        return len(self.keys)

    def rows(self, i) -> pd.DataFrame:
        """The rows of series ``i``."""
        return self.frame.iloc[self.bounds[i] : self.bounds[i + 1]]

    def items(self) -> list:
        """``[(id, rows), ...]``."""
        return [(key, self.rows(i)) for i, key in enumerate(self.keys)]

    def lengths(self) -> np.ndarray:
        return np.diff(self.bounds)

    def select(self, keep) -> SeriesChunk:
        """The chunk of the series where the boolean array ``keep`` is True."""
        keep = np.asarray(keep, dtype=bool)
        if keep.all():
            return self
        rows = np.repeat(keep, self.lengths())
        return SeriesChunk(self.frame.iloc[np.flatnonzero(rows)].reset_index(drop=True),
                           [k for k, ok in zip(self.keys, keep) if ok], np.r_[0, np.cumsum(self.lengths()[keep])])

    @classmethod
    def from_items(cls, items) -> SeriesChunk:
        """A chunk from ``[(id, rows), ...]``."""
        frames = [rows for _, rows in items]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(LONG_COLUMNS))
        return cls(frame, [key for key, _ in items], np.r_[0, np.cumsum([len(f) for f in frames])].astype(np.int64))


def iter_chunks(files, chunk_size, exog=(), skip=()):
    """Yield ``(index, SeriesChunk)`` for consecutive chunks of ``chunk_size`` series read from ``files``
    (with the ``exog`` columns), block by block; a chunk whose index is in ``skip`` is read but not built
    (``None``)."""
    index, keys, lengths, pieces = 0, [], [], []

    def chunk():
        if index in skip:
            return None
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
        return SeriesChunk(frame, keys, np.r_[0, np.cumsum(lengths)].astype(np.int64))

    for block, starts, ids in read_blocks(files, exog=exog):
        ends = np.r_[starts[1:], len(block)]
        lo = 0  # first row of the block not yet in pieces
        for s, e, key in zip(starts.tolist(), ends.tolist(), ids):
            if s == 0 and keys and key == keys[-1]:
                lengths[-1] += e  # the series goes on from the previous block
                continue
            if len(keys) == chunk_size:  # this series starts the next chunk
                pieces.append(block.iloc[lo:s])
                yield index, chunk()
                index, keys, lengths, pieces, lo = index + 1, [], [], [], s
            keys.append(key)
            lengths.append(e - s)
        pieces.append(block.iloc[lo:])
    if keys:
        yield index, chunk()


def iter_series(files, exog=()):
    """Yield ``(id, rows)`` for each series, reading ``files`` block by block (with the ``exog`` columns)."""
    for _, chunk in iter_chunks(files, 1000, exog):
        yield from chunk.items()


def _timestamps(rows: pd.DataFrame, name: str) -> pd.Series:
    """The ``timestamp`` column parsed: integer steps stay integers, text becomes datetimes."""
    ts = rows["timestamp"]
    if isinstance(ts.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(ts.dtype):
        if ts.isna().any():  # parsed already (Parquet): only a missing one can be wrong
            raise InvalidInputError(f"{name}: unparsable or missing timestamp {ts[ts.isna()].iloc[0]!r}.")
        return ts
    steps = None if pd.api.types.is_numeric_dtype(ts) else integer_steps(ts)
    if steps is not None:
        return pd.Series(steps, index=rows.index)
    if pd.api.types.is_numeric_dtype(ts):
        return ts
    ts = ts.where(~blank(ts.to_frame())["timestamp"])  # an empty cell is a missing timestamp
    parsed = pd.to_datetime(ts, errors="coerce")
    bad = parsed.isna() & ts.notna()
    if bad.any() or ts.isna().any():
        first = ts[bad | ts.isna()].iloc[0]
        raise InvalidInputError(f"{name}: unparsable or missing timestamp {first!r}.")
    return parsed


def _numbers(values: pd.Series, ts: pd.Series, name: str, column: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & values.notna()
        if bad.any():
            raise InvalidInputError(f"{name}: unparsable {column} {values[bad].iloc[0]!r} at {ts[bad].iloc[0]}.")
        values = num
    return values.to_numpy(dtype=float)


def rows_to_series(key, rows: pd.DataFrame, missing: str) -> pd.Series:
    """One series from its long-table rows; a named :class:`InvalidInputError` when unusable."""
    name = f"series {key!r}"
    ts = _timestamps(rows, name)
    values = _numbers(rows["value"], ts, name, "value")
    order = np.argsort(ts.to_numpy(), kind="stable")
    series = pd.Series(values[order], index=pd.Index(ts.to_numpy()[order]), name=key)
    return check_series(series, name, missing)


def rows_to_exog(key, rows: pd.DataFrame, columns, where="") -> pd.DataFrame:
    """The exogenous ``columns`` of one series' rows, indexed by timestamp (sorted, float).

    Exogenous inputs are never filled: a missing or unparsable cell is an :class:`InvalidInputError`
    naming the series, the column and the time step. ``where`` names the table in messages.
    """
    name = f"series {key!r}{where}"
    ts = _timestamps(rows, name)
    values = np.column_stack([_numbers(rows[c], ts, name, c) for c in columns]) if len(rows) else \
        np.empty((0, len(columns)))
    order = np.argsort(ts.to_numpy(), kind="stable")
    frame = pd.DataFrame(values[order], index=pd.Index(ts.to_numpy()[order]), columns=list(columns))
    if frame.index.has_duplicates:
        raise InvalidInputError(f"{name}: duplicate timestamp {frame.index[frame.index.duplicated()][0]}; "
                                f"each time step needs one row.")
    bad = ~np.isfinite(frame.to_numpy())
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InvalidInputError(f"{name}: {columns[col]} is missing (or infinite) at {frame.index[row]}; "
                                f"exogenous inputs are not filled, so complete them in the table.")
    return frame


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


FUTURE_COLUMNS = ("id", "timestamp")


class FutureTable:
    """The rows of a job's ``future`` table (``id, timestamp`` and the exogenous columns), by series id.

    It holds the exogenous values of the forecast steps, so it is small (about ``horizon`` rows per
    series) and read whole, once, by the driver; each chunk gets the rows of its own series.
    """

    def __init__(self, path, exog):
        frames = []
        for f in table_files(path):
            _check_columns(read_header(f), f, exog, required=FUTURE_COLUMNS, what="a future table")
            frames.append(read_frame(f, columns=[*FUTURE_COLUMNS, *exog]))
        frame = pd.concat(frames, ignore_index=True)
        empty = blank(frame[["id"]])["id"].to_numpy()
        if empty.any():
            raise DataFileError(f"{path}, data row {int(np.argmax(empty)) + 1}: id is empty; every row of the "
                                f"future table needs the id of its series.")
        self.frame = frame
        self.positions = frame.groupby("id", sort=False).indices

    def get(self, key):
        """The rows of series ``key``, or None."""
        pos = self.positions.get(key)
        return None if pos is None else self.frame.iloc[pos]

    def rows(self, ids) -> dict:
        """``{id: rows}`` for the ``ids`` that have rows."""
        return {k: self.frame.iloc[self.positions[k]] for k in ids if k in self.positions}
