"""Operator paths of the command line: calibrated intervals from ``fit --calibrate``, dataset names for ``--data``,
backtest coverage and the MASE season. Truths: the Python API, brute-force loops over the written files, hand MASE."""

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.cli import main

ROOT = Path(__file__).resolve().parents[1]
N = 24 * 12  # hourly points in the test series


def hourly(n=N, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 100 + 20 * np.sin(2 * np.pi * t / 24) + np.cumsum(rng.normal(0, 1, n)) + rng.normal(0, 2, n)
    return pd.Series(values, index=pd.date_range("2022-01-01", periods=n, freq="h"))


@pytest.fixture
def files(tmp_path):
    y = hourly()
    pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()}).to_csv(tmp_path / "series.csv", index=False)
    pd.DataFrame({"timestamp": np.arange(10, 10 + 200), "value": y.to_numpy()[:200]}).to_csv(
        tmp_path / "steps.csv", index=False)
    pd.DataFrame({"id": np.repeat(["a", "b"], 30), "timestamp": np.tile(y.index[:30], 2),
                  "value": np.r_[y.to_numpy()[:30], y.to_numpy()[30:60]]}).to_csv(tmp_path / "long.csv", index=False)
    return tmp_path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli(*argv, cwd):
    """``python -m tsforecast ...`` in a real process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TSFORECAST_PROGRESS": "0"}
    return subprocess.run([sys.executable, "-m", "tsforecast", *map(str, argv)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def tail_start(n, fraction):
    return n - math.ceil(fraction * n - 1e-9)


def naive_errors(values, start, horizon):
    """Brute force: the naive forecast from origin o is values[o - 1] at every lead."""
    return np.array([[values[o + j] - values[o - 1] for j in range(horizon)]
                     for o in range(start, len(values) - horizon + 1)])


def conformal_half(errors, coverage):
    """By hand: the ceil((n + 1) * coverage)-th smallest absolute error per lead."""
    k = math.ceil((len(errors) + 1) * coverage - 1e-9)
    return np.sort(np.abs(errors), axis=0)[k - 1]


# -- 1. fit --calibrate / predict --interval ------------------------------------------------
def test_calibrated_interval_from_the_cli_equals_the_python_api(tmp_path):
    """Real processes, on the built-in dataset by name: fit --calibrate, predict --interval."""
    from tsforecast import get_forecaster, load_model
    from tsforecast.datasets import load_dataset

    y = load_dataset("traffic_synthetic").data
    fit = cli("fit", "--model", "ar", "--param", "lags=3", "--data", "traffic_synthetic", "--out", "m",
              "--calibrate", 0.1, "--horizon", 6, "--coverage", 0.9, cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr
    pred = cli("predict", "--model", "m", "--horizon", 6, "--interval", 0.9, "--out", "iv.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr

    start = tail_start(len(y), 0.1)
    head = get_forecaster("ar", lags=3).fit(y.iloc[:start]).calibrate(y, horizon=6)
    final = get_forecaster("ar", lags=3).fit(y)
    final.conformal_errors_ = head.conformal_errors_
    want = final.predict_interval(6, coverage=0.9)
    got = pd.read_csv(tmp_path / "iv.csv", parse_dates=["timestamp"])
    assert list(got.columns) == ["timestamp", "forecast", "lower", "upper"]
    assert list(got["timestamp"]) == list(want.index)
    for col in ("forecast", "lower", "upper"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-10)
    saved = load_model(tmp_path / "m")  # the errors survive save/load, and the model was refitted on all of y
    np.testing.assert_array_equal(saved.conformal_errors_, head.conformal_errors_)
    assert saved.conformal_errors_.shape == (len(y) - start - 6 + 1, 6)
    pd.testing.assert_series_equal(saved.y_, final.y_, check_names=False)
    assert f"calibrated on {len(y) - start - 5} forecast origins" in fit.stdout


def test_calibration_errors_and_interval_by_hand(files, capsys):
    from tsforecast import load_model

    y = hourly()
    argv = ["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "m", "--calibrate", 0.25,
            "--horizon", 4]
    assert run(argv, capsys)[0] == 0
    start = tail_start(N, 0.25)
    errors = naive_errors(y.to_numpy(), start, 4)
    model = load_model(files / "m")
    np.testing.assert_allclose(model.conformal_errors_, errors)
    assert len(model.y_) == N  # the final model is fitted on all the data
    assert run(["predict", "--model", files / "m", "--horizon", 3, "--interval", 0.8, "--out", files / "iv.csv"],
               capsys)[0] == 0
    got = pd.read_csv(files / "iv.csv")
    np.testing.assert_allclose(got["forecast"], y.iloc[-1])
    np.testing.assert_allclose(got["upper"] - got["forecast"], conformal_half(errors, 0.8)[:3])
    np.testing.assert_allclose(got["forecast"] - got["lower"], conformal_half(errors, 0.8)[:3])


def test_calibrate_from_a_date_equals_the_matching_fraction(files, capsys):
    from tsforecast import load_model

    y = hourly()
    start = tail_start(N, 0.25)
    base = ["fit", "--model", "naive", "--data", files / "series.csv", "--horizon", 2]
    assert run(base + ["--out", files / "a", "--calibrate", 0.25], capsys)[0] == 0
    assert run(base + ["--out", files / "b", "--calibrate-from", str(y.index[start])], capsys)[0] == 0
    # a time between two points: the tail starts at the next point
    between = str(y.index[start - 1] + pd.Timedelta("30min"))
    assert run(base + ["--out", files / "c", "--calibrate-from", between], capsys)[0] == 0
    want = load_model(files / "a").conformal_errors_
    for name in "bc":
        np.testing.assert_array_equal(load_model(files / name).conformal_errors_, want)
    # integer timestamps: DATE is one of them (the file's steps start at 10)
    assert run(["fit", "--model", "naive", "--data", files / "steps.csv", "--out", files / "d", "--calibrate-from",
                110], capsys)[0] == 0
    np.testing.assert_allclose(load_model(files / "d").conformal_errors_, naive_errors(y.to_numpy()[:200], 100, 1))


@settings(max_examples=15, deadline=None)
@given(fraction=st.floats(0.01, 0.5), horizon=st.integers(1, 12), coverage=st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_fit_calibrates_exactly_when_the_tail_gives_enough_errors(fraction, horizon, coverage):
    from tsforecast import load_model

    y = hourly(120, seed=3)
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "y.csv"
        pd.DataFrame({"timestamp": y.index, "value": y.to_numpy()}).to_csv(data, index=False)
        code = main(["-q", "fit", "--model", "naive", "--data", str(data), "--out", str(Path(d) / "m"),
                     "--calibrate", repr(fraction), "--horizon", str(horizon), "--coverage", str(coverage)])
        start = tail_start(120, fraction)
        n_errors, need = 120 - start - horizon + 1, math.ceil(coverage / (1 - coverage) - 1e-9)
        assert code == (0 if n_errors >= need else 2)
        assert (Path(d) / "m").exists() == (code == 0)  # a refused fit writes nothing
        if code == 0:
            np.testing.assert_allclose(load_model(Path(d) / "m").conformal_errors_,
                                       naive_errors(y.to_numpy(), start, horizon))


FIT_ERRORS = {
    "tail too short": (["--calibrate", "0.02"], "intervals need at least 9"),
    "tail too short for 95%": (["--calibrate", "0.05", "--coverage", "0.95"], "need at least 19"),
    "date before the data": (["--calibrate-from", "2021-12-31"], "at or before the first point"),
    "date after the data": (["--calibrate-from", "2023-01-01"], "tail has 0 point(s)"),
    "not a date": (["--calibrate-from", "last tuesday"], "is not a timestamp"),
    "time zone mismatch": (["--calibrate-from", "2022-01-10T00:00+01:00"], "time zone"),
    "interpolate leaks the tail": (["--calibrate", "0.2", "--missing", "interpolate"], "use --missing ffill"),
    "horizon without calibrate": (["--horizon", "3"], "use them with --calibrate"),
    "steps file with a date": (["--calibrate-from", "2022-01-05"], "integer steps"),
    "many series": (["--calibrate", "0.3"], "many series"),
    "no head left": (["--calibrate", "0.999"], "nothing to fit on"),
}


@pytest.mark.parametrize("case", FIT_ERRORS)
def test_fit_calibrate_refusals_are_one_clear_line(case, files, capsys):
    extra, needle = FIT_ERRORS[case]
    data = {"steps file with a date": "steps.csv", "many series": "long.csv"}.get(case, "series.csv")
    code, _, err = run(["fit", "--model", "naive", "--data", files / data, "--out", files / "m", *extra], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tsforecast: error: ") and needle in lines[0], err
    assert not (files / "m").exists()


def test_calibrate_options_are_checked_by_the_parser(files, capsys):
    base = ["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "m"]
    both = ["--calibrate", "0.2", "--calibrate-from", "2022-01-05"]
    for extra in (["--calibrate", "1.5"], ["--calibrate", "0"], both):
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in base + extra])
        assert exc.value.code == 2
    assert "fraction in (0, 1)" in capsys.readouterr().err


def test_predict_interval_on_an_uncalibrated_model_is_one_line_in_a_real_process(files, capsys):
    assert run(["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "plain"], capsys)[0] == 0
    proc = cli("predict", "--model", "plain", "--horizon", 3, "--interval", 0.9, "--out", "f.csv", cwd=files)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not calibrated" in lines[0] and "fit it with --calibrate" in lines[0], proc.stderr
    assert not (files / "f.csv").exists()
    # beyond the calibrated lead times: the option to use, not the Python call
    assert run(["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "cal", "--calibrate",
                0.2, "--horizon", 2], capsys)[0] == 0
    code, _, err = run(["predict", "--model", files / "cal", "--horizon", 5, "--interval", 0.9, "--out",
                        files / "f.csv"], capsys)
    assert code == 2 and "calibrated for 2 lead time(s)" in err and "--horizon 5" in err


# -- 2. dataset names for --data -----------------------------------------------------------------
def test_dataset_names_work_for_fit_and_predict(tmp_path, capsys):
    from tsforecast import SeasonalNaiveForecaster, load_model
    from tsforecast.datasets import load_dataset

    y = load_dataset("traffic_synthetic").data
    assert run(["fit", "--model", "seasonal_naive", "--data", "traffic_synthetic", "--out", tmp_path / "m"],
               capsys)[0] == 0
    np.testing.assert_array_equal(load_model(tmp_path / "m").y_.to_numpy(), y.to_numpy())
    assert run(["predict", "--model", tmp_path / "m", "--horizon", 5, "--data", "traffic_synthetic", "--out",
                tmp_path / "f.csv"], capsys)[0] == 0
    want = SeasonalNaiveForecaster().fit(y.iloc[:100]).predict(5, y=y)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "f.csv")["forecast"], want.to_numpy())


@pytest.mark.parametrize("command", [["fit", "--out", "{d}/m"], ["predict", "--model", "{d}/m", "--horizon", "2",
                                                                   "--out", "{d}/f.csv"],
                                     ["backtest", "--model", "naive", "--horizon", "2", "--initial", "50"]])
def test_unknown_data_name_lists_the_datasets(command, tmp_path, capsys):
    from tsforecast.datasets import list_datasets

    if command[0] == "predict":
        assert run(["fit", "--model", "naive", "--data", "traffic_synthetic", "--out", tmp_path / "m"], capsys)[0] == 0
    argv = [a.format(d=tmp_path) for a in command] + ["--data", "trafic_synthetic"]
    if command[0] == "fit":
        argv += ["--model", "naive"]
    code, _, err = run(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "'trafic_synthetic' is not a dataset name" in err and "does not exist" in err
    assert all(name in err for name in list_datasets())


def test_a_price_table_dataset_is_refused_with_what_to_do(tmp_path, capsys):
    code, _, err = run(["fit", "--model", "naive", "--data", "sp500", "--out", tmp_path / "m"], capsys)
    assert code == 2 and "several price columns" in err and "trading_day_series" in err


@pytest.mark.data
@pytest.mark.skipif(not os.environ.get("TSFORECAST_DATA_DIR"), reason="TSFORECAST_DATA_DIR is not set")
def test_real_dataset_by_name(tmp_path, capsys):
    from tsforecast import load_model
    from tsforecast.datasets import load_dataset

    try:
        y = load_dataset("cortez_a1d").data
    except Exception as exc:  # noqa: BLE001 - the file is not there: skip with the loader's reason
        pytest.skip(str(exc))
    code, out, err = run(["fit", "--model", "naive", "--data", "cortez_a1d", "--out", tmp_path / "m",
                          "--calibrate", 0.3], capsys)
    assert code == 0, err
    start = tail_start(len(y), 0.3)
    np.testing.assert_allclose(load_model(tmp_path / "m").conformal_errors_, naive_errors(y.to_numpy(), start, 1))
    code, out, _ = run(["backtest", "--model", "naive", "--data", "cortez_a1d", "--horizon", 1, "--initial", 30],
                       capsys)
    assert code == 0 and "m=7 " in out  # daily data: the weekly season


# -- 3. backtest --coverage and the MASE season --------------------------------------------------
def test_backtest_coverage_and_mase_match_brute_force_from_the_files(tmp_path):
    """Real process on the built-in dataset: coverage, width and MASE(m=24) recomputed from --predictions."""
    from tsforecast.datasets import load_dataset

    y = load_dataset("traffic_synthetic").data
    initial, horizon = 1200, 3
    proc = cli("backtest", "--model", "naive", "--data", "traffic_synthetic", "--horizon", horizon, "--initial",
               initial, "--coverage", 0.8, "--out", "metrics.csv", "--predictions", "preds.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "m=24 " in proc.stdout and "intervals: online split-conformal at 80%" in proc.stdout
    metrics = pd.read_csv(tmp_path / "metrics.csv").set_index("step")
    preds = pd.read_csv(tmp_path / "preds.csv", parse_dates=["origin", "timestamp"])
    assert {"coverage", "width", "mase"} <= set(metrics.columns)

    # Each interval uses only the errors of earlier origins whose target the origin has seen.
    pos = {t: i for i, t in enumerate(y.index)}
    origin = preds["origin"].map(pos).to_numpy() + 1  # forecasts y[o:] from y[:o]
    step, err = preds["step"].to_numpy(), (preds["y_true"] - preds["y_pred"]).abs().to_numpy()
    half = (preds["upper"] - preds["y_pred"]).to_numpy()
    for i in range(len(preds)):
        known = err[(step == step[i]) & (origin + step[i] <= origin[i])]
        k = math.ceil((len(known) + 1) * 0.8 - 1e-9)
        if k > len(known):
            assert np.isnan(half[i])
        else:
            assert half[i] == pytest.approx(np.sort(known)[k - 1])

    has = preds["lower"].notna()
    inside = (preds["y_true"] >= preds["lower"]) & (preds["y_true"] <= preds["upper"])
    assert metrics.loc["all", "coverage"] == pytest.approx(inside[has].mean())
    assert metrics.loc["all", "width"] == pytest.approx((preds["upper"] - preds["lower"])[has].mean())
    for h in range(1, horizon + 1):
        rows = has & (preds["step"] == h)
        assert metrics.loc[str(h), "coverage"] == pytest.approx(inside[rows].mean())

    train = y.to_numpy()[:initial]
    scale = np.mean(np.abs(train[24:] - train[:-24]))
    assert metrics.loc["all", "mase"] == pytest.approx((preds["y_true"] - preds["y_pred"]).abs().mean() / scale)
    for h in range(1, horizon + 1):
        rows = preds["step"] == h
        assert metrics.loc[str(h), "mase"] == pytest.approx(
            (preds["y_true"] - preds["y_pred"])[rows].abs().mean() / scale)


def _mase_by_hand(data_file, preds_file, initial, m):
    train = pd.read_csv(data_file)["value"].to_numpy()[:initial]
    preds = pd.read_csv(preds_file)
    return (preds["y_true"] - preds["y_pred"]).abs().mean() / np.mean(np.abs(train[m:] - train[:-m]))


def test_seasonal_period_overrides_the_frequency_and_is_shown(files, capsys):
    argv = ["backtest", "--model", "naive", "--data", files / "series.csv", "--horizon", 2, "--initial", 200,
            "--out", files / "metrics.csv", "--predictions", files / "preds.csv"]
    code, out, _ = run(argv + ["--seasonal-period", 12], capsys)
    assert code == 0 and "m=12 (--seasonal-period)" in out
    got = pd.read_csv(files / "metrics.csv").set_index("step").loc["all", "mase"]
    assert got == pytest.approx(_mase_by_hand(files / "series.csv", files / "preds.csv", 200, 12))
    code, out, _ = run(argv, capsys)
    assert code == 0 and "m=24 (the shortest season of frequency 'h'" in out
    got = pd.read_csv(files / "metrics.csv").set_index("step").loc["all", "mase"]
    assert got == pytest.approx(_mase_by_hand(files / "series.csv", files / "preds.csv", 200, 24))


def test_mase_without_a_known_season_is_left_out_and_said(files, capsys):
    argv = ["backtest", "--model", "naive", "--data", files / "steps.csv", "--horizon", 2, "--initial", 150,
            "--out", files / "metrics.csv", "--predictions", files / "preds.csv"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "MASE: not computed" in out and "--seasonal-period" in out
    assert "mase" not in pd.read_csv(files / "metrics.csv").columns and "mae" in out
    code, out, _ = run(argv + ["--seasonal-period", 1], capsys)
    assert code == 0 and "m=1 (--seasonal-period)" in out
    got = pd.read_csv(files / "metrics.csv").set_index("step").loc["all", "mase"]
    assert got == pytest.approx(_mase_by_hand(files / "steps.csv", files / "preds.csv", 150, 1))


def test_backtest_coverage_says_when_no_origin_has_enough_errors(files, capsys):
    code, out, _ = run(["backtest", "--model", "naive", "--data", files / "series.csv", "--horizon", 2, "--initial",
                        N - 6, "--coverage", 0.9], capsys)
    assert code == 0 and "intervals: none: no origin had the 9 earlier forecast errors" in out


# -- 4. help ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("command, options", [
    ("fit", ["--calibrate FRACTION", "--calibrate-from DATE", "--horizon", "--coverage LEVEL", "dataset name",
             "did not see the tail", "refitted on all the data"]),
    ("predict", ["--interval LEVEL", "--calibrate", "lower, upper"]),
    ("backtest", ["--coverage LEVEL", "--seasonal-period M", "dataset name", "24 for hourly"]),
])
def test_help_explains_the_new_options_with_an_example(command, options, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())
    assert all(o in flat for o in options), [o for o in options if o not in flat]
    examples = text.split("examples:")[1]
    assert f"tsforecast {command} " in examples
    assert any(o.split()[0] in examples for o in options if o.startswith("--"))


def test_batch_help_lists_every_job_key():
    from tsforecast.batch.job import RUN_KEYS, TOP_KEYS
    from tsforecast.cli import BATCH_DESCRIPTION

    missing = [k for k in TOP_KEYS + RUN_KEYS if k not in BATCH_DESCRIPTION]
    assert not missing, f"tsforecast batch --help does not mention job keys {missing}"
