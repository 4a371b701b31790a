"""Networks on update: epochs=0 keeps the weights, epochs=k fine-tunes on the newest windows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import ParameterError
from tsforecast.models.neural_base import newest_window_starts
from tsforecast.windowing import WindowSource

NARX = dict(lags=4, hidden=(8,), horizon=1, epochs=40, batch_size=32, patience=5, learning_rate=1e-2, seed=0)


def _ar1(n, mu, phi=0.5, seed=0, start=0.0):
    rng = np.random.default_rng(seed)
    x, prev = np.empty(n), start
    for t in range(n):
        prev = mu + phi * (prev - mu) + rng.normal()
        x[t] = prev
    return x


def _level_shift(n_old=400, n_new=200, shift=4.0, seed=0):
    old = _ar1(n_old, 0.0, seed=seed)
    new = _ar1(n_new, shift, seed=seed + 100, start=old[-1])
    return pd.Series(np.r_[old, new], pd.date_range("2024-01-01", periods=n_old + n_new, freq="h"))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_newest_window_starts_are_the_windows_whose_targets_reach_a_new_point(data):
    n_series = data.draw(st.integers(1, 4))
    lags, horizon = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 3))
    lengths = [data.draw(st.integers(lags + horizon, 40)) for _ in range(n_series)]
    counts = [data.draw(st.integers(0, n)) for n in lengths]
    minimum = data.draw(st.integers(1, 50))
    source = WindowSource([np.zeros((n, 1)) for n in lengths], lags, horizon)
    got = newest_window_starts(source.per_series, counts, minimum)
    offsets = np.cumsum([0] + lengths[:-1])
    # Brute force: a window starting at local s has targets s + lags .. s + lags + horizon - 1.
    reach = [off + s for off, n, c, starts in zip(offsets, lengths, counts, source.per_series)
             for s in starts - off if any(t >= n - c for t in range(s + lags, s + lags + horizon))]
    assert set(reach) <= set(got.tolist())
    if len(reach) >= minimum or not any(counts):
        assert sorted(got.tolist()) == sorted(reach)
        return
    available = sum(len(st_) for st_, c in zip(source.per_series, counts) if c > 0)
    assert len(got) >= min(minimum, available)
    for st_, c in zip(source.per_series, counts):
        mine = np.intersect1d(got, st_)
        if c == 0:
            assert len(mine) == 0  # a series without new points adds nothing
        else:  # the newest windows of the series, none skipped
            np.testing.assert_array_equal(mine, st_[len(st_) - len(mine):])


def _copy(model, path):
    """An independent copy of a fitted model (saved and loaded: the same forecasts, exactly)."""
    model.save(path)
    return tsf.load_model(path)


def _one_step_mse(model, y, origins):
    pred = model.predict_at(y, origins, 1)[:, 0]
    return float(np.mean((y.to_numpy()[origins] - pred) ** 2))


def test_fine_tuning_after_a_level_shift_lowers_the_error_on_the_new_regime(tmp_path):
    y = _level_shift()
    kept = tsf.NARXForecaster(**NARX).fit(y.iloc[:400])
    tuned = _copy(kept, tmp_path / "fitted")  # the same network, without paying for a second identical fit
    weights = [w.copy() for w in kept.networks_[0].get_weights()]
    kept.update(y.iloc[400:460])
    tuned.update(y.iloc[400:460], epochs=30)
    for a, b in zip(weights, kept.networks_[0].get_weights()):
        np.testing.assert_array_equal(a, b)  # epochs=0: the weights stay
    assert len(tuned.history_[0]["update_loss"]) == 30
    origins = np.arange(460, 600)  # the new regime after the update: never trained on
    err_kept, err_tuned = _one_step_mse(kept, y, origins), _one_step_mse(tuned, y, origins)
    # The noise variance is 1: the old network misses the new level by ~2 per step (MSE ~5);
    # fine-tuned it should be near the noise floor.
    assert err_tuned < 0.5 * err_kept and err_tuned < 2.0, (err_tuned, err_kept)
    assert tuned.scalers_[0].get_state() == kept.scalers_[0].get_state()  # the scale stays as fitted
    tuned.save(tmp_path / "m")
    loaded = tsf.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(3).to_numpy(), tuned.predict(3).to_numpy())
    assert loaded.predict(3).index[0] == y.index[460]


def test_global_fine_tuning_uses_the_updated_series(tmp_path):
    ys = {"a": _level_shift(seed=1), "b": _level_shift(seed=2, shift=0.0)}
    fit = {k: s.iloc[:400] for k, s in ys.items()}
    kept = tsf.NARXForecaster(**NARX).fit(fit)
    tuned = _copy(kept, tmp_path / "fitted")
    kept.update({"a": ys["a"].iloc[400:460]})
    tuned.update({"a": ys["a"].iloc[400:460]}, epochs=30)
    origins = np.arange(460, 600)
    err = {}
    for name, m in (("kept", kept), ("tuned", tuned)):
        pred = m.forecast_origins({"a": ys["a"]}, {"a": origins}, 1)["a"][:, 0]
        err[name] = float(np.mean((ys["a"].to_numpy()[origins] - pred) ** 2))
    assert err["tuned"] < 0.5 * err["kept"], err


def test_update_options_are_checked():
    y = _level_shift(n_old=120, n_new=20)
    m = tsf.NARXForecaster(**{**NARX, "epochs": 2}).fit(y.iloc[:120])
    with pytest.raises(ParameterError, match="epochs"):
        m.update(y.iloc[120:125], epochs=-1)
    with pytest.raises(ParameterError, match="learning_rate"):
        m.update(y.iloc[120:125], epochs=1, learning_rate=0)
    with pytest.raises(ParameterError, match="momentum"):
        m.update(y.iloc[120:125], momentum=0.9)
    with pytest.raises(ParameterError, match="refit"):
        m.update(y.iloc[120:125], refit=True, epochs=2)
