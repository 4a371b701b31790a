"""Options of the Keras forecasters: global scaling per origin, seeding, ensembles, residual targets,
per-window normalisation, lag sets, and the training knobs reaching Keras."""

import random

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import NotEnoughDataError, ParameterError
from tsforecast.nn.wrappers import base_positions, wrap_network
from tsforecast.scaling import Scaler
from tsforecast.testing import make_series

FAST = dict(epochs=2, batch_size=32, patience=1)


def _hourly(n, level, seed):
    return make_series(n, seed=seed, level=level)


def test_global_predict_at_scales_each_series_on_its_own_history():
    """A series at level 1000 that the model never saw is forecast near 1000, exactly as
    predict(y=y[:o]) does origin by origin (it used to get the first training series' scaler)."""
    train = {"a": _hourly(120, 10.0, 0), "b": _hourly(120, 20.0, 1)}
    model = tsf.NARXForecaster(lags=8, hidden=(4,), horizon=2, strategy="mimo", **FAST).fit(train)
    big = _hourly(120, 1000.0, 2)
    origins = np.array([40, 77, 120])
    got = model.predict_at(big, origins, 2)
    for row, o in zip(got, origins):
        brute = model.predict(2, y=big.iloc[:o])["forecast"].to_numpy()
        np.testing.assert_allclose(row, brute, rtol=1e-5)
    assert np.all(np.abs(got - 1000.0) < 100.0), got


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=60), st.sampled_from(["standard", "log", "minmax", "robust", None]),
       st.data())
def test_fit_prefixes_equals_fit_on_each_prefix(values, method, data):
    y = np.array(values)
    ends = data.draw(st.lists(st.integers(1, len(y)), min_size=1, max_size=8))
    got = Scaler(method).fit_prefixes(y, ends)
    for i, e in enumerate(ends):
        one = Scaler(method).fit(y[:e])
        np.testing.assert_allclose(got.loc_[i, 0], one.loc_, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(got.scale_[i, 0], one.scale_, rtol=1e-6, atol=1e-6)


def test_fit_leaves_global_generators_alone_and_seed_none_works():
    np.random.seed(123)
    random.seed(123)
    np_state, py_state = np.random.get_state(), random.getstate()
    y = _hourly(80, 10.0, 0)
    tsf.GRUForecaster(lags=6, horizon=2, units=4, **FAST).fit(y).predict()
    after_np, after_py = np.random.get_state(), random.getstate()
    assert np.array_equal(after_np[1], np_state[1]) and after_np[2] == np_state[2]
    assert after_py == py_state
    a = tsf.NARXForecaster(lags=6, hidden=(4,), seed=None, **FAST).fit(y).predict(3)
    b = tsf.NARXForecaster(lags=6, hidden=(4,), seed=None, **FAST).fit(y).predict(3)
    assert not np.allclose(a.to_numpy(), b.to_numpy()), "seed=None must draw a fresh network each fit"
    with pytest.raises(ParameterError, match="seed"):
        tsf.NARXForecaster(seed=-1).fit(y)


def test_ensemble_is_the_median_of_members_with_consecutive_seeds():
    y = _hourly(100, 10.0, 3)
    kw = dict(lags=6, hidden=(4,), horizon=3, strategy="mimo", **FAST)
    ens = tsf.NARXForecaster(n_ensemble=3, seed=5, **kw).fit(y).predict()
    members = np.stack([tsf.NARXForecaster(seed=s, **kw).fit(y).predict().to_numpy() for s in (5, 6, 7)])
    np.testing.assert_allclose(ens.to_numpy(), np.median(members, axis=0), rtol=1e-5)
    assert not np.allclose(members[0], members[1])


def _zero_core(window, n_channels, out_steps):
    inp = keras.Input((window, n_channels))
    out = keras.layers.Dense(out_steps, kernel_initializer="zeros", bias_initializer="zeros")(keras.layers.Flatten()(inp))
    return keras.Model(inp, out, name="zero")


@pytest.mark.parametrize("base,period", [("last", None), ("seasonal", 4)])
def test_residual_base_with_a_silent_core_is_the_naive_forecast(base, period):
    window, steps = 10, [1, 2, 3, 4, 5, 6]
    net = wrap_network(_zero_core(window, 1, len(steps)), window, 1, len(steps), 0, base=base, period=period, steps=steps)
    x = np.random.default_rng(0).normal(size=(5, window, 1)).astype("float32")
    got = np.asarray(net.predict_on_batch(x))
    series = x[:, :, 0]
    if base == "last":
        expected = np.repeat(series[:, -1:], len(steps), axis=1)
    else:  # brute force: repeat the last season
        expected = np.stack([series[:, window - period + (s - 1) % period] for s in steps], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert base_positions(window, [1], "seasonal", 4) == [6]


def test_window_normalisation_is_affine_equivariant():
    """scaler='window': shifting or stretching a window shifts or stretches the forecast the same way."""
    window = 12
    core = keras.Sequential([keras.Input((window, 1)), keras.layers.Flatten(), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(3)])
    net = wrap_network(core, window, 1, 3, 0, window_norm=True)
    x = np.random.default_rng(1).normal(size=(4, window, 1)).astype("float64")
    base = np.asarray(net.predict_on_batch(x.astype("float32")), dtype=np.float64)
    moved = np.asarray(net.predict_on_batch((2.5 * x + 7.0).astype("float32")), dtype=np.float64)
    np.testing.assert_allclose(moved, 2.5 * base + 7.0, rtol=1e-4, atol=1e-4)


def test_window_scaler_and_seasonal_base_fit_save_and_load(tmp_path):
    y = _hourly(150, 50.0, 4)
    model = tsf.NARXForecaster(lags=30, hidden=(4,), horizon=4, strategy="mimo", scaler="window", base="seasonal",
                               **FAST).fit(y)
    assert model.period_ == 24  # the hourly index's daily season
    pred = model.predict()
    model.save(tmp_path / "m")
    again = tsf.load_model(tmp_path / "m").predict()
    np.testing.assert_array_equal(pred.to_numpy(), again.to_numpy())
    # The network reads 12 lags; the seasonal base still reaches a season (24 steps) back.
    short = tsf.NARXForecaster(lags=12, hidden=(4,), base="seasonal", **FAST).fit(y)
    assert short.context_length_ == 24 and short.networks_[0].input_shape[1] == 24
    with pytest.raises(NotEnoughDataError, match="season"):
        tsf.NARXForecaster(lags=4, base="seasonal", seasonal_period=150, **FAST).fit(y)


def test_narx_lag_set_reads_only_those_lags():
    y = _hourly(120, 10.0, 5)
    model = tsf.NARXForecaster(lags=[1, 2, 24], hidden=(4,), **FAST).fit(y)
    assert model.context_length_ == 24
    hist = y.iloc[:100].copy()
    base = model.predict(1, y=hist).to_numpy()
    hist.iloc[-10] += 100.0  # lag 10 is not in the set
    np.testing.assert_array_equal(model.predict(1, y=hist).to_numpy(), base)
    hist.iloc[-24] += 100.0  # lag 24 is
    assert not np.allclose(model.predict(1, y=hist).to_numpy(), base)
    with pytest.raises(ParameterError, match="lags"):
        tsf.NARXForecaster(lags=[0, 3]).fit(y)


def _layers(net):
    out = []
    for layer in net.layers:
        out.append(layer)
        if isinstance(layer, keras.Model):
            out.extend(_layers(layer))
        inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
        if inner is not None:
            out.append(inner)
    return out


def test_training_options_reach_the_keras_model():
    y = _hourly(100, 10.0, 6)
    model = tsf.LSTMForecaster(lags=8, horizon=2, units=4, dropout=0.25, recurrent_dropout=0.125, l2=0.01,
                               clipnorm=0.5, optimizer="rmsprop", loss="huber", learning_rate=0.02, **FAST).fit(y)
    net = model.networks_[0]
    lstm = [layer for layer in _layers(net) if isinstance(layer, keras.layers.LSTM)][0]
    assert lstm.dropout == 0.25 and lstm.recurrent_dropout == 0.125
    assert float(lstm.cell.kernel_regularizer.l2) == pytest.approx(0.01)
    assert isinstance(net.optimizer, keras.optimizers.RMSprop)
    assert net.optimizer.clipnorm == 0.5
    assert float(net.optimizer.learning_rate.numpy() if hasattr(net.optimizer.learning_rate, "numpy")
                 else net.optimizer.learning_rate) == pytest.approx(0.02)
    assert isinstance(net.loss, keras.losses.Huber)


def test_reduce_lr_on_plateau_lowers_the_learning_rate():
    y = _hourly(100, 10.0, 7)
    # A learning rate far too high plateaus at once; the schedule must then halve it.
    model = tsf.NARXForecaster(lags=6, hidden=(4,), epochs=6, patience=6, learning_rate=0.5, reduce_lr_patience=1,
                               batch_size=32).fit(y)
    lrs = model.history_[0]["learning_rate"]
    assert min(lrs) < 0.5 and all(b <= a for a, b in zip(lrs, lrs[1:])), lrs
    with pytest.raises(ParameterError, match="restore_best_weights"):
        tsf.NARXForecaster(restore_best_weights="yes").fit(y)


def _calendar_truth(index):
    hours, days = index.hour.to_numpy(), index.day_of_week.to_numpy()
    return np.column_stack([np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24),
                            np.sin(2 * np.pi * days / 7), np.cos(2 * np.pi * days / 7)])


def test_ar_calendar_equals_arx_with_hand_made_calendar_columns():
    """calendar=("hour", "dayofweek") is exactly an ARX with those sin/cos columns as known-future X."""
    y = make_series(300, seed=8)
    full = y.index.append(pd.date_range(y.index[-1] + y.index.freq, periods=5, freq=y.index.freq))
    X = pd.DataFrame(_calendar_truth(full), index=full, columns=list("abcd"))
    auto = tsf.ARForecaster(lags=3, calendar=("hour", "dayofweek")).fit(y)
    hand = tsf.ARForecaster(lags=3, known_future=True).fit(y, X.iloc[: len(y)])
    np.testing.assert_allclose(auto.predict(5).to_numpy(), hand.predict(5, X=X).to_numpy(), rtol=1e-10)
    origins = [100, 200, 295]
    np.testing.assert_allclose(auto.predict_at(y, origins, 5)[:2], hand.predict_at(y, origins[:2], 5, X=X.iloc[: len(y)]),
                               rtol=1e-10)
    later = auto.predict(5, y=y.iloc[:250])
    np.testing.assert_allclose(later.to_numpy(), auto.predict_at(y, [250], 5)[0], rtol=1e-10)
    with pytest.raises(ParameterError, match="calendar"):
        tsf.ARForecaster(calendar=("hour", "fortnight")).fit(y)
    with pytest.raises(ParameterError, match="timestamps"):
        tsf.ARForecaster(calendar=("hour",)).fit(y.to_numpy())


def test_network_calendar_inputs_are_known_future_and_round_trip(tmp_path):
    y = make_series(200, seed=9)
    model = tsf.NARXForecaster(lags=6, hidden=(4,), horizon=3, strategy="mimo", calendar=("hour",), **FAST).fit(y)
    assert model.n_future_ == 2  # hour sin/cos for each forecast step
    pred = model.predict()
    np.testing.assert_allclose(model.predict_at(y, [200], 3)[0], pred.to_numpy(), rtol=1e-5)
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(tsf.load_model(tmp_path / "m").predict().to_numpy(), pred.to_numpy())
    glob = tsf.NARXForecaster(lags=6, hidden=(4,), horizon=3, strategy="mimo", calendar=("hour",), **FAST).fit(
        {"a": y, "b": y * 2})
    out = glob.predict(3, y={"new": y.iloc[:150]})
    np.testing.assert_allclose(out["forecast"].to_numpy(), glob.predict_at(y, [150], 3)[0], rtol=1e-5)


def test_season_named_lags_follow_the_frequency():
    """One recipe for hourly, 5-minute and daily data: 'season' / 'long_season' resolve from the index."""
    from tsforecast.seasonality import season_lags

    hourly = pd.date_range("2024-01-01", periods=10, freq="h")
    assert season_lags("season", hourly) == 24 and season_lags("long_season", hourly, 1000) == 168
    assert season_lags("long_season", hourly, 400) == 24  # a week would leave too little to learn from
    assert season_lags("long_season", pd.date_range("2024-01-01", periods=5, freq="5min"), 10_000) == 2016
    assert season_lags("long_season", pd.date_range("2024-01-01", periods=5, freq="D"), 40) == 7
    with pytest.raises(ParameterError, match="integer"):
        season_lags("season", pd.RangeIndex(10))
    y = make_series(200, seed=10)
    ar = tsf.ARForecaster(lags="season").fit(y)
    assert ar.order_ == 24 and ar.context_length_ == 24
    np.testing.assert_allclose(ar.predict(3).to_numpy(), tsf.ARForecaster(lags=24).fit(y).predict(3).to_numpy())
    net = tsf.NARXForecaster(lags="season", hidden=(4,), **FAST).fit(y)
    assert net.lags_ == 24 and net.context_length_ == 24 and net.lags == "season"
    with pytest.raises(ParameterError, match="lags"):
        tsf.GRUForecaster(lags="fortnight").fit(y)


def test_season_lags_on_short_daily_data():
    """A daily series of 40 points (Cortez daily has 34 training points): a week of lags fits, and a
    backtest does not refuse it for AR's default max_lags."""
    y = pd.Series(100 + 10 * np.sin(2 * np.pi * np.arange(40) / 7) + np.random.default_rng(0).normal(0, 1, 40),
                  index=pd.date_range("2005-06-07", periods=40, freq="D"))
    ar = tsf.ARForecaster(lags="long_season", transform="log")
    assert ar.fit(y.iloc[:34]).order_ == 7
    result = tsf.backtest(ar, y, initial=34, horizon=3)
    assert result.n_origins == 4 and np.isfinite(result.metrics.loc["all", "mae"])
    with pytest.raises(NotEnoughDataError):
        tsf.ARForecaster(lags="long_season").fit(y.iloc[:12])


def test_seasonal_pairs_name_the_last_day_and_a_day_either_side_of_a_week():
    """Hand-written lag sets: hourly 1..24 and 144..192; measured periods move them; a series too short
    for the week's pairs takes the day's; daily data (one season) 1..14; an unknown name is refused."""
    from tsforecast.seasonality import lag_set

    hourly = pd.date_range("2024-01-01", periods=10, freq="h")
    assert lag_set("seasonal_pairs", hourly, 1000) == list(range(1, 25)) + list(range(144, 193))
    assert lag_set("seasonal_pairs", hourly, 384) == list(range(1, 25)) + list(range(144, 193))  # 2 * 192
    assert lag_set("seasonal_pairs", hourly, 383) == list(range(1, 49))  # the day's pairs: 1..24, 0..48
    with tsf.use_periods((24, 165)):
        assert lag_set("seasonal_pairs", hourly, 1000) == list(range(1, 25)) + list(range(141, 190))
    assert lag_set("seasonal_pairs", hourly, 95) == list(range(1, 25))  # not even the day's pairs fit
    daily = pd.date_range("2024-01-01", periods=5, freq="D")
    assert lag_set("seasonal_pairs", daily, 42) == list(range(1, 15))  # 28 targets: two per lag
    assert lag_set("seasonal_pairs", daily, 41) == list(range(1, 8))
    assert lag_set("seasonal_pairs", daily, 34) == list(range(1, 8))  # 14 lags would leave 20 targets
    assert lag_set("seasonal_pairs", daily, 17) == list(range(1, 8))
    assert lag_set("long_season", hourly, 1000) == list(range(1, 169))
    with pytest.raises(ParameterError, match="seasonal_pairs"):
        lag_set("weekly", hourly, 1000)


def test_named_lag_sets_equal_the_explicit_lists():
    """AR and NARX given lags='seasonal_pairs' fit and forecast exactly as with the list it names."""
    y = make_series(24 * 7 * 5, seed=3)
    pairs = list(range(1, 25)) + list(range(144, 193))
    named, listed = tsf.ARForecaster(lags="seasonal_pairs"), tsf.ARForecaster(lags=pairs)
    np.testing.assert_array_equal(named.fit(y).predict(30).to_numpy(), listed.fit(y).predict(30).to_numpy())
    kw = dict(hidden=(4,), horizon=3, strategy="mimo", seed=0, **FAST)
    net = tsf.NARXForecaster(lags="seasonal_pairs", **kw).fit(y)
    assert net.lags_ == pairs and net.context_length_ == 192
    np.testing.assert_allclose(net.predict(3).to_numpy(), tsf.NARXForecaster(lags=pairs, **kw).fit(y).predict(3).to_numpy(),
                               rtol=1e-6)
    with pytest.raises(ParameterError, match="lag sets are for NARX and AR"):
        tsf.GRUForecaster(lags="seasonal_pairs").fit(y)  # a recurrent window is a span, not a set
    with pytest.raises(ParameterError, match="seasonal_pairs"):
        tsf.NARXForecaster(lags="weekly").fit(y)
    with pytest.raises(ParameterError, match="seasonal_pairs"):
        tsf.ARForecaster(lags="weekly").fit(y)


def test_a_seasonal_base_takes_the_week_by_name():
    """seasonal_period='long_season' is the week of the index (or of use_periods): same forecasts as 168."""
    y = make_series(24 * 7 * 4, seed=4)
    kw = dict(lags=[1, 2, 24], hidden=(4,), horizon=3, strategy="mimo", base="seasonal", seed=0, **FAST)
    named = tsf.NARXForecaster(seasonal_period="long_season", **kw).fit(y)
    assert named.period_ == 168
    np.testing.assert_allclose(named.predict(3).to_numpy(),
                               tsf.NARXForecaster(seasonal_period=168, **kw).fit(y).predict(3).to_numpy(), rtol=1e-6)
    with tsf.use_periods((24, 165)):
        assert tsf.NARXForecaster(seasonal_period="long_season", **kw).fit(y).period_ == 165
    with pytest.raises(ParameterError, match="seasonal_period"):
        tsf.NARXForecaster(seasonal_period="fortnight", **kw).fit(y)


def _channel_echo_core(core_window, out_steps, n_future):
    """A core that forecasts its last known-future input: with a seasonal channel, the value a season back."""
    past = keras.Input((core_window, 1))
    future = keras.Input((out_steps, n_future))
    out = keras.layers.Lambda(lambda f: f[:, :, -1])(future)
    return keras.Model([past, future], out, name="echo")


@pytest.mark.parametrize("window_norm,n_future", [(False, 0), (True, 0), (True, 2)])
def test_seasonal_channel_carries_the_value_a_season_before_each_step(window_norm, n_future):
    """A core that echoes the seasonal channel forecasts exactly the seasonal naive, though it reads 4 lags."""
    window, core_window, period, steps = 10, 4, 7, [1, 2, 3, 4, 5, 6, 7, 8, 9]
    net = wrap_network(_channel_echo_core(core_window, len(steps), n_future + 1), window, 1, len(steps), n_future,
                       window_norm=window_norm, period=period, steps=steps, core_window=core_window,
                       seasonal_channel=True)
    rng = np.random.default_rng(3)
    x = (50 + 5 * rng.normal(size=(6, window, 1))).astype("float32")
    inputs = x if not n_future else [x, rng.normal(size=(6, len(steps), n_future)).astype("float32")]
    got = np.asarray(net.predict_on_batch(inputs))
    expected = np.empty((6, len(steps)))
    for row in range(6):  # brute force: step s's value one season earlier, the last season repeated
        for j, s in enumerate(steps):
            back = s - period
            while back > 0:
                back -= period
            expected[row, j] = x[row, window - 1 + back, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def _seasonal_random_walk(period, n_cycles, seed):
    """y_t = y_{t-period} + small noise: each step repeats its value a season back, which a window shorter than
    the season cannot see."""
    rng = np.random.default_rng(seed)
    values = np.empty(period * n_cycles)
    values[:period] = 10 + rng.normal(size=period)
    for t in range(period, len(values)):
        values[t] = values[t - period] + 0.05 * rng.normal()
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values), freq="h"))


def test_a_gru_with_a_seasonal_channel_learns_what_its_window_cannot_see():
    y = _seasonal_random_walk(12, 60, seed=5)
    kw = dict(lags=4, units=8, horizon=6, seasonal_period=12, epochs=60, patience=10, batch_size=32, learning_rate=1e-2,
              seed=0)
    errors = {}
    for channel in (False, True):
        model = tsf.GRUForecaster(seasonal_channel=channel, **kw)
        errors[channel] = tsf.backtest(model, y, initial=2 / 3, horizon=6, step=6, metrics=["mae"]).metrics.loc["all", "mae"]
    # The truth is the value 12 steps back (noise sd 0.05); the window of 4 sees a quarter of the season.
    assert errors[True] < 0.4 * errors[False], errors  # measured: 0.06 against 0.29


def test_seasonal_channel_checks_and_round_trip(tmp_path):
    y = _hourly(24 * 9, 50.0, 6)
    model = tsf.GRUForecaster(lags=6, units=4, horizon=3, seasonal_channel=True, seasonal_period="long_season",
                              scaler="window", seed=0, **FAST).fit(y)
    assert model.period_ == 168 and model.context_length_ == 168
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(model.predict().to_numpy(), tsf.load_model(tmp_path / "m").predict().to_numpy())
    with pytest.raises(NotEnoughDataError, match="seasonal_channel=True reads 168 back"):
        tsf.GRUForecaster(lags=6, horizon=3, seasonal_channel=True, seasonal_period="long_season", **FAST).fit(y[:150])
    with pytest.raises(ParameterError, match="seasonal_channel"):
        tsf.GRUForecaster(seasonal_channel="yes").fit(y)
    with pytest.raises(ParameterError, match="seasonal_channel"):
        tsf.LSTMForecaster(stateful=True, seasonal_channel=True, scaler="standard").fit(y)


@pytest.mark.parametrize("model", ["gru", "tdnn"])
def test_a_residual_network_keeps_its_base_when_training_only_hurts(model):
    """With a base the network starts as that naive forecast (zero correction), and early stopping counts the
    start as an epoch: a learning rate that wrecks every epoch leaves exactly the seasonal naive forecast."""
    y = make_series(24 * 12, seed=8)
    net = tsf.get_forecaster(model, lags=24, horizon=6, base="seasonal", learning_rate=50.0, epochs=3, patience=3,
                             batch_size=32, seed=0).fit(y)
    expected = y.to_numpy()[-24:][:6]  # brute force: the last day's first six hours
    np.testing.assert_allclose(net.predict(6).to_numpy(), expected, rtol=1e-5)
    # Without a base nothing is kept: the same wrecked training gives another forecast.
    plain = tsf.get_forecaster(model, lags=24, horizon=6, learning_rate=50.0, epochs=3, patience=3, batch_size=32,
                               seed=0).fit(y)
    assert not np.allclose(plain.predict(6).to_numpy(), expected, rtol=1e-3)
