"""Conformance checks that every forecaster must pass.

``check_forecaster(estimator)`` runs them all; the test-suite runs each check
on every registered forecaster (tests/test_conformance.py). Each check raises
``AssertionError`` with a message naming the broken rule.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from .exceptions import ExogenousError, ModelFileError, TSForecastError

N_POINTS = 96
FREQ = "h"


def make_series(n=N_POINTS, seed=0, start="2024-01-01", freq=FREQ, level=10.0, tz=None):
    """A noisy daily-seasonal hourly series used by the checks."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, n)
    return pd.Series(values, index=pd.date_range(start, periods=n, freq=freq, tz=tz), name="y")


def make_exog(index, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=len(index))}, index=index)


def _exog_for(est, y, horizon):
    """X for fit and for predict (covering the horizon) when the model takes exogenous inputs."""
    full_index = y.index.append(pd.date_range(y.index[-1] + y.index.freq, periods=horizon, freq=y.index.freq))
    return make_exog(full_index)


def _informative_exog(est, horizon=4, seed=1):
    """A series that depends strongly on X (on x_t and x_{t-1}), and X covering it plus ``horizon`` steps."""
    y0 = make_series()
    X = _exog_for(est, y0, horizon)
    x = X["x"].to_numpy()[: len(y0)]
    y = y0 + 3.0 * x + 3.0 * np.r_[0.0, x[:-1]]
    return y, X


def _fit(est, y, horizon=4, with_exog=False):
    if with_exog:
        X = _exog_for(est, y, horizon)
        return est.fit(y, X.iloc[: len(y)]), X
    return est.fit(y), None


def _min_points(est):
    return est._min_length()


def check_clone_round_trip(est):
    params = est.get_params()
    try:
        c = clone(est)
    except RuntimeError as exc:
        raise AssertionError(f"__init__ altered parameter or clone failed: {exc}") from None
    assert c.get_params() == params, "clone() changed the parameters"
    for key, value in params.items():
        assert getattr(c, key) is value or getattr(c, key) == value, f"__init__ altered parameter {key!r}"
    c.set_params(**params)
    assert c.get_params() == params, "set_params() round trip changed the parameters"


def check_not_fitted(est):
    try:
        clone(est).predict(3)
    except NotFittedError:
        return
    raise AssertionError("predict before fit must raise sklearn's NotFittedError")


def check_fit_predict_index(est):
    y = make_series()
    est = clone(est)
    assert est.fit(y) is est, "fit must return self"
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert fitted, "fit must set fitted attributes ending in '_'"
    pred = est.predict(5)
    assert isinstance(pred, pd.Series), "predict must return a pandas Series"
    expected = pd.date_range(y.index[-1] + y.index.freq, periods=5, freq=y.index.freq)
    assert pred.index.equals(expected), f"forecast index {pred.index} is not the 5 steps after the data"
    assert np.isfinite(pred.to_numpy()).all(), "forecasts must be finite"


def check_range_index_and_array(est):
    y = make_series()
    a = clone(est).fit(y.to_numpy()).predict(3)
    assert a.index.equals(pd.RangeIndex(len(y), len(y) + 3)), "array input must forecast on positions n..n+h-1"
    b = clone(est).fit(y.reset_index(drop=True)).predict(3)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6, err_msg="array and RangeIndex input disagree")


def check_deterministic(est):
    y = make_series()
    a = clone(est).fit(y).predict(4)
    b = clone(est).fit(y).predict(4)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), err_msg="same data and seed gave different forecasts")


def check_history_forecast(est):
    """predict(y=history) forecasts from that history's end without refitting."""
    y = make_series(120)
    est = clone(est).fit(y.iloc[:96])
    base = est.predict(4)
    again = est.predict(4, y=y.iloc[:96])
    np.testing.assert_allclose(again.to_numpy(), base.to_numpy(), rtol=1e-6, atol=1e-9,
                               err_msg="predict(y=training series) differs from predict()")
    later = est.predict(4, y=y.iloc[:110])
    assert later.index[0] == y.index[110], "predict(y=...) must start after the given history"
    batched = est.predict_at(y, [96, 110], 4)
    np.testing.assert_allclose(batched[1], later.to_numpy(), rtol=1e-5, atol=1e-8,
                               err_msg="predict_at disagrees with predict(y=history)")
    np.testing.assert_allclose(batched[0], base.to_numpy(), rtol=1e-5, atol=1e-8,
                               err_msg="predict_at disagrees with predict()")


def check_no_lookahead(est):
    """Nothing at or after an origin reaches its forecast: perturbing the future leaves the
    forecasts from that origin, and from every earlier one, unchanged."""
    y = make_series(130)
    cut = 96
    X = make_exog(y.index) if est.get_tag("exog") else None
    fitted = clone(est).fit(y.iloc[:cut], None if X is None else X.iloc[:cut])
    # X rows o .. o+n_fut-1 are the future covariates a forecast from o may use (known in advance).
    n_fut = 0 if X is None else fitted._future_exog_steps(4)
    origins = [cut - 10, cut, cut + 12]
    base = fitted.predict_at(y, origins, 4, X=X)
    for o_pos, o in enumerate(origins):
        bumped = y.copy()
        bumped.iloc[o:] += 50.0 + 10.0 * np.arange(len(y) - o)
        bumped_X = None
        if X is not None:
            bumped_X = X.copy()
            bumped_X.iloc[o + n_fut :] += 20.0 + np.arange(len(y) - o - n_fut)[:, None]
        again = fitted.predict_at(bumped, origins, 4, X=bumped_X)  # same batch shape: float32 results are bit-identical
        np.testing.assert_allclose(
            again[: o_pos + 1], base[: o_pos + 1], rtol=1e-9, atol=1e-9,
            err_msg=f"changing y at or after position {o} (and X from {o + n_fut}, past the future rows the model "
                    f"may use) changed forecasts from origins <= {o}")


def check_constant_series(est):
    y = pd.Series(100.0, index=pd.date_range("2024-01-01", periods=N_POINTS, freq=FREQ))
    pred = clone(est).fit(y).predict(3).to_numpy()
    assert np.isfinite(pred).all(), "a constant series gave non-finite forecasts"
    # Networks too: a scaled constant series is all zeros, and zero inputs with zero-initialised biases
    # give exactly zero (measured: every registered network forecasts 100.0 exactly).
    assert np.allclose(pred, 100.0, rtol=0, atol=1e-6), f"a constant series must forecast the constant, got {pred}"


def check_shortest_series(est):
    n = _min_points(est)
    y = make_series(n)
    pred = clone(est).fit(y).predict(2)
    assert len(pred) == 2 and np.isfinite(pred.to_numpy()).all(), "a series of exactly the minimum length must fit"


def check_exog(est):
    if not est.get_tag("exog"):
        try:
            clone(est).fit(make_series(), make_exog(make_series().index))
        except ExogenousError:
            return
        raise AssertionError("a model without exogenous support must reject X with ExogenousError")
    y, X = _informative_exog(est)
    model = clone(est).fit(y, X.iloc[: len(y)])
    pred = model.predict(4, X=X)
    assert len(pred) == 4 and np.isfinite(pred.to_numpy()).all(), "forecast with X failed"
    pred2 = model.predict(4, X=X, y=y)
    np.testing.assert_allclose(pred2.to_numpy(), pred.to_numpy(), rtol=1e-6,
                               err_msg="predict(y=train, X=...) differs from predict(X=...)")
    moved = model.predict(4, X=X + 5.0, y=y)
    assert not np.allclose(moved.to_numpy(), pred2.to_numpy(), rtol=1e-6, atol=1e-9), \
        "the model ignores X: y depends strongly on X, yet shifting every X row left the forecasts unchanged"
    n_fut = model._future_exog_steps(4)
    if n_fut:
        X_fut = X.copy()
        X_fut.iloc[len(y):] += 5.0
        moved = model.predict(4, X=X_fut, y=y)
        assert not np.allclose(moved.to_numpy(), pred2.to_numpy(), rtol=1e-6, atol=1e-9), \
            f"the model asks for {n_fut} future X rows but its forecasts do not change when they change"
    if n_fut:
        try:
            model.predict(4, X=X.iloc[: len(y) + 1])
        except ExogenousError as exc:
            assert "cover" in str(exc), f"missing future X error must say what to cover: {exc}"
        else:
            raise AssertionError("missing future exogenous rows must raise ExogenousError")


def check_save_load(est):
    """Saving and loading reproduces the forecasts exactly."""
    from .persistence import load_model

    y = make_series()
    fitted = clone(est).fit(y)
    with tempfile.TemporaryDirectory() as tmp:
        fitted.save(f"{tmp}/model")
        loaded = load_model(f"{tmp}/model")
    assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params(), "load changed the model"
    np.testing.assert_array_equal(loaded.predict(3).to_numpy(), fitted.predict(3).to_numpy(),
                                  err_msg="loaded model forecasts differently")
    np.testing.assert_array_equal(loaded.predict(3, y=y.iloc[:-7]).to_numpy(), fitted.predict(3, y=y.iloc[:-7]).to_numpy(),
                                  err_msg="loaded model forecasts differently from a new history")


def check_numpy_forward(est):
    """A network that forecasts in NumPy (:mod:`tsforecast.nn.numpy_forward`) gives Keras's outputs
    to float32 rounding, on inputs that reach every layer (random, not the fit's scale)."""
    if not est.get_tag("neural"):
        return
    from .nn.numpy_forward import numpy_forward

    fitted = clone(est).fit(make_series())
    rng = np.random.default_rng(0)
    for net in getattr(fitted, "networks_", []):
        forward = numpy_forward(net)
        if forward is None:
            continue  # Keras runs it
        # A stateful network fixes its batch size; an open time axis gets 7 steps.
        inputs = [rng.normal(size=(t.shape[0] or 5, *(d or 7 for d in t.shape[1:]))).astype(np.float32)
                  for t in net.inputs]
        inputs = inputs if len(inputs) > 1 else inputs[0]
        want = np.asarray(net.predict_on_batch(inputs))
        got = forward(inputs)
        assert got.shape == want.shape, f"NumPy forward pass gives shape {got.shape}, Keras {want.shape}"
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(want).max())),
                                   err_msg=f"NumPy forward pass of {net.name} differs from Keras")


def check_update(est):
    """``fit(y[:n]).update(y[n:m])`` then ``predict()`` equals ``fit(y[:n]).predict(y=y[:m])``; the
    update survives save/load; an update that does not continue the series is refused unchanged."""
    from .persistence import load_model

    y = make_series(130)
    n, m = 96, 118
    ref = clone(est).fit(y.iloc[:n]).predict(4, y=y.iloc[:m])
    est = clone(est).fit(y.iloc[:n])
    assert est.update(y.iloc[n:110]) is est, "update must return self"
    est.update(y.iloc[110:m].to_numpy())  # an array continues the index
    got = est.predict(4)
    assert got.index.equals(ref.index), f"after update, forecasts must start at {ref.index[0]}, got {got.index[0]}"
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-5, atol=1e-8,
                               err_msg="fit(y[:n]).update(y[n:m]).predict() differs from predict(y=y[:m])")
    with tempfile.TemporaryDirectory() as tmp:
        est.save(f"{tmp}/model")
        loaded = load_model(f"{tmp}/model")
    np.testing.assert_allclose(loaded.predict(4).to_numpy(), got.to_numpy(), rtol=1e-6, atol=1e-9,
                               err_msg="an updated model forecasts differently after save/load")
    for bad in (y.iloc[m - 3 : m + 2], y.iloc[m + 1 : m + 4]):  # overlaps the history / leaves a gap
        try:
            est.update(bad)
        except TSForecastError:
            pass
        else:
            raise AssertionError("update with rows that do not continue the series must raise a TSForecastError")
    assert len(est.y_) == m, "a refused update must leave the model unchanged"


# -- data safety ------------------------------------------------------------------
def check_save_keeps_user_files(est):
    """Saving into a folder of the user's is refused and changes nothing; a saved model is replaced cleanly."""
    from .persistence import load_model

    fitted = clone(est).fit(make_series())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        (folder / "notes.txt").write_text("the user's own file")
        refused = False
        try:
            fitted.save(folder)
        except ModelFileError:
            refused = True
        user_file = folder / "notes.txt"
        assert user_file.is_file() and user_file.read_text() == "the user's own file", \
            "save deleted or changed a file of the user's in the folder it was given"
        assert refused, "save into an existing folder that is not a saved model must raise ModelFileError"
        assert sorted(os.listdir(folder)) == ["notes.txt"], "a refused save must write nothing into the folder"
        model_dir = Path(tmp) / "model"
        fitted.save(model_dir)
        fitted.save(model_dir)  # replacing a saved model is allowed
        assert sorted(os.listdir(tmp)) == ["model", "results"], \
            f"saving left temporary entries beside the model: {sorted(os.listdir(tmp))}"
        loaded = load_model(model_dir)
        np.testing.assert_array_equal(loaded.predict(3).to_numpy(), fitted.predict(3).to_numpy(),
                                      err_msg="a replaced model forecasts differently")


def check_tz_round_trip(est):
    """A model fitted on time-zone-aware data (across a DST change) saves, loads and forecasts in that zone."""
    from .persistence import load_model

    y = make_series(start="2024-03-29", tz="Europe/Madrid")  # clocks go forward on 2024-03-31
    fitted = clone(est).fit(y)
    pred = fitted.predict(3)
    expected = pd.date_range(y.index[-1] + y.index.freq, periods=3, freq=y.index.freq)
    assert pred.index.equals(expected) and str(pred.index.tz) == "Europe/Madrid", \
        f"forecasts of a tz-aware series must carry its zone, got {pred.index}"
    with tempfile.TemporaryDirectory() as tmp:
        fitted.save(Path(tmp) / "model")
        loaded = load_model(Path(tmp) / "model")
    again = loaded.predict(3)
    assert again.index.equals(pred.index), f"the loaded model stamps {again.index}, not {pred.index}"
    np.testing.assert_array_equal(again.to_numpy(), pred.to_numpy(), err_msg="the loaded tz-aware model forecasts differently")


def check_array_exog(est):
    """Arrays y/X (rows by position: history, then future steps) give the DataFrame forecasts exactly."""
    if not est.get_tag("exog"):
        return
    y, X = _informative_exog(est)
    y, X = y.reset_index(drop=True), X.reset_index(drop=True)
    model = clone(est).fit(y, X.iloc[: len(y)])
    n_fut = model._future_exog_steps(4)
    for hist in (y.iloc[:90], y):
        frame = model.predict(4, y=hist, X=X)
        arr = model.predict(4, y=hist.to_numpy(), X=X.to_numpy()[: len(hist) + n_fut])
        assert arr.index.equals(frame.index), "array and DataFrame input stamp different steps"
        np.testing.assert_array_equal(arr.to_numpy(), frame.to_numpy(),
                                      err_msg=f"predict(y=array, X=array) differs from the DataFrame call ({len(hist)} points)")
    if n_fut:
        np.testing.assert_array_equal(model.predict(4, X=X.to_numpy()[len(y) : len(y) + n_fut]).to_numpy(), model.predict(4, X=X).to_numpy(),
                                      err_msg="an array of only the future X rows differs from the DataFrame call")


def check_no_reference_to_caller_data(est):
    """Editing y (and X) in place after fit leaves the forecasts unchanged: fit keeps copies."""
    exog = est.get_tag("exog")
    y_user = make_series()
    X = _exog_for(est, y_user, 4) if exog else None
    X_user = None if X is None else X.iloc[: len(y_user)].copy()
    fitted = clone(est).fit(y_user, X_user)
    kwargs = {} if X is None else {"X": X}
    before = fitted.predict(4, **kwargs).to_numpy()
    y_user.iloc[:] = y_user.to_numpy()[::-1] * 2.0 + 7.0
    if X_user is not None:
        X_user.iloc[:, :] = 99.0
    after = fitted.predict(4, **kwargs).to_numpy()
    np.testing.assert_array_equal(after, before,
                                  err_msg="fit kept a reference to the caller's data: editing y/X after fit changed the forecasts")


def _global_rng_states():
    state = np.random.get_state()
    return (state[0], state[1].tobytes(), *state[2:]), random.getstate()


def check_global_rng_untouched(est):
    """fit and predict leave numpy's global generator and python's ``random`` as they found them."""
    saved = np.random.get_state(), random.getstate()
    # Fresh entropy first: had earlier code just seeded the generators with, say, 0, a fit that seeds them
    # with 0 again would leave them exactly as found and pass unseen.
    np.random.seed(None)
    random.seed(None)
    try:
        before = _global_rng_states()
        fitted = clone(est).fit(make_series())
        assert _global_rng_states() == before, \
            "fit reseeded or drew from the global random generators (numpy.random / random); use a local generator"
        fitted.predict(3)
        assert _global_rng_states() == before, "predict touched the global random generators (numpy.random / random)"
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])


DATA_SAFETY_CHECKS = [
    check_save_keeps_user_files,
    check_tz_round_trip,
    check_array_exog,
    check_no_reference_to_caller_data,
    check_global_rng_untouched,
]


BAD_INPUTS = {
    "nan": lambda y: y.where(y.index != y.index[10]),
    "inf": lambda y: y.where(y.index != y.index[10], np.inf),
    "empty": lambda y: y.iloc[:0],
    "too_short": None,  # built per model from its minimum length
    "unsorted": lambda y: y.iloc[::-1],
    "duplicate": lambda y: pd.concat([y.iloc[:50], y.iloc[49:]]),
    "irregular": lambda y: y.drop(y.index[[5, 17, 30]]),
    "strings": lambda y: y.astype(str),
}


def bad_input(kind, est):
    y = make_series()
    if kind == "too_short":
        return y.iloc[: _min_points(est) - 1] if _min_points(est) > 1 else y.iloc[:0]
    return BAD_INPUTS[kind](y)


def check_bad_inputs(est):
    for kind in BAD_INPUTS:
        bad = bad_input(kind, est)
        try:
            clone(est).fit(bad)
        except TSForecastError as exc:
            assert isinstance(exc, ValueError), f"{kind}: input errors must subclass ValueError"
            assert len(str(exc)) > 20, f"{kind}: error message too short to help: {exc!r}"
            continue
        except Exception as exc:  # noqa: BLE001 - the check reports what leaked
            raise AssertionError(f"{kind}: raised {type(exc).__name__} from deep inside ({exc}); expected a tsforecast error")
        raise AssertionError(f"{kind}: bad input was accepted")
    fitted = clone(est).fit(make_series())
    for h in (0, -1, 1.5):
        try:
            fitted.predict(h)
        except TSForecastError:
            continue
        raise AssertionError(f"horizon={h} must raise a tsforecast error")
    try:
        fitted.fit(make_series(), X=np.ones((5, 1)))
    except ExogenousError:
        pass
    else:
        raise AssertionError("X with the wrong length must raise ExogenousError")


CHECKS = [
    check_clone_round_trip,
    check_not_fitted,
    check_fit_predict_index,
    check_range_index_and_array,
    check_deterministic,
    check_history_forecast,
    check_no_lookahead,
    check_constant_series,
    check_shortest_series,
    check_exog,
    check_bad_inputs,
    check_save_load,
    check_update,
    check_numpy_forward,
    *DATA_SAFETY_CHECKS,
]


def check_forecaster(est):
    """Run every conformance check on ``est``; raise AssertionError on the first broken rule."""
    for check in CHECKS:
        check(est)
