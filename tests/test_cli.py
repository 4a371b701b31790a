"""The tsforecast command line: help, one-line errors with exit code 2, and round trips against the Python API."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsforecast.cli import build_parser, main, parse_param

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ("experiment", "fit", "predict", "backtest", "batch", "datasets", "models")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    t = np.arange(n)
    y = 50 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    series = tmp_path / "series.csv"
    pd.DataFrame({"timestamp": pd.date_range("2022-01-01", periods=n, freq="h"), "value": y}).to_csv(series, index=False)
    long = tmp_path / "long.csv"
    pd.DataFrame({"id": np.repeat(["a", "b"], 20), "timestamp": np.tile(pd.date_range("2022-01-01", periods=20, freq="D"), 2),
                  "value": rng.normal(size=40)}).to_csv(long, index=False)
    (tmp_path / "bad.toml").write_text("input = 'long.csv\nhorizon = 3\n")
    (tmp_path / "badkey.toml").write_text("input='long.csv'\noutput='o'\nmodel='naive'\nhorizon=3\nhorizn=2\n")
    (tmp_path / "badmodel.toml").write_text("input='long.csv'\noutput='o'\nmodel='no_such'\nhorizon=3\n")
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "metadata.json").write_text("{not json")
    (tmp_path / "garbage.parquet").write_bytes(b"this is not parquet")
    return tmp_path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_on_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: tsforecast {command}")
    assert "--help" in out


def test_help_lists_every_subcommand():
    text = build_parser().format_help()
    assert all(c in text for c in SUBCOMMANDS)


ERROR_CASES = {
    "fit missing data": (["fit", "--model", "naive", "--data", "{d}/nope.csv", "--out", "{d}/m"], "does not exist"),
    "fit unknown model": (["fit", "--model", "no_such", "--data", "{d}/series.csv", "--out", "{d}/m"], "unknown model 'no_such'"),
    "fit malformed param": (["fit", "--model", "naive", "--data", "{d}/series.csv", "--out", "{d}/m", "--param", "lags"], "name=value"),
    "fit bad param value": (["fit", "--model", "seasonal_naive", "--data", "{d}/series.csv", "--out", "{d}/m", "--param", "m=0"], "m must be"),
    "fit malformed data": (["fit", "--model", "naive", "--data", "{d}/garbage.parquet", "--out", "{d}/m"], "garbage.parquet"),
    "predict missing model": (["predict", "--model", "{d}/nope", "--horizon", "3", "--out", "{d}/f.csv"], "not a saved tsforecast model"),
    "predict corrupt model": (["predict", "--model", "{d}/notamodel", "--horizon", "3", "--out", "{d}/f.csv"], "not valid JSON"),
    "backtest missing data": (["backtest", "--model", "naive", "--data", "{d}/nope.csv", "--horizon", "2", "--initial", "50"], "does not exist"),
    "backtest unknown model": (["backtest", "--model", "no_such", "--data", "{d}/series.csv", "--horizon", "2", "--initial", "50"], "unknown model"),
    "batch missing job": (["batch", "{d}/nope.toml"], "does not exist"),
    "batch malformed toml": (["batch", "{d}/bad.toml"], "not valid TOML"),
    "batch unknown key": (["batch", "{d}/badkey.toml"], "unknown job key(s) ['horizn']"),
    "batch unknown model": (["batch", "{d}/badmodel.toml"], "no_such"),
    "datasets unknown name": (["datasets", "no_such"], "unknown dataset"),
    "experiment missing config": (["experiment", "{d}/nope.toml"], "nope.toml"),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_bad_input_exits_2_with_one_line(case, files, capsys):
    argv, needle = ERROR_CASES[case]
    code, out, err = run([a.format(d=files) for a in argv], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tsforecast: error: "), err
    assert needle in lines[0]


def test_bad_input_in_a_real_process_prints_one_line_no_traceback(files):
    """The same errors through `python -m tsforecast` and the console script, run side by side."""
    # One case per kind of mistake (each process pays the package import); the in-process test covers the rest.
    cases = ["fit unknown model", "backtest missing data", "batch malformed toml", "experiment missing config"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = Path(sys.executable).parent / "tsforecast"
    procs = {}
    for i, case in enumerate(cases):
        argv = [a.format(d=files) for a in ERROR_CASES[case][0]]
        prefix = [str(script)] if (i % 2 and script.exists()) else [sys.executable, "-m", "tsforecast"]
        procs[case] = subprocess.Popen(prefix + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, cwd=files)
    for case, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (case, err)
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tsforecast: error: "), (case, err)
        assert ERROR_CASES[case][1] in lines[0]


@pytest.mark.parametrize("model, params, python", [
    ("seasonal_naive", ["m=12"], {"m": 12}),
    ("ar", ["lags=3"], {"lags": 3}),
])
def test_fit_predict_round_trip_equals_python_api(model, params, python, files, capsys):
    from tsforecast import get_forecaster, list_forecasters
    from tsforecast.datasets import read_series_file

    if model not in list_forecasters():
        pytest.skip(f"model {model!r} is not registered yet")
    argv = ["fit", "--model", model, "--data", files / "series.csv", "--out", files / "model"]
    for p in params:
        argv += ["--param", p]
    assert run(argv, capsys)[0] == 0
    assert run(["predict", "--model", files / "model", "--horizon", 7, "--out", files / "f.parquet"], capsys)[0] == 0
    y = read_series_file(files / "series.csv")
    want = get_forecaster(model, **python).fit(y).predict(7)
    got = pd.read_parquet(files / "f.parquet")
    assert list(got.columns) == ["timestamp", "forecast"]
    assert list(pd.DatetimeIndex(got["timestamp"])) == list(want.index)
    np.testing.assert_allclose(got["forecast"], want.to_numpy(), rtol=1e-12)

    # From a new history, without refitting: the CLI equals predict(y=...).
    new = files / "new.csv"
    pd.DataFrame({"timestamp": y.index[:60], "value": y.to_numpy()[:60] * 2}).to_csv(new, index=False)
    assert run(["predict", "--model", files / "model", "--horizon", 4, "--data", new, "--out", files / "g.csv"], capsys)[0] == 0
    fitted = get_forecaster(model, **python).fit(y)
    want = fitted.predict(4, y=read_series_file(new))
    np.testing.assert_allclose(pd.read_csv(files / "g.csv")["forecast"], want.to_numpy(), rtol=1e-12)


def test_backtest_metrics_equal_python_backtest(files, capsys):
    from tsforecast.datasets import read_series_file
    from tsforecast.evaluation import backtest

    code, out, _ = run(["backtest", "--model", "seasonal_naive", "--param", "m=12", "--data", files / "series.csv",
                        "--horizon", 3, "--initial", 60, "--step", 2, "--out", files / "metrics.csv"], capsys)
    assert code == 0
    from tsforecast import SeasonalNaiveForecaster

    # hourly data: the CLI scales MASE by the daily season, m=24
    want = backtest(SeasonalNaiveForecaster(m=12), read_series_file(files / "series.csv"), initial=60, horizon=3,
                    step=2, seasonal_period=24).metrics
    got = pd.read_csv(files / "metrics.csv")
    assert list(got["step"].astype(str)) == [str(s) for s in want.index]
    for col in want.columns:
        np.testing.assert_allclose(got[col], want[col].to_numpy(dtype=float), rtol=1e-9)
    assert "mae" in out.lower()


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_missing_option_choices_include_ffill(command, files, capsys):
    parser = build_parser()
    required = {"fit": ["--model", "naive", "--data", "y.csv", "--out", "m"],
                "backtest": ["--model", "naive", "--data", "y.csv", "--horizon", "2", "--initial", "5"]}[command]
    for choice in ("raise", "interpolate", "ffill"):
        assert parser.parse_args([command, *required, "--missing", choice]).missing == choice
    assert parser.parse_args([command, *required]).missing == "raise"
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([command, *required, "--missing", "keep"])
    assert exc.value.code == 2 and "ffill" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "{raise,interpolate,ffill}" in text and "last observed value" in text and "safe for backtests" in text


def test_backtest_missing_ffill_equals_python_backtest(files, capsys):
    from tsforecast.datasets import read_series_file
    from tsforecast.evaluation import backtest
    from tsforecast.validation import MissingValuesWarning

    y = pd.read_csv(files / "series.csv")
    y.loc[[70, 71, 90], "value"] = np.nan
    y.to_csv(files / "gappy.csv", index=False)
    argv = ["backtest", "--model", "naive", "--data", files / "gappy.csv", "--horizon", 2, "--initial", 60,
            "--missing", "ffill", "--out", files / "metrics.csv", "--predictions", files / "pred.csv"]
    with pytest.warns(MissingValuesWarning, match="forward-filled 3"):
        assert run(argv, capsys)[0] == 0
    with pytest.warns(MissingValuesWarning):
        filled = read_series_file(files / "gappy.csv", missing="ffill")
    assert filled.iloc[70] == filled.iloc[71] == y["value"].iloc[69]  # the value before the gap
    from tsforecast import get_forecaster

    want = backtest(get_forecaster("naive"), filled, initial=60, horizon=2, seasonal_period=24).metrics
    got = pd.read_csv(files / "metrics.csv")
    for col in want.columns:
        np.testing.assert_allclose(got[col], want[col].to_numpy(dtype=float), rtol=1e-9)


def test_batch_command_runs_a_job_and_prints_a_summary(files, capsys):
    (files / "job.toml").write_text("input='long.csv'\noutput='out'\nmodel='naive'\nhorizon=2\nformat='csv'\n")
    code, out, _ = run(["batch", files / "job.toml", "--quiet"], capsys)
    assert code == 0
    assert out.strip().splitlines()[-1].startswith("batch: 2 series forecast, 0 failed")
    got = pd.read_csv(files / "out" / "part-00000.csv")
    long = pd.read_csv(files / "long.csv")
    assert got.groupby("id")["forecast"].first().to_dict() == long.groupby("id")["value"].last().to_dict()


def test_datasets_lists_names_and_prints_a_card(capsys):
    from tsforecast.datasets import list_datasets

    code, out, _ = run(["datasets"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.strip().splitlines()] == list_datasets()
    code, out, _ = run(["datasets", "traffic_synthetic"], capsys)
    assert code == 0 and "frequency" in out and "traffic_synthetic" in out


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                 st.tuples(st.integers(1, 512), st.integers(1, 512)),
                 st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1).filter(
                     lambda s: s.lower() not in ("true", "false", "none"))))
def test_param_values_are_typed_like_python(value):
    text = value if isinstance(value, str) else repr(value)
    assert parse_param(f"name={text}") == ("name", value)


def _must_not_run(what):
    def fail(*args, **kwargs):
        raise AssertionError(f"{what} ran before the output location was checked")
    return fail


def test_fit_checks_out_before_reading_or_training(files, capsys, monkeypatch):
    import tsforecast.cli as cli

    monkeypatch.setattr(cli, "read_data", _must_not_run("reading the data"))
    (files / "a_file").write_text("x")
    # Under a regular file nothing can ever be created, whoever runs it (root ignores permission bits).
    code, _, err = run(["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "a_file" / "m"], capsys)
    assert code == 2 and "a_file is a file" in err and len(err.strip().splitlines()) == 1
    (files / "docs").mkdir()
    (files / "docs" / "thesis.tex").write_text("precious")
    code, _, err = run(["fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "docs"], capsys)
    assert code == 2 and "not a saved tsforecast model" in err
    assert (files / "docs" / "thesis.tex").read_text() == "precious"


def test_fit_refuses_a_foreign_metadata_json_before_training(files, capsys, monkeypatch):
    # Any folder with a metadata.json used to pass the early check; save then refused it after training.
    from tsforecast.models.naive_model import NaiveForecaster

    monkeypatch.setattr(NaiveForecaster, "fit", _must_not_run("training"))
    out = files / "results"
    out.mkdir()
    (out / "metadata.json").write_text('{"author": "me", "experiment": 3}')
    (out / "notes.txt").write_text("my notes")
    code, _, err = run(["fit", "--model", "naive", "--data", files / "series.csv", "--out", out], capsys)
    assert code == 2 and "not a saved tsforecast model" in err and len(err.strip().splitlines()) == 1
    assert sorted(os.listdir(out)) == ["metadata.json", "notes.txt"]
    assert (out / "metadata.json").read_text() == '{"author": "me", "experiment": 3}'
    assert (out / "notes.txt").read_text() == "my notes"


def test_predict_and_backtest_check_their_output_files_first(files, capsys, monkeypatch):
    import tsforecast.evaluation
    import tsforecast.persistence

    monkeypatch.setattr(tsforecast.persistence, "load_model", _must_not_run("loading the model"))
    monkeypatch.setattr(tsforecast.evaluation, "backtest", _must_not_run("the backtest"))
    (files / "a_file").write_text("x")
    code, _, err = run(["predict", "--model", files / "m", "--horizon", 2, "--out", files / "a_file" / "f.csv"], capsys)
    assert code == 2 and "a_file is a file" in err
    code, _, err = run(["backtest", "--model", "naive", "--data", files / "series.csv", "--horizon", 2,
                        "--initial", 60, "--predictions", files / "preds.txt"], capsys)
    assert code == 2 and "--predictions" in err and ".csv or .parquet" in err


# -- models, unknown parameters, --quiet / --verbose -------------------------------------
def test_models_lists_every_registered_model_with_its_summary(capsys):
    from tsforecast.registry import list_forecasters

    code, out, _ = run(["models"], capsys)
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines] == list_forecasters()
    assert any(line.startswith("ar ") and "ARForecaster" in line and "Autoregression" in line for line in lines)
    assert "models" in build_parser().format_help()


def test_models_name_shows_every_parameter_with_default_and_meaning(capsys):
    from tsforecast.registry import get_forecaster_class, list_forecasters

    for name in list_forecasters():
        code, out, _ = run(["models", name], capsys)
        assert code == 0
        for param, default in get_forecaster_class(name)().get_params().items():
            assert f"  {param} = {default!r} " in out, (name, param)
    out = run(["models", "ar"], capsys)[1]
    assert '"log": fit on log y (needs y > 0)' in next(line for line in out.splitlines() if "transform =" in line)
    assert run(["models", "no_such"], capsys)[2].startswith("tsforecast: error: unknown model 'no_such'")


@pytest.mark.parametrize("command", [["fit", "--out", "{d}/m"], ["backtest", "--horizon", "2", "--initial", "50"]])
def test_unknown_param_names_the_valid_parameters(command, files, capsys):
    argv = [command[0], "--model", "ar", "--data", f"{files}/series.csv", "--param", "foo=1", "--param", "lags=2"]
    code, _, err = run(argv + [a.format(d=files) for a in command[1:]], capsys)
    assert code == 2
    assert "model 'ar' has no parameter(s) ['foo']; valid parameters: lags, max_lags, ic, trend" in err
    assert not (files / "m").exists()


def _warning_command(args):
    import warnings

    warnings.warn("first line\n   second line", UserWarning)
    print("done")


def test_warnings_print_as_one_line_unless_verbose(capsys, monkeypatch):
    import warnings

    monkeypatch.setattr("tsforecast.cli.cmd_datasets", _warning_command)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # print warnings as plain Python does (pytest's warnings plugin would record them instead)
        monkeypatch.setattr(warnings, "showwarning", lambda m, c, f, n, file=None, line=None:
                            sys.stderr.write(warnings.formatwarning(m, c, f, n, line)))
        code, out, err = run(["datasets"], capsys)
        assert code == 0 and out == "done\n"
        assert err == "UserWarning: first line second line\n"
        code, out, err = run(["--verbose", "datasets"], capsys)
        assert "test_cli.py:" in err and "first line\n" in err
    assert warnings.formatwarning is not None and "tsforecast" not in warnings.formatwarning.__module__


def test_quiet_hides_info_lines_and_progress(files, capsys):
    code, out, err = run(["--quiet", "fit", "--model", "naive", "--data", files / "series.csv", "--out", files / "m"],
                         capsys)
    assert code == 0 and out == "" and err == ""
    code, out, err = run(["-q", "backtest", "--model", "naive", "--data", files / "series.csv", "--horizon", "2",
                          "--initial", "100"], capsys)
    assert code == 0 and "mae" in out.lower() and err == ""


QUIET_TF_SCRIPT = """
import sys
import tsforecast.cli as cli

list_models = cli.cmd_models

def models_then_tensorflow(args):
    list_models(args)
    assert "tensorflow" not in sys.modules, "listing models imported TensorFlow"
    import tensorflow  # as a fitted network would, inside the entry point

cli.cmd_models = models_then_tensorflow
sys.exit(cli.main(["models"]))
"""


def test_tensorflow_start_up_lines_are_silenced_in_a_real_process():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-c", QUIET_TF_SCRIPT], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "ARForecaster" in proc.stdout
    noisy = [line for line in proc.stderr.splitlines() if any(w in line.lower() for w in ("cuda", "onednn", "absl"))]
    assert noisy == [], proc.stderr
