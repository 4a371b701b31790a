"""Streamed Parquet reads decode the id column from its dictionary (``tables.iter_frames``): the rows equal
those of a plain pyarrow read, dtypes, missing ids and odd texts included, and so do the chunks and errors."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tsforecast.batch.io import iter_chunks, scan_ids
from tsforecast.tables import _ids_as_text, iter_frames


def plain_blocks(path, rows, columns):
    """The truth: pyarrow's plain read (every id's text built per row), as iter_frames read it before."""
    return [_ids_as_text(b.to_pandas()) for b in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=columns)]


@pytest.mark.parametrize("id_type", [pa.string(), pa.large_string(), pa.int64()])
@pytest.mark.parametrize("columns", [None, ["id", "timestamp", "value"], ["id"], ["timestamp", "value"]])
def test_blocks_equal_a_plain_read(tmp_path, id_type, columns):
    rng = np.random.default_rng(0)
    n = 1000
    if id_type == pa.int64():
        ids = pa.array(np.repeat(np.arange(40), 25), type=id_type)
    else:  # missing, empty, NA-like and non-ASCII ids, runs across row groups and blocks
        texts = ["a", "", "NA", "nan", None, "ä ü", " b ", "1", "a"] * 200
        ids = pa.array(sorted(texts[:n], key=lambda t: (t is None, t or "")), type=id_type)
    table = pa.table({"id": ids, "timestamp": pa.array(pd.date_range("2021-01-01", periods=n, freq="h")),
                      "value": pa.array(rng.normal(size=n)), "note": pa.array(["x"] * n)})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=300)
    for rows in (1000, 128, 7):
        got = list(iter_frames(path, rows, columns=columns))
        truth = plain_blocks(path, rows, columns)
        # Dictionaries are per row group, so blocks may also end there; the rows and their types are the same.
        assert all(0 < len(g) <= rows for g in got)
        for g in got:
            assert g.dtypes.to_dict() == truth[0].dtypes.to_dict()
        pd.testing.assert_frame_equal(pd.concat(got, ignore_index=True), pd.concat(truth, ignore_index=True),
                                      check_exact=True)


def test_pandas_written_file_with_an_index_gives_the_same_chunks(tmp_path):
    df = pd.DataFrame({"id": np.repeat([f"s{i}" for i in range(30)], 20), "value": np.arange(600.0),
                       "timestamp": np.tile(pd.date_range("2021-01-01", periods=20, freq="h"), 30)},
                      index=pd.Index([f"r{i}" for i in range(600)]))  # a stored index column
    path = tmp_path / "in.parquet"
    df.to_parquet(path)
    for columns in (None, ["id", "value"]):  # without a column list, pandas' metadata restores the index
        pd.testing.assert_frame_equal(pd.concat(iter_frames(path, 64, columns=columns)),
                                      pd.concat(plain_blocks(path, 64, columns)), check_exact=True)
    assert scan_ids([path]) == [(f"s{i}", 20) for i in range(30)]
    for (_, chunk), start in zip(iter_chunks([path], 7), range(0, 30, 7)):
        expect = df.iloc[20 * start: 20 * (start + len(chunk))].reset_index(drop=True)[["id", "timestamp", "value"]]
        pd.testing.assert_frame_equal(chunk.frame, expect, check_exact=True)
        assert chunk.keys == [f"s{i}" for i in range(start, start + len(chunk))]


def test_an_empty_id_is_named_by_its_row_whatever_the_blocks(tmp_path):
    from tsforecast.batch.io import read_blocks
    from tsforecast.exceptions import DataFileError

    ids = ["a"] * 250 + ["b"] * 100 + [""] * 5 + ["c"] * 10
    table = pa.table({"id": ids, "timestamp": pa.array(np.arange(len(ids))), "value": pa.array(np.zeros(len(ids)))})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=300)
    for rows in (1000, 64):
        with pytest.raises(DataFileError, match="data row 351: id is empty"):
            list(read_blocks([path], rows=rows))
