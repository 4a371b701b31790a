"""The one table reader: ids read verbatim, explicit missing-value tokens for value columns only, named errors."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.exceptions import DataFileError
from tsforecast.tables import NA_TOKENS, iter_frames, read_frame, read_header, read_table

PACKAGE = Path(__file__).resolve().parents[1] / "tsforecast"

# Printable text, any length (the empty id included), as a user's ids may be; no NUL, which CSV cannot hold.
ids = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)), max_size=8)


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.one_of(st.sampled_from(NA_TOKENS), ids), min_size=1, max_size=12),
       values=st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)), min_size=12, max_size=12))
def test_ids_round_trip_verbatim_and_only_value_cells_may_be_missing(tmp_path_factory, keys, values):
    path = tmp_path_factory.mktemp("t") / "ids.csv"
    df = pd.DataFrame({"id": keys, "timestamp": [str(i) for i in range(len(keys))],
                       "value": [np.nan if v is None else v for v in values[: len(keys)]]})
    df.to_csv(path, index=False)
    got = read_frame(path)
    assert got["id"].tolist() == keys  # "NA", "nan", "null", "" ... are ids, not missing
    np.testing.assert_array_equal(got["value"].to_numpy(dtype=float), df["value"].to_numpy())
    streamed = pd.concat(list(iter_frames(path, rows=5)), ignore_index=True)
    assert streamed["id"].tolist() == keys


def test_value_tokens_are_explicit_and_other_text_is_kept_for_the_caller(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("id,timestamp,value,temp\nNA,1,NA,1\nnull,2,null,-nan\nx,3,,#N/A\ny,4,abc,2\n")
    got = read_frame(path)
    assert got["id"].tolist() == ["NA", "null", "x", "y"]
    assert got["value"].isna().tolist() == [True, True, True, False]
    assert got["value"].iloc[3] == "abc"  # not silently NaN: parse_numbers names it with its line
    assert got["temp"].isna().tolist() == [False, True, True, False]


def test_parquet_ids_become_text_and_nulls_stay_missing(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": [7, 8, None], "timestamp": [0, 1, 2], "value": [1.0, 2, 3]}).astype({"id": "Int64"}).to_parquet(path)
    got = read_frame(path)
    assert got["id"].iloc[:2].tolist() == ["7", "8"] and pd.isna(got["id"].iloc[2])
    assert read_header(path)[:3] == ["id", "timestamp", "value"]


def test_unreadable_files_are_named_errors_with_line_numbers_from_table(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('id,timestamp,value\na,1,2\nb,"2,3\n')
    with pytest.raises(DataFileError, match="bad.csv: not a valid CSV file"):
        read_frame(bad)
    with pytest.raises(DataFileError, match="garbage.parquet: cannot read it as Parquet"):
        (tmp_path / "garbage.parquet").write_bytes(b"not parquet")
        read_frame(tmp_path / "garbage.parquet")
    with pytest.raises(DataFileError, match="the file is empty"):
        (tmp_path / "empty.csv").write_text("")
        read_header(tmp_path / "empty.csv")
    ok = tmp_path / "ok.csv"
    ok.write_text("timestamp,value\n2024-01-01,1\n\n2024-01-03,3\n\n\n")
    table = read_table(ok)
    assert len(table.frame) == 3  # trailing blank lines dropped, the inner one kept so that row 1 is line 3
    assert "line 3" in str(table.error(1, "x"))


def test_read_csv_and_read_parquet_are_called_only_in_tables_module():
    calls = re.compile(r"\bread_(csv|parquet)\(")
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p.name != "tables.py" and calls.search(p.read_text())]
    assert offenders == []
