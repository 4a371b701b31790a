"""Batch jobs an operator runs every night (issue 16): exogenous columns and a future table, intervals
calibrated on each series' tail, kept models updated night after night (and after a crash), a global
network job with short series skipped, and progress lines."""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast import ARForecaster
from tsforecast.batch import read_forecasts, run_batch
from tsforecast.batch import progress as bprogress
from tsforecast.batch import runner
from tsforecast.batch.store import INDEX, model_folder
from tsforecast.exceptions import ConfigError, DataFileError, NotEnoughDataError
from tsforecast.persistence import load_model
from tsforecast.registry import get_forecaster

ROOT = Path(__file__).resolve().parents[1]
START = pd.Timestamp("2021-01-01")


def panel(ids, n, seed=0, exog=False):
    """Hourly series with a daily cycle; with ``exog`` each has a ``temp`` random walk that drives it."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    out = {}
    for i, key in enumerate(ids):
        temp = rng.normal(size=n).cumsum()
        noise = rng.normal(size=n)
        y = 50 + 10 * np.sin(2 * np.pi * t / 24 + i) + noise + (3 * temp if exog else 0.5 * noise.cumsum())
        out[key] = pd.DataFrame({"value": y, "temp": temp}, index=pd.date_range(START, periods=n, freq="h"))
    return out


def long(frames, rows=slice(None), exog=False):
    """The long input table of ``frames`` (rows ``rows`` of each)."""
    parts = [pd.DataFrame({"id": k, "timestamp": f.index[rows], "value": f["value"].to_numpy()[rows],
                           **({"temp": f["temp"].to_numpy()[rows]} if exog else {})}) for k, f in frames.items()]
    return pd.concat(parts, ignore_index=True)


def future_table(frames, start, horizon):
    return pd.concat([pd.DataFrame({"id": k, "timestamp": f.index[start:start + horizon],
                                    "temp": f["temp"].to_numpy()[start:start + horizon]})
                      for k, f in frames.items()], ignore_index=True)


def series(frame, n=None):
    return frame["value"].iloc[:n]


def by_id(df):
    return {k: g.sort_values("step").reset_index(drop=True) for k, g in df.groupby("id")}


def job(tmp_path, inp, out, **kw):
    doc = {"input": str(inp), "output": str(tmp_path / out), "model": "ar", "horizon": 4, "run": {"chunk_size": 2}}
    doc.update(kw)
    return doc


# -- 1. exogenous columns and the future table ----------------------------------------------------------------
@pytest.mark.parametrize("known_future", [True, False])
def test_exog_job_equals_the_python_api_and_follows_the_future_table(tmp_path, known_future):
    n, H = 160, 4
    frames = panel(["a", "b", "c"], n + H, exog=True)
    long(frames, slice(0, n), exog=True).to_csv(tmp_path / "in.csv", index=False)
    future = future_table(frames, n, H)
    future.to_parquet(tmp_path / "future.parquet")
    params = {"lags": 2, "known_future": known_future}
    base = job(tmp_path, tmp_path / "in.csv", "out", exog=["temp"], future=str(tmp_path / "future.parquet"),
               params=params)
    summary = run_batch(base, progress=False)
    assert (summary.n_done, summary.n_failed) == (3, 0)
    got = by_id(read_forecasts(tmp_path / "out"))
    # Shifted future values: a second job into another folder.
    future.assign(temp=future["temp"] + 5.0).to_parquet(tmp_path / "future2.parquet")
    run_batch({**base, "output": str(tmp_path / "out2"), "future": str(tmp_path / "future2.parquet")}, progress=False)
    got2 = by_id(read_forecasts(tmp_path / "out2"))
    for key, f in frames.items():
        X = f[["temp"]]
        model = ARForecaster(**params).fit(series(f, n), X.iloc[:n])
        want = model.predict(H, X=X.iloc[n:])
        np.testing.assert_allclose(got[key]["forecast"], want.to_numpy(), rtol=0, atol=1e-10)
        assert list(got[key]["timestamp"]) == list(want.index)
        want2 = model.predict(H, X=X.iloc[n:].assign(temp=lambda d: d["temp"] + 5.0))
        np.testing.assert_allclose(got2[key]["forecast"], want2.to_numpy(), rtol=0, atol=1e-10)
        # the first step uses x_T only as a past input unless the input is known in advance
        changed = np.abs(got2[key]["forecast"] - got[key]["forecast"]).to_numpy() > 1e-6
        assert changed.all() if known_future else (changed[1:].all() and not changed[0])


def test_calendar_params_pass_through_to_the_model(tmp_path):
    n, H = 200, 5
    frames = panel(["a", "b"], n)
    long(frames).to_parquet(tmp_path / "in.parquet")
    params = {"lags": 2, "calendar": ["hour", "dayofweek"]}
    run_batch(job(tmp_path, tmp_path / "in.parquet", "out", horizon=H, params=params), progress=False)
    got = by_id(read_forecasts(tmp_path / "out"))
    for key, f in frames.items():
        want = ARForecaster(lags=2, calendar=("hour", "dayofweek")).fit(series(f)).predict(H)
        np.testing.assert_allclose(got[key]["forecast"], want.to_numpy(), rtol=0, atol=1e-10)


def test_exog_errors_are_named(tmp_path):
    n, H = 80, 3
    frames = panel(["a", "b", "c", "d"], n + H, exog=True)
    table = long(frames, slice(0, n), exog=True)
    table.to_csv(tmp_path / "in.csv", index=False)
    future = future_table(frames, n, H)
    # b lacks its last future step, c has no future rows at all, d has an unparsable temp in the input
    future = future[~((future["id"] == "b") & (future["timestamp"] == future["timestamp"].max())) & (future["id"] != "c")]
    future.to_csv(tmp_path / "future.csv", index=False)
    bad = table.astype({"temp": object})
    bad.loc[bad.index[bad["id"] == "d"][7], "temp"] = "warm"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    doc = job(tmp_path, tmp_path / "bad.csv", "out", horizon=H, exog=["temp"], future=str(tmp_path / "future.csv"),
              params={"lags": 2, "known_future": True})
    summary = run_batch(doc, progress=False)
    errors = pd.read_csv(tmp_path / "out" / "errors.csv").set_index("id")["reason"]
    assert sorted(errors.index) == ["b", "c", "d"] and summary.n_done == 1
    assert "the future table has no ['temp'] for 1 of the 3 step(s)" in errors["b"]
    assert "for 3 of the 3 step(s)" in errors["c"]
    assert "unparsable temp 'warm'" in errors["d"]
    assert by_id(read_forecasts(tmp_path / "out"))["a"]["forecast"].notna().all()
    # Whole-job mistakes stop the job with a named error.
    table.drop(columns="temp").to_csv(tmp_path / "no_temp.csv", index=False)
    with pytest.raises(DataFileError, match=r"lacks the exogenous column\(s\) \['temp'\]"):
        run_batch({**doc, "input": str(tmp_path / "no_temp.csv"), "output": str(tmp_path / "o1")}, progress=False)
    with pytest.raises(DataFileError, match=r"has extra column\(s\) \['temp'\]; list them in the job's exog"):
        run_batch({**doc, "input": str(tmp_path / "in.csv"), "output": str(tmp_path / "o2"), "exog": [],
                   "future": None}, progress=False)
    future.drop(columns="temp").to_csv(tmp_path / "future_bad.csv", index=False)
    with pytest.raises(DataFileError, match="future_bad.csv lacks the exogenous column"):
        run_batch({**doc, "input": str(tmp_path / "in.csv"), "output": str(tmp_path / "o3"),
                   "future": str(tmp_path / "future_bad.csv")}, progress=False)
    with pytest.raises(ConfigError, match="'naive' does not use exogenous inputs"):
        run_batch({**doc, "model": "naive", "params": {}}, progress=False)
    with pytest.raises(ConfigError, match="list their columns in exog"):
        run_batch({**doc, "exog": []}, progress=False)


# -- 2. intervals calibrated on each series' tail ------------------------------------------------------------
def tail_origins(n, H, coverage, min_length):
    """The documented rule, by hand: a fifth of the series' origins (at most 500), fewer if the model needs
    more to fit on, never fewer than ceil(c / (1 - c))."""
    need = math.ceil(coverage / (1 - coverage) - 1e-9)
    return max(need, min(n // 5, 500, n - H + 1 - min_length))


def conformal_q(errors, coverage):
    k = len(errors)
    return np.sort(np.abs(errors), axis=0)[math.ceil((k + 1) * coverage - 1e-9) - 1]


@pytest.mark.parametrize("name,params", [("naive", {}), ("seasonal_naive", {"m": 24})])
def test_naive_intervals_equal_a_brute_force_split_conformal_on_the_tail(tmp_path, name, params):
    n, H, cov = 130, 5, 0.8
    frames = panel(["a", "b", "short"], n)
    frames["short"] = frames["short"].iloc[:30]  # 30 points: seasonal naive needs 24 + (4 + 5 - 1) for 80%
    long(frames).to_parquet(tmp_path / "in.parquet")
    summary = run_batch(job(tmp_path, tmp_path / "in.parquet", "out", model=name, params=params, horizon=H,
                            coverage=cov), progress=False)
    got = by_id(read_forecasts(tmp_path / "out"))
    m = params.get("m", 1)
    for key in ("a", "b"):
        y = series(frames[key]).to_numpy()
        k = tail_origins(n, H, cov, m)
        origins = np.arange(n - H + 1 - k, n - H + 1)
        # forecast of y[o + h] from the history y[:o]: y[o - m + h % m]
        pred = np.array([[y[o - m + h % m] for h in range(H)] for o in origins])
        actual = np.array([[y[o + h] for h in range(H)] for o in origins])
        q = conformal_q(actual - pred, cov)
        point = np.array([y[n - m + h % m] for h in range(H)])
        np.testing.assert_allclose(got[key]["forecast"], point, atol=1e-12)
        np.testing.assert_allclose(got[key]["lower"], point - q, atol=1e-12)
        np.testing.assert_allclose(got[key]["upper"], point + q, atol=1e-12)
    errors = pd.read_csv(tmp_path / "out" / "errors.csv").set_index("id")["reason"]
    if name == "seasonal_naive":
        assert summary.n_failed == 1 and "NotEnoughDataError: 30 points are too few for 80% intervals" in errors["short"]
    else:
        assert summary.n_failed == 0 and len(got["short"]) == H


@pytest.mark.parametrize("name,params", [("ar", {"lags": 3}), ("holt_winters", {"seasonal_periods": 24}),
                                         ("ar", {"lags": 2, "calendar": ["hour"]})])
def test_model_intervals_fit_on_the_head_calibrate_on_the_tail_and_refit(tmp_path, name, params):
    n, H, cov = 150, 4, 0.9
    frames = panel(["a", "b"], n, seed=3)
    long(frames).to_parquet(tmp_path / "in.parquet")
    run_batch(job(tmp_path, tmp_path / "in.parquet", "out", model=name, params=params, horizon=H, coverage=cov),
              progress=False)
    got = by_id(read_forecasts(tmp_path / "out"))
    for key, f in frames.items():
        y = series(f)
        k = tail_origins(n, H, cov, get_forecaster(name, **params)._min_length())
        head = get_forecaster(name, **params).fit(y.iloc[: n - k - H + 1])
        origins = np.arange(n - k - H + 1, n - H + 1)
        pred = head.predict_at(y, origins, H)  # the head model forecasts every tail origin
        actual = y.to_numpy()[origins[:, None] + np.arange(H)]
        q = conformal_q(actual - pred, cov)
        point = get_forecaster(name, **params).fit(y).predict(H).to_numpy()
        np.testing.assert_allclose(got[key]["forecast"], point, rtol=1e-10)
        np.testing.assert_allclose(got[key]["upper"] - got[key]["forecast"], q, rtol=1e-8)
        np.testing.assert_allclose(got[key]["forecast"] - got[key]["lower"], q, rtol=1e-8)


# -- 3. nightly update jobs ------------------------------------------------------------------------------------
NIGHT_MODELS = [("naive", {}), ("seasonal_naive", {"m": 24}), ("ar", {"lags": 3}),
                ("holt_winters", {"seasonal_periods": 24})]


def two_nights(tmp_path, name, params, n=150, more=100, H=4, chunk_size=2):
    """Night 1 fits 'a/b', 'NA', 's 3', 'old' on n rows; night 2 has 'old' gone and 'new' added, the others
    with `more` rows (the whole history in the table: rows already seen are ignored)."""
    frames = panel(["a/b", "NA", "s 3", "old", "new"], n + more, seed=1)
    night1 = {k: f for k, f in frames.items() if k != "new"}
    long(night1, slice(0, n)).to_parquet(tmp_path / "night1.parquet")
    night2 = {k: f for k, f in frames.items() if k != "old"}
    long(night2).to_parquet(tmp_path / "night2.parquet")
    doc = job(tmp_path, tmp_path / "night1.parquet", "out1", model=name, params=params, horizon=H,
              save_models=str(tmp_path / "models"), run={"chunk_size": chunk_size})
    first = run_batch(doc, progress=False)
    night2_job = {**doc, "input": str(tmp_path / "night2.parquet"), "output": str(tmp_path / "out2"), "mode": "update"}
    return frames, first, doc, night2_job


@pytest.mark.parametrize("name,params", NIGHT_MODELS)
def test_two_nights_equal_fit_then_predict_on_the_longer_history(tmp_path, name, params):
    n, more, H = 150, 100, 4
    frames, first, _, night2 = two_nights(tmp_path, name, params, n, more, H)
    assert (first.n_done, first.n_fitted) == (4, 4)
    second = run_batch(night2, progress=False)
    assert (second.n_done, second.n_failed, second.n_fitted, second.n_updated, second.n_gone) == (4, 0, 1, 3, 1)
    got = by_id(read_forecasts(tmp_path / "out2"))
    for key in ("a/b", "NA", "s 3"):
        y = series(frames[key])
        want = get_forecaster(name, **params).fit(y.iloc[:n]).predict(H, y=y)
        np.testing.assert_allclose(got[key]["forecast"], want.to_numpy(), rtol=0, atol=1e-8)
        assert got[key]["timestamp"].iloc[0] == y.index[-1] + pd.Timedelta(hours=1)
    new = get_forecaster(name, **params).fit(series(frames["new"])).predict(H)
    np.testing.assert_allclose(got["new"]["forecast"], new.to_numpy(), rtol=0, atol=1e-8)
    errors = pd.read_csv(tmp_path / "out2" / "errors.csv", keep_default_na=False).set_index("id")["reason"]
    assert list(errors.index) == ["old"] and errors["old"].startswith("gone:")
    index = json.loads((tmp_path / "models" / INDEX).read_text())["series"]
    assert sorted(index) == sorted(["a/b", "NA", "s 3", "old", "new"])
    for key, folder in index.items():
        saved = load_model(tmp_path / "models" / folder)
        want = series(frames[key]).iloc[: n if key == "old" else None]
        pd.testing.assert_series_equal(saved.y_, want, check_names=False, check_freq=False)


def test_an_update_that_leaves_a_gap_is_a_series_error_and_keeps_the_model(tmp_path):
    n = 150
    frames, _, _, night2 = two_nights(tmp_path, "naive", {}, n=n, more=20)
    table = pd.read_parquet(tmp_path / "night2.parquet")
    # NA's rows start one step too late for its saved model: update refuses them, the others go on
    gap = table[(table["id"] != "NA") | (table["timestamp"] > START + pd.Timedelta(hours=n))]
    gap.to_parquet(tmp_path / "gap.parquet")
    summary = run_batch({**night2, "input": str(tmp_path / "gap.parquet")}, progress=False)
    errors = pd.read_csv(tmp_path / "out2" / "errors.csv", keep_default_na=False).set_index("id")["reason"]
    assert "leaves a gap after the history" in errors["NA"] and summary.n_updated == 2
    assert len(load_model(tmp_path / "models" / model_folder("NA")).y_) == n


def test_a_crash_part_way_through_an_update_night_loses_and_repeats_nothing(tmp_path, monkeypatch):
    frames, _, _, night2 = two_nights(tmp_path, "ar", {"lags": 3})
    shutil.copytree(tmp_path / "models", tmp_path / "models_clean")
    calls = []
    original = runner._forecast_one

    def crash_on_third(*args, **kwargs):  # after the third series' model was updated and saved
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "_forecast_one", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_batch(night2, progress=False)
    assert len(list((tmp_path / "out2").glob("part-*"))) == 1 and not (tmp_path / "out2" / "summary.json").exists()
    monkeypatch.setattr(runner, "_forecast_one", original)
    summary = run_batch(night2, progress=False)
    assert (summary.n_done, summary.n_chunks_skipped) == (4, 1)
    clean = run_batch({**night2, "output": str(tmp_path / "clean"), "save_models": str(tmp_path / "models_clean")},
                      progress=False)
    assert clean.n_updated == 3
    pd.testing.assert_frame_equal(read_forecasts(tmp_path / "out2"), read_forecasts(tmp_path / "clean"))
    for key in ("a/b", "NA", "s 3", "new"):  # every series updated exactly once: its whole history, no more
        pd.testing.assert_series_equal(load_model(tmp_path / "models" / model_folder(key)).y_, series(frames[key]),
                                       check_names=False, check_freq=False)


@pytest.mark.slow  # a fresh interpreter imports tsforecast (~15 s); the test above covers a crash in the default run
def test_a_killed_update_process_resumes_without_loss_or_duplicates(tmp_path):
    ids = [f"s{i:02d}" for i in range(60)]
    n, more = 60, 10
    frames = panel(ids, n + more, seed=4)
    long(frames, slice(0, n)).to_parquet(tmp_path / "night1.parquet")
    long(frames).to_parquet(tmp_path / "night2.parquet")
    text = ('input = "{inp}"\noutput = "{out}"\nmodel = "ar"\nhorizon = 3\nsave_models = "models"\nmode = "{mode}"\n'
            'format = "csv"\n[params]\nlags = 2\n[run]\nchunk_size = 1\n')
    (tmp_path / "n1.toml").write_text(text.format(inp="night1.parquet", out="out1", mode="fit"))
    (tmp_path / "n2.toml").write_text(text.format(inp="night2.parquet", out="out2", mode="update"))
    run_batch(tmp_path / "n1.toml", progress=False)
    shutil.copytree(tmp_path / "models", tmp_path / "models_clean")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = f"from tsforecast.batch import run_batch; run_batch({str(tmp_path / 'n2.toml')!r}, progress=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = tmp_path / "out2"
    deadline = time.monotonic() + 120
    while len(list(out.glob("part-*.csv"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_parts = len(list(out.glob("part-*.csv")))
    assert n_parts < 60, "the job must be killed part-way"
    summary = run_batch(tmp_path / "n2.toml", progress=False)
    assert summary.n_done == 60 and summary.n_chunks_skipped == n_parts
    (tmp_path / "clean.toml").write_text(text.format(inp="night2.parquet", out="clean", mode="update")
                                         .replace('"models"', '"models_clean"'))
    run_batch(tmp_path / "clean.toml", progress=False)
    got, want = read_forecasts(out), read_forecasts(tmp_path / "clean")
    assert not got.duplicated(["id", "step"]).any()
    sort = ["id", "step"]
    pd.testing.assert_frame_equal(got.sort_values(sort, ignore_index=True), want.sort_values(sort, ignore_index=True))
    for key in ids:
        assert load_model(tmp_path / "models" / model_folder(key)).y_.index[-1] == frames[key].index[-1]


def test_models_folder_mistakes_are_refused_before_any_work(tmp_path):
    frames = panel(["a", "b"], 60)
    long(frames).to_parquet(tmp_path / "in.parquet")
    doc = job(tmp_path, tmp_path / "in.parquet", "out", params={"lags": 2})
    with pytest.raises(ConfigError, match="mode = 'update' updates the models a 'fit' night kept"):
        run_batch({**doc, "mode": "update"}, progress=False)
    with pytest.raises(ConfigError, match="holds no saved models"):
        run_batch({**doc, "mode": "update", "save_models": str(tmp_path / "none")}, progress=False)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ConfigError, match="already holds other files"):
        run_batch({**doc, "save_models": str(photos)}, progress=False)
    assert [p.name for p in photos.iterdir()] == ["cat.jpg"] and not (tmp_path / "out").exists()
    run_batch({**doc, "save_models": str(tmp_path / "models")}, progress=False)
    with pytest.raises(ConfigError, match="holds local models, but this job fits one global model"):
        run_batch({**doc, "model": "lstm", "global": True, "save_models": str(tmp_path / "models")}, progress=False)
    with pytest.raises(ConfigError, match="skip_short applies to a global fit"):
        run_batch({**doc, "skip_short": True}, progress=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=2, max_size=6, unique=True))
def test_model_folders_are_safe_and_distinct_for_any_ids(ids):
    names = [model_folder(k) for k in ids]
    for name in names:
        assert name.replace("-", "").replace("_", "").isalnum() and name.isascii() and not name.startswith(".")
        assert len(name) <= 57
    assert len({n.lower() for n in names}) == len(ids)  # distinct on case-insensitive file systems too


# -- 4 and 5. a global network job: skip_short, coverage, saved model, update night, progress ---------------
def test_global_job_skips_short_series_calibrates_saves_and_updates(tmp_path, monkeypatch, capfd):
    from tsforecast.nn import training

    monkeypatch.setenv("TSFORECAST_PROGRESS", "1")
    monkeypatch.setattr(training, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(bprogress, "LINE_EVERY", 0.0)
    n, more, H, cov = 80, 5, 2, 0.8
    frames = panel([f"s{i}" for i in range(5)], n + more, seed=5)
    frames["tiny"] = frames["s0"].iloc[:5]  # the LSTM needs lags + horizon = 6 points
    night1 = long({k: f.iloc[:n] for k, f in frames.items()})
    night1.to_parquet(tmp_path / "night1.parquet")
    params = {"lags": 4, "horizon": H, "units": 4, "epochs": 2, "batch_size": 16, "patience": 1, "seed": 0}
    doc = job(tmp_path, tmp_path / "night1.parquet", "out1", model="lstm", params=params, horizon=H, coverage=cov,
              save_models=str(tmp_path / "models"), run={"chunk_size": 4}, **{"global": True})
    with pytest.raises(NotEnoughDataError, match=r"1 series have fewer than the 6 points .*\(\['tiny'\]\); set skip_short = true"):
        run_batch(doc, progress=False)
    assert not (tmp_path / "models" / "model").exists()
    capfd.readouterr()
    summary = run_batch({**doc, "skip_short": True}, progress=True)
    err = capfd.readouterr().err
    assert "batch: fitting LSTMForecaster on 5 series" in err and "LSTMForecaster epoch 2/2" in err
    assert "batch: calibration: fitting LSTMForecaster on the heads of 5 series" in err
    assert "batch: 6/6 series (100%)" in err
    assert (summary.n_done, summary.n_failed, summary.n_fitted) == (5, 1, 5)
    errors = pd.read_csv(tmp_path / "out1" / "errors.csv").set_index("id")["reason"]
    assert "skipped: skip_short = true" in errors["tiny"]
    model = load_model(tmp_path / "models" / "model")
    got = read_forecasts(tmp_path / "out1").sort_values(["id", "step"], ignore_index=True)
    want = model.predict(H, y=[f"s{i}" for i in range(5)]).sort_values(["id", "step"], ignore_index=True)
    np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-5)
    cal = pd.read_parquet(tmp_path / "models" / "calibration.parquet")
    for key, rows in by_id(got).items():
        errs = cal[cal["id"] == key]
        k = tail_origins(n, H, cov, 4 + H)
        assert len(errs) == k * H
        q = conformal_q(errs.sort_values(["origin", "step"])["error"].to_numpy().reshape(k, H), cov)
        np.testing.assert_allclose(rows["upper"] - rows["forecast"], q, rtol=1e-6)
        np.testing.assert_allclose(rows["forecast"] - rows["lower"], q, rtol=1e-6)
    # Night 2: five more rows each; the fit night's model forecasts from the longer histories.
    long({k: f for k, f in frames.items() if k != "tiny"}).to_parquet(tmp_path / "night2.parquet")
    second = run_batch({**doc, "skip_short": True, "mode": "update", "input": str(tmp_path / "night2.parquet"),
                        "output": str(tmp_path / "out2")}, progress=False)
    assert (second.n_done, second.n_updated, second.n_gone) == (5, 5, 0)
    got2 = read_forecasts(tmp_path / "out2").sort_values(["id", "step"], ignore_index=True)
    want2 = model.predict(H, y={k: series(f) for k, f in frames.items() if k != "tiny"})
    want2 = want2.sort_values(["id", "step"], ignore_index=True)
    np.testing.assert_allclose(got2["forecast"], want2["forecast"], rtol=1e-5)
    np.testing.assert_allclose(got2["upper"] - got2["forecast"], got["upper"] - got["forecast"], rtol=1e-6)
    assert load_model(tmp_path / "models" / "model").series_["s3"].index[-1] == frames["s3"].index[-1]
    # Night 3, without intervals: s4 is gone, 'fresh' is new (forecast from its own history, not in the model).
    night3 = {k: f for k, f in frames.items() if k not in ("tiny", "s4")}
    night3["fresh"] = panel(["fresh"], n, seed=9)["fresh"]
    long(night3).to_parquet(tmp_path / "night3.parquet")
    third = run_batch({**doc, "skip_short": True, "mode": "update", "coverage": None, "output": str(tmp_path / "out3"),
                       "input": str(tmp_path / "night3.parquet")}, progress=False)
    assert (third.n_done, third.n_updated, third.n_gone) == (5, 0, 1)
    got3 = by_id(read_forecasts(tmp_path / "out3"))
    fresh = model.predict(H, y={"fresh": series(night3["fresh"])})
    np.testing.assert_allclose(got3["fresh"]["forecast"], fresh["forecast"], rtol=1e-5)
    np.testing.assert_allclose(got3["s3"]["forecast"], by_id(got2)["s3"]["forecast"], rtol=1e-6)
    gone = pd.read_csv(tmp_path / "out3" / "errors.csv").set_index("id")["reason"]
    assert list(gone.index) == ["s4"] and gone["s4"].startswith("gone:")


def test_progress_lines_for_chunks_and_quiet_runs(tmp_path, monkeypatch, capfd):
    frames = panel([f"s{i}" for i in range(6)], 40)
    long(frames).to_parquet(tmp_path / "in.parquet")
    monkeypatch.setattr(bprogress, "LINE_EVERY", 0.0)
    capfd.readouterr()
    run_batch(job(tmp_path, tmp_path / "in.parquet", "out", model="naive"), progress=True)
    lines = [line.split(",")[0] for line in capfd.readouterr().err.splitlines() if " series (" in line]
    assert lines == ["batch: 2/6 series (33%)", "batch: 4/6 series (67%)", "batch: 6/6 series (100%)"]
    run_batch(job(tmp_path, tmp_path / "in.parquet", "quiet", model="naive"), progress=False)
    assert capfd.readouterr().err == ""


def test_quiet_runs_silence_a_networks_epoch_lines_and_restore_the_switch():
    from tsforecast.nn import training

    assert training.PROGRESS
    with bprogress.fit_progress(False, neural=True):
        assert not training.progress_enabled()
    with bprogress.fit_progress(True, neural=True):
        assert training.progress_enabled() == (os.environ.get("TSFORECAST_PROGRESS", "1") != "0")
    assert training.PROGRESS


# -- job keys -----------------------------------------------------------------------------------------------------
def test_new_job_keys_are_validated_and_survive_a_round_trip(tmp_path):
    from tsforecast import SeasonalNaiveForecaster
    from tsforecast.batch import load_job

    frames = panel(["a"], 60, exog=True)
    long(frames, exog=True).to_parquet(tmp_path / "in.parquet")
    future_table(frames, 56, 4).to_parquet(tmp_path / "future.parquet")
    doc = job(tmp_path, tmp_path / "in.parquet", "out", exog=["temp"], future=str(tmp_path / "future.parquet"),
              coverage=0.9, save_models=str(tmp_path / "models"), params={"lags": 2})
    loaded = load_job(doc)
    assert load_job(loaded) == loaded and loaded.exog == ("temp",) and loaded.future == tmp_path / "future.parquet"
    assert load_job({**doc, "coverage": 0.8}).fingerprint() != loaded.fingerprint()
    assert load_job({**doc, "mode": "update"}).fingerprint() != loaded.fingerprint()
    bad = [({"interval": 0.9}, "not both"), ({"coverage": 1.5}, "coverage must be a probability"),
           ({"exog": ["value"]}, "reserved"), ({"exog": ["temp", "temp"]}, "twice"), ({"exog": [3]}, "list of column"),
           ({"mode": "nightly"}, "mode must be one of"), ({"global": "yes"}, "global must be true or false"),
           ({"global": True}, "'ar' cannot"), ({"future": str(tmp_path / "nope.csv")}, "does not exist")]
    for change, message in bad:
        with pytest.raises(ConfigError, match=message):
            load_job({**doc, **change})
    y = series(frames["a"])
    SeasonalNaiveForecaster(m=4).fit(y).save(tmp_path / "saved")
    saved = {**doc, "model": str(tmp_path / "saved"), "params": {}, "exog": [], "future": None}
    with pytest.raises(ConfigError, match="save_models needs a registry model"):
        load_job(saved)
    with pytest.raises(ConfigError, match="is not calibrated"):
        load_job({**saved, "save_models": None})
    with pytest.raises(ConfigError, match=r"the saved model uses the exogenous columns \[\]"):
        load_job({**saved, "save_models": None, "coverage": None, "exog": ["temp"]})
