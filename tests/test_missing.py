"""Missing-value policies: the causal forward fill, and experiments refusing a fill that sees the future."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.exceptions import ConfigError, MissingValuesError
from tsforecast.experiment import load_config, run_experiment
from tsforecast.validation import MissingValuesWarning, apply_missing_policy, check_series


def _fill(values, policy="ffill"):
    """Filled values keyed by original position (trimmed positions are absent)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        filled, index = apply_missing_policy(np.asarray(values, dtype=np.float64), pd.RangeIndex(len(values)), policy)
    return dict(zip(index.tolist(), filled.tolist()))


def _history(filled: dict, origin: int) -> dict:
    return {pos: v for pos, v in filled.items() if pos < origin}


gappy = st.lists(st.one_of(st.just(np.nan), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=25).filter(
    lambda v: not np.isnan(v).all())


@settings(max_examples=150, deadline=None)
@given(gappy, st.floats(-1e6, 1e6, allow_nan=False))
def test_ffill_history_never_depends_on_a_later_value(values, new):
    """Brute force: for every origin and every position after it, changing that value leaves the history alone."""
    values = np.array(values)
    for origin in range(1, len(values) + 1):
        before = _history(_fill(values), origin)
        for pos in range(origin, len(values)):
            changed = values.copy()
            changed[pos] = new if changed[pos] != new else new + 1.0
            after = _history(_fill(changed), origin)
            # Positions the original series keeps must be filled the same way (an extra observation at the
            # end can only keep more trailing positions, never change a kept one).
            assert {p: after[p] for p in before} == before


@settings(max_examples=150, deadline=None)
@given(gappy)
def test_ffill_matches_a_loop_and_pandas(values):
    values = np.array(values)
    filled = _fill(values)
    observed = np.flatnonzero(~np.isnan(values))
    assert list(filled) == list(range(observed[0], observed[-1] + 1))  # leading/trailing gaps trimmed
    last = None
    for pos, v in filled.items():  # each gap takes the last observed value before it
        last = values[pos] if not np.isnan(values[pos]) else last
        assert v == last
    expected = pd.Series(values).ffill().iloc[observed[0]: observed[-1] + 1]
    assert list(filled.values()) == expected.tolist()


def test_interpolate_is_not_causal_and_ffill_is():
    """Why experiments refuse "interpolate": the value after a gap changes the filled history before it."""
    values = np.array([1.0, np.nan, np.nan, 4.0, 5.0])
    later = values.copy()
    later[3] = 10.0  # a value at the origin 3 (not in its history)
    assert _history(_fill(values, "interpolate"), 3) != _history(_fill(later, "interpolate"), 3)
    assert _history(_fill(values, "ffill"), 3) == _history(_fill(later, "ffill"), 3) == {0: 1.0, 1: 1.0, 2: 1.0}


def test_ffill_in_check_series_warns_and_raise_names_ffill():
    y = pd.Series([np.nan, 2.0, np.nan, 3.0, np.nan], index=pd.date_range("2024-01-01", periods=5, freq="h"))
    with pytest.warns(MissingValuesWarning, match="forward-filled 1 interior.*trimmed 2"):
        out = check_series(y, missing="ffill")
    assert out.tolist() == [2.0, 2.0, 3.0] and out.index.equals(y.index[1:4])
    with pytest.raises(MissingValuesError, match="missing='ffill'"):
        check_series(y)
    with pytest.raises(MissingValuesError, match="only missing"):
        check_series(pd.Series([np.nan, np.nan]), missing="ffill")


# -- experiments ----------------------------------------------------------------------------
def _cfg(dataset, missing):
    return {"dataset": str(dataset), "missing": missing, "baseline": "naive",
            "protocol": {"initial": 40, "horizon": 2, "step": 1, "metrics": ["mae"]},
            "models": {"naive": {"model": "naive"}, "snaive": {"model": "seasonal_naive", "m": 12}}}


def _write(path, values):
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=len(values), freq="h"),
                  "value": values}).to_csv(path, index=False)


def test_experiment_refuses_interpolate(tmp_path):
    _write(tmp_path / "y.csv", np.arange(60.0))
    with pytest.raises(ConfigError, match=r"interpolate.*after.*missing = \"ffill\""):
        load_config(_cfg(tmp_path / "y.csv", "interpolate"))
    with pytest.raises(ConfigError, match=r"interpolate.*ffill"):
        run_experiment(_cfg(tmp_path / "y.csv", "interpolate"), results_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_experiment_forecasts_before_a_changed_value_are_unchanged(tmp_path):
    """End to end: a gap in the test part, then the value after the gap changes; earlier forecasts must not move."""
    rng = np.random.default_rng(0)
    values = 50 + 5 * np.sin(2 * np.pi * np.arange(60) / 12) + rng.normal(0, 1, 60)
    values[[45, 46]] = np.nan
    later = values.copy()
    later[47] += 30.0  # the first value after the gap
    _write(tmp_path / "a.csv", values)
    _write(tmp_path / "b.csv", later)
    with pytest.warns(MissingValuesWarning, match="forward-filled 2"):
        a = run_experiment(_cfg(tmp_path / "a.csv", "ffill"), results_dir=tmp_path / "ra", progress=False)
    with pytest.warns(MissingValuesWarning):
        b = run_experiment(_cfg(tmp_path / "b.csv", "ffill"), results_dir=tmp_path / "rb", progress=False)
    fa, fb = (pd.read_parquet(r.path / "forecasts.parquet") for r in (a, b))
    cutoff = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=47)
    early = fa["origin"] < cutoff  # origins whose history ends before position 47
    np.testing.assert_array_equal(fa.loc[early, "y_pred"], fb.loc[early, "y_pred"])
    # Naive forecasts from the origin at the gap are the last value observed before it (brute force).
    at_gap = fa[(fa["model"] == "naive") & (fa["origin"] == cutoff - pd.Timedelta(hours=1))]
    assert (at_gap["y_pred"] == values[44]).all()
