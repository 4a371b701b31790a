"""Inside shared_fits, a fit of an equal model on equal data is reused; anything different is fitted."""

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.shared_fits import shared_fits
from tsforecast.testing import make_series


@pytest.fixture
def counted(monkeypatch):
    """Count the AR model's real fits (its _fit and _fit_global bodies)."""
    calls = []
    cls = tsf.ARForecaster
    fit, fit_global = cls._fit, cls._fit_global
    monkeypatch.setattr(cls, "_fit", lambda self, *a, **k: (calls.append("one"), fit(self, *a, **k))[1])
    monkeypatch.setattr(cls, "_fit_global", lambda self, *a, **k: (calls.append("many"), fit_global(self, *a, **k))[1])
    return calls


def test_an_equal_fit_is_reused_and_forecasts_the_same(counted):
    y = make_series(300)
    plain = tsf.ARForecaster(lags=5, horizon=6).fit(y).predict()
    with shared_fits():
        first = tsf.ARForecaster(lags=5, horizon=6).fit(y)
        second = tsf.ARForecaster(lags=5, horizon=6).fit(y.copy())  # equal data, another object
        assert len(counted) == 2  # the one outside, the first inside
        pd.testing.assert_series_equal(second.predict(), plain)
        pd.testing.assert_series_equal(first.predict(), plain)
    assert second.lags == 5 and second.is_global_ is False


def test_different_data_parameters_or_exog_are_fitted_again(counted):
    y = make_series(300)
    changed = y.copy()
    changed.iloc[100] += 1.0
    shifted = pd.Series(y.to_numpy(), index=y.index + y.index.freq)
    X = pd.DataFrame({"x": np.arange(300.0)}, index=y.index)
    with shared_fits():
        tsf.ARForecaster(lags=5).fit(y)
        tsf.ARForecaster(lags=5).fit(changed)
        tsf.ARForecaster(lags=5).fit(shifted)
        tsf.ARForecaster(lags=6).fit(y)
        tsf.ARForecaster(lags=5).fit(y, X=X)
        tsf.ARForecaster(lags=5).fit(y, X=X * 2)
        assert len(counted) == 6
        tsf.ARForecaster(lags=5).fit(y, X=X.copy())
        assert len(counted) == 6


def test_parameters_that_are_not_plain_data_are_never_matched(counted):
    """An array parameter's repr is abridged past 1,000 items: two different arrays could look equal."""
    from tsforecast.shared_fits import _plain

    assert _plain({"lags": [1, 2, (3, 4.5)], "seed": None, "name": "x"})
    assert not _plain({"lags": np.arange(3)}) and not _plain({"model": object()})
    y = make_series(300)
    big = np.arange(1, 1201)
    other = big.copy()
    other[600] = 5000
    assert repr(big) == repr(other)
    with shared_fits():
        tsf.ARForecaster(lags=5).fit(y)
        model = tsf.ARForecaster(lags=5)
        model.lags = big  # set after construction, as a user could, to reach the key with an array
        assert sf_key(model, y) is None


def sf_key(model, y):
    from tsforecast.shared_fits import _key

    return _key(model, y, None)[1]


def test_a_refit_of_the_cached_object_or_another_time_zone_does_not_leak(counted):
    y = make_series(300)
    other = make_series(300, seed=5)
    with shared_fits():
        m = tsf.ARForecaster(lags=3).fit(y)
        m.fit(other)  # the same object, refitted on other data
        again = tsf.ARForecaster(lags=3).fit(y)
        pd.testing.assert_series_equal(again.y_, y.astype(float), check_freq=False)
        utc = pd.Series(y.to_numpy(), index=y.index.tz_localize("UTC"))
        berlin = pd.Series(y.to_numpy(), index=utc.index.tz_convert("Europe/Berlin"))
        tsf.ARForecaster(lags=3).fit(utc)
        b = tsf.ARForecaster(lags=3).fit(berlin)
        assert str(b.y_.index.tz) == "Europe/Berlin"
    assert len(counted) == 4  # y, other, utc, berlin; the second fit on y was reused


def test_an_ensemble_with_an_unseeded_member_is_always_fitted(monkeypatch):
    calls = []
    cls = tsf.NARXForecaster
    fit = cls._fit
    monkeypatch.setattr(cls, "_fit", lambda self, *a, **k: (calls.append(1), fit(self, *a, **k))[1])
    y = make_series(120)
    spec = (("narx", {"lags": 4, "horizon": 2, "hidden": (3,), "epochs": 1, "seed": None}),)
    with shared_fits():
        tsf.EnsembleForecaster(spec, combine="mean", horizon=2, seed=0).fit(y)
        tsf.EnsembleForecaster(spec, combine="mean", horizon=2, seed=0).fit(y)
    assert len(calls) == 2


def test_nothing_is_cached_outside_the_block(counted):
    y = make_series(200)
    with shared_fits():
        tsf.ARForecaster(lags=3).fit(y)
    tsf.ARForecaster(lags=3).fit(y)
    assert len(counted) == 2


def test_many_series_are_keyed_by_every_series(monkeypatch):
    calls = []
    cls = tsf.EnsembleForecaster  # a global model that fits fast
    fit_global = cls._fit_global
    monkeypatch.setattr(cls, "_fit_global", lambda self, *a, **k: (calls.append(1), fit_global(self, *a, **k))[1])
    s = {"a": make_series(120, seed=1), "b": make_series(120, seed=2)}
    other = {"a": s["a"], "b": make_series(120, seed=3)}
    spec = (("naive", {}),)
    with shared_fits():
        for data in (s, dict(s), other, {"b": s["b"], "a": s["a"]}):  # another order is another input
            tsf.EnsembleForecaster(spec).fit(data)
    assert len(calls) == 3


def test_a_key_blind_to_the_data_would_be_caught(monkeypatch, counted):
    """The check above fails on a broken cache that ignores the values (it would reuse wrong fits)."""
    import tsforecast.shared_fits as sf

    monkeypatch.setattr(sf, "_digest_frame", lambda h, obj: None)
    y = make_series(300)
    changed = y.copy()
    changed.iloc[100] += 1.0
    with shared_fits():
        tsf.ARForecaster(lags=5).fit(y)
        wrong = tsf.ARForecaster(lags=5).fit(changed)
    assert len(counted) == 1  # the broken key reused the fit on other data...
    assert wrong.y_.iloc[100] != changed.iloc[100]  # ...and the model holds the wrong history


def test_unseeded_stochastic_models_are_always_fitted():
    y = make_series(120)
    with shared_fits():
        a = tsf.NARXForecaster(lags=4, horizon=2, hidden=(3,), epochs=1, seed=None).fit(y)
        b = tsf.NARXForecaster(lags=4, horizon=2, hidden=(3,), epochs=1, seed=None).fit(y)
        assert a.networks_[0] is not b.networks_[0]
        c = tsf.NARXForecaster(lags=4, horizon=2, hidden=(3,), epochs=1, seed=7).fit(y)
        d = tsf.NARXForecaster(lags=4, horizon=2, hidden=(3,), epochs=1, seed=7).fit(y)
        assert c.networks_[0] is d.networks_[0]


def test_an_ensemble_member_reuses_the_standalone_fit_and_forecasts_as_without_the_cache():
    """What the experiment runner relies on: the mean's network member is the network already fitted."""
    y = make_series(200)
    net = dict(lags=8, horizon=3, hidden=(4,), epochs=3, batch_size=32)
    spec = (("narx", net), ("ar", {"lags": 4}))
    uncached = tsf.EnsembleForecaster(spec, combine="mean", horizon=3, seed=0).fit(y).predict()
    with shared_fits():
        alone = tsf.NARXForecaster(**net, seed=0).fit(y)
        ens = tsf.EnsembleForecaster(spec, combine="mean", horizon=3, seed=0).fit(y)
        assert ens.members_[0].networks_[0] is alone.networks_[0]
        pd.testing.assert_series_equal(ens.predict(), uncached)


def test_a_fit_on_more_data_is_never_handed_to_a_fit_on_its_head(counted):
    """Forecasting integrity: a model fitted on the training part never gets the state of an equal model
    fitted on the whole series (values after the origin), nor the other way round."""
    y = make_series(300)
    head = y.iloc[:200]
    with shared_fits():
        full = tsf.ARForecaster(lags=5, horizon=3).fit(y)
        part = tsf.ARForecaster(lags=5, horizon=3).fit(head)
        again = tsf.ARForecaster(lags=5, horizon=3).fit(y)
    assert len(counted) == 2 and again.y_ is full.y_
    assert part.y_.index[-1] == head.index[-1] and len(part.y_) == 200
    pd.testing.assert_series_equal(part.predict(), tsf.ARForecaster(lags=5, horizon=3).fit(head).predict())
