"""Rolling-origin cross-validation inside the training part (tsforecast.evaluation.tune)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from tsforecast import ARForecaster, NaiveForecaster, SeasonalNaiveForecaster
from tsforecast.evaluation import backtest, tune
from tsforecast.evaluation.tune import fold_origins
from tsforecast.exceptions import NotEnoughDataError, ParameterError
from tsforecast.metrics import METRICS


def ar_series(n=160, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.normal(0, 1, n)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    return pd.Series(20 + y, index=pd.date_range("2024-01-01", periods=n, freq="h"), name="y")


def weekly_traffic(n_weeks=30, holiday=None, seed=0):
    """Daily traffic: weekdays 100, weekends 60, and a 'holiday' span at half the level."""
    rng = np.random.default_rng(seed)
    t = np.arange(7 * n_weeks)
    values = np.where(t % 7 < 5, 100.0, 60.0) + rng.normal(0, 3, len(t))
    if holiday is not None:
        values[holiday[0] : holiday[1]] *= 0.5
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(t), freq="D"), name="traffic")


# -- fold layout ---------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(20, 200), initial=st.integers(1, 19), horizon=st.integers(1, 5), step=st.integers(1, 4),
       n_folds=st.integers(1, 6))
def test_folds_tile_the_backtest_origins_in_order(n, initial, horizon, step, n_folds):
    origins = np.arange(initial, n - horizon + 1, step)
    if len(origins) < n_folds:
        with pytest.raises(NotEnoughDataError, match="n_folds"):
            fold_origins(n, initial, horizon, step, n_folds)
        return
    folds = fold_origins(n, initial, horizon, step, n_folds)
    assert len(folds) == n_folds
    np.testing.assert_array_equal(np.concatenate(folds), origins)  # every origin once, oldest fold first
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    assert folds[-1][-1] + horizon <= n  # last target inside the training part


@settings(max_examples=60, deadline=None)
@given(n=st.integers(30, 200), initial=st.integers(1, 20), n_folds=st.integers(1, 5), fold_size=st.integers(1, 15))
def test_fixed_size_folds_are_spread_without_overlap(n, initial, n_folds, fold_size):
    origins = np.arange(initial, n - 2 + 1)
    if n_folds * fold_size > len(origins):
        with pytest.raises(NotEnoughDataError, match="fold_size"):
            fold_origins(n, initial, 2, 1, n_folds, fold_size)
        return
    folds = fold_origins(n, initial, 2, 1, n_folds, fold_size)
    assert [len(f) for f in folds] == [fold_size] * n_folds
    assert folds[-1][-1] == origins[-1]  # the last fold is the most recent block
    if n_folds > 1:
        assert folds[0][0] == initial  # spread over the whole range
    for a, b in zip(folds, folds[1:]):
        assert a[-1] < b[0]  # no overlap, in time order
        np.testing.assert_array_equal(np.diff(a), 1)


# -- (a) each fold score equals a hand loop ------------------------------------------------------------------

@pytest.mark.parametrize("step", [1, 3])
def test_fold_scores_equal_a_hand_loop_of_fit_and_predict(step):
    y = ar_series(160)
    end, horizon = 150, 3
    res = tune(ARForecaster(), y, {"lags": [1, 2, 4]}, initial=60, horizon=horizon, step=step, n_folds=3, end=end)
    train = y.iloc[:end]
    origins = np.arange(60, end - horizon + 1, step)
    for row in res.results_.itertuples():
        fold_scores = []
        for k, block in enumerate(np.array_split(origins, 3), start=1):
            model = ARForecaster(lags=row.param_lags).fit(train.iloc[: block[0]])  # fit before the fold
            pred = np.vstack([model.predict(horizon, y=train.iloc[:o]).to_numpy() for o in block])
            actual = np.vstack([train.to_numpy()[o : o + horizon] for o in block])
            fold_scores.append(np.mean(np.abs(actual - pred)))
            assert getattr(row, f"score_fold{k}") == pytest.approx(fold_scores[-1], rel=1e-9)
        sizes = [len(b) for b in np.array_split(origins, 3)]
        assert row.score == pytest.approx(np.average(fold_scores, weights=sizes), rel=1e-9)
        assert row.score_std == pytest.approx(np.std(fold_scores), rel=1e-9)
    best = res.results_["score"].idxmin()
    assert res.best_params_ == res.results_.loc[best, "params"]
    assert res.best_score_ == res.results_.loc[best, "score"]


def test_fold_table_names_the_boundaries_and_summary_explains_the_choice():
    y = ar_series(160)
    res = tune(ARForecaster(), y, {"lags": [1, 2]}, initial=60, horizon=2, n_folds=3, end=150)
    blocks = np.array_split(np.arange(60, 149), 3)
    f = res.folds_
    assert list(f["fold"]) == [1, 2, 3] and list(f["n_origins"]) == [len(b) for b in blocks]
    assert list(f["train_end"]) == [y.index[b[0] - 1] for b in blocks]
    assert list(f["first_target"]) == [y.index[b[0]] for b in blocks]
    assert list(f["last_target"]) == [y.index[b[-1] + 1] for b in blocks]
    assert f["last_target"].iloc[-1] == y.index[149] == res.end_
    text = res.summary()
    assert str(res.best_params_) in text and str(y.index[blocks[1][0] - 1]) in text and "3 fold(s)" in text


def test_with_one_model_per_fold_the_score_is_a_backtest_per_fold_and_one_fold_is_the_plain_backtest():
    y = ar_series(160)
    one = tune(ARForecaster(), y, {"lags": [2]}, initial=80, horizon=2, n_folds=1)
    bt = backtest(ARForecaster(lags=2), y, initial=80, horizon=2, metrics=("mae",))
    assert one.best_score_ == pytest.approx(bt.metrics.loc["all", "mae"], rel=1e-12)


def test_sliding_window_folds_train_on_the_last_initial_points():
    y = ar_series(160)
    res = tune(ARForecaster(), y, {"lags": [2]}, initial=50, horizon=1, n_folds=2, window="sliding", refit=True,
               metric="rmse")
    blocks = np.array_split(np.arange(50, 160), 2)
    for k, block in enumerate(blocks, start=1):
        errors = []
        for o in block:  # refit=True, sliding: each origin fitted on its last 50 points and forecast from them
            model = ARForecaster(lags=2).fit(y.iloc[o - 50 : o])
            errors.append(y.iloc[o] - model.predict(1).iloc[0])
        expected = METRICS["rmse"](np.array(errors)[:, None], np.zeros((len(errors), 1)))
        assert res.results_[f"score_fold{k}"].iloc[0] == pytest.approx(expected, rel=1e-9)


# -- (b) nothing after `end` is read -------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(shift=st.floats(-1e3, 1e3, allow_nan=False), scale=st.floats(0.0, 10.0), seed=st.integers(0, 2**16))
def test_data_after_end_never_changes_the_choice_or_the_winner(shift, scale, seed):
    y = ar_series(180)
    end = 140
    grid = {"lags": [1, 2, 3, 6]}
    base = tune(ARForecaster(), y, grid, initial=50, horizon=3, n_folds=3, end=end)
    bumped = y.copy()
    noise = np.random.default_rng(seed).normal(0, 1, len(y) - end)
    bumped.iloc[end:] = shift + scale * noise
    again = tune(ARForecaster(), bumped, grid, initial=50, horizon=3, n_folds=3, end=end)
    assert again.best_params_ == base.best_params_
    pd.testing.assert_series_equal(again.results_["score"], base.results_["score"])
    pd.testing.assert_series_equal(again.best_forecaster_.predict(5), base.best_forecaster_.predict(5))
    assert again.best_forecaster_.y_.index[-1] == y.index[end - 1]  # winner refitted on the training part only


def test_end_as_timestamp_equals_end_as_count_and_equals_truncating_y():
    y = ar_series(180)
    grid = {"lags": [1, 3]}
    a = tune(ARForecaster(), y, grid, initial=50, horizon=2, end=140)
    b = tune(ARForecaster(), y, grid, initial=50, horizon=2, end=y.index[140])
    c = tune(ARForecaster(), y.iloc[:140], grid, initial=50, horizon=2)
    for other in (b, c):
        pd.testing.assert_series_equal(other.results_["score"], a.results_["score"])
        pd.testing.assert_frame_equal(other.folds_, a.folds_)
    assert a.end_ == y.index[139]


def test_exogenous_data_after_end_is_not_needed():
    y = ar_series(120)
    X = pd.DataFrame({"x": np.arange(120.0)}, index=y.index)
    res = tune(ARForecaster(), y, {"lags": [1, 2]}, X=X.iloc[:100], initial=50, horizon=2, end=100)
    assert res.best_forecaster_.X_.index[-1] == y.index[99]
    as_array = tune(ARForecaster(), y, {"lags": [1, 2]}, X=X.to_numpy(), initial=50, horizon=2, end=100)
    pd.testing.assert_series_equal(as_array.results_["score"], res.results_["score"])


# -- (c) several folds survive an unusual window -------------------------------------------------------------

def test_several_folds_pick_right_where_a_holiday_validation_window_picks_wrong():
    # 30 weeks; a two-week holiday (half the traffic) sits in the last three training weeks, then 4 test weeks.
    y = weekly_traffic(30, holiday=(161, 175))
    end, grid = 182, {"m": [1, 7]}
    single = tune(SeasonalNaiveForecaster(), y, grid, initial=161, n_folds=1, end=end)  # validate on the last 3 weeks
    several = tune(SeasonalNaiveForecaster(), y, grid, initial=56, n_folds=3, fold_size=21, end=end)
    assert single.best_params_ == {"m": 1}
    assert several.best_params_ == {"m": 7}
    # Why: the holiday fold alone prefers m=1, the two ordinary folds prefer m=7.
    r = several.results_.set_index("param_m")
    assert r.loc[1, "score_fold3"] < r.loc[7, "score_fold3"]
    assert r.loc[7, "score_fold1"] < r.loc[1, "score_fold1"] and r.loc[7, "score_fold2"] < r.loc[1, "score_fold2"]
    # Truth on the held-out weeks: the weekly model is the better one there.
    test_mae = {m: backtest(SeasonalNaiveForecaster(m=m), y, initial=end, metrics=("mae",)).metrics.loc["all", "mae"]
                for m in (1, 7)}
    assert test_mae[7] < test_mae[1] / 2


# -- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"end": 0}, "end must lie"),
    ({"end": 10_000}, "end must lie"),
    ({"end": 1.5}, "end must be an int"),
    ({"end": True}, "end must be an int"),
    ({"end": "2023-01-01"}, "before the first point"),
    ({"end": "not a date"}, "not a timestamp"),
    ({"n_folds": 0}, "n_folds"),
    ({"n_folds": 500}, "fewer than n_folds"),
    ({"n_folds": 3, "fold_size": 40}, "fold_size"),
    ({"fold_size": 0}, "fold_size"),
])
def test_bad_settings_raise_named_errors(kwargs, match):
    y = ar_series(120)
    with pytest.raises((ParameterError, NotEnoughDataError), match=match):
        tune(NaiveForecaster(), y, {}, initial=60, horizon=2, **kwargs)


def test_the_template_is_not_modified():
    y = ar_series(120)
    est = ARForecaster(lags=1)
    before = clone(est).get_params()
    tune(est, y, {"lags": [2, 3]}, initial=60, horizon=2)
    assert est.get_params() == before and not hasattr(est, "context_length_")


# -- tune_global: one model over many series ------------------------------------------------------
def _global_panel(n_series=3, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n_series):
        n = 90 + 6 * i  # ragged lengths
        t = np.arange(n)
        out[f"s{i}"] = pd.Series(20 + 5 * np.sin(2 * np.pi * t / 6) + rng.normal(0, 0.5, n),
                                 index=pd.date_range("2024-01-01", periods=n, freq="h"))
    return out


def _small_narx(**kw):
    from tsforecast import NARXForecaster

    # The ridge part is solved, not trained, and one short epoch keeps the MLP small: fast and seeded.
    return NARXForecaster(lags=4, horizon=3, hidden=(2,), linear_skip="ridge", epochs=1, batch_size=64, seed=0,
                          verbose=0, **kw)


def test_tune_global_scores_equal_a_brute_force_loop_of_global_fits_and_forecasts():
    from tsforecast.evaluation import tune_global

    panel, h = _global_panel(), 3
    end = {k: len(s) - 24 for k, s in panel.items()}
    result = tune_global(_small_narx(), panel, {"lags": [3, 6]}, end=end, horizon=h, step=2, metric="mae",
                         fit_best=False)
    assert result.best_forecaster_ is None and set(result.folds_["n_series"]) == {3}
    for row in result.results_.itertuples():
        by_fold, weights = [], []
        for j in range(3):
            firsts, blocks = {}, {}
            for k, s in panel.items():
                origins = np.arange(end[k] // 2, end[k] - h + 1, 2)  # every other origin from half the training part
                blocks[k] = np.array_split(origins, 3)[j]
                firsts[k] = int(blocks[k][0])
            model = clone(_small_narx()).set_params(lags=row.param_lags)
            model.fit({k: s.iloc[: firsts[k]] for k, s in panel.items()})
            maes = []
            for k, s in panel.items():
                # Keyed by its id, a series' windows are scaled by its own scaler fitted on its training part.
                errors = [np.abs(s.to_numpy()[o:o + h] - model.predict(h, y={k: s.iloc[:o]})["forecast"].to_numpy())
                          for o in blocks[k]]
                maes.append(np.mean(errors))
            by_fold.append(np.mean(maes))
            weights.append(sum(len(b) for b in blocks.values()))
        np.testing.assert_allclose([getattr(row, f"score_fold{j + 1}") for j in range(3)], by_fold, rtol=1e-5)
        assert row.score == pytest.approx(np.average(by_fold, weights=weights), rel=1e-5)
    assert result.best_params_["lags"] == result.results_.loc[result.results_["score"].idxmin(), "param_lags"]


def test_tune_global_never_reads_past_each_series_end():
    from tsforecast.evaluation import tune_global

    panel = _global_panel(seed=1)
    end = {k: len(s) - 20 for k, s in panel.items()}
    changed = {k: s.where(np.arange(len(s)) < end[k], -1e6) for k, s in panel.items()}  # the test parts wrecked
    runs = [tune_global(_small_narx(), p, {"hidden": [(2,), (3,)]}, end=end, horizon=3, step=3, fit_best=False)
            for p in (panel, changed)]
    pd.testing.assert_frame_equal(runs[0].results_.drop(columns=["fit_seconds", "predict_seconds"]),
                                  runs[1].results_.drop(columns=["fit_seconds", "predict_seconds"]))
    assert runs[0].best_params_ == runs[1].best_params_


def test_tune_global_refuses_a_per_series_model_and_series_too_short_for_folds():
    from tsforecast.evaluation import tune_global

    panel = _global_panel()
    with pytest.raises(ParameterError, match="global model"):
        tune_global(ARForecaster(lags=2), panel, {"lags": [1, 2]}, end={k: 60 for k in panel})
    with pytest.raises(ParameterError, match=r"end has no training length for series \['s2'\]"):
        tune_global(_small_narx(), panel, {"lags": [2]}, end={"s0": 60, "s1": 60})
    with pytest.raises(ParameterError, match="does not have"):
        tune_global(_small_narx(), panel, {"nope": [1]}, end={k: 60 for k in panel})
    with pytest.raises(NotEnoughDataError, match="no series has origins enough"):
        tune_global(_small_narx(), panel, {"lags": [2]}, end={k: 8 for k in panel}, horizon=3)
