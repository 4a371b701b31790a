"""Data safety: saving never destroys the user's files, models round-trip, inputs are not shared.

Each test here reproduces a defect of issue 13 and checks the fixed behaviour
against an independent truth (the files on disk, a hand-computed recursion,
the stored index, stat modes).
"""

import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsforecast import ARForecaster, load_model
from tsforecast.atomic import atomic_write, atomic_write_dir, atomic_write_text
from tsforecast.exceptions import ExogenousError, ModelFileError, TargetExistsError
from tsforecast.models.arima_model import ARIMAForecaster
from tsforecast.models.naive_model import NaiveForecaster
from tsforecast.testing import make_exog, make_series


@pytest.fixture(scope="module")
def naive():
    return NaiveForecaster().fit(make_series())


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


# -- 1. save never deletes what is not ours ------------------------------------------
def test_save_into_a_folder_of_user_files_is_refused_and_changes_nothing(naive, tmp_path):
    target = tmp_path / "results"
    (target / "sub").mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    (target / "sub" / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(TargetExistsError, match="not a saved tsforecast model.*nothing was written"):
        naive.save(target)
    assert _tree(target) == ["notes.txt", "sub", "sub/data.csv"]
    assert (target / "notes.txt").read_text() == "mine"
    assert _tree(tmp_path) == ["results", "results/notes.txt", "results/sub", "results/sub/data.csv"]


def test_save_over_a_file_is_refused(naive, tmp_path):
    target = tmp_path / "model"
    target.write_text("a file")
    with pytest.raises(TargetExistsError, match="not a folder"):
        naive.save(target)
    assert target.read_text() == "a file"


def test_a_folder_with_a_foreign_metadata_json_is_not_a_model(naive, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "metadata.json").write_text('{"author": "me"}')
    with pytest.raises(TargetExistsError):
        naive.save(tmp_path / "m")
    assert (tmp_path / "m" / "metadata.json").read_text() == '{"author": "me"}'


def test_save_under_a_regular_file_is_refused_with_the_named_error(naive, tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(TargetExistsError, match="a_file is a file"):
        naive.save(tmp_path / "a_file" / "m")
    assert _tree(tmp_path) == ["a_file"] and (tmp_path / "a_file").read_text() == "x"


def test_is_model_folder_and_check_save_target_agree_with_save(naive, tmp_path):
    from tsforecast.persistence import check_save_target, is_model_folder

    naive.save(tmp_path / "m")
    assert is_model_folder(tmp_path / "m")
    assert check_save_target(tmp_path / "m") == tmp_path / "m"
    assert check_save_target(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # a check writes nothing
    (tmp_path / "empty").mkdir()
    assert not is_model_folder(tmp_path / "empty") and check_save_target(tmp_path / "empty")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "metadata.json").write_text('{"author": "me"}')
    assert not is_model_folder(tmp_path / "foreign")
    (tmp_path / "m" / "README.txt").write_text("notes")
    assert not is_model_folder(tmp_path / "m")
    assert not is_model_folder(tmp_path / "m" / "metadata.json")
    for bad in ("foreign", "m", "m/metadata.json"):
        with pytest.raises(TargetExistsError):
            check_save_target(tmp_path / bad)


def test_save_into_an_empty_folder_is_fine(naive, tmp_path):
    (tmp_path / "m").mkdir()
    naive.save(tmp_path / "m")
    assert sorted(os.listdir(tmp_path / "m")) == ["arrays.npz", "metadata.json"]
    np.testing.assert_array_equal(load_model(tmp_path / "m").predict(3), naive.predict(3))


def test_save_replaces_a_saved_model_and_leaves_nothing_behind(tmp_path):
    y = make_series()
    old = NaiveForecaster().fit(y.iloc[:50])
    new = NaiveForecaster().fit(y)
    old.save(tmp_path / "m")
    new.save(tmp_path / "m")
    assert _tree(tmp_path) == ["m", "m/arrays.npz", "m/metadata.json"]
    loaded = load_model(tmp_path / "m")
    assert loaded.predict(1).iloc[0] == y.iloc[-1]  # the new model's last value, not the old one's


def test_a_model_folder_holding_user_files_is_not_replaced(naive, tmp_path):
    naive.save(tmp_path / "m")
    (tmp_path / "m" / "README.txt").write_text("my notes on this model")
    before = {p: (tmp_path / "m" / p).read_bytes() for p in os.listdir(tmp_path / "m")}
    with pytest.raises(TargetExistsError, match=r"README\.txt.*nothing was written"):
        naive.save(tmp_path / "m")
    assert {p: (tmp_path / "m" / p).read_bytes() for p in os.listdir(tmp_path / "m")} == before


def test_a_failed_save_keeps_the_old_model_and_no_temporary_folder(naive, tmp_path, monkeypatch):
    naive.save(tmp_path / "m")
    before = (tmp_path / "m" / "metadata.json").read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        NaiveForecaster().fit(make_series(50)).save(tmp_path / "m")
    assert _tree(tmp_path) == ["m", "m/arrays.npz", "m/metadata.json"]
    assert (tmp_path / "m" / "metadata.json").read_bytes() == before


def test_cli_fit_out_refuses_a_folder_of_user_files(tmp_path, capsys):
    from tsforecast.cli import main

    y = make_series()
    pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()}).to_csv(tmp_path / "y.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("keep me")
    code = main(["fit", "--model", "naive", "--data", str(tmp_path / "y.csv"), "--out", str(out)])
    assert code != 0
    assert _tree(out) == ["keep.txt"] and (out / "keep.txt").read_text() == "keep me"


# -- atomic helpers ---------------------------------------------------------------------
def test_atomic_write_dir_refuses_a_non_empty_target_without_remove_old(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        atomic_write_dir(tmp_path / "d", lambda tmp: (tmp / "y").write_text("y"))
    assert _tree(tmp_path) == ["d", "d/x"]


def test_atomic_write_dir_replaces_through_remove_old(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("old")
    removed = []
    atomic_write_dir(tmp_path / "d", lambda tmp: (tmp / "x").write_text("new"),
                     remove_old=lambda aside: (removed.append((aside / "x").read_text()), (aside / "x").unlink(), aside.rmdir()))
    assert removed == ["old"]
    assert _tree(tmp_path) == ["d", "d/x"] and (tmp_path / "d" / "x").read_text() == "new"


def test_atomic_write_failure_leaves_the_old_file(tmp_path):
    atomic_write_text(tmp_path / "r.txt", "old")

    def fail(tmp):
        Path(tmp).write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "r.txt", fail)
    assert _tree(tmp_path) == ["r.txt"] and (tmp_path / "r.txt").read_text() == "old"


# -- 6. umask-derived modes -------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_written_files_and_folders_get_umask_modes(naive, tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "out" / "r.txt", "x")
        naive.save(tmp_path / "model")
    finally:
        os.umask(old)
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "out" / "r.txt").st_mode) == file_mode
    assert stat.S_IMODE(os.stat(tmp_path / "model").st_mode) == dir_mode
    for name in ("metadata.json", "arrays.npz"):
        assert stat.S_IMODE(os.stat(tmp_path / "model" / name).st_mode) == file_mode


# -- 2. time-zone-aware round trip ------------------------------------------------------
@pytest.mark.parametrize("tz", ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe",
                                pd.Timestamp("2024-01-01T00:00+05:30").tz])
@pytest.mark.parametrize("freq", ["h", "30min", "D"])
def test_tz_aware_model_round_trips(tz, freq, tmp_path):
    # Spans the March/April and October/November DST changes of both hemispheres.
    n = {"h": 24 * 10, "30min": 48 * 5, "D": 300}[freq]
    index = pd.date_range("2024-03-28", periods=n, freq=freq, tz=tz)
    y = pd.Series(np.arange(n, dtype=float), index=index)
    model = NaiveForecaster().fit(y)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.y_.index.equals(index) and str(loaded.y_.index.tz) == str(index.tz)
    pd.testing.assert_series_equal(loaded.predict(3), model.predict(3))


def test_models_saved_with_an_offset_start_still_load(naive, tmp_path):
    # Files written before the fix hold the start as an isoformat with offset, e.g. "+01:00".
    y = make_series(start="2024-03-29", tz="Europe/Madrid")
    NaiveForecaster().fit(y).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    meta["fitted"]["series"]["y"]["index"]["start"] = y.index[0].isoformat()
    (tmp_path / "m" / "metadata.json").write_text(json.dumps(meta))
    assert load_model(tmp_path / "m").y_.index.equals(y.index)


# -- 3. array X is read by position: history rows, then future rows ------------------------
def _arx_by_hand(model, y, x, horizon):
    """The ARX recursion written out: yhat_{T+j} = c + sum_i phi_i y_{T+j-i} + sum_l beta_l x_{T+j-l}."""
    path = list(y)
    T = len(y)
    for j in range(horizon):
        t = T + j
        value = model.intercept_ + sum(model.coef_[i] * path[t - 1 - i] for i in range(model.order_))
        value += sum(model.exog_coef_[k, 0] * x[t - lag] for k, lag in enumerate(model._taps()))
        path.append(value)
    return np.array(path[T:])


@pytest.fixture(scope="module")
def arx_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=140)
    y = np.zeros(140)
    for t in range(2, 140):
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + 2.0 * x[t - 1] + rng.normal(0, 0.1)
    return y, x


@pytest.mark.parametrize("known_future", [False, True])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_hist=st.integers(10, 120), horizon=st.integers(1, 6))
def test_array_x_matches_the_dataframe_call_and_the_recursion(arx_data, known_future, n_hist, horizon):
    y, x = arx_data
    model = ARForecaster(lags=2, exog_lags=1, known_future=known_future).fit(y[:100], x[:100, None])
    n_fut = model._future_exog_steps(horizon)
    hist = pd.Series(y[:n_hist])
    frame = model.predict(horizon, y=hist, X=pd.DataFrame({"x0": x}))
    arr = model.predict(horizon, y=y[:n_hist], X=x[: n_hist + n_fut, None])
    np.testing.assert_array_equal(arr.to_numpy(), frame.to_numpy())
    assert arr.index.equals(pd.RangeIndex(n_hist, n_hist + horizon))
    np.testing.assert_allclose(arr.to_numpy(), _arx_by_hand(model, y[:n_hist], x, horizon), rtol=1e-10, atol=1e-12)


def test_array_x_issue_example_lags_2(arx_data):
    """The reported case: lags=2, horizon 3 reused the two context rows as the two future rows."""
    y, x = arx_data
    model = ARForecaster(lags=2, exog_lags=1).fit(y[:100], x[:100, None])
    frame = model.predict(3, y=pd.Series(y[:100]), X=pd.DataFrame({"x0": x}))
    arr = model.predict(3, y=y[:100], X=x[:102, None])
    np.testing.assert_array_equal(arr.to_numpy(), frame.to_numpy())
    # The old reading (context rows x[98:100] reused as the future rows) gives different numbers.
    wrong = np.r_[x[:100], x[98:100]]
    assert not np.allclose(_arx_by_hand(model, y[:100], wrong, 3), frame.to_numpy())


def test_array_x_without_y_covers_training_history_or_only_the_future(arx_data):
    y, x = arx_data
    model = ARForecaster(lags=2, exog_lags=1).fit(y[:100], x[:100, None])
    frame = model.predict(3, X=pd.DataFrame({"x0": x}))
    np.testing.assert_array_equal(model.predict(3, X=x[:102, None]).to_numpy(), frame.to_numpy())
    np.testing.assert_array_equal(model.predict(3, X=x[100:102, None]).to_numpy(), frame.to_numpy())


@pytest.mark.parametrize("rows", [2, 50, 101, 103])
def test_array_x_of_the_wrong_length_is_refused(arx_data, rows):
    y, x = arx_data
    model = ARForecaster(lags=2, exog_lags=1).fit(y[:100], x[:100, None])
    with pytest.raises(ExogenousError, match=rf"X has {rows} rows.*\(100\) followed by the 2 step\(s\).*102 in all"):
        model.predict(3, y=y[:100], X=x[:rows, None])


def test_array_x_takes_the_column_names_seen_in_fit(arx_data):
    y, x = arx_data
    frame_x = pd.DataFrame({"load": x})
    model = ARForecaster(lags=2, exog_lags=1).fit(pd.Series(y[:100]), frame_x.iloc[:100])
    np.testing.assert_array_equal(model.predict(3, y=y[:100], X=x[:102]).to_numpy(),
                                  model.predict(3, y=pd.Series(y[:100]), X=frame_x).to_numpy())
    with pytest.raises(ExogenousError, match="2 column"):
        model.predict(3, y=y[:100], X=np.ones((102, 2)))


# -- 4. fit copies its input -----------------------------------------------------------------
def test_editing_y_and_x_after_fit_changes_nothing(arx_data):
    y, x = arx_data
    y_user, X_user = pd.Series(y[:100]), pd.DataFrame({"x0": x[:100]})
    model = ARForecaster(lags=2, exog_lags=1).fit(y_user, X_user)
    X_future = pd.DataFrame({"x0": x[:102]})
    before = model.predict(3, X=X_future).to_numpy()
    y_user.iloc[:] = 0.0
    X_user.iloc[:, :] = 1e6
    np.testing.assert_array_equal(model.predict(3, X=X_future).to_numpy(), before)
    np.testing.assert_array_equal(model.y_.to_numpy(), y[:100])
    np.testing.assert_array_equal(model.X_.to_numpy()[:, 0], x[:100])


# -- 5. damaged model files ------------------------------------------------------------------
@pytest.fixture
def saved(naive, tmp_path):
    naive.save(tmp_path / "m")
    return tmp_path / "m"


def _edit_meta(folder, edit):
    meta = json.loads((folder / "metadata.json").read_text())
    edit(meta)
    (folder / "metadata.json").write_text(json.dumps(meta))


def test_truncated_arrays_npz(saved):
    data = (saved / "arrays.npz").read_bytes()
    (saved / "arrays.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"arrays\.npz is damaged or truncated"):
        load_model(saved)


def test_arrays_npz_that_is_not_a_zip(saved):
    (saved / "arrays.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelFileError, match=r"arrays\.npz"):
        load_model(saved)


def test_missing_arrays_npz(saved):
    (saved / "arrays.npz").unlink()
    with pytest.raises(ModelFileError, match=r"arrays\.npz is missing"):
        load_model(saved)


def test_arrays_npz_with_the_wrong_series_length(saved):
    with np.load(saved / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["series_0"] = arrays["series_0"][:-3]
    np.savez(saved / "arrays.npz", **arrays)
    with pytest.raises(ModelFileError, match="metadata.json says 96"):
        load_model(saved)


@pytest.mark.parametrize("edit, what", [
    (lambda m: m.pop("fitted"), "'fitted' is missing"),
    (lambda m: m.pop("params"), "'params' is missing"),
    (lambda m: m.update(params=[1, 2]), "'params' is missing or not a JSON object"),
    (lambda m: m["fitted"].pop("series"), r"fitted\['series'\]"),
    (lambda m: m["fitted"].update(n_networks="1"), r"fitted\['n_networks'\]"),
    (lambda m: m["fitted"].update(context_length=-1), r"fitted\['context_length'\]"),
    (lambda m: m["fitted"]["series"]["y"].pop("index"), "KeyError"),
    (lambda m: m["fitted"]["series"]["y"]["index"].update(freq="fortnightly"), "ValueError"),
    (lambda m: m["fitted"]["series"]["y"]["index"].update(tz="Mars/Olympus"), "metadata.json"),
    (lambda m: m["fitted"]["series"]["y"]["index"].update(n="many"), "metadata.json"),
    (lambda m: m["fitted"]["series"]["y"].update(i=7), "KeyError"),
])
def test_edited_metadata_gives_model_file_error(saved, edit, what):
    _edit_meta(saved, edit)
    with pytest.raises(ModelFileError, match=what) as exc:
        load_model(saved)
    assert "metadata.json" in str(exc.value)


@pytest.mark.parametrize("params, what", [
    ({"lags": "two"}, "lags must be .*integer"),
    ({"order": "1,0,0"}, "order must be a tuple"),
    ({"no_such_param": 1}, "no_such_param"),
])
def test_metadata_with_invalid_params(tmp_path, params, what):
    model = (ARForecaster(lags=2) if "lags" in params else ARIMAForecaster()).fit(make_series())
    model.save(tmp_path / "m")
    _edit_meta(tmp_path / "m", lambda m: m["params"].update(params))
    with pytest.raises(ModelFileError, match=what):
        load_model(tmp_path / "m")


def test_state_that_does_not_match_the_model(tmp_path):
    ARForecaster(lags=2).fit(make_series()).save(tmp_path / "m")
    _edit_meta(tmp_path / "m", lambda m: m["state"].pop("order"))
    with pytest.raises(ModelFileError, match="KeyError"):
        load_model(tmp_path / "m")


@pytest.mark.slow
def test_truncated_keras_file(tmp_path):
    from tsforecast.models.narx_model import NARXForecaster

    NARXForecaster(lags=4, hidden=(4,), epochs=1).fit(make_series()).save(tmp_path / "m")
    net = tmp_path / "m" / "net_0.keras"
    data = net.read_bytes()
    net.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"net_0\.keras is damaged or truncated"):
        load_model(tmp_path / "m")
    net.unlink()
    with pytest.raises(ModelFileError, match=r"net_0\.keras is missing"):
        load_model(tmp_path / "m")


def test_truncated_zip_is_reported_not_raised_raw(saved):
    # The raw error the old loader leaked; make sure the file really is a bad zip.
    data = (saved / "arrays.npz").read_bytes()
    (saved / "arrays.npz").write_bytes(data[:40])
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(saved / "arrays.npz")
    with pytest.raises(ModelFileError):
        load_model(saved)


# -- 7. predict_at with no origins --------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: NaiveForecaster(), lambda: ARForecaster(lags=2),
                                  lambda: ARIMAForecaster(order=(1, 0, 0))])
@pytest.mark.parametrize("horizon", [1, 5])
def test_predict_at_without_origins_is_empty(make, horizon):
    y = make_series()
    out = make().fit(y).predict_at(y, [], horizon)
    assert out.shape == (0, horizon)


def test_predict_at_with_exog_and_no_origins_is_empty():
    y = make_series()
    X = make_exog(y.index)
    assert ARForecaster(lags=2).fit(y, X).predict_at(y, [], 3, X=X).shape == (0, 3)
