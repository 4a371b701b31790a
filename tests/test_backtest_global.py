"""Backtests of a global model over many series (``tsf.backtest(global_model, {id: y})``).

The truth is a brute-force loop: the same model fitted over the training parts,
then ``model.predict(h, y={id: y[:o]})`` for every series and origin, scored with
the metric functions one series at a time.
"""

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.evaluation.backtest import GlobalBacktestResult, global_origin_forecasts
from tsforecast.exceptions import NotEnoughDataError, ParameterError
from tsforecast.metrics import METRICS

H = 3
PARAMS = {"lags": 8, "horizon": H, "epochs": 3, "batch_size": 32, "patience": 2, "seed": 0}


def _panel():
    """Three hourly series at very different levels (and lengths), so a wrong scaler shows at once."""
    rng = np.random.default_rng(0)
    out = {}
    for k, (level, n) in {"small": (5.0, 90), "mid": (500.0, 100), "big": (2e5, 84)}.items():
        t = np.arange(n)
        values = level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.05 * level, n)
        out[k] = pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq="h"), name=k)
    return out


def _model():
    return tsf.get_forecaster("narx", **PARAMS)


def _brute_force(model, series, initials, step):
    """{id: (origins, forecasts (n_origins, H))} with one predict call per series and origin."""
    out = {}
    for k, y in series.items():
        origins, rows = [], []
        o = initials[k]
        while o + H <= len(y):
            fc = model.predict(H, y={k: y.iloc[:o]})
            rows.append(fc["forecast"].to_numpy())
            origins.append(o)
            o += step
        out[k] = (np.array(origins), np.array(rows))
    return out


def test_one_batched_forecast_equals_predict_at_each_origin():
    series = _panel()
    initials = {k: len(s) - 20 for k, s in series.items()}
    model = _model().fit({k: s.iloc[: initials[k]] for k, s in series.items()})
    truth = _brute_force(model, series, initials, step=2)
    got = global_origin_forecasts(model, series, {k: o for k, (o, _) in truth.items()}, H)
    for k, (_, rows) in truth.items():
        np.testing.assert_allclose(got[k], rows, rtol=1e-5)
    # The levels really differ, so one scaler for all (or a per-origin one) would not pass the check above.
    assert got["big"].mean() > 1e4 * got["small"].mean()


@pytest.mark.parametrize("as_long", [False, True])
def test_backtest_of_many_series_equals_a_loop_per_series_and_origin(as_long):
    series = _panel()
    initial = 0.75
    step = 2
    names = ("mae", "rmse", "mase")
    data = series
    if as_long:
        data = pd.concat([pd.DataFrame({"id": k, "timestamp": s.index, "value": s.to_numpy()})
                          for k, s in series.items()], ignore_index=True)
    res = tsf.backtest(_model(), data, initial=initial, step=step, metrics=names, seasonal_period=12)
    assert isinstance(res, GlobalBacktestResult)

    initials = {k: int(np.floor(initial * len(s))) for k, s in series.items()}
    assert res.params["initial"] == initials
    model = _model().fit({k: s.iloc[: initials[k]] for k, s in series.items()})  # same seed: the same network
    truth = _brute_force(model, series, initials, step)

    rows = []
    for k, (origins, fc) in truth.items():
        np.testing.assert_array_equal(res.origins[k], origins)
        y = series[k]
        actual = np.array([y.to_numpy()[o : o + H] for o in origins])
        np.testing.assert_allclose(res.errors[k], actual - fc, rtol=1e-5, atol=1e-6 * np.abs(actual).max())
        part = res.predictions[res.predictions["series"] == k]
        for i, o in enumerate(origins):
            for h in range(H):
                row = part.iloc[i * H + h]
                assert row["origin"] == y.index[o - 1] and row["step"] == h + 1
                assert row["timestamp"] == y.index[o + h] and row["y_true"] == y.iloc[o + h]
                assert row["y_pred"] == pytest.approx(fc[i, h], rel=1e-5)
        train = y.to_numpy()[: initials[k]]
        table = res.series_metrics[k]
        for name in names:
            extra = {"y_train": train, "m": 12} if name == "mase" else {}
            assert table.loc["all", name] == pytest.approx(METRICS[name](actual, fc, **extra), rel=1e-4)
            for h in range(H):
                assert table.loc[h + 1, name] == pytest.approx(
                    METRICS[name](actual[:, h : h + 1], fc[:, h : h + 1], **extra), rel=1e-4)
        rows.append(table)
    # Averages over series, cell by cell.
    for name in names:
        assert res.metrics.loc["all", name] == pytest.approx(np.mean([t.loc["all", name] for t in rows]))
        assert res.metrics.loc[H, name] == pytest.approx(np.mean([t.loc[H, name] for t in rows]))
    assert list(res.predictions["series"].unique()) == list(series)
    assert res.n_origins == sum(len(o) for o, _ in truth.values())


def test_initial_per_series_and_refusals():
    series = _panel()
    res = tsf.backtest(_model(), series, initial={"small": 80, "mid": 90, "big": 70}, step=5, metrics=("mae",))
    assert [int(res.origins[k][0]) for k in series] == [80, 90, 70]
    with pytest.raises(ParameterError, match="global model"):
        tsf.backtest("naive", series, initial=0.5)
    with pytest.raises(ParameterError, match="refit"):
        tsf.backtest(_model(), series, initial=0.5, refit=1)
    with pytest.raises(ParameterError, match="coverage"):
        tsf.backtest(_model(), series, initial=0.5, coverage=0.9)
    with pytest.raises(ParameterError, match="no value"):
        tsf.backtest(_model(), series, initial={"small": 80})
    with pytest.raises(NotEnoughDataError, match="no origin"):
        tsf.backtest(_model(), series, initial=0.5, horizon=60)
