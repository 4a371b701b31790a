"""EnsembleForecaster: members from the registry, combined by median, mean or holdout weights."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from tsforecast import EnsembleForecaster, get_forecaster, load_model
from tsforecast.exceptions import InvalidInputError, ParameterError
from tsforecast.models.ensemble_model import inverse_mse_weights, member_specs, member_subsets, subset_scores
from tsforecast.testing import make_series

MEMBERS = (("naive", {}), ("seasonal_naive", {"m": 24}), ("ar", {"lags": 2}))


def fitted_members(models, y):
    return [get_forecaster(name, **params).fit(y) for name, params in models]


def seasonal(n=240, period=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 50 + 8 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.5, n)
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="y")


# -- combination equals numpy on the members' own forecasts ----------------------------------------------------

@pytest.mark.parametrize("combine, reduce", [("median", np.median), ("mean", np.mean)])
def test_combination_equals_numpy_over_the_members_forecasts(combine, reduce):
    y = make_series(120)
    ens = EnsembleForecaster(MEMBERS, combine=combine, horizon=5).fit(y.iloc[:96])
    members = fitted_members(MEMBERS, y.iloc[:96])
    expected = reduce(np.stack([m.predict(5).to_numpy() for m in members]), axis=0)
    np.testing.assert_allclose(ens.predict().to_numpy(), expected, rtol=1e-12)
    origins = np.arange(30, 116, 7)
    expected_at = reduce(np.stack([m.predict_at(y, origins, 5) for m in members]), axis=0)
    np.testing.assert_allclose(ens.predict_at(y, origins, 5), expected_at, rtol=1e-12)
    assert ens.context_length_ == max(m.context_length_ for m in members)


def test_whole_history_member_goes_through_the_batched_origin_path():
    y = seasonal(200)
    models = (("holt_winters", {"seasonal_periods": 12}), ("ar", {"lags": 3}), ("naive", {}))
    ens = EnsembleForecaster(models, horizon=3).fit(y.iloc[:150])
    assert ens.context_length_ is None  # Holt-Winters filters the whole history
    members = fitted_members(models, y.iloc[:150])
    origins = [60, 150, 171, 197]
    brute = np.vstack([np.median([m.predict(3, y=y.iloc[:o]).to_numpy() for m in members], axis=0) for o in origins])
    np.testing.assert_allclose(ens.predict_at(y, origins, 3), brute, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 12), lags=st.integers(0, 4))
def test_median_of_three_members_on_random_series(seed, m, lags):
    y = pd.Series(np.random.default_rng(seed).normal(0, 5, 80).cumsum())
    models = (("naive", {}), ("seasonal_naive", {"m": m}), ("ar", {"lags": lags}))
    ens = EnsembleForecaster(models, horizon=4).fit(y)
    expected = np.median(np.stack([f.predict(4).to_numpy() for f in fitted_members(models, y)]), axis=0)
    np.testing.assert_allclose(ens.predict().to_numpy(), expected, rtol=1e-10, atol=1e-10)


# -- weights from the training part only ------------------------------------------------------------------------

def test_weights_are_inverse_holdout_mse_found_by_a_hand_loop():
    y = seasonal(240, period=12)
    models = (("naive", {}), ("seasonal_naive", {"m": 12}))
    ens = EnsembleForecaster(models, combine="weighted", horizon=2, holdout=0.25).fit(y)
    head = 240 - 60
    mse = []
    for name, params in models:
        model = get_forecaster(name, **params).fit(y.iloc[:head])
        errors = [y.iloc[o : o + 2].to_numpy() - model.predict(2, y=y.iloc[:o]).to_numpy() for o in range(head, 239)]
        mse.append(np.mean(np.square(errors)))
    np.testing.assert_allclose(ens.holdout_mse_, mse, rtol=1e-10)
    np.testing.assert_allclose(ens.weights_, (1 / np.array(mse)) / np.sum(1 / np.array(mse)), rtol=1e-10)
    assert ens.weights_[1] > 0.9  # the seasonal member is clearly better, and gets nearly all the weight
    members = fitted_members(models, y)  # refitted on all the data
    expected = ens.weights_ @ np.stack([m.predict(2).to_numpy() for m in members])
    np.testing.assert_allclose(ens.predict().to_numpy(), expected, rtol=1e-12)


def test_weights_never_see_data_after_the_training_series():
    y = seasonal(240)
    a = EnsembleForecaster(MEMBERS[:2], combine="weighted", horizon=2).fit(y.iloc[:200])
    bumped = y.copy()
    bumped.iloc[200:] += 1000.0
    b = EnsembleForecaster(MEMBERS[:2], combine="weighted", horizon=2).fit(bumped.iloc[:200])
    np.testing.assert_array_equal(a.weights_, b.weights_)


@pytest.mark.parametrize("mse, expected", [
    ([1.0, 1.0], [0.5, 0.5]),
    ([1.0, 3.0], [0.75, 0.25]),
    ([0.0, 2.0, 0.0], [0.5, 0.0, 0.5]),
])
def test_inverse_mse_weights(mse, expected):
    np.testing.assert_allclose(inverse_mse_weights(mse), expected)


def test_non_finite_holdout_error_is_named():
    with pytest.raises(InvalidInputError, match="non-finite"):
        inverse_mse_weights([1.0, np.nan])


def test_weighted_needs_room_for_the_holdout():
    ens = EnsembleForecaster(MEMBERS, combine="weighted", horizon=3, holdout=0.2)
    n = ens._min_length()
    assert ens._head_length(n) >= 24 and ens._head_length(n - 1) < 24  # seasonal_naive(m=24) needs 24 points
    ens.fit(make_series(n))
    with pytest.raises(InvalidInputError, match="at least"):
        clone(ens).fit(make_series(n - 1))


# -- persistence and parameters ------------------------------------------------------------------------------

def test_save_load_round_trip_with_weights_and_a_whole_history_member(tmp_path):
    y = seasonal(200)
    models = (("holt_winters", {"seasonal_periods": 12}), ("ar", {"lags": 3}), ("seasonal_naive", {"m": 12}))
    ens = EnsembleForecaster(models, combine="weighted", horizon=3).fit(y)
    ens.save(tmp_path / "ens")
    loaded = load_model(tmp_path / "ens")
    assert loaded.get_params() == ens.get_params()
    np.testing.assert_array_equal(loaded.weights_, ens.weights_)
    np.testing.assert_array_equal(loaded.predict().to_numpy(), ens.predict().to_numpy())
    np.testing.assert_array_equal(loaded.predict_at(y, [50, 120], 3), ens.predict_at(y, [50, 120], 3))


def test_tuple_valued_member_params_survive_save_and_load(tmp_path):
    # JSON turns tuples into lists; a tuple inside a member's params dict must come back as a tuple too.
    y = make_series(120)
    models = (("ar", {"lags": (1, 2)}), ("narx", {"hidden": (8,), "lags": 4, "epochs": 1, "batch_size": 32}))
    ens = EnsembleForecaster(models, combine="mean", horizon=2, seed=0).fit(y)
    ens.save(tmp_path / "ens")
    loaded = load_model(tmp_path / "ens")
    assert loaded.get_params() == ens.get_params()
    assert loaded.get_params()["models"][1] == ("narx", {"hidden": (8,), "lags": 4, "epochs": 1, "batch_size": 32})
    np.testing.assert_array_equal(loaded.predict().to_numpy(), ens.predict().to_numpy())


def test_member_spellings_are_equivalent_and_lists_become_tuples():
    specs = member_specs(["naive", {"model": "ar", "lags": [1, 2]}, ("seasonal_naive", {"m": 4})])
    assert specs == [("naive", {}), ("ar", {"lags": (1, 2)}), ("seasonal_naive", {"m": 4})]
    y = make_series()
    a = EnsembleForecaster(["naive", {"model": "ar", "lags": 2}], combine="mean").fit(y).predict(3)
    b = EnsembleForecaster((("naive", {}), ("ar", {"lags": 2})), combine="mean").fit(y).predict(3)
    pd.testing.assert_series_equal(a, b)


def test_horizon_and_seed_reach_members_that_leave_them_unset():
    ens = EnsembleForecaster((("ar", {"lags": 1}), ("ar", {"lags": 1, "horizon": 2}), ("gru", {})), horizon=6, seed=10)
    members = ens._build_members()
    assert [m.horizon for m in members] == [6, 2, 6]
    assert members[2].seed == 12
    assert ens.get_params()["models"][2] == ("gru", {})  # the parameter itself is untouched


def test_tags_follow_the_members():
    assert EnsembleForecaster(MEMBERS).get_tag("stochastic") is False
    assert EnsembleForecaster(MEMBERS).get_tag("neural") is False
    with_net = EnsembleForecaster(MEMBERS + (("gru", {}),))
    assert with_net.get_tag("stochastic") is True and with_net.get_tag("neural") is True
    assert with_net.get_tag("exog") is False
    assert EnsembleForecaster.get_tag("stochastic") is True  # the class cannot know; configs then pass a seed


@pytest.mark.parametrize("params, match", [
    ({"models": ()}, "non-empty"),
    ({"models": "naive"}, "non-empty"),
    ({"models": (("nope", {}),)}, r"models\[0\].*unknown model"),
    ({"models": (("ensemble", {}),)}, "itself an ensemble"),
    ({"models": (("naive", {}), 3)}, r"models\[1\] must be"),
    ({"models": ({"lags": 2},)}, "without a 'model'"),
    ({"models": (("ar", {"bogus": 1}),)}, r"models\[0\]: invalid parameters"),
    ({"models": (("seasonal_naive", {"m": 0}),)}, r"models\[0\] \(SeasonalNaiveForecaster\).*m must"),
    ({"combine": "max"}, "combine"),
    ({"holdout": 1.0}, "holdout"),
    ({"holdout": 1}, "holdout"),
    ({"horizon": 0}, "horizon"),
    ({"seed": -1}, "seed"),
])
def test_bad_parameters_raise_in_fit_with_a_named_error(params, match):
    ens = EnsembleForecaster(**params)  # __init__ stores, fit validates
    with pytest.raises(ParameterError, match=match):
        ens.fit(make_series())


@pytest.mark.slow
def test_mixed_family_ensemble_with_networks_round_trips(tmp_path):
    y = make_series(160)
    net = {"lags": 8, "epochs": 2, "batch_size": 32, "patience": 1}
    models = (("holt_winters", {"seasonal_periods": 24}), ("gru", {**net, "units": 4}), ("ar", {"lags": 2}),
              ("tdnn", {**net, "delays": 2, "filters": 4}))
    ens = EnsembleForecaster(models, combine="weighted", horizon=2, seed=3).fit(y)
    assert ens.get_tag("neural") and len(ens._get_state()[2]) == 2
    ens.save(tmp_path / "ens")
    loaded = load_model(tmp_path / "ens")
    np.testing.assert_array_equal(loaded.predict().to_numpy(), ens.predict().to_numpy())
    np.testing.assert_array_equal(loaded.predict_at(y, [60, 100], 2), ens.predict_at(y, [60, 100], 2))


# -- weights per lead time, chosen over several folds ----------------------------------------------------------

def test_by_lead_weights_over_folds_equal_a_hand_rolling_origin_loop():
    y = seasonal(240, period=12)
    models = (("naive", {}), ("seasonal_naive", {"m": 12}))
    H, n_folds = 3, 3
    ens = EnsembleForecaster(models, combine="weighted", horizon=H, holdout=0.25, n_folds=n_folds, by_lead=True).fit(y)
    head = 240 - 60
    origins = np.array_split(np.arange(head, 240 - H + 1), n_folds)
    mse = np.zeros((2, H))
    for fold in origins:  # each fold: fit on everything before its first origin, forecast its origins
        for i, (name, params) in enumerate(models):
            model = get_forecaster(name, **params).fit(y.iloc[: fold[0]])
            err = [y.iloc[o : o + H].to_numpy() - model.predict(H, y=y.iloc[:o]).to_numpy() for o in fold]
            mse[i] += np.mean(np.square(err), axis=0) / n_folds
    np.testing.assert_allclose(ens.holdout_mse_, mse, rtol=1e-10)
    w = (1 / mse) / (1 / mse).sum(axis=0)
    np.testing.assert_allclose(ens.weights_, w, rtol=1e-10)
    members = fitted_members(models, y)
    F = np.stack([m.predict(5).to_numpy() for m in members])  # leads past the horizon keep the last lead's weights
    expected = [w[:, min(h, H - 1)] @ F[:, h] for h in range(5)]
    np.testing.assert_allclose(ens.predict(5).to_numpy(), expected, rtol=1e-12)


def test_by_lead_lets_the_one_step_expert_lead_at_lead_one():
    # A random walk plus a strong daily cycle: naive is best one step ahead, seasonal naive 12 steps ahead.
    rng = np.random.default_rng(3)
    t = np.arange(600)
    values = 100 + np.cumsum(rng.normal(0, 2.0, 600)) + 3 * np.sin(2 * np.pi * t / 24)
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=600, freq="h"))
    ens = EnsembleForecaster((("naive", {}), ("seasonal_naive", {"m": 24})), combine="weighted", horizon=12,
                             holdout=0.3, n_folds=2, by_lead=True).fit(y)
    assert ens.weights_[0, 0] > 0.8 and ens.weights_[0, 0] > ens.weights_[0, 11]


def test_by_lead_round_trips_and_needs_weighted(tmp_path):
    y = seasonal(240, period=12)
    ens = EnsembleForecaster(MEMBERS[:2], combine="weighted", horizon=3, n_folds=2, by_lead=True).fit(y)
    ens.save(tmp_path / "m")
    np.testing.assert_array_equal(load_model(tmp_path / "m").predict(4).to_numpy(), ens.predict(4).to_numpy())
    with pytest.raises(ParameterError, match="combine='weighted'"):
        EnsembleForecaster(MEMBERS[:2], combine="mean", by_lead=True).fit(y)


def test_fold_count_raises_the_shortest_series():
    ens = EnsembleForecaster(MEMBERS, combine="weighted", horizon=3, holdout=0.05, n_folds=4)
    n = ens._min_length()
    ens.fit(make_series(n))
    with pytest.raises(InvalidInputError, match="at least"):
        clone(ens).fit(make_series(n - 1))


# -- many series: global members fitted once, the others per series ----------------------------------------------

NARX_SMALL = {"lags": 8, "horizon": 3, "epochs": 2, "hidden": (4,), "batch_size": 32, "seed": 5}


def _cells(n=150):
    return {k: make_series(n, seed=i, level=10.0 * (i + 1)) for i, k in enumerate("abc")}


def test_many_series_mean_equals_the_members_fitted_on_their_own():
    pytest.importorskip("keras")
    from tsforecast.evaluation.backtest import backtest_global

    cells = _cells()
    train = {k: s.iloc[:120] for k, s in cells.items()}
    ens = EnsembleForecaster((("ar", {"lags": 3}), ("narx", NARX_SMALL)), combine="mean", horizon=3).fit(train)
    assert isinstance(ens.members_[0], dict) and not isinstance(ens.members_[1], dict)
    narx = get_forecaster("narx", **NARX_SMALL).fit(train)  # the global member: one fit over all series
    ar = {k: get_forecaster("ar", lags=3).fit(s) for k, s in train.items()}  # the local member: one per series
    got = ens.predict().set_index(["id", "step"])["forecast"]
    for k in cells:
        expected = (ar[k].predict(3).to_numpy() + narx.predict(3, y=[k])["forecast"].to_numpy()) / 2
        np.testing.assert_allclose(got.loc[k].to_numpy(), expected, rtol=1e-6)
    # The global backtest reads every origin through the same members.
    bt = backtest_global(EnsembleForecaster((("ar", {"lags": 3}), ("narx", NARX_SMALL)), combine="mean",
                                            horizon=3), cells, initial=120, horizon=3, step=7)
    origin = int(bt.origins["b"][1])
    row = bt.predictions[(bt.predictions["series"] == "b")].sort_values(["origin", "step"])
    loop = (ar["b"].predict(3, y=cells["b"].iloc[:origin]).to_numpy()
            + narx.predict(3, y={"b": cells["b"].iloc[:origin]})["forecast"].to_numpy()) / 2
    np.testing.assert_allclose(row["y_pred"].to_numpy()[3:6], loop, rtol=1e-5)


def test_many_series_ensemble_saves_loads_and_updates(tmp_path):
    pytest.importorskip("keras")
    cells = _cells()
    ens = EnsembleForecaster((("ar", {"lags": 3}), ("narx", NARX_SMALL)), combine="median", horizon=3)
    ens.fit({k: s.iloc[:120] for k, s in cells.items()})
    ref = ens.predict(y={k: s.iloc[:140] for k, s in cells.items()})
    ens.update({k: s.iloc[120:140] for k, s in cells.items()})
    after = ens.predict()
    np.testing.assert_allclose(after["forecast"].to_numpy(), ref["forecast"].to_numpy(), rtol=1e-6)
    ens.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict()["forecast"].to_numpy(), after["forecast"].to_numpy(), rtol=1e-6)
    assert (loaded.predict()["timestamp"].to_numpy() == after["timestamp"].to_numpy()).all()


def test_many_series_refuses_weighted_and_unknown_series():
    cells = _cells()
    with pytest.raises(ParameterError, match="over many series use 'best_subset', 'mean' or 'median'"):
        EnsembleForecaster(MEMBERS[:2], combine="weighted").fit(cells)
    ens = EnsembleForecaster((("naive", {}), ("ar", {"lags": 2})), combine="mean").fit(cells)
    with pytest.raises(InvalidInputError, match="were not in the fit"):
        ens.predict(y={"z": cells["a"]})


# -- best_subset: which members to average, chosen on rolling-origin folds inside the training part -------------

SUBSET_MEMBERS = (("naive", {}), ("seasonal_naive", {"m": 12}), ("ar", {"lags": 2}), ("ar", {"lags": (1, 12)}))


def _brute_subset_choice(models, y, H, holdout, n_folds):
    """Fold loop by hand: fit on everything before each fold, forecast each origin with predict(y=...), then score
    every subset's equal-weight mean by its MSE over the members' average MSE, mean over folds."""
    n = len(y)
    head = n - max(int(np.ceil(holdout * n)), H)
    folds = np.array_split(np.arange(head, n - H + 1), n_folds)
    errors = []
    for fold in folds:
        per = []
        for name, params in models:
            model = get_forecaster(name, **params).fit(y.iloc[: fold[0]])
            per.append([y.iloc[o : o + H].to_numpy() - model.predict(H, y=y.iloc[:o]).to_numpy() for o in fold])
        errors.append(np.array(per))
    scores = {}
    for r in range(1, len(models) + 1):
        for subset in __import__("itertools").combinations(range(len(models)), r):
            total = 0.0
            for E in errors:
                mean_error = E[list(subset)].mean(axis=0)
                total += np.mean(mean_error ** 2) / np.mean([np.mean(E[i] ** 2) for i in range(len(models))])
            scores[subset] = total / len(errors)
    return min(scores, key=scores.get), scores


def test_best_subset_equals_a_hand_rolling_origin_loop_over_every_subset():
    y = seasonal(240, period=12, seed=4)
    ens = EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", horizon=3, holdout=0.3, n_folds=3).fit(y)
    best, scores = _brute_subset_choice(SUBSET_MEMBERS, y, 3, 0.3, 3)
    assert ens.subset_ == best
    np.testing.assert_allclose(ens.subset_scores_, [scores[s] for s in member_subsets(4)], rtol=1e-9)
    assert 0 not in ens.subset_ and ens.subset_scores_.min() < ens.subset_scores_[-1]  # no naive; beats the mean of all
    members = fitted_members(SUBSET_MEMBERS, y)  # refitted on all the data
    expected = np.mean([members[i].predict(3).to_numpy() for i in best], axis=0)
    np.testing.assert_allclose(ens.predict().to_numpy(), expected, rtol=1e-12)
    origins = [100, 180, 236]
    expected_at = np.mean([members[i].predict_at(y, origins, 3) for i in best], axis=0)
    np.testing.assert_allclose(ens.predict_at(y, origins, 3), expected_at, rtol=1e-12)
    assert ens.selection_summary().startswith("averages " + " + ".join(SUBSET_MEMBERS[i][0] for i in best) + ",")


@pytest.mark.parametrize("walk", [False, True])
def test_a_benchmark_member_leaves_out_members_worse_alone_than_it(walk):
    """Hand loop: the subset is the best of those without a member that alone scores worse than the
    benchmark; on a seasonal random walk every other member is worse, so the benchmark forecasts alone."""
    if walk:
        rng = np.random.default_rng(5)
        v = list(100 + 10 * np.sin(2 * np.pi * np.arange(12) / 12))
        for t in range(12, 240):
            v.append(v[t - 12] + rng.normal())
        y = pd.Series(v, index=pd.date_range("2024-01-01", periods=240, freq="h"))
    else:
        y = seasonal(240, period=12, seed=4)
    ens = EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", horizon=3, holdout=0.3, n_folds=3,
                             benchmark="seasonal_naive").fit(y)
    _, scores = _brute_subset_choice(SUBSET_MEMBERS, y, 3, 0.3, 3)
    worse = {i for i in range(4) if scores[(i,)] > scores[(1,)]}
    allowed = {c: v for c, v in scores.items() if not worse.intersection(c)}
    assert ens.subset_ == min(allowed, key=allowed.get)
    assert ("; worse alone than seasonal_naive, so left out: " + ", ".join(SUBSET_MEMBERS[i][0] for i in sorted(worse))
            in ens.selection_summary())
    if walk:
        assert worse == {0, 2, 3} and ens.subset_ == (1,)
        snaive = get_forecaster("seasonal_naive", m=12).fit(y)
        np.testing.assert_array_equal(ens.predict().to_numpy(), snaive.predict(3).to_numpy())
    else:  # naive and AR(2) lose to the benchmark alone; AR on lags 1 and 12 does not
        assert worse == {0, 2} and 3 in ens.subset_


def test_a_member_worse_alone_than_the_benchmark_is_left_out_even_where_it_helps_the_mean():
    """y_t = 0.6 y_{t-12} + 0.4 y_{t-24} + e: last period's value (the benchmark) and an AR on lag 24 err in
    opposite directions, so their mean beats the benchmark alone, but the AR alone is worse than it."""
    rng = np.random.default_rng(1)
    v = list(100 + 10 * rng.normal(size=24))
    for t in range(24, 400):
        v.append(0.6 * v[t - 12] + 0.4 * v[t - 24] + rng.normal())
    y = pd.Series(v, index=pd.date_range("2024-01-01", periods=400, freq="h"))
    members = (("seasonal_naive", {"m": 12}), ("ar", {"lags": (24,)}))
    _, scores = _brute_subset_choice(members, y, 3, 0.5, 3)
    assert scores[(1,)] > scores[(0,)] > scores[(0, 1)]
    kw = dict(combine="best_subset", horizon=3, holdout=0.5, n_folds=3)
    assert EnsembleForecaster(members, **kw).fit(y).subset_ == (0, 1)
    assert EnsembleForecaster(members, benchmark="seasonal_naive", **kw).fit(y).subset_ == (0,)


def test_a_benchmark_must_name_one_member_of_a_best_subset():
    y = seasonal(120, period=12)
    with pytest.raises(ParameterError, match="exactly one member"):
        EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", benchmark="holt_winters").fit(y)
    with pytest.raises(ParameterError, match="exactly one member"):
        EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", benchmark="ar").fit(y)  # two ARs
    with pytest.raises(ParameterError, match="chooses no subset"):
        EnsembleForecaster(SUBSET_MEMBERS, combine="mean", benchmark="seasonal_naive").fit(y)


def test_subset_scores_equal_the_mse_of_each_mean_computed_directly():
    rng = np.random.default_rng(0)
    blocks = [rng.normal(0, s, (3, 40, 4)) for s in (1.0, 5.0)]
    subsets = member_subsets(3)
    assert subsets[:3] == [(0,), (1,), (2,)] and subsets[-1] == (0, 1, 2) and len(subsets) == 7
    direct = [np.mean([np.mean(E[list(c)].mean(axis=0) ** 2) / np.mean(E ** 2) for E in blocks]) for c in subsets]
    np.testing.assert_allclose(subset_scores(blocks, subsets), direct, rtol=1e-12)
    with pytest.raises(InvalidInputError, match="non-finite"):
        subset_scores([np.full((2, 3, 1), np.nan)], member_subsets(2))


def test_best_subset_never_sees_data_after_the_training_series():
    y = seasonal(240, seed=2)
    a = EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", horizon=2, holdout=0.3, n_folds=2).fit(y.iloc[:200])
    bumped = y.copy()
    bumped.iloc[200:] *= -3.0
    b = EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", horizon=2, holdout=0.3, n_folds=2)
    b.fit(bumped.iloc[:200])
    assert a.subset_ == b.subset_
    np.testing.assert_array_equal(a.subset_scores_, b.subset_scores_)
    kw = dict(combine="best_subset", horizon=2, holdout=0.3, n_folds=2, benchmark="seasonal_naive")
    c, d = (EnsembleForecaster(SUBSET_MEMBERS, **kw).fit(s.iloc[:200]) for s in (y, bumped))
    assert c.subset_ == d.subset_


def test_best_subset_round_trips_and_needs_folds_of_its_own(tmp_path):
    y = seasonal(240, period=12)
    ens = EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", horizon=3, holdout=0.3, n_folds=2).fit(y)
    ens.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.subset_ == ens.subset_
    np.testing.assert_array_equal(loaded.subset_scores_, ens.subset_scores_)
    np.testing.assert_array_equal(loaded.predict(5).to_numpy(), ens.predict(5).to_numpy())
    with pytest.raises(ParameterError, match="by_lead"):
        EnsembleForecaster(SUBSET_MEMBERS, combine="best_subset", by_lead=True).fit(y)
    with pytest.raises(ParameterError, match="n_folds"):
        EnsembleForecaster(SUBSET_MEMBERS, combine="median", n_folds=2).fit(y)


def test_many_series_best_subset_equals_a_hand_loop_with_one_global_fit_per_fold():
    pytest.importorskip("keras")
    cells = _cells(90)
    models = (("ar", {"lags": 3}), ("narx", NARX_SMALL), ("naive", {}))
    H, n_folds = 3, 2
    ens = EnsembleForecaster(models, combine="best_subset", horizon=H, holdout=0.25, n_folds=n_folds).fit(cells)
    errors = {(k, j): [] for k in cells for j in range(n_folds)}
    folds = {k: np.array_split(np.arange(len(s) - max(int(np.ceil(0.25 * len(s))), H), len(s) - H + 1), n_folds)
             for k, s in cells.items()}
    for j in range(n_folds):
        narx = get_forecaster("narx", **NARX_SMALL).fit({k: s.iloc[: folds[k][j][0]] for k, s in cells.items()})
        for k, s in cells.items():
            local = [get_forecaster(name, **params).fit(s.iloc[: folds[k][j][0]]) for name, params in (models[0], models[2])]
            for i, model in enumerate([local[0], None, local[1]]):
                pred = [narx.predict(H, y={k: s.iloc[:o]})["forecast"].to_numpy() if model is None
                        else model.predict(H, y=s.iloc[:o]).to_numpy() for o in folds[k][j]]
                errors[k, j].append(np.array([s.iloc[o : o + H].to_numpy() for o in folds[k][j]]) - np.array(pred))
    expected = subset_scores([np.array(e) for e in errors.values()], member_subsets(3))
    np.testing.assert_allclose(ens.subset_scores_, expected, rtol=1e-4)
    assert ens.subset_ == member_subsets(3)[int(np.argmin(expected))]
    got = ens.predict().set_index(["id", "step"])["forecast"]
    full_narx = get_forecaster("narx", **NARX_SMALL).fit(cells)
    for k, s in cells.items():
        parts = {0: get_forecaster("ar", lags=3).fit(s).predict(H).to_numpy(),
                 1: full_narx.predict(H, y=[k])["forecast"].to_numpy(), 2: np.repeat(s.iloc[-1], H)}
        np.testing.assert_allclose(got.loc[k].to_numpy(), np.mean([parts[i] for i in ens.subset_], axis=0), rtol=1e-5)


def test_a_member_with_its_own_clock_forecasts_through_the_ensemble():
    # MSTL reads its seasonal phase off the timestamps; inside an ensemble it must still get them, from predict and
    # from every origin of a backtest (it used to get bare windows and fail).
    y = seasonal(300, period=12, seed=1)
    models = (("mstl", {"seasonal_periods": (12,), "lags": 2}), ("holt_winters", {"seasonal_periods": 12}),
              ("ar", {"lags": 3}))
    ens = EnsembleForecaster(models, combine="mean", horizon=4).fit(y.iloc[:200])
    members = fitted_members(models, y.iloc[:200])
    expected = np.mean([m.predict(4, y=y.iloc[:230]).to_numpy() for m in members], axis=0)
    np.testing.assert_allclose(ens.predict(4, y=y.iloc[:230]).to_numpy(), expected, rtol=1e-10)
    origins = [150, 201, 296]
    brute = np.vstack([np.mean([m.predict(4, y=y.iloc[:o]).to_numpy() for m in members], axis=0) for o in origins])
    np.testing.assert_allclose(ens.predict_at(y, origins, 4), brute, rtol=1e-9)
