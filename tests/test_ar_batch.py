"""Batched AR fits (tsforecast.models.ar_batch) and the batch job routes built on them.

Truth: statsmodels ``AutoReg`` called directly on each series, and ``clone(template).fit(y)`` one series at a
time (the route the batched one replaces). Inputs vary under hypothesis.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from statsmodels.tsa.ar_model import AutoReg

from tsforecast.batch import io as bio
from tsforecast.batch import read_forecasts, run_batch, runner
from tsforecast.batch.job import load_job
from tsforecast.batch.series import chunk_inputs, reason, series_inputs
from tsforecast.exceptions import DataFileError, ExogenousError, NotEnoughDataError, ParameterError
from tsforecast.models.ar_batch import fit_each, fit_many, predict_many, select_orders, solve_ar
from tsforecast.models.ar_model import ARForecaster
from tsforecast.persistence import load_model
from tsforecast.threads import blas_threads

DATA_DIR = os.environ.get("TSFORECAST_DATA_DIR")
MILAN = "milan_ferreira2023_hourly_281cells.csv"


def ar_series(n, seed, level=100.0, scale=1.0, start="2024-01-01"):
    """A persistent daily-seasonal series (AR(1) noise), strictly positive, ``level``-sized."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.7 * e[i - 1] + rng.normal()
    values = level * (1 + 0.3 * np.sin(2 * np.pi * t / 24) + 0.02 * e) * scale
    return pd.Series(values, index=pd.date_range(start, periods=n, freq="h"))


def statsmodels_params(y, lags, trend, transform):
    """[const,] phi per lag: statsmodels AutoReg on the (transformed) series, as ARForecaster fits it."""
    v = y.to_numpy()
    v = np.log(v) if transform == "log" else np.log1p(v) if transform == "log1p" else v
    with blas_threads(1):  # as ARForecaster fits (threads only thrash on these small problems)
        return AutoReg(v, list(lags), trend=trend, hold_back=max(lags)).fit().params


def assert_params_close(model, params, trend, rtol=1e-8):
    """Relative 1e-8 per group: the AR coefficients against their largest, the constant against the data level."""
    n_c = int(trend == "c")
    phi = np.asarray(params[n_c:])
    np.testing.assert_allclose(model.coef_[np.asarray(model.lags_) - 1], phi, rtol=rtol,
                               atol=rtol * np.max(np.abs(phi)))
    if n_c:
        level = np.abs(model.y_.to_numpy()).mean()
        level = np.log1p(level) if model.transform else level
        np.testing.assert_allclose(model.intercept_, params[0], rtol=rtol, atol=rtol * level)


lag_specs = st.one_of(st.integers(1, 30), st.lists(st.integers(1, 60), min_size=1, max_size=5, unique=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lags=lag_specs, trend=st.sampled_from(["c", "n"]), transform=st.sampled_from([None, "log", "log1p"]),
       scale=st.sampled_from([1e-3, 1.0, 1e10]), lengths=st.lists(st.integers(150, 400), min_size=1, max_size=6),
       seed=st.integers(0, 10_000))
def test_fit_many_equals_statsmodels_per_series(lags, trend, transform, scale, lengths, seed):
    template = ARForecaster(lags=lags, trend=trend, transform=transform, horizon=5)
    series = {f"s{i}": ar_series(n, seed + i, scale=scale) for i, n in enumerate(lengths)}
    series["twin"] = series["s0"].copy()  # same length as s0: solved in one stacked group
    models = fit_many(template, series)
    assert list(models) == list(series)
    lag_list = list(range(1, lags + 1)) if isinstance(lags, int) else sorted(lags)
    for key, y in series.items():
        model, one = models[key], clone(template).fit(y)
        assert type(model) is ARForecaster and model.get_params() == template.get_params()
        assert_params_close(model, statsmodels_params(y, lag_list, trend, transform), trend)
        assert (model.order_, model.lags_, model.context_length_) == (one.order_, one.lags_, one.context_length_)
        assert model.exog_coef_ is None and model.exog_columns_ is None and not model.is_global_
        pd.testing.assert_series_equal(model.y_, one.y_)
        pd.testing.assert_series_equal(model.predict(), one.predict(), rtol=1e-8)


def random_ar(n, seed, order, level=10.0):
    """An AR(order) process with random stable coefficients plus a level: orders differ between series."""
    rng = np.random.default_rng(seed)
    roots = rng.uniform(0.2, 0.9, order) * rng.choice([-1, 1], order)
    phi = -np.atleast_1d(np.poly(roots))[1:]  # real roots inside the unit circle: stationary
    e, y = rng.normal(size=n + 50), np.zeros(n + 50)
    for t in range(order, n + 50):
        y[t] = phi @ y[t - order : t][::-1] + e[t] if order else e[t]
    return pd.Series(level + y[50:], index=pd.date_range("2024-01-01", periods=n, freq="h"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(max_lags=st.integers(0, 12), ic=st.sampled_from(["aic", "bic"]), trend=st.sampled_from(["c", "n"]),
       orders=st.lists(st.integers(0, 6), min_size=1, max_size=6), lengths=st.data(), seed=st.integers(0, 10_000))
def test_select_orders_chooses_what_ar_select_order_chooses(max_lags, ic, trend, orders, lengths, seed):
    from statsmodels.tsa.ar_model import ar_select_order

    series = [random_ar(lengths.draw(st.integers(60, 300)), seed + i, o).to_numpy() for i, o in enumerate(orders)]
    chosen, ok = select_orders(series, max_lags, ic, trend)
    assert ok.all()
    for y, p in zip(series, chosen):
        with blas_threads(1):
            sel = ar_select_order(y, max_lags, ic=ic, trend=trend, hold_back=max_lags, glob=False)
        expected = len(sel.ar_lags or [])
        if p != expected:  # only a tie to rounding may go either way
            values = {len(k): v for k, v in getattr(sel, ic).items()}
            assert abs(values[p] - values[expected]) <= 1e-8 * abs(values[expected]), (p, expected, values)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ic=st.sampled_from(["aic", "bic"]), trend=st.sampled_from(["c", "n"]),
       transform=st.sampled_from([None, "log1p"]), orders=st.lists(st.integers(0, 5), min_size=1, max_size=5),
       seed=st.integers(0, 10_000))
def test_fit_many_with_auto_lags_equals_one_fit_per_series(ic, trend, transform, orders, seed):
    template = ARForecaster(lags="auto", max_lags=8, ic=ic, trend=trend, transform=transform, horizon=4)
    series = {f"s{i}": random_ar(120 + 37 * i, seed + i, o, level=1000.0) for i, o in enumerate(orders)}
    models = fit_many(template, series)
    for key, y in series.items():
        one = clone(template).fit(y)
        assert (models[key].order_, models[key].lags_) == (one.order_, one.lags_)
        if one.lags_:
            params = statsmodels_params(y, one.lags_, trend, transform)
            assert_params_close(models[key], params, trend)
        pd.testing.assert_series_equal(models[key].predict(), one.predict(), rtol=1e-8)


def test_batched_solve_matches_statsmodels_on_traffic_sized_values():
    """Values ~1e10 (the Cortez link is 1e9..1e10 bits) do not cost accuracy: the design is centred and scaled."""
    rng = np.random.default_rng(1)
    series = {i: ar_series(1000, i, level=5e9) + rng.normal(0, 1e6, 1000) for i in range(8)}
    models = fit_many(ARForecaster(lags=24), series)
    for key, y in series.items():
        assert_params_close(models[key], statsmodels_params(y, range(1, 25), "c", None), "c")


@pytest.mark.data
@pytest.mark.skipif(not DATA_DIR or not (Path(DATA_DIR) / MILAN).exists(),
                    reason="TSFORECAST_DATA_DIR is not set or lacks the Milan file")
def test_fit_many_equals_statsmodels_on_every_milan_cell():
    from tsforecast.datasets import load_dataset
    from tsforecast.multiseries import long_to_dict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        series = long_to_dict(load_dataset("milan_cells", missing="ffill").data)
    series = {k: s for k, s in series.items() if len(s) > 100}
    for template, n in ((ARForecaster(lags=24), None), (ARForecaster(lags=[1, 2, 24], transform="log1p"), 40)):
        series = dict(list(series.items())[:n])
        models = fit_many(template, series)
        lags = template._lag_list()
        for key, y in series.items():
            assert_params_close(models[key], statsmodels_params(y, lags, "c", template.transform), "c")


def test_routes_the_batched_solve_does_not_take_give_the_one_series_fit_exactly():
    y = ar_series(300, 0)
    X = pd.DataFrame({"x": np.random.default_rng(0).normal(size=300)}, index=y.index)
    gappy = y.copy()
    gappy.iloc[[40, 41, 200]] = np.nan
    const = pd.Series(5.0, index=y.index)
    cases = [(ARForecaster(lags=3, exog_lags=2), {"a": y}, {"a": X}, "raise"),
             (ARForecaster(lags=3, calendar=("hour",)), {"a": y}, None, "raise"),
             (ARForecaster(lags=4), {"c": const}, None, "raise")]  # singular design: statsmodels' answer
    for template, series, X_, missing in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models = fit_many(template, series, X_, missing=missing)
            for key, y_ in series.items():
                one = clone(template).fit(y_, None if X_ is None else X_[key], missing=missing)
                for attr in ("order_", "lags_", "intercept_", "context_length_", "exog_columns_"):
                    assert getattr(models[key], attr) == getattr(one, attr), (template, attr)
                np.testing.assert_array_equal(models[key].coef_, one.coef_)
                Xf = None if X_ is None else X.reindex(y.index.append(pd.date_range(y.index[-1], periods=4,
                                                                                   freq="h")[1:]))
                Xf = None if Xf is None else Xf.fillna(0.0)
                pd.testing.assert_series_equal(models[key].predict(3, X=Xf), one.predict(3, X=Xf))


def test_missing_values_are_filled_per_series_then_solved_with_the_others():
    y = ar_series(300, 0)
    gappy = y.copy()
    gappy.iloc[[40, 41, 200]] = np.nan
    for missing in ("interpolate", "ffill"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models = fit_many(ARForecaster(lags=4), {"a": gappy, "b": y}, missing=missing)
            one = ARForecaster(lags=4).fit(gappy, missing=missing)
        pd.testing.assert_series_equal(models["a"].y_, one.y_)
        assert_params_close(models["a"], statsmodels_params(one.y_, range(1, 5), "c", None), "c")


def test_bad_series_are_named_or_collected_and_the_others_fitted():
    series = {"ok": ar_series(200, 0), "short": ar_series(20, 1), "neg": -ar_series(200, 2), "ok2": ar_series(200, 3)}
    template = ARForecaster(lags=24, transform="log")
    with pytest.raises(NotEnoughDataError, match="series 'short'"):
        fit_many(template, series)
    models, failures = fit_each(template, series)
    assert list(models) == ["ok", "ok2"] and list(failures) == ["short", "neg"]
    for key, exc in failures.items():
        with pytest.raises(type(exc), match=str(exc)[:40]):
            clone(template).fit(series[key])
    with pytest.raises(ParameterError):
        fit_many(ARForecaster(lags=-1), series)
    with pytest.raises(ExogenousError, match="series 'short': X has no exogenous data"):
        fit_many(ARForecaster(lags=2), series, X={"ok": None})


def test_batched_models_save_load_update_and_backtest_like_one_fit(tmp_path):
    y = ar_series(400, 5)
    template = ARForecaster(lags=[1, 2, 24], transform="log1p", horizon=6)
    model, one = fit_many(template, {"a": y.iloc[:350]})["a"], clone(template).fit(y.iloc[:350])
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    pd.testing.assert_series_equal(loaded.predict(), model.predict())
    with pytest.raises(AttributeError, match="not kept by save/load_model"):
        loaded.results_
    assert not hasattr(loaded, "results_")
    origins = np.arange(300, 395)
    np.testing.assert_allclose(model.predict_at(y, origins, 6), one.predict_at(y, origins, 6), rtol=1e-10)
    # results_ is built on demand from the training points, also after update() appended more.
    model.update(y.iloc[350:])
    one.update(y.iloc[350:])
    pd.testing.assert_series_equal(model.predict(), one.predict(), rtol=1e-10)
    np.testing.assert_allclose(model.results_.params, one.results_.params, rtol=1e-8)
    assert model.results_.nobs == one.results_.nobs == 350 - 24


def test_predict_many_equals_predict_for_mixed_orders_and_transforms():
    series = {i: ar_series(200 + 10 * i, i) for i in range(6)}
    fitted = []
    for i, (lags, transform) in enumerate([(1, None), (3, "log"), ([2, 5], None), (3, None), (1, "log1p"), (6, "log")]):
        fitted.append(fit_many(ARForecaster(lags=lags, transform=transform), {i: series[i]})[i])
    got = predict_many(fitted, 7)
    want = np.stack([m.predict(7).to_numpy() for m in fitted])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    arx = ARForecaster(lags=1).fit(series[0], pd.DataFrame({"x": np.ones(200)}, index=series[0].index))
    with pytest.raises(ExogenousError):
        predict_many([arx], 2)


def test_solve_ar_flags_the_series_it_cannot_solve_accurately():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(5, 120)).cumsum(axis=1)
    Y[1] = 3.0  # constant: nothing to regress on
    Y[2, 50] = np.nan
    Y[3] = np.tile([1.0, 2.0, 4.0], 40)  # exactly periodic: lags 1 and 4 are the same column
    params, ok = solve_ar(Y, range(1, 6), "c")
    assert ok.tolist() == [True, False, False, False, True]
    assert np.isnan(params[~ok]).all()
    for i in (0, 4):
        np.testing.assert_allclose(params[i], AutoReg(Y[i], 5, hold_back=5).fit().params, rtol=1e-8)


def test_ill_conditioned_designs_are_refined_or_left_to_statsmodels():
    """Two pure cycles plus noise: the smaller the noise, the closer the 24 lag columns are to collinear
    (condition number 3e6 at noise 1e-3, 3e7 at 1e-4, 3e8 at 1e-5). Normal equations alone lose ~cond^2 * eps;
    the refinement step recovers 1e-8, and where it cannot the series is fitted by statsmodels itself."""
    t = np.arange(400)
    rng = np.random.default_rng(0)
    cycles = 10 + np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 12)
    index = pd.date_range("2024-01-01", periods=400, freq="h")
    series = {noise: pd.Series(cycles + noise * rng.normal(size=400), index=index) for noise in (1e-3, 1e-4, 1e-5)}
    params, ok = solve_ar(np.stack(list(series.values())), range(1, 25), "c")
    assert ok.tolist() == [True, True, False]
    models = fit_many(ARForecaster(lags=24), series)
    for noise, y in series.items():
        want = AutoReg(y.to_numpy(), 24, hold_back=24).fit().params
        if noise == 1e-5:  # fitted by statsmodels: exactly its answer
            np.testing.assert_array_equal(models[noise].coef_, want[1:])
        else:
            assert_params_close(models[noise], want, "c")


def test_chunk_inputs_do_not_share_an_index_with_a_series_of_other_steps():
    """s1 starts like s0, has as many rows and the same first step, but a gap later: it is not regular."""
    stamps = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00", "2024-01-01 03:00"])
    gappy = stamps[:3].append(pd.DatetimeIndex(["2024-01-01 05:00"]))
    df = pd.DataFrame({"id": ["s0"] * 4 + ["s1"] * 4, "timestamp": stamps.append(gappy), "value": np.arange(8.0)})
    job = load_job({"input": __file__, "output": "unused", "model": "naive", "horizon": 1})
    series, errors = chunk_inputs(job, bio.SeriesChunk.from_items(list(df.groupby("id", sort=False))))
    assert list(series) == ["s0"] and [k for k, _ in errors] == ["s1"] and "FrequencyError" in errors[0][1]


# -- batch jobs -----------------------------------------------------------------------------------------------------
def long_frame(series: dict) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"id": k, "timestamp": s.index, "value": s.to_numpy()}) for k, s in series.items()],
                     ignore_index=True)


def run_both_routes(tmp_path, df, monkeypatch, **job):
    path = tmp_path / "in.parquet"
    df.to_parquet(path)
    base = {"input": str(path), "model": "ar", "horizon": 6, "params": {"lags": 24}, "run": {"chunk_size": 7}}
    base.update(job)
    run_batch({**base, "output": str(tmp_path / "batched")}, progress=False)
    with monkeypatch.context() as m:
        m.setattr(runner, "_batched_ar", lambda job: None)  # the route of one fit per series
        run_batch({**base, "output": str(tmp_path / "single")}, progress=False)
    return tmp_path / "batched", tmp_path / "single"


def test_local_ar_job_gives_the_forecasts_and_errors_of_one_fit_per_series(tmp_path, monkeypatch):
    series = {f"s{i:02d}": ar_series(150 + 20 * (i % 4), i) for i in range(16)}
    series["short"] = ar_series(30, 99)
    series["gap"] = ar_series(150, 98).drop(ar_series(150, 98).index[70])  # irregular timestamps
    series["nan"] = ar_series(150, 97).where(lambda s: s.index != s.index[80])
    df = long_frame(series)
    batched, single = run_both_routes(tmp_path, df, monkeypatch, save_models=str(tmp_path / "models"))
    a, b = read_forecasts(batched), read_forecasts(single)
    pd.testing.assert_frame_equal(a.drop(columns="forecast"), b.drop(columns="forecast"))
    np.testing.assert_allclose(a["forecast"], b["forecast"], rtol=1e-10)
    pd.testing.assert_frame_equal(pd.read_csv(batched / "errors.csv"), pd.read_csv(single / "errors.csv"))
    assert sorted(pd.read_csv(batched / "errors.csv", keep_default_na=False)["id"]) == ["gap", "nan", "short"]
    kept = load_model(tmp_path / "models" / runner.model_folder("s03"))
    np.testing.assert_allclose(kept.predict(6).to_numpy(), a.loc[a["id"] == "s03", "forecast"], rtol=1e-12)


def test_integer_steps_and_missing_interpolate_take_the_same_route_results(tmp_path, monkeypatch):
    series = {f"s{i}": ar_series(120, i).reset_index(drop=True) for i in range(5)}
    series["s1"].iloc[30] = np.nan
    df = long_frame(series)
    batched, single = run_both_routes(tmp_path, df, monkeypatch, missing="interpolate", params={"lags": 6})
    a, b = read_forecasts(batched), read_forecasts(single)
    assert a["timestamp"].tolist()[:6] == list(range(120, 126))
    pd.testing.assert_frame_equal(a.drop(columns="forecast"), b.drop(columns="forecast"))
    np.testing.assert_allclose(a["forecast"], b["forecast"], rtol=1e-10)


@st.composite
def messy_tables(draw):
    """Long tables whose series may be unsorted, gappy, duplicated, short, hold NaN/inf, or use integer steps."""
    n_series = draw(st.integers(1, 6))
    ints = draw(st.booleans())
    frames = []
    for i in range(n_series):
        n = draw(st.integers(1, 12))
        steps = np.arange(n) * draw(st.sampled_from([1, 1, 2]))
        stamps = steps + 3 if ints else pd.Timestamp("2024-01-01") + pd.to_timedelta(steps, unit="h")
        values = np.arange(n, dtype=float) + i
        frame = pd.DataFrame({"id": f"s{i}", "timestamp": stamps, "value": values})
        trouble = draw(st.sampled_from(["none", "none", "nan", "inf", "swap", "dup", "drop"]))
        if trouble == "nan" and n:
            frame.loc[draw(st.integers(0, n - 1)), "value"] = np.nan
        elif trouble == "inf" and n:
            frame.loc[draw(st.integers(0, n - 1)), "value"] = np.inf
        elif trouble == "swap" and n > 1:
            frame = frame.iloc[[1, 0, *range(2, n)]]
        elif trouble == "dup" and n > 1:
            frame.loc[n - 1, "timestamp"] = frame.loc[n - 2, "timestamp"]
        elif trouble == "drop" and n > 3:
            frame = frame.drop(index=n // 2)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), draw(st.sampled_from(["raise", "interpolate", "ffill"]))


@settings(max_examples=60, deadline=None)
@given(table=messy_tables())
def test_chunk_inputs_equal_series_inputs_one_by_one(table):
    df, missing = table
    job = load_job({"input": __file__, "output": "unused", "model": "naive", "horizon": 1, "missing": missing})
    chunk = bio.SeriesChunk.from_items(list(df.groupby("id", sort=False)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, errors = chunk_inputs(job, chunk)
        want, want_errors = {}, []
        for key, rows in chunk.items():
            try:
                want[key] = series_inputs(job, key, rows)
            except Exception as exc:  # noqa: BLE001 - compared by message below
                want_errors.append((key, reason(exc)))
    assert errors == want_errors
    assert list(got) == list(want)
    for key in want:
        pd.testing.assert_series_equal(got[key][0], want[key][0], check_freq=True)
        assert getattr(got[key][0].index, "freq", None) == getattr(want[key][0].index, "freq", None)


def test_chunks_cut_across_blocks_hold_every_row_once(tmp_path, monkeypatch):
    df = long_frame({f"s{i}": ar_series(5 + i, i) for i in range(9)})
    df.to_parquet(tmp_path / "in.parquet")
    monkeypatch.setattr(bio, "BLOCK_ROWS", 4)
    chunks = list(bio.iter_chunks([tmp_path / "in.parquet"], 4, skip={1}))
    assert [i for i, _ in chunks] == [0, 1, 2] and chunks[1][1] is None
    got = {k: rows for _, c in chunks if c is not None for k, rows in c.items()}
    assert list(got) == ["s0", "s1", "s2", "s3", "s8"]
    for key, rows in got.items():
        np.testing.assert_array_equal(rows["value"].to_numpy(), df.loc[df["id"] == key, "value"].to_numpy())


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "object"])
def test_runs_of_ids_are_found_for_every_parquet_string_type_and_a_missing_id_is_named(tmp_path, dtype):
    ids = ["a", "a", "b", "b", "b", "NA", "NA"]
    df = pd.DataFrame({"id": pd.array(ids, dtype=dtype), "timestamp": pd.date_range("2024", periods=7, freq="h"),
                       "value": np.arange(7.0)})
    df.to_parquet(tmp_path / "in.parquet")
    assert bio.scan_ids([tmp_path / "in.parquet"]) == [("a", 2), ("b", 3), ("NA", 2)]
    (_, chunk), = bio.iter_chunks([tmp_path / "in.parquet"], 10)
    assert chunk.keys == ["a", "b", "NA"] and chunk.bounds.tolist() == [0, 2, 5, 7]
    df.loc[3, "id"] = None
    df.to_parquet(tmp_path / "gap.parquet")
    with pytest.raises(DataFileError, match="data row 4: id is empty"):
        bio.scan_ids([tmp_path / "gap.parquet"])


def test_id_scan_over_many_row_groups_and_blocks_equals_a_count_of_the_rows(tmp_path, monkeypatch):
    # Each Parquet row group has its own dictionary of ids, and a series may run across blocks and groups.
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 9, size=40)
    ids = np.repeat([f"id{i:02d}" for i in range(40)], lengths)
    df = pd.DataFrame({"id": ids, "timestamp": np.arange(len(ids)), "value": np.arange(len(ids), dtype=float)})
    df.to_parquet(tmp_path / "in.parquet", row_group_size=7)
    df.assign(id=np.repeat(np.arange(40), lengths)).to_parquet(tmp_path / "int.parquet", row_group_size=7)
    monkeypatch.setattr(bio, "SCAN_ROWS", 5)
    truth = [(f"id{i:02d}", int(n)) for i, n in enumerate(lengths)]
    assert bio.scan_ids([tmp_path / "in.parquet"]) == truth
    assert bio.scan_ids([tmp_path / "int.parquet"]) == [(str(i), int(n)) for i, n in enumerate(lengths)]
    df.to_csv(tmp_path / "in.csv", index=False)
    assert bio.scan_ids([tmp_path / "in.csv"]) == truth
