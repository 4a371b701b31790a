"""Batch jobs: chunked streaming, bad series isolated, resume after a kill, joblib and Dask back ends."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsforecast.batch import load_job, read_forecasts, run_batch
from tsforecast.batch import io as bio
from tsforecast.batch import runner
from tsforecast.exceptions import ConfigError, DataFileError, ParameterError

ROOT = Path(__file__).resolve().parents[1]


def long_table(n_series, length=30, seed=0, start="2021-01-01"):
    rng = np.random.default_rng(seed)
    values = rng.normal(10, 2, size=(n_series, length)).cumsum(axis=1)
    ts = pd.date_range(start, periods=length, freq="h")
    return pd.DataFrame({
        "id": np.repeat([f"s{i:04d}" for i in range(n_series)], length),
        "timestamp": np.tile(ts, n_series),
        "value": values.ravel(),
    })


def seasonal_truth(df, m, horizon):
    """Seasonal naive by hand: y[T+h] = y[T - m + (h-1) % m], timestamps continue hourly."""
    rows = []
    for key, part in df.groupby("id", sort=True):
        y = part["value"].to_numpy()
        last = part["timestamp"].iloc[-1]
        for h in range(1, horizon + 1):
            rows.append((key, last + pd.Timedelta(hours=h), h, y[len(y) - m + (h - 1) % m]))
    return pd.DataFrame(rows, columns=["id", "timestamp", "step", "forecast"])


def sort(df):
    return df.sort_values(["id", "step"]).reset_index(drop=True)


def job_dict(tmp_path, inp, out="out", **kw):
    job = {"input": str(inp), "output": str(tmp_path / out), "model": "seasonal_naive", "horizon": 5,
           "params": {"m": 4}, "run": {"chunk_size": 7}}
    job.update(kw)
    return job


@pytest.fixture
def table_csv(tmp_path):
    df = long_table(30)
    path = tmp_path / "in.csv"
    df.to_csv(path, index=False)
    return df, path


def test_batch_matches_hand_computed_forecasts_and_writes_one_file_per_chunk(tmp_path, table_csv):
    df, path = table_csv
    summary = run_batch(job_dict(tmp_path, path), progress=False)
    assert (summary.n_series, summary.n_done, summary.n_failed, summary.n_chunks) == (30, 30, 0, 5)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{i:05d}.parquet" for i in range(5)]
    assert pd.read_parquet(out / "part-00000.parquet")["id"].nunique() == 7
    got = sort(read_forecasts(out))
    pd.testing.assert_frame_equal(got, seasonal_truth(df, 4, 5), check_dtype=False)
    assert pd.read_csv(out / "errors.csv").empty
    assert '"n_done": 30' in (out / "summary.json").read_text()


def test_bad_series_go_to_errors_and_the_rest_are_forecast(tmp_path):
    df = long_table(8)
    df["value"] = df["value"].astype(object)
    df.loc[df.id == "s0001", "value"] = df.loc[df.id == "s0001", "value"].where(lambda v: v.index % 30 != 5, "12,5x")
    df.loc[df.id == "s0003", "value"] = np.nan
    df = df[(df.id != "s0005") | (df.index % 30 < 3)]  # 3 points < m=4
    dup = df[df.id == "s0006"].iloc[[3]]
    df = pd.concat([df[df.id < "s0006"], dup, df[df.id >= "s0006"]]).reset_index(drop=True)
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    summary = run_batch(job_dict(tmp_path, path, run={"chunk_size": 3}), progress=False)
    errors = pd.read_csv(tmp_path / "out" / "errors.csv").set_index("id")["reason"]
    assert sorted(errors.index) == ["s0001", "s0003", "s0005", "s0006"]
    assert "unparsable value '12,5x'" in errors["s0001"]
    assert errors["s0003"].startswith("MissingValuesError")
    assert errors["s0005"].startswith("NotEnoughDataError")
    assert "duplicate timestamps" in errors["s0006"]
    assert (summary.n_done, summary.n_failed) == (4, 4)
    good = long_table(8)
    good = good[good.id.isin(["s0000", "s0002", "s0004", "s0007"])]
    pd.testing.assert_frame_equal(sort(read_forecasts(tmp_path / "out")), seasonal_truth(good, 4, 5), check_dtype=False)


def test_missing_interpolate_fills_interior_gaps(tmp_path):
    df = long_table(3, length=12)
    df.loc[5, "value"] = np.nan  # interior gap of s0000
    df.loc[23, "value"] = np.nan  # last point of s0001: trimmed, so its forecast repeats the point before
    path = tmp_path / "gaps.parquet"
    df.to_parquet(path)
    run_batch(job_dict(tmp_path, path, model="naive", params={}, missing="interpolate", horizon=2), progress=False)
    got = sort(read_forecasts(tmp_path / "out")).set_index(["id", "step"])["forecast"]
    assert got[("s0000", 1)] == df.loc[11, "value"]
    assert got[("s0001", 2)] == df.loc[22, "value"]
    assert read_forecasts(tmp_path / "out").query("id == 's0001'")["timestamp"].iloc[0] == df.loc[22, "timestamp"] + pd.Timedelta(hours=1)


def test_streaming_reassembles_series_split_across_blocks_and_files(tmp_path, monkeypatch):
    df = long_table(5, length=11)
    (tmp_path / "d").mkdir()
    df.iloc[:27].to_csv(tmp_path / "d" / "a.csv", index=False)  # s0002 continues in the next file
    df.iloc[27:].to_parquet(tmp_path / "d" / "b.parquet")
    monkeypatch.setattr(bio, "BLOCK_ROWS", 4)
    files = bio.table_files(tmp_path / "d")
    assert bio.scan_ids(files) == [(f"s{i:04d}", 11) for i in range(5)]
    got = {k: rows["value"].to_numpy() for k, rows in bio.iter_series(files)}
    want = {k: part["value"].to_numpy() for k, part in df.groupby("id")}
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])


def test_unsorted_input_and_bad_jobs_are_named_errors(tmp_path, table_csv):
    df, path = table_csv
    shuffled = tmp_path / "shuffled.csv"
    df.sample(frac=1, random_state=0).to_csv(shuffled, index=False)
    with pytest.raises(DataFileError, match="not contiguous"):
        run_batch(job_dict(tmp_path, shuffled), progress=False)
    with pytest.raises(ConfigError, match=r"unknown job key\(s\) \['horizn'\]"):
        load_job({**job_dict(tmp_path, path), "horizn": 3})
    with pytest.raises(ConfigError, match=r"unknown \[run\] key\(s\) \['n_job'\]"):
        load_job({**job_dict(tmp_path, path), "run": {"n_job": 2}})
    with pytest.raises(ConfigError, match="neither a registered forecaster"):
        load_job(job_dict(tmp_path, path, model="no_such_model"))
    with pytest.raises(ParameterError, match="m must be an integer"):
        load_job(job_dict(tmp_path, path, params={"m": 0}))
    with pytest.raises(ConfigError, match="does not exist"):
        load_job(job_dict(tmp_path, tmp_path / "nope.csv"))
    extra = tmp_path / "extra.csv"
    df.assign(temp=1.0).to_csv(extra, index=False)
    with pytest.raises(DataFileError, match="extra column"):
        run_batch(job_dict(tmp_path, extra, output=str(tmp_path / "o2")), progress=False)


def test_rerun_keeps_finished_chunks_and_refuses_a_different_job(tmp_path, table_csv):
    df, path = table_csv
    job = job_dict(tmp_path, path)
    run_batch(job, progress=False)
    first = read_forecasts(tmp_path / "out")
    (tmp_path / "out" / "part-00002.parquet").unlink()
    (tmp_path / "out" / ".part-00003.parquet.x.tmp").write_text("half a file")  # left by a kill
    summary = run_batch(job, progress=False)
    assert (summary.n_chunks_skipped, summary.n_done) == (4, 30)
    assert not list((tmp_path / "out").glob(".*.tmp"))
    pd.testing.assert_frame_equal(sort(read_forecasts(tmp_path / "out")), sort(first))
    with pytest.raises(ConfigError, match="different job"):
        run_batch({**job, "horizon": 3}, progress=False)


def test_killed_job_resumes_without_loss_or_duplicates(tmp_path):
    df = long_table(120, length=20)
    path = tmp_path / "in.parquet"
    df.to_parquet(path)
    job = tmp_path / "job.toml"
    job.write_text(f'input = "in.parquet"\noutput = "killed"\nmodel = "naive"\nhorizon = 3\n'
                   f'format = "csv"\n[run]\nchunk_size = 2\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tsforecast", "batch", str(job), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = tmp_path / "killed"
    deadline = time.monotonic() + 120
    while not (out / "part-00000.csv").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_parts = len(list(out.glob("part-*.csv")))
    assert 1 <= n_parts < 60, "the job must be killed part-way"
    assert not (out / "summary.json").exists()
    summary = run_batch(job, progress=False)
    assert summary.n_chunks_skipped == n_parts
    assert summary.n_done == 120
    got = read_forecasts(out)
    assert not got.duplicated(["id", "step"]).any()
    full = run_batch({"input": str(path), "output": str(tmp_path / "full"), "model": "naive", "horizon": 3,
                      "format": "csv", "run": {"chunk_size": 2}}, progress=False)
    assert full.n_done == 120
    pd.testing.assert_frame_equal(sort(got), sort(read_forecasts(tmp_path / "full")))


def test_local_model_from_a_saved_folder(tmp_path, table_csv):
    from tsforecast import SeasonalNaiveForecaster

    df, path = table_csv
    model_dir = tmp_path / "model"
    y = pd.Series([1.0, 2, 3, 4, 5, 6], index=pd.date_range("2020-01-01", periods=6, freq="h"))
    SeasonalNaiveForecaster(m=4).fit(y).save(model_dir)
    run_batch(job_dict(tmp_path, path, model=str(model_dir), params={}), progress=False)
    pd.testing.assert_frame_equal(sort(read_forecasts(tmp_path / "out")), seasonal_truth(df, 4, 5), check_dtype=False)


def test_global_neural_model_predicts_each_chunk_in_one_call(tmp_path, monkeypatch):
    from tsforecast import LSTMForecaster
    from tsforecast.models.neural_base import NeuralForecaster

    df = long_table(9, length=24, seed=1)
    train = {k: pd.Series(p["value"].to_numpy()[:16], index=pd.DatetimeIndex(p["timestamp"].iloc[:16], freq="h"))
             for k, p in df.groupby("id")}
    model = LSTMForecaster(lags=6, horizon=2, units=4, epochs=1, batch_size=16, patience=1, seed=0).fit(train)
    model.save(tmp_path / "lstm")
    df = pd.concat([df, pd.DataFrame({"id": "short", "timestamp": pd.date_range("2021-01-01", periods=3, freq="h"),
                                      "value": [1.0, 2, 3]})])
    path = tmp_path / "in.parquet"
    df.to_parquet(path)
    calls = []
    original = NeuralForecaster._predict_global
    monkeypatch.setattr(NeuralForecaster, "_predict_global", lambda self, *a: calls.append(1) or original(self, *a))
    monkeypatch.setattr(runner, "_MODELS", {})
    summary = run_batch(job_dict(tmp_path, path, model=str(tmp_path / "lstm"), params={}, horizon=3,
                                 run={"chunk_size": 4}), progress=False)
    assert summary.n_chunks == 3 and len(calls) == 3  # one batched call per chunk
    assert summary.n_failed == 1
    assert "NotEnoughDataError" in pd.read_csv(tmp_path / "out" / "errors.csv")["reason"].iloc[0]
    got = sort(read_forecasts(tmp_path / "out"))
    loaded = runner.saved_model(tmp_path / "lstm")
    one_by_one = pd.concat([loaded.predict(3, y={k: pd.Series(p["value"].to_numpy(), index=pd.DatetimeIndex(
        p["timestamp"], freq="h"))}) for k, p in df[df.id != "short"].groupby("id")], ignore_index=True)
    pd.testing.assert_frame_equal(got[["id", "step"]], sort(one_by_one)[["id", "step"]])
    np.testing.assert_allclose(got["forecast"], sort(one_by_one)["forecast"], rtol=1e-5)


@pytest.fixture(scope="module")
def parallel_input(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("par")
    df = long_table(60, length=16, seed=3)
    df.loc[df.id == "s0010", "value"] = np.nan
    df.to_parquet(tmp / "in.parquet")
    base = {"input": str(tmp / "in.parquet"), "model": "seasonal_naive", "horizon": 4, "params": {"m": 3},
            "run": {"chunk_size": 8}}
    run_batch({**base, "output": str(tmp / "inline")}, progress=False)
    return tmp, base


def test_joblib_processes_give_the_same_files(parallel_input):
    tmp, base = parallel_input
    summary = run_batch({**base, "output": str(tmp / "joblib")}, n_jobs=2, progress=False)
    assert (summary.n_done, summary.n_failed) == (59, 1)
    for name in [f"part-{i:05d}.parquet" for i in range(8)] + ["errors.csv"]:
        a, b = tmp / "inline" / name, tmp / "joblib" / name
        pd.testing.assert_frame_equal(*(pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p) for p in (a, b)))


def test_dask_local_cluster_gives_the_same_files(parallel_input):
    pytest.importorskip("distributed")
    tmp, base = parallel_input
    summary = run_batch({**base, "output": str(tmp / "dask"), "run": {"chunk_size": 8, "cluster": "local"}},
                        progress=False)
    assert (summary.n_done, summary.n_failed) == (59, 1)
    for name in [f"part-{i:05d}.parquet" for i in range(8)] + ["errors.csv"]:
        a, b = tmp / "inline" / name, tmp / "dask" / name
        pd.testing.assert_frame_equal(*(pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p) for p in (a, b)))
    assert sort(read_forecasts(tmp / "dask")).equals(sort(read_forecasts(tmp / "inline")))


def test_global_chunk_with_a_bad_series_falls_back_and_names_it(tmp_path, monkeypatch):
    """A chunk whose one-call route fails (here an unparsable value) is redone series by series:
    the bad series lands in errors.csv and the others get the same forecasts as from a clean chunk."""
    from tsforecast import LSTMForecaster

    df = long_table(6, length=24, seed=2)
    train = {k: pd.Series(p["value"].to_numpy(), index=pd.DatetimeIndex(p["timestamp"], freq="h"))
             for k, p in df.groupby("id")}
    LSTMForecaster(lags=6, horizon=2, units=4, epochs=1, batch_size=16, patience=1, seed=0).fit(train).save(
        tmp_path / "lstm")
    monkeypatch.setattr(runner, "_MODELS", {})
    clean = tmp_path / "clean.csv"
    df.to_csv(clean, index=False)
    bad = df.astype({"value": object})
    bad.loc[bad.index[(bad["id"] == "s0002").to_numpy()][5], "value"] = "abc"
    dirty = tmp_path / "dirty.csv"
    bad.to_csv(dirty, index=False)
    job = dict(model=str(tmp_path / "lstm"), params={}, horizon=3, run={"chunk_size": 6})
    run_batch(job_dict(tmp_path, clean, out="clean", **job), progress=False)
    summary = run_batch(job_dict(tmp_path, dirty, out="dirty", **job), progress=False)
    assert summary.n_failed == 1 and summary.n_done == 5
    errors = pd.read_csv(tmp_path / "dirty" / "errors.csv")
    assert errors["id"].tolist() == ["s0002"] and "abc" in errors["reason"].iloc[0]
    expected = sort(read_forecasts(tmp_path / "clean"))
    pd.testing.assert_frame_equal(sort(read_forecasts(tmp_path / "dirty")),
                                  sort(expected[expected["id"] != "s0002"]))


# -- job fingerprint and saved-model content (issue 13) --------------------------------------------------------
def save_seasonal(path, m):
    from tsforecast import SeasonalNaiveForecaster

    y = pd.Series(np.arange(1.0, 9.0), index=pd.date_range("2020-01-01", periods=8, freq="h"))
    SeasonalNaiveForecaster(m=m).fit(y).save(path)
    return path


def test_replacing_the_saved_model_refuses_the_resume_instead_of_mixing_two_models(tmp_path, table_csv, monkeypatch):
    df, path = table_csv
    monkeypatch.setattr(runner, "_MODELS", {})
    model = save_seasonal(tmp_path / "model", m=4)
    job = job_dict(tmp_path, path, model=str(model), params={})
    run_batch(job, progress=False)
    (tmp_path / "out" / "part-00002.parquet").unlink()  # as if the job had been killed
    save_seasonal(model, m=3)  # same path, other content
    with pytest.raises(ConfigError, match="different job.*saved model's content"):
        run_batch(job, progress=False)
    assert not (tmp_path / "out" / "part-00002.parquet").exists()  # nothing forecast with the new model
    # Unchanged content (a fresh save of the same model) resumes.
    save_seasonal(model, m=4)
    summary = run_batch(job, progress=False)
    assert summary.n_chunks_skipped == 4
    pd.testing.assert_frame_equal(sort(read_forecasts(tmp_path / "out")), seasonal_truth(df, 4, 5), check_dtype=False)


@pytest.mark.parametrize("change", [
    {"horizon": 4}, {"format": "csv"}, {"missing": "interpolate"}, {"params": {"m": 5}}, {"run": {"chunk_size": 8}},
    {"model": "naive", "params": {}},
])
def test_fingerprint_covers_every_setting_that_shapes_the_output(tmp_path, table_csv, change):
    _, path = table_csv
    base = job_dict(tmp_path, path)
    assert load_job({**base, **change}).fingerprint() != load_job(base).fingerprint()
    # How the job is run is not part of it: another n_jobs or output folder resumes the same results.
    assert load_job({**base, "run": {"chunk_size": 7, "n_jobs": 2}}).fingerprint() == load_job(base).fingerprint()


def test_a_model_replaced_while_the_job_runs_fails_the_worker_by_name(tmp_path, monkeypatch):
    from tsforecast.batch.job import model_digest
    from tsforecast.exceptions import ModelFileError

    monkeypatch.setattr(runner, "_MODELS", {})
    model = save_seasonal(tmp_path / "model", m=4)
    digest = model_digest(model)
    save_seasonal(model, m=3)
    with pytest.raises(ModelFileError, match="changed while the batch job ran"):
        runner.saved_model(model, digest)


# -- job-level failures stop the job --------------------------------------------------------------------------
def test_a_model_that_cannot_load_fails_the_job_and_writes_no_chunk(tmp_path, table_csv, monkeypatch):
    from tsforecast.cli import main
    from tsforecast.exceptions import ModelFileError

    _, path = table_csv
    monkeypatch.setattr(runner, "_MODELS", {})
    model = save_seasonal(tmp_path / "model", m=4)
    (model / "arrays.npz").write_bytes(b"not a zip archive")
    job = job_dict(tmp_path, path, model=str(model), params={})
    with pytest.raises(ModelFileError):
        run_batch(job, progress=False)
    assert not list((tmp_path / "out").glob("part-*")) and not (tmp_path / "out" / "errors.csv").exists()
    toml = tmp_path / "job.toml"
    toml.write_text(f'input = "{path.name}"\noutput = "out"\nmodel = "model"\nhorizon = 5\n[run]\nchunk_size = 7\n')
    assert main(["batch", str(toml), "--quiet"]) == 2
    # Once the model is fixed, the rerun forecasts every series.
    save_seasonal(model, m=4)
    summary = run_batch(job, progress=False)
    assert (summary.n_done, summary.n_failed, summary.n_chunks_skipped) == (30, 0, 0)


def test_a_chunk_whose_series_all_failed_for_a_job_reason_is_redone(tmp_path, table_csv):
    """Outputs of older versions hold such chunks (every series 'ModelFileError'); they are not finished."""
    df, path = table_csv
    job = job_dict(tmp_path, path, format="csv")
    run_batch(job, progress=False)
    out = tmp_path / "out"
    ids = pd.read_csv(out / "part-00001.csv", dtype={"id": str})["id"].unique()
    pd.DataFrame({"id": ids, "reason": "ModelFileError: model is corrupt"}).to_csv(
        out / "_errors" / "part-00001.csv", index=False)
    pd.DataFrame(columns=["id", "timestamp", "step", "forecast"]).to_csv(out / "part-00001.csv", index=False)
    summary = run_batch(job, progress=False)
    assert (summary.n_chunks_skipped, summary.n_failed, summary.n_done) == (4, 0, 30)
    got = sort(read_forecasts(out)).assign(timestamp=lambda d: pd.to_datetime(d["timestamp"]))
    pd.testing.assert_frame_equal(got, seasonal_truth(df, 4, 5), check_dtype=False)


# -- ids that pandas would read as missing ---------------------------------------------------------------------
def test_ids_like_NA_nan_null_None_round_trip_to_forecasts_and_errors(tmp_path):
    import csv

    keys = ["NA", "nan", "null", "None", "N/A"]
    df = long_table(len(keys), length=10)
    df["id"] = np.repeat(keys, 10)
    df = df[(df["id"] != "null") | (df.index % 10 < 3)]  # "null" is too short for m=4: it fails, by its name
    path = tmp_path / "ids.csv"
    df.to_csv(path, index=False)
    summary = run_batch(job_dict(tmp_path, path, format="csv", run={"chunk_size": 2}), progress=False)
    assert (summary.n_series, summary.n_done, summary.n_failed) == (5, 4, 1)
    with open(tmp_path / "out" / "errors.csv", newline="") as fh:  # the file's own text, no NaN parsing
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["null"] and rows[0]["reason"].startswith("NotEnoughDataError")
    got = sort(read_forecasts(tmp_path / "out")).assign(timestamp=lambda d: pd.to_datetime(d["timestamp"]))
    good = df[df["id"] != "null"]
    pd.testing.assert_frame_equal(got, sort(seasonal_truth(good, 4, 5)), check_dtype=False)


def test_an_empty_id_is_a_named_error(tmp_path):
    path = tmp_path / "empty_id.csv"
    path.write_text("id,timestamp,value\na,2021-01-01,1\n,2021-01-02,2\n")
    with pytest.raises(DataFileError, match="data row 2: id is empty"):
        run_batch(job_dict(tmp_path, path), progress=False)


# -- Python 3.10: tomli instead of tomllib ----------------------------------------------------------------------
def test_job_module_imports_with_tomli_when_tomllib_is_absent(tmp_path, table_csv, monkeypatch):
    import importlib.util
    import tomllib
    import types

    used = []
    shim = types.ModuleType("tomli")
    shim.loads = lambda text: used.append(text) or tomllib.loads(text)
    shim.TOMLDecodeError = tomllib.TOMLDecodeError
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` raises ModuleNotFoundError, as on 3.10
    monkeypatch.setitem(sys.modules, "tomli", shim)
    source = ROOT / "tsforecast" / "batch" / "job.py"
    spec = importlib.util.spec_from_file_location("tsforecast.batch._job_py310", source)
    fresh = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, fresh)  # dataclasses look their module up there
    spec.loader.exec_module(fresh)  # a fresh import; the loaded tsforecast.batch.job is left alone
    _, path = table_csv
    toml = tmp_path / "job.toml"
    toml.write_text(f'input = "{path.name}"\noutput = "out"\nmodel = "naive"\nhorizon = 2\n')
    assert fresh.load_job(toml).horizon == 2 and used
    toml.write_text("horizon = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        fresh.load_job(toml)


# -- worker processes end with the driver ------------------------------------------------------------------------
@pytest.mark.slow
def test_worker_processes_die_soon_after_the_driver_is_killed(tmp_path):
    psutil = pytest.importorskip("psutil")
    df = long_table(3000, length=8)
    df.to_parquet(tmp_path / "in.parquet")
    job = tmp_path / "job.toml"
    job.write_text('input = "in.parquet"\noutput = "out"\nmodel = "naive"\nhorizon = 2\nformat = "csv"\n'
                   '[run]\nchunk_size = 1\nn_jobs = 2\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tsforecast", "batch", str(job), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((tmp_path / "out").glob("part-*.csv"))) < 5:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2, "the job must run in worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def alive(p):
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in workers if alive(p)]
    for p in left:  # do not leave them behind on failure
        p.kill()
    assert not left, f"{len(left)} worker(s) outlived the killed driver"


# -- output location checked before the work ----------------------------------------------------------------------
def test_an_output_that_can_never_be_created_fails_before_reading_the_input(tmp_path, table_csv, monkeypatch):
    _, path = table_csv
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(runner, "scan_ids", lambda files: pytest.fail("the input was read before the output check"))
    with pytest.raises(ConfigError, match="a_file is a file"):
        run_batch(job_dict(tmp_path, path, output=str(blocker / "out")), progress=False)
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ConfigError, match="already holds other files"):
        run_batch(job_dict(tmp_path, path, output=str(other)), progress=False)
    assert [p.name for p in other.iterdir()] == ["holiday.jpg"]


# -- Dask: no leaked cluster, a named error for an unreachable scheduler ---------------------------------------------
def test_local_cluster_is_closed_when_the_client_fails(tmp_path, table_csv, monkeypatch):
    distributed = pytest.importorskip("distributed")
    _, path = table_csv
    clusters = []

    class FakeCluster:
        def __init__(self, **kw):
            self.closed = False
            clusters.append(self)

        def close(self):
            self.closed = True

    def failing_client(*args, **kwargs):
        raise OSError("cannot start the client")

    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", failing_client)
    with pytest.raises(OSError, match="cannot start the client"):
        run_batch(job_dict(tmp_path, path, run={"chunk_size": 7, "cluster": "local"}), progress=False)
    assert len(clusters) == 1 and clusters[0].closed
    with pytest.raises(ConfigError, match="cannot connect to the Dask scheduler tcp://nowhere:1"):
        run_batch(job_dict(tmp_path, path, run={"chunk_size": 7, "scheduler": "tcp://nowhere:1"}), progress=False)
    assert not list((tmp_path / "out").glob("part-*"))


# -- model cache ------------------------------------------------------------------------------------------------------
def test_model_cache_keeps_only_the_most_recent_models(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_MODELS", {})
    paths = [save_seasonal(tmp_path / f"m{m}", m) for m in (2, 3, 4, 5)]
    first = runner.saved_model(paths[0])
    assert runner.saved_model(paths[0]) is first  # a hit: not loaded again
    for p in paths[1:]:
        runner.saved_model(p)
    assert len(runner._MODELS) == runner.MODEL_CACHE_SIZE
    assert [key[0] for key in runner._MODELS] == [str(p) for p in paths[-runner.MODEL_CACHE_SIZE:]]
    assert runner.saved_model(paths[0]) is not first  # evicted, so loaded again
    assert runner.saved_model(paths[0]).m == 2


def test_read_ahead_keeps_order_passes_errors_on_and_stops_with_its_consumer():
    import threading

    from tsforecast.batch.runner import _read_ahead

    reads = []

    def chunks(fail_at=None):
        for i in range(5):
            if i == fail_at:
                raise DataFileError(f"bad chunk {i}")
            reads.append(i)
            yield (i, f"chunk {i}")

    assert list(_read_ahead(chunks())) == [(i, f"chunk {i}") for i in range(5)]
    got = []
    with pytest.raises(DataFileError, match="bad chunk 3"):
        for item in _read_ahead(chunks(fail_at=3)):
            got.append(item[0])
    assert got == [0, 1, 2]
    reads.clear()
    gen = _read_ahead(chunks())
    assert next(gen)[0] == 0
    gen.close()  # the consumer stops: at most one chunk was read ahead, and the reader thread is gone
    assert reads == [0, 1]
    assert not [t for t in threading.enumerate() if t.name.startswith("tsforecast-read")]


def test_write_behind_writes_in_order_counts_a_chunk_once_written_and_passes_errors_on():
    import threading
    import time as _time

    from tsforecast.batch.runner import _write_behind

    written = []

    def write(index, fc, err, status, fail_at=None):
        _time.sleep(0.01)  # slower than producing a result: writes must still finish in order
        if index == fail_at:
            raise OSError(f"disk full at chunk {index}")
        written.append(index)

    def results(fail_at=None):
        for i in range(5):
            if i == fail_at:
                raise DataFileError(f"bad chunk {i}")
            yield i, 10 + i, f"fc {i}", None, {}

    counted = []
    for n in _write_behind(results(), write):
        counted.append(n)
        assert written[len(counted) - 1] == n - 10  # a chunk counts only after its own write finished
    assert counted == [10, 11, 12, 13, 14] and written == [0, 1, 2, 3, 4]
    written.clear()
    with pytest.raises(OSError, match="disk full at chunk 2"):
        list(_write_behind(results(), lambda *a: write(*a, fail_at=2)))
    assert written == [0, 1]
    written.clear()
    with pytest.raises(DataFileError, match="bad chunk 3"):
        list(_write_behind(results(fail_at=3), write))
    assert written == [0, 1, 2]  # the chunk before the failure is written, not abandoned
    assert not [t for t in threading.enumerate() if t.name.startswith("tsforecast-write")]
