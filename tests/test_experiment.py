"""The experiment runner: configs, outputs, reproducibility, bad configs."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsforecast.datasets import load_dataset
from tsforecast import SeasonalNaiveForecaster
from tsforecast.base import BaseForecaster
from tsforecast.exceptions import ConfigError, ParameterError
from tsforecast.experiment import add_arguments, load_config, main, run_experiment
from tsforecast.experiment.runner import _dm_sentence, _reproduce_command, profile_from_args

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((REPO / "experiments").glob("*.toml"))

TINY = {
    "name": "tiny",
    "seed": 3,
    "dataset": "traffic_synthetic",
    "baseline": "naive",
    "protocol": {"train_fraction": 0.8, "horizon": 6, "step": 12, "metrics": ["mae", "rmse", "mape", "mase"],
                 "headline": "mae", "coverage": 0.8, "seasonal_period": 24},
    "models": {
        "naive": {"model": "naive"},
        "snaive": {"model": "seasonal_naive", "m": 24},
        "narx": {"model": "narx", "lags": 24, "hidden": [4], "horizon": 6, "strategy": "mimo", "epochs": 3,
                 "patience": 1},
    },
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    return run_experiment(TINY, results_dir=root, progress=False), root


def test_writes_every_output(tiny_run):
    result, _ = tiny_run
    names = {p.name for p in result.path.iterdir()}
    assert {"metrics.csv", "timings.csv", "report.md", "forecasts.parquet", "config.json", "forecast_vs_actual.png",
            "error_by_lead.png", "coverage_by_lead.png"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    for png in result.path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (result.path / "report.md").read_text()
    for needed in ("tensorflow", "statsmodels", "--seed 3", "training part", "Diebold", "| snaive |"):
        assert needed in report


def test_metrics_equal_recomputation_from_forecasts(tiny_run):
    result, _ = tiny_run
    metrics = pd.read_csv(result.path / "metrics.csv").set_index("model")
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    y = load_dataset("traffic_synthetic").data.to_numpy()
    initial = int(np.floor(0.8 * len(y)))
    scale = np.mean(np.abs(y[24:initial] - y[: initial - 24]))  # in-sample seasonal naive MAE, m = 24
    assert set(fc["model"]) == {"naive", "snaive", "narx"}
    for model, part in fc.groupby("model"):
        err = part["y_true"].to_numpy() - part["y_pred"].to_numpy()
        row = metrics.loc[model]
        assert row["mae"] == pytest.approx(np.mean(np.abs(err)), rel=1e-9)
        assert row["rmse"] == pytest.approx(np.sqrt(np.mean(err**2)), rel=1e-9)
        assert row["mape"] == pytest.approx(100 * np.mean(np.abs(err / part["y_true"].to_numpy())), rel=1e-9)
        assert row["mase"] == pytest.approx(np.mean(np.abs(err)) / scale, rel=1e-9)
        inside = part.dropna(subset=["lower"])
        cov = np.mean((inside["y_true"] >= inside["lower"]) & (inside["y_true"] <= inside["upper"]))
        assert row["coverage"] == pytest.approx(cov)
    # The naive forecast is the last value before the origin: check it against the series itself.
    naive = fc[fc["model"] == "naive"]
    ts = load_dataset("traffic_synthetic").data
    assert np.allclose(naive["y_pred"].to_numpy(), ts.loc[naive["origin"]].to_numpy())
    assert (metrics["rank"].sort_values().to_numpy() == [1, 2, 3]).all()


def test_same_seed_same_metrics_file(tiny_run, tmp_path):
    result, _ = tiny_run
    again = run_experiment(TINY, results_dir=tmp_path, progress=False)
    assert (again.path / "metrics.csv").read_bytes() == (result.path / "metrics.csv").read_bytes()


def _series_csv(path: Path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=n, freq="h"), "value": values}).to_csv(path, index=False)
    return values


def test_user_csv_dataset_relative_to_config(tmp_path):
    values = _series_csv(tmp_path / "mine.csv")
    (tmp_path / "exp.toml").write_text(
        'dataset = "mine.csv"\nbaseline = "naive"\n[protocol]\ninitial = 240\nhorizon = 3\nstep = 5\n'
        'metrics = ["mae"]\n[models.naive]\nmodel = "naive"\n[models.snaive]\nmodel = "seasonal_naive"\nm = 12\n'
    )
    result = run_experiment(tmp_path / "exp.toml", results_dir=tmp_path / "out", progress=False)
    assert result.path == tmp_path / "out" / "exp"
    # Brute force: forecast every origin by hand.
    errs = {"naive": [], "snaive": []}
    for o in range(240, 300 - 3 + 1, 5):
        for h in range(3):
            errs["naive"].append(values[o + h] - values[o - 1])
            errs["snaive"].append(values[o + h] - values[o - 12 + h])
    table = pd.read_csv(result.path / "metrics.csv").set_index("model")
    for model, e in errs.items():
        assert table.loc[model, "mae"] == pytest.approx(np.mean(np.abs(e)), rel=1e-12)
    assert table.loc["snaive", "mae"] < table.loc["naive", "mae"]


def test_many_series_per_series_and_global_models(tmp_path):
    rng = np.random.default_rng(1)
    frames = []
    for i, n in enumerate((200, 200, 180)):
        t = np.arange(n)
        frames.append(pd.DataFrame({"id": f"s{i}", "timestamp": pd.date_range("2024-01-01", periods=n, freq="h"),
                                    "value": 50 + 10 * i + 5 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n)}))
    pd.concat(frames).to_csv(tmp_path / "long.csv", index=False)
    cfg = {"dataset": str(tmp_path / "long.csv"), "series": "all", "baseline": "naive", "seed": 0,
           "protocol": {"test_size": 48, "horizon": 4, "step": 8, "metrics": ["mae", "rmse"]},
           "models": {"naive": {"model": "naive"},
                      "gru_global": {"model": "gru", "global": True, "lags": 24, "horizon": 4, "units": 4,
                                     "epochs": 2, "patience": 1}}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="many", progress=False)
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    metrics = pd.read_csv(result.path / "metrics.csv").set_index("model")
    assert set(fc["series"]) == {"s0", "s1", "s2"}
    for model, part in fc.groupby("model"):
        per_series = [np.mean(np.abs(p["y_true"] - p["y_pred"])) for _, p in part.groupby("series")]
        assert metrics.loc[model, "mae"] == pytest.approx(np.mean(per_series), rel=1e-9)
        # Test part = the last 48 points of each series; origins every 8 steps.
        for key, p in part.groupby("series"):
            n = {"s0": 200, "s1": 200, "s2": 180}[key]
            assert p["origin"].nunique() == len(range(n - 48, n - 4 + 1, 8))
    assert metrics.loc["gru_global", "fit"] == "global"
    assert metrics.loc["naive", "n_series"] == 3


def test_ffill_fills_only_the_selected_series_each_from_its_own_past(tmp_path):
    from tsforecast.experiment.runner import load_run_data
    from tsforecast.validation import MissingValuesWarning

    stamps = pd.date_range("2024-01-01", periods=6, freq="h")
    long = pd.DataFrame({"id": np.repeat(["a", "b", "c"], 6), "timestamp": np.tile(stamps, 3),
                         "value": [1, np.nan, 3, np.nan, np.nan, 6,
                                   np.nan, 20, 30, np.nan, 50, 60,
                                   *[np.nan] * 6]})  # c is empty and not selected
    long.to_csv(tmp_path / "long.csv", index=False)
    run = load_config({**_cfg(dataset=str(tmp_path / "long.csv")), "series": ["a", "b"], "missing": "ffill"}).runs[0]
    with pytest.warns(MissingValuesWarning, match="forward-filled"):
        data, info, _ = load_run_data(run)
    assert info is None and list(data) == ["a", "b"]
    assert data["a"].tolist() == [1, 1, 3, 3, 3, 6]  # hand-computed
    assert data["b"].tolist() == [20, 30, 30, 50, 60] and data["b"].index[0] == stamps[1]  # leading gap trimmed


def test_evaluation_exports_holm_and_the_dm_warning():
    import importlib

    from tsforecast.evaluation import DMUndefinedWarning, holm

    dm_module = importlib.import_module("tsforecast.evaluation.diebold_mariano")  # the name is also the function

    assert DMUndefinedWarning is dm_module.DMUndefinedWarning and holm is dm_module.holm


# -- bad configs ----------------------------------------------------------------------------
def _cfg(**changes):
    cfg = {"dataset": "traffic_synthetic", "protocol": {"horizon": 2}, "models": {"naive": {"model": "naive"}}}
    cfg.update(changes)
    return cfg


@pytest.mark.parametrize("cfg, match", [
    (_cfg(modles={}), "unknown key 'modles'"),
    (_cfg(protocol={"horizon": 2, "stepp": 3}), "unknown key 'stepp'"),
    (_cfg(protocol={"horizon": 0}), "horizon"),
    (_cfg(protocol={"initial": 10, "train_fraction": 0.5}), "keep one"),
    (_cfg(models={"x": {"model": "transformer"}}), "unknown model 'transformer'"),
    (_cfg(models={"x": {"lags": 3}}), "needs model ="),
    (_cfg(models={"naive": {"model": "naive"}}, baseline="snaive"), "baseline 'snaive'"),
    (_cfg(dataset="no/such/file.csv"), "no/such/file.csv"),
    (_cfg(protocol={"metrics": ["mae", "accuracy"]}), "unknown metric 'accuracy'"),
])
def test_bad_config_dict(cfg, match, tmp_path):
    with pytest.raises(ConfigError, match=match):
        run_experiment(cfg, results_dir=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # nothing written


def test_bad_parameter_is_parameter_error():
    with pytest.raises(ParameterError, match=r"models\.net.*lags"):
        load_config(_cfg(models={"net": {"model": "lstm", "lags": -1}}))
    with pytest.raises(ParameterError, match=r"models\.x.*colour"):
        load_config(_cfg(models={"x": {"model": "naive", "colour": 1}}))


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[protocol\nhorizon = 3\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML.*line 2"):
        load_config(bad)
    unknown = tmp_path / "typo.toml"
    unknown.write_text('dataset = "traffic_synthetic"\nseeed = 1\n[models.naive]\nmodel = "naive"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'seeed'.*typo\.toml"):
        load_config(unknown)
    with pytest.raises(ConfigError, match=r"no \[profiles\.full\]"):
        load_config(_cfg(), profile="full")


def test_profiles_seeds_and_dropping_models():
    cfg = _cfg(seed=7, models={"naive": {"model": "naive"}, "a": {"model": "lstm"}, "b": {"model": "gru", "seed": 1}},
               profiles={"full": {"protocol": {"step": 1}, "models": {"a": {"units": 64}, "naive": False}}})
    quick = load_config(cfg)
    assert quick.runs[0].models["a"].params == {"seed": 7}
    assert quick.runs[0].models["b"].params == {"seed": 1}  # its own seed wins
    assert "seed" not in quick.runs[0].models["naive"].params  # not stochastic
    full = load_config(cfg, profile="full", seed=11)
    assert full.runs[0].protocol == {"horizon": 2, "step": 1}
    assert full.runs[0].models["a"].params == {"units": 64, "seed": 11}
    assert set(full.runs[0].models) == {"a", "b"}


def test_datasets_tables_merge_over_shared_settings():
    cfg = {"protocol": {"horizon": 4, "step": 2}, "models": {"snaive": {"model": "seasonal_naive", "m": 24}},
           "datasets": {"hourly": {"dataset": "traffic_synthetic"},
                        "other": {"dataset": "traffic_synthetic", "protocol": {"step": 5},
                                  "models": {"snaive": {"m": 12}}}}}
    runs = load_config(cfg).runs
    assert [r.label for r in runs] == ["hourly", "other"]
    assert runs[0].protocol == {"horizon": 4, "step": 2} and runs[1].protocol == {"horizon": 4, "step": 5}
    assert runs[0].models["snaive"].params == {"m": 24} and runs[1].models["snaive"].params == {"m": 12}


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.name for p in EXPERIMENTS])
@pytest.mark.parametrize("profile", ["quick", "full"])
def test_shipped_configs_are_valid(path, profile):
    cfg = load_config(path, profile=profile)
    assert cfg.runs and all(r.models for r in cfg.runs)


def test_packaged_default_config_is_valid():
    cfg = load_config()
    names = {spec.model for spec in cfg.runs[0].models.values()}
    assert names == {"naive", "seasonal_naive", "ar", "narx", "tdnn", "simple_rnn", "lstm", "gru"}
    assert load_config(profile="full").runs[0].protocol["step"] == 1


def test_command_line_hooks(tmp_path, capsys):
    _series_csv(tmp_path / "mine.csv", n=120)
    (tmp_path / "exp.toml").write_text('dataset = "mine.csv"\n[protocol]\nhorizon = 2\nmetrics = ["mae"]\n'
                                       '[models.naive]\nmodel = "naive"\n')
    parser = add_arguments(argparse.ArgumentParser())
    args = parser.parse_args([str(tmp_path / "exp.toml"), "--results-dir", str(tmp_path / "r"), "--name", "cli",
                              "--seed", "5", "--no-progress"])
    assert main(args) == 0
    assert (tmp_path / "r" / "cli" / "metrics.csv").is_file()
    assert "--seed 5" in (tmp_path / "r" / "cli" / "report.md").read_text()
    assert "naive" in capsys.readouterr().out


@pytest.mark.slow
def test_default_experiment_runs(tmp_path):
    # How long it takes is measured by experiments/bench_experiment.py, not asserted here.
    result = run_experiment(results_dir=tmp_path, progress=False)
    assert len(result.table) == 8 and result.table["mape"].notna().all()


@pytest.mark.data
@pytest.mark.slow
def test_network_traffic_quick_profile(tmp_path):
    if not os.environ.get("TSFORECAST_DATA_DIR"):
        pytest.skip("TSFORECAST_DATA_DIR is not set; the Cortez traffic files are not shipped")
    result = run_experiment(REPO / "experiments" / "network_traffic.toml", results_dir=tmp_path, progress=False)
    assert set(result.table["dataset"]) == set(result.comparisons)
    assert result.table["mape"].notna().all()


# -- undefined headline metric ------------------------------------------------------------------
def test_undefined_headline_is_ranked_not_a_crash(tmp_path):
    values = _series_csv(tmp_path / "mine.csv", n=120)
    frame = pd.read_csv(tmp_path / "mine.csv")
    frame.loc[110, "value"] = 0.0  # a zero target in the test part: MAPE is undefined
    frame.to_csv(tmp_path / "mine.csv", index=False)
    cfg = {"dataset": str(tmp_path / "mine.csv"), "baseline": "naive",
           "protocol": {"initial": 96, "horizon": 2, "metrics": ["mape", "mae"], "headline": "mape"},
           "models": {"naive": {"model": "naive"}, "snaive": {"model": "seasonal_naive", "m": 12}}}
    with pytest.warns(RuntimeWarning, match="'mape' is undefined"):
        result = run_experiment(cfg, results_dir=tmp_path / "out", progress=False)
    metrics = pd.read_csv(result.path / "metrics.csv").set_index("model")
    assert metrics["mape"].isna().all()
    assert metrics["rank"].tolist() == [1, 1]  # undefined for both: they tie at the last (= only) rank
    # The other metric is still right: brute-force naive errors over the origins 96..118.
    y = values.copy()
    y[110] = 0.0
    errors = [y[o + h] - y[o - 1] for o in range(96, 119) for h in range(2)]
    assert metrics.loc["naive", "mae"] == pytest.approx(np.mean(np.abs(errors)), rel=1e-12)
    assert "mape is undefined for every model" in (result.path / "report.md").read_text()


# -- results directory --------------------------------------------------------------------------
def test_unwritable_results_dir_fails_before_any_fit(tmp_path, monkeypatch):
    def no_fit(self, *args, **kwargs):
        raise AssertionError("a model was fitted before the results directory was checked")

    monkeypatch.setattr(BaseForecaster, "fit", no_fit)
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    with pytest.raises(ParameterError, match=r"a_file/sub.*cannot be created.*results-dir"):
        run_experiment(_cfg(), results_dir=blocker / "sub", progress=False)
    assert blocker.read_text() == "keep me"


def test_results_dir_check_leaves_nothing_behind(tmp_path):
    # The check creates and removes the folder; a dataset error afterwards leaves no empty folders.
    with pytest.raises(ConfigError, match="no/such/file.csv"):
        run_experiment(_cfg(dataset="no/such/file.csv"), results_dir=tmp_path / "deep" / "results", progress=False)
    assert not any(tmp_path.iterdir())


# -- reproduce command ---------------------------------------------------------------------------
def _command_args(report_or_command: str):
    """Parse the reproduce command (from report.md or as a string) as ``tsforecast experiment`` would."""
    text = report_or_command
    if "```" in text:
        text = text.split("Reproduce every number with:")[1].split("```")[1].strip()
    words = shlex.split(text)
    assert words[:2] == ["tsforecast", "experiment"]
    return add_arguments(argparse.ArgumentParser()).parse_args(words[2:])


def _profiled(dataset="traffic_synthetic"):
    return {"dataset": dataset, "protocol": {"initial": 700, "horizon": 2, "step": 50, "metrics": ["mae"]},
            "models": {"naive": {"model": "naive"}, "snaive": {"model": "seasonal_naive", "m": 24}},
            "profiles": {"full": {"protocol": {"step": 25}}, "wide": {"models": {"snaive": {"m": 168}}}}}


def test_reproduce_command_of_a_dict_config_with_the_full_profile(tmp_path):
    result = run_experiment(_profiled(), profile="full", results_dir=tmp_path / "my results", name="d", seed=4,
                            progress=False)
    args = _command_args((result.path / "report.md").read_text())
    again = load_config(args.config, profile=profile_from_args(args), seed=args.seed, name=args.name)
    assert again.resolved == result.config.resolved and again.runs[0].protocol["step"] == 25
    assert Path(args.results_dir) == tmp_path / "my results"
    first = (result.path / "metrics.csv").read_bytes()
    assert main(args) == 0  # the printed command itself reruns and reproduces the numbers
    assert (result.path / "metrics.csv").read_bytes() == first


@pytest.mark.parametrize("profile", ["quick", "full", "wide"])
def test_reproduce_command_of_a_config_file_with_any_profile(tmp_path, profile):
    import json

    path = tmp_path / "exp.json"
    path.write_text(json.dumps(_profiled()))
    cfg = load_config(path, profile=profile, seed=2)
    args = _command_args(_reproduce_command(cfg, tmp_path / "r", tmp_path / "r" / "exp" / "config.json"))
    assert Path(args.config) == path
    again = load_config(args.config, profile=profile_from_args(args), seed=args.seed, name=args.name)
    assert again.resolved == cfg.resolved and again.profile == profile


def test_significance_wording_uses_holm_adjusted_pvalues():
    # Raw p = 0.03 and 0.04 are both < 5%, but Holm over the two tests gives 0.06 and 0.06: neither is claimed.
    table = pd.DataFrame({"model": ["base", "a", "b", "c"], "dm_stat": [np.nan, -2.5, -2.1, 3.0],
                          "dm_pvalue": [np.nan, 0.03, 0.04, 0.001]})
    from tsforecast.evaluation.diebold_mariano import holm

    table["dm_pvalue_holm"] = holm(table["dm_pvalue"])
    assert table["dm_pvalue_holm"].tolist()[1:] == pytest.approx([0.06, 0.06, 0.003])
    sentence = _dm_sentence(table, "base")
    assert "more accurate than `base`" in sentence and "Holm" in sentence
    assert sentence.endswith("testing every model against it): none; significantly less accurate: `c`.")


def test_models_without_a_horizon_take_the_protocol_horizon():
    """One recipe for data forecast 24 steps ahead (hourly) and 7 (daily): an unset horizon follows the protocol."""
    from tsforecast.experiment.config import ModelSpec

    assert ModelSpec("n", "narx", {"lags": 4}).build(7).horizon == 7
    assert ModelSpec("n", "narx", {"lags": 4, "horizon": 3}).build(7).horizon == 3
    assert ModelSpec("ar", "ar", {}).build(24).horizon == 24
    assert not hasattr(ModelSpec("naive", "naive", {}).build(24), "horizon") or \
        "horizon" in type(ModelSpec("naive", "naive", {}).build()).__init__.__code__.co_varnames


def test_search_chooses_inside_the_training_part_only(tmp_path):
    """A search table picks m by cross-validation on the training part; the report says what and why,
    and changing every value of the test part never changes the choice."""
    _series_csv(tmp_path / "mine.csv")
    config = ('dataset = "mine.csv"\nbaseline = "naive"\n[protocol]\ninitial = 240\nhorizon = 3\nstep = 5\n'
              'metrics = ["mae"]\n[models.naive]\nmodel = "naive"\n[models.snaive]\nmodel = "seasonal_naive"\n'
              'search = { m = [5, 12, 7] }\n')
    (tmp_path / "exp.toml").write_text(config)
    report = (run_experiment(tmp_path / "exp.toml", results_dir=tmp_path / "a", progress=False).path / "report.md").read_text()
    assert "Chosen inside the training part" in report and "chose {'m': 12}" in report
    bumped = pd.read_csv(tmp_path / "mine.csv")
    bumped.loc[240:, "value"] = bumped.loc[240:, "value"][::-1].to_numpy() * 3.0  # a different test part
    bumped.to_csv(tmp_path / "mine.csv", index=False)
    again = (run_experiment(tmp_path / "exp.toml", results_dir=tmp_path / "b", progress=False).path / "report.md").read_text()
    pick = [line for line in report.splitlines() if "chose" in line]
    assert pick and pick == [line for line in again.splitlines() if "chose" in line]
    (tmp_path / "bad.toml").write_text(config.replace("search = { m = [5, 12, 7] }", "search = { nope = [1] }"))
    with pytest.raises(ParameterError, match="nope"):
        load_config(tmp_path / "bad.toml")


def test_datasets_option_runs_only_the_chosen_labels_and_is_in_the_reproduce_command(tmp_path):
    cfg_path = tmp_path / "two.toml"
    cfg_path.write_text('[protocol]\nhorizon = 2\nstep = 12\nmetrics = ["mae"]\n[models.naive]\nmodel = "naive"\n'
                        '[datasets.first]\ndataset = "traffic_synthetic"\n'
                        '[datasets.second]\ndataset = "traffic_synthetic"\n[datasets.second.protocol]\nstep = 24\n')
    cfg = load_config(cfg_path, datasets=["second"])
    assert [r.label for r in cfg.runs] == ["second"] and list(cfg.resolved["datasets"]) == ["second"]
    command = _reproduce_command(cfg, "res", tmp_path / "config.json")
    assert shlex.split(command)[3:5] == ["--datasets", "second"]
    args = add_arguments(argparse.ArgumentParser()).parse_args([str(cfg_path), "--datasets", "second"])
    assert load_config(args.config, datasets=args.datasets).runs[0].protocol["step"] == 24
    with pytest.raises(ConfigError, match=r"\['third'\] not in .*runs \['first', 'second'\]"):
        load_config(cfg_path, datasets=["third"])


def test_many_series_search_chooses_each_series_own_parameters_on_its_training_part(tmp_path):
    from tsforecast.evaluation import tune

    rng = np.random.default_rng(2)
    frames, truth = [], {"p12": 12, "p8": 8}
    for key, period in truth.items():
        t = np.arange(240)
        frames.append(pd.DataFrame({"id": key, "timestamp": pd.date_range("2024-01-01", periods=240, freq="h"),
                                    "value": 50 + 10 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.5, 240)}))
    pd.concat(frames).to_csv(tmp_path / "long.csv", index=False)
    cfg = {"dataset": str(tmp_path / "long.csv"), "series": "all", "baseline": "naive",
           "protocol": {"test_size": 48, "horizon": 4, "step": 4, "metrics": ["mae"]},
           "models": {"naive": {"model": "naive"},
                      "snaive": {"model": "seasonal_naive", "search": {"m": [8, 12]}}}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="many", progress=False)
    report = (result.path / "report.md").read_text()
    assert "m=8 on 1 series" in report and "m=12 on 1 series" in report
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    long = pd.read_csv(tmp_path / "long.csv", parse_dates=["timestamp"])
    for key, period in truth.items():
        y = long[long["id"] == key].set_index("timestamp")["value"].asfreq("h")
        # Independent truth: tune on this series' training part alone picks its own period...
        picked = tune(SeasonalNaiveForecaster(), y, {"m": [8, 12]}, horizon=4, step=4, metric="mae",
                      n_folds=3, end=192).best_params_["m"]
        assert picked == period
        # ...and the backtest used it: every forecast is the value `period` steps before its target.
        rows = fc[(fc["series"] == key) & (fc["model"] == "snaive")]
        target = y.index.get_indexer(pd.DatetimeIndex(rows["timestamp"]))
        np.testing.assert_allclose(rows["y_pred"].to_numpy(), y.to_numpy()[target - period * (1 + (rows["step"].to_numpy() - 1) // period)])


def test_none_inside_an_array_is_none_and_arrays_are_tuples():
    run = load_config(_cfg(models={"s": {"model": "arima", "order": [1, 0, 0],
                                         "seasonal_order": [0, 1, 0, "none"]}})).runs[0]
    model = run.models["s"].build(2)
    assert model.seasonal_order == (0, 1, 0, None) and model.order == (1, 0, 0)


@pytest.mark.parametrize("many", [False, True])
def test_an_ensemble_of_the_runs_own_models_trains_nothing_again(tmp_path, monkeypatch, many):
    """The mean's network member equals the run's `narx` (same parameters and seed), so the network is
    trained once per dataset, and the mean's forecasts are the mean of the `narx` and `ar` rows."""
    from tsforecast import NARXForecaster

    calls = []
    real = NARXForecaster._build_network

    def counting(self, *a, **k):
        calls.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(NARXForecaster, "_build_network", counting)
    net = {"model": "narx", "lags": 24, "hidden": [4], "strategy": "mimo", "epochs": 2, "patience": 1}
    ar = {"model": "ar", "lags": 24}
    cfg = {"seed": 0, "baseline": "naive",
           "protocol": {"train_fraction": 0.75, "horizon": 6, "step": 12, "metrics": ["mae"]},
           "models": {"naive": {"model": "naive"}, "narx": dict(net), "ar": dict(ar),
                      "mean": {"model": "ensemble", "combine": "mean", "models": [
                          {k: v for k, v in net.items()}, dict(ar)]}}}
    if many:
        rng = np.random.default_rng(2)
        frames = [pd.DataFrame({"id": f"s{i}", "timestamp": pd.date_range("2024-01-01", periods=240, freq="h"),
                                "value": 50 + 10 * i + 5 * np.sin(2 * np.pi * np.arange(240) / 24)
                                + rng.normal(0, 1, 240)}) for i in range(2)]
        pd.concat(frames).to_csv(tmp_path / "long.csv", index=False)
        cfg.update(dataset=str(tmp_path / "long.csv"), series="all")
        cfg["models"]["narx"]["global"] = cfg["models"]["mean"]["global"] = True
    else:
        cfg["dataset"] = "traffic_synthetic"
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="mean", progress=False)
    assert len(calls) == 1  # NARX networks built: the standalone one only
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    keys = ["series", "origin", "step"] if many else ["origin", "step"]
    wide = fc.pivot_table(index=keys, columns="model", values="y_pred")
    np.testing.assert_allclose(wide["mean"], (wide["narx"] + wide["ar"]) / 2, rtol=1e-12)


def test_many_series_search_of_a_global_model_chooses_once_over_all_series_and_backtests_the_choice(tmp_path):
    from sklearn.base import clone

    from tsforecast.evaluation import tune_global
    from tsforecast.evaluation.backtest import backtest_global

    rng = np.random.default_rng(4)
    frames = [pd.DataFrame({"id": f"s{i}", "timestamp": pd.date_range("2024-01-01", periods=120, freq="h"),
                            "value": 30 + 8 * np.sin(2 * np.pi * np.arange(120) / 6) + rng.normal(0, 0.5, 120)})
              for i in range(3)]
    pd.concat(frames).to_csv(tmp_path / "long.csv", index=False)
    narx = {"model": "narx", "global": True, "hidden": [2], "linear_skip": "ridge", "epochs": 1, "batch_size": 64,
            "search": {"lags": [2, 6]}}
    cfg = {"dataset": str(tmp_path / "long.csv"), "series": "all", "baseline": "naive", "seed": 0,
           "protocol": {"test_size": 30, "horizon": 3, "step": 3, "refit": False, "metrics": ["mae"]},
           "models": {"naive": {"model": "naive"}, "narx": narx}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="g", progress=False)
    report = (result.path / "report.md").read_text()
    long = pd.read_csv(tmp_path / "long.csv", parse_dates=["timestamp"])
    series = {k: g.set_index("timestamp")["value"].asfreq("h") for k, g in long.groupby("id")}
    template = load_config(cfg).runs[0].models["narx"].build(3)
    # Independent of the runner: the same search called directly, on the training parts only.
    chosen = tune_global(template, series, {"lags": [2, 6]}, end={k: 90 for k in series}, horizon=3, step=3,
                         metric="mae", fit_best=False).best_params_["lags"]
    assert f"chose {{'lags': {chosen}}}" in report and "one model over 3 series" in report
    expect = backtest_global(clone(template).set_params(lags=chosen), series, initial={k: 90 for k in series},
                             horizon=3, step=3, metrics=("mae",))
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    got = fc[fc["model"] == "narx"].sort_values(["series", "origin", "step"])["y_pred"].to_numpy()
    want = expect.predictions.sort_values(["series", "origin", "step"])["y_pred"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
