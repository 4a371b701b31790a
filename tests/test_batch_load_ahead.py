"""The saved model of an inline batch job is loaded in a thread while the ids are scanned
(``runner._load_ahead``): the same files, and the same named errors in the same order, as loading it
where the first chunk needs it."""

import threading

import numpy as np
import pandas as pd
import pytest

from tsforecast import persistence
from tsforecast.batch import load_job, run_batch, runner
from tsforecast.exceptions import DataFileError, ModelFileError

LOADER = "tsforecast-load"


def long_table(n_series, length=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": np.repeat([f"s{i:04d}" for i in range(n_series)], length),
        "timestamp": np.tile(pd.date_range("2021-01-01", periods=length, freq="h"), n_series),
        "value": rng.normal(10, 2, size=(n_series, length)).cumsum(axis=1).ravel(),
    })


def save_seasonal(path, m=4):
    from tsforecast import SeasonalNaiveForecaster

    y = pd.Series(np.arange(1.0, 9.0), index=pd.date_range("2020-01-01", periods=8, freq="h"))
    SeasonalNaiveForecaster(m=m).fit(y).save(path)
    return path


@pytest.fixture
def loads(monkeypatch):
    """Every ``persistence.load_model`` call: ``(thread name, exception type or None)``; the model cache empty."""
    calls = []
    original = persistence.load_model

    def load(path):
        try:
            model = original(path)
        except Exception as exc:
            calls.append((threading.current_thread().name, type(exc)))
            raise
        calls.append((threading.current_thread().name, None))
        return model

    monkeypatch.setattr(persistence, "load_model", load)
    monkeypatch.setattr(runner, "_MODELS", {})
    return calls


def job_dict(tmp_path, inp, model, out="out", **kw):
    return {"input": str(inp), "output": str(tmp_path / out), "model": str(model), "horizon": 3,
            "run": {"chunk_size": 4}, **kw}


def no_loader_running():
    return not any(t.name.startswith(LOADER) for t in threading.enumerate())


def test_global_model_loaded_ahead_gives_the_same_files_as_loading_it_at_the_first_chunk(tmp_path, loads,
                                                                                          monkeypatch):
    from tsforecast import LSTMForecaster

    df = long_table(10, length=24, seed=1)
    train = {k: pd.Series(p["value"].to_numpy(), index=pd.DatetimeIndex(p["timestamp"], freq="h"))
             for k, p in df.groupby("id")}
    LSTMForecaster(lags=6, horizon=2, units=4, epochs=1, batch_size=16, patience=1, seed=0).fit(train).save(
        tmp_path / "lstm")
    df.to_parquet(tmp_path / "in.parquet")
    job = job_dict(tmp_path, tmp_path / "in.parquet", tmp_path / "lstm")
    ahead = run_batch({**job, "output": str(tmp_path / "ahead")}, progress=False)
    assert [name.startswith(LOADER) for name, _ in loads] == [True]  # loaded once, in the thread
    assert no_loader_running()
    # The old route: no thread, the first chunk loads the model.
    monkeypatch.setattr(runner, "_MODELS", {})
    monkeypatch.setattr(runner, "_load_ahead", lambda job, backend: None)
    plain = run_batch({**job, "output": str(tmp_path / "plain")}, progress=False)
    assert [name.startswith(LOADER) for name, _ in loads] == [True, False]
    assert (ahead.n_done, ahead.n_chunks) == (plain.n_done, plain.n_chunks) == (10, 3)
    names = sorted(p.name for p in (tmp_path / "plain").glob("part-*"))
    assert names == sorted(p.name for p in (tmp_path / "ahead").glob("part-*")) and len(names) == 3
    for name in names:
        a, b = pd.read_parquet(tmp_path / "ahead" / name), pd.read_parquet(tmp_path / "plain" / name)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert (tmp_path / "ahead" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_model_that_fails_to_load_ahead_fails_the_job_with_the_error_of_a_plain_load(tmp_path, loads, damage):
    df = long_table(9)
    df.to_csv(tmp_path / "in.csv", index=False)
    model = save_seasonal(tmp_path / "model")
    if damage == "corrupt":
        (model / "arrays.npz").write_bytes(b"not a zip archive")
    else:
        (model / "arrays.npz").unlink()
    with pytest.raises(ModelFileError) as plain:  # the truth: loading it where the job needs it, unthreaded
        runner.saved_model(model)
    loads.clear()
    with pytest.raises(ModelFileError) as got:
        run_batch(job_dict(tmp_path, tmp_path / "in.csv", model), progress=False)
    assert str(got.value) == str(plain.value)
    # Tried in the thread, then again where the job needs the model: that raise is the job's.
    assert [(name.startswith(LOADER), exc) for name, exc in loads] == [(True, ModelFileError),
                                                                       (False, ModelFileError)]
    assert not list((tmp_path / "out").glob("part-*")) and not (tmp_path / "out" / "errors.csv").exists()
    assert no_loader_running()


def test_an_input_error_still_comes_before_a_model_error(tmp_path, loads):
    df = long_table(4)
    df = pd.concat([df, df[df["id"] == "s0000"]])  # s0000's rows are not contiguous
    df.to_csv(tmp_path / "in.csv", index=False)
    model = save_seasonal(tmp_path / "model")
    (model / "arrays.npz").write_bytes(b"not a zip archive")
    with pytest.raises(DataFileError, match="not contiguous"):
        run_batch(job_dict(tmp_path, tmp_path / "in.csv", model), progress=False)
    assert no_loader_running()


def test_a_model_replaced_while_it_loads_ahead_fails_the_job_by_name(tmp_path, loads, monkeypatch):
    df = long_table(9)
    df.to_csv(tmp_path / "in.csv", index=False)
    model = save_seasonal(tmp_path / "model", m=4)
    original = persistence.load_model

    def load_then_replace(path):
        loaded = original(path)
        if threading.current_thread().name.startswith(LOADER):
            save_seasonal(model, m=3)  # another model at the same path, while the first one loaded
        return loaded

    monkeypatch.setattr(persistence, "load_model", load_then_replace)
    with pytest.raises(ModelFileError, match="changed while the batch job ran"):
        run_batch(job_dict(tmp_path, tmp_path / "in.csv", model), progress=False)
    assert not list((tmp_path / "out").glob("part-*"))
    assert not runner._MODELS  # neither model was kept


def test_only_an_inline_job_with_a_saved_model_loads_it_in_the_driver(tmp_path, loads):
    df = long_table(3)
    df.to_csv(tmp_path / "in.csv", index=False)
    model = save_seasonal(tmp_path / "model")
    saved = load_job(job_dict(tmp_path, tmp_path / "in.csv", model))
    registry = load_job({**job_dict(tmp_path, tmp_path / "in.csv", "seasonal_naive"), "params": {"m": 4}})
    assert runner._load_ahead(saved, runner._processes) is None  # the workers load it
    assert runner._load_ahead(saved, runner._dask) is None
    assert runner._load_ahead(registry, runner._inline) is None
    loading = runner._load_ahead(saved, runner._inline)
    runner._settle(loading)
    assert loading.exception() is None and len(runner._MODELS) == 1
    assert runner._load_ahead(saved, runner._inline) is None  # cached already
