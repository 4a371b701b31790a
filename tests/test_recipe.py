"""The traffic recipe (experiments/network_traffic.toml) is one set of model settings for every dataset."""

from pathlib import Path

import pytest

from tsforecast.experiment.config import load_config

RECIPE = Path(__file__).resolve().parents[1] / "experiments" / "network_traffic.toml"


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_every_dataset_gets_the_same_models(profile):
    cfg = load_config(RECIPE, profile=profile)
    assert len(cfg.runs) >= (2 if profile == "quick" else 4)
    first = {label: (spec.model, spec.params, spec.global_) for label, spec in cfg.runs[0].models.items()}
    for run in cfg.runs[1:]:
        assert {label: (spec.model, spec.params, spec.global_) for label, spec in run.models.items()} == first, run.label
    assert {r.dataset for r in cfg.runs} >= ({"cortez_a1h", "cortez_a5m"} if profile == "quick" else
                                             {"cortez_a1h", "cortez_a5m", "cortez_a1d", "milan_cells"})


def test_recipe_sets_nothing_per_dataset_but_data_and_protocol():
    import tomllib

    raw = tomllib.loads(RECIPE.read_text())
    tables = list(raw.get("datasets", {}).values()) + list(raw.get("profiles", {}).get("full", {}).get("datasets", {}).values())
    for table in tables:
        assert "models" not in table, table
        assert "periods" not in table.get("protocol", {}), table  # season lengths: one rule for all


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_every_dataset_measures_its_season_lengths_the_same_way(profile):
    """Season lengths are measured on every dataset by one rule (periods = "detect"), never set per dataset."""
    from tsforecast.datasets.catalog import dataset_info
    from tsforecast.experiment.data import resolve_protocol

    for run in load_config(RECIPE, profile=profile).runs:
        assert resolve_protocol(run.protocol, dataset_info(run.dataset))["periods"] == "detect", run.label


def test_recipe_seasons_and_windows_follow_the_frequency():
    """The season-based settings resolve to each frequency's own seasons (no data needed: index only)."""
    import pandas as pd

    from tsforecast.seasonality import season_lags

    for freq, n_train, season, long_season in (("h", 820, 24, 168), ("5min", 9848, 288, 2016), ("D", 34, 7, 7)):
        index = pd.date_range("2005-06-07", periods=4, freq=freq)
        assert season_lags("season", index, n_train) == season
        assert season_lags("long_season", index, n_train) == long_season


def test_every_dataset_forecasts_a_day_ahead_or_a_week_for_daily_data():
    """The Cortez protocol's leads 1..24 everywhere (1..7 on daily data): no dataset falls back to one step."""
    from tsforecast.datasets.catalog import dataset_info
    from tsforecast.experiment.data import resolve_protocol

    cfg = load_config(RECIPE, profile="full")
    for run in cfg.runs:
        info = dataset_info(run.dataset)
        assert resolve_protocol(run.protocol, info)["horizon"] == (7 if info.frequency == "D" else 24), run.label


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_the_combinations_members_are_the_recipes_own_models(profile):
    """Each member of the combination is built exactly as one of the recipe's models, or as a candidate of that
    model's search (same parameters, seed included), so inside an experiment (tsforecast.shared_fits) its final
    fit is the model's own, and the combination compares the recipe's models rather than new ones."""
    from sklearn.model_selection import ParameterGrid

    for run in load_config(RECIPE, profile=profile).runs:
        ensemble = run.models["combination"].build(24)
        members = ensemble._build_members()
        assert [type(m).__name__ for m in members] == ["NARXForecaster", "ARForecaster", "MSTLForecaster",
                                                       "HoltWintersForecaster", "ARIMAForecaster", "SeasonalNaiveForecaster"]
        for member, label in zip(members, ("narx", "ar", "mstl", "holt_winters", "arima", "seasonal_naive")):
            spec = run.models[label]
            own = spec.build(24)
            candidates = [own.get_params(deep=False)] + [
                {**own.get_params(deep=False), **{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()}}
                for c in (ParameterGrid(spec.search) if spec.search else [])]
            assert member.get_params(deep=False) in candidates, (run.label, label)


def test_recipe_checks_finds_the_scale_where_dm_turns_significant():
    import importlib.util

    import numpy as np

    from tsforecast.evaluation.compare import dm_against

    spec = importlib.util.spec_from_file_location("recipe_checks", RECIPE.with_name("recipe_checks.py"))
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    rng = np.random.default_rng(0)
    e_cls = rng.normal(size=(200, 4))
    e_net = e_cls + rng.normal(scale=0.5, size=(200, 4))  # worse than the classical model
    k = checks.significant_scale(e_net, e_cls, 1)
    assert 0 < k < 1
    stat, p = dm_against(k * e_net, e_cls, 1, "se")
    assert stat < 0 and p < 0.05
    stat, p = dm_against((k + 1e-3) * e_net, e_cls, 1, "se")  # just above it: not significant
    assert p >= 0.05


def test_recipe_checks_do_not_count_a_network_that_fell_back_and_report_ties(tmp_path, capsys):
    """On a seasonal random walk the folds send AR(1) and a tiny NARX to seasonal naive: the checks name
    them, find no network left, report them tied with seasonal naive and a plain AR(1) worse."""
    import importlib.util

    import numpy as np
    import pandas as pd

    from tsforecast.experiment import run_experiment

    rng = np.random.default_rng(0)
    y = np.empty(150)
    y[:7] = 100 + 20 * np.sin(2 * np.pi * np.arange(7) / 7)
    for t in range(7, 150):
        y[t] = y[t - 7] + rng.normal()
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=150, freq="D"), "value": y}).to_csv(
        tmp_path / "walk.csv", index=False)
    cfg = {"dataset": str(tmp_path / "walk.csv"), "baseline": "seasonal_naive", "seed": 0,
           "protocol": {"test_size": 40, "horizon": 7, "metrics": ["mape"], "headline": "mape"},
           "models": {"naive": {"model": "naive"}, "seasonal_naive": {"model": "seasonal_naive"},
                      "ar": {"model": "ar", "lags": 1, "fallback": "seasonal_naive"},
                      "ar_plain": {"model": "ar", "lags": 1},
                      "narx": {"model": "narx", "lags": 2, "hidden": [1], "epochs": 1, "linear_skip": False,
                               "fallback": "seasonal_naive"}}}
    result = run_experiment(cfg, results_dir=tmp_path / "out", name="walk", progress=False)
    spec = importlib.util.spec_from_file_location("recipe_checks", RECIPE.with_name("recipe_checks.py"))
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    assert checks.fell_back((result.path / "report.md").read_text(), "walk") == {"ar", "narx"}
    capsys.readouterr()
    assert checks.main([str(result.path)]) == 0
    out = capsys.readouterr().out
    assert "fell back to seasonal naive on the training folds: ['ar', 'narx']" in out
    assert "no model with a network is left" in out
    assert "worse than seasonal naive: ['ar_plain'] (tied with it: ['ar', 'narx'])" in out
