"""Panel: many series validated in vectorised passes, against check_series / future_index one series at a time."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.exceptions import FrequencyError, InvalidInputError, MissingValuesError, NotEnoughDataError
from tsforecast.multiseries import long_to_dict, to_series_dict
from tsforecast.panel import INDEX, Panel, first_differences
from tsforecast.scaling import Scaler
from tsforecast.validation import MissingValuesWarning, check_series, future_index

HORIZON = 3


# -- random panels --------------------------------------------------------------------
@st.composite
def panels(draw, positional=None):
    """``(parts, long)``: per-series ``(id, timestamps, values)`` and the long frame with rows interleaved."""
    positional = draw(st.booleans()) if positional is None else positional
    unit = draw(st.sampled_from(["ns", "us", "s"]))
    n = draw(st.integers(1, 5))
    parts = []
    for i in range(n):
        length = draw(st.integers(1 if positional else 3, 12))
        if positional:
            stamps = np.arange(length, dtype=np.int64) + draw(st.integers(-5, 100))
        else:
            freq = draw(st.sampled_from(["h", "5min", "D"]))
            start = pd.Timestamp("2020-01-01") + pd.Timedelta(minutes=5 * draw(st.integers(0, 10_000)))
            stamps = pd.date_range(start, periods=length, freq=freq).to_numpy().astype(f"datetime64[{unit}]")
        values = np.array(draw(st.lists(st.floats(-1e6, 1e6), min_size=length, max_size=length)))
        parts.append((draw(st.sampled_from([f"s{i}", i, f"id {i}"])), stamps, values))
    # Interleave the rows of different series, keeping each series' rows in time order.
    order = draw(st.permutations(np.repeat(np.arange(n), [len(p[1]) for p in parts]).tolist()))
    taken = [0] * n
    rows = []
    for k in order:
        key, stamps, values = parts[k]
        rows.append((key, stamps[taken[k]], values[taken[k]]))
        taken[k] += 1
    long = pd.DataFrame(rows, columns=["id", "timestamp", "value"])
    if not positional:
        long["timestamp"] = long["timestamp"].to_numpy().astype(f"datetime64[{unit}]")
    first_seen = list(dict.fromkeys(order))
    return [parts[k] for k in first_seen], long


def _assert_matches_one_at_a_time(panel, truths):
    """``truths``: (id, check_series result) per series, in order."""
    assert panel.ids.tolist() == [k for k, _ in truths]
    stamps = panel.future_stamps(HORIZON)
    for i, (key, checked) in enumerate(truths):
        np.testing.assert_array_equal(panel.values[panel.offsets[i]:panel.offsets[i + 1]], checked.to_numpy())
        index = panel.index(i)
        assert index.equals(checked.index) and type(index) is type(checked.index)
        assert getattr(index, "freq", None) == getattr(checked.index, "freq", None)
        pd.testing.assert_series_equal(panel.series(i), checked, check_freq=True)
        expect = future_index(checked.index, HORIZON).to_numpy()
        got = stamps[i]
        if isinstance(stamps, list):
            assert got.dtype == expect.dtype
        np.testing.assert_array_equal(got, expect.astype(got.dtype))


@settings(max_examples=60, deadline=None)
@given(panels())
def test_from_long_equals_check_series_per_series(case):
    parts, long = case
    panel = Panel.from_long(long)
    truths = [(str(key), check_series(pd.Series(v, index=pd.Index(t), name=str(key)), f"series {str(key)!r}"))
              for key, t, v in parts]
    _assert_matches_one_at_a_time(panel, truths)
    np.testing.assert_array_equal(panel.last_values(1)[:, 0], [c.to_numpy()[-1] for _, c in truths])
    assert all(s is None for s in panel.sources)  # regular series never take the per-series path


@settings(max_examples=60, deadline=None)
@given(panels(), st.data())
def test_from_long_raises_what_the_first_bad_series_raises(case, data):
    parts, _ = case
    k = data.draw(st.integers(0, len(parts) - 1))
    key, stamps, values = parts[k]
    stamps, values = stamps.copy(), values.copy()
    j = data.draw(st.integers(1, len(stamps) - 1)) if len(stamps) > 1 else 0
    how = data.draw(st.sampled_from(["nan", "inf", "duplicate", "swap", "drop"] if j else ["nan", "inf"]))
    if how in ("nan", "inf"):
        values[j] = np.nan if how == "nan" else np.inf
    elif how == "duplicate":
        stamps[j] = stamps[j - 1]
    elif how == "swap":
        stamps[[j - 1, j]] = stamps[[j, j - 1]]
    elif len(stamps) > 2:  # drop an inner row: an irregular step (or, for 3 timestamps, too few to tell)
        i = max(1, min(j, len(stamps) - 2))
        stamps, values = np.delete(stamps, i), np.delete(values, i)
    parts[k] = (key, stamps, values)
    long = pd.concat([pd.DataFrame({"id": [key] * len(t), "timestamp": t, "value": v}) for key, t, v in parts],
                     ignore_index=True)
    truth = None
    for key, t, v in parts:  # the old route: one check_series per series, in order
        try:
            check_series(pd.Series(v, index=pd.Index(t), name=str(key)), f"series {str(key)!r}")
        except InvalidInputError as exc:
            truth = exc
            break
    if truth is None:
        Panel.from_long(long)
        return
    with pytest.raises(InvalidInputError) as got:
        Panel.from_long(long)
    assert type(got.value) is type(truth) and str(got.value) == str(truth)


@settings(max_examples=60, deadline=None)
@given(panels(), st.booleans())
def test_from_dict_equals_check_series_per_series(case, with_freq):
    parts, _ = case
    series = {}
    for key, t, v in parts:
        index = pd.Index(t)
        if with_freq and isinstance(index, pd.DatetimeIndex) and len(index) >= 3:
            with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset
                warnings.simplefilter("ignore")
                index = pd.DatetimeIndex(index, freq=pd.infer_freq(index))  # "D" is a calendar Day: fallback
        series[key] = pd.Series(v, index=index, name="y")
    panel = Panel.from_dict(series)
    _assert_matches_one_at_a_time(panel, [(str(k), check_series(s, f"series {k!r}")) for k, s in series.items()])


@settings(max_examples=30, deadline=None)
@given(panels())
def test_gather_and_first_differences(case):
    parts, long = case
    panel = Panel.from_long(long)
    rows = np.arange(len(panel))[::-1]
    values, lengths = panel.gather(rows)
    arrays = [panel.series(i).to_numpy() for i in rows]
    np.testing.assert_array_equal(values, np.concatenate(arrays))
    np.testing.assert_array_equal(lengths, [len(a) for a in arrays])
    keep = lengths >= 2
    diffs, dl = first_differences(*panel.gather(rows[keep]))
    np.testing.assert_array_equal(diffs, np.concatenate([np.diff(a) for a, k in zip(arrays, keep) if k] or [[]]))
    np.testing.assert_array_equal(dl, lengths[keep] - 1)


def test_fit_flat_equals_fit_many():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(5, 2, n) for n in (3, 10, 1, 7)]
    for method in ("standard", "minmax", "robust", "log", None):
        flat = Scaler(method).fit_flat(np.abs(np.concatenate(arrays)), [len(a) for a in arrays])
        many = Scaler(method).fit_many([np.abs(a) for a in arrays])
        np.testing.assert_array_equal(flat.loc_, many.loc_)
        np.testing.assert_array_equal(flat.scale_, many.scale_)


# -- errors name the series -----------------------------------------------------------------
def _long(**bad):
    """Series 'a' is fine; series 'b' gets the rows in ``bad`` (timestamps / values)."""
    t = pd.date_range("2024-01-01", periods=6, freq="h")
    a = pd.DataFrame({"id": "a", "timestamp": t, "value": np.arange(6.0)})
    b = pd.DataFrame({"id": "b", "timestamp": bad.get("timestamp", t), "value": bad.get("value", np.arange(6.0))})
    return pd.concat([a, b], ignore_index=True)


T = pd.date_range("2024-01-01", periods=6, freq="h")
BAD = {
    "duplicate": (FrequencyError, dict(timestamp=T[[0, 1, 2, 2, 3, 4]])),
    "unsorted": (FrequencyError, dict(timestamp=T[[0, 1, 3, 2, 4, 5]])),
    "irregular": (FrequencyError, dict(timestamp=T[[0, 1, 2, 3, 4]].append(pd.DatetimeIndex(["2024-01-01 07:00"])))),
    "nan": (MissingValuesError, dict(value=[1.0, 2.0, np.nan, 4.0, 5.0, 6.0])),
    "inf": (InvalidInputError, dict(value=[1.0, 2.0, np.inf, 4.0, 5.0, 6.0])),
    "too_short": (FrequencyError, dict(timestamp=T[:2], value=[1.0, 2.0])),
}


@pytest.mark.parametrize("case", list(BAD))
def test_long_errors_name_the_series(case):
    kind, bad = BAD[case]
    df = _long(**bad)
    rows = df[df["id"] == "b"]
    with pytest.raises(kind) as truth:
        check_series(pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["timestamp"].to_numpy())), "series 'b'")
    for build in (Panel.from_long, to_series_dict, lambda d: Panel.from_dict(long_to_dict(d))):
        with pytest.raises(kind) as got:
            build(df)
        assert type(got.value) is type(truth.value)
        assert str(got.value) == str(truth.value) and "series 'b'" in str(got.value)


def test_unsorted_ids_keep_order_of_first_appearance_and_errors_name_the_series():
    df = _long(timestamp=T[[0, 1, 3, 2, 4, 5]])
    df = df.iloc[np.argsort(np.r_[np.arange(6) + 0.5, np.arange(6)], kind="stable")]  # b, a, b, a, ...
    assert df["id"].tolist()[:4] == ["b", "a", "b", "a"]
    with pytest.raises(FrequencyError, match="series 'b' timestamps are not sorted"):
        Panel.from_long(df)
    assert Panel.from_long(df[df["id"] == "a"]).ids.tolist() == ["a"]
    fine = _long().iloc[np.argsort(np.r_[np.arange(6) + 0.5, np.arange(6)], kind="stable")]
    assert Panel.from_long(fine).ids.tolist() == ["b", "a"]


def test_non_numeric_values_and_positional_errors():
    with pytest.raises(InvalidInputError, match=r"series 'a' must hold numbers, got dtype object"):
        Panel.from_long(_long().astype({"value": object}))
    good = pd.Series(np.arange(5.0))
    with pytest.raises(InvalidInputError, match=r"series 'b' must hold numbers, got dtype object"):
        Panel.from_dict({"a": good, "b": pd.Series(list("abcde"))})
    with pytest.raises(FrequencyError, match="series 'b' has an integer index that is not consecutive"):
        Panel.from_dict({"a": good, "b": pd.Series(np.arange(3.0), index=[0, 2, 3])})
    pos = pd.DataFrame({"id": ["a"] * 3 + ["b"] * 3, "timestamp": [0, 1, 2, 5, 7, 8], "value": np.arange(6.0)})
    with pytest.raises(FrequencyError, match="series 'b' has an integer index that is not consecutive"):
        Panel.from_long(pos)


def test_missing_columns_empty_input_and_unparsable_timestamps():
    with pytest.raises(InvalidInputError, match=r"missing \['value'\]"):
        Panel.from_long(_long().drop(columns="value"))
    for empty in (_long().iloc[:0], {}):
        with pytest.raises(InvalidInputError, match="no series given"):
            Panel.from_long(empty) if isinstance(empty, pd.DataFrame) else Panel.from_dict(empty)
    df = _long().astype({"timestamp": str})
    df.loc[8, "timestamp"] = "not a date"
    with pytest.raises(InvalidInputError, match="series 'b': unparsable timestamp"):
        Panel.from_long(df)


def test_interpolate_equals_check_series():
    df = _long(value=[np.nan, 2.0, np.nan, 4.0, 5.0, np.nan])
    with pytest.warns(MissingValuesWarning):
        panel = Panel.from_long(df, missing="interpolate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        truths = [(k, check_series(s, f"series {k!r}", "interpolate")) for k, s in long_to_dict(df).items()]
    assert len(truths[1][1]) == 4  # the leading and trailing gaps are trimmed
    _assert_matches_one_at_a_time(panel, truths)


def test_calendar_and_tz_aware_series_take_the_fallback_path():
    monthly = pd.date_range("2020-01-31", periods=5, freq="ME")
    business = pd.date_range("2024-01-04", periods=6, freq="B")
    lisbon = pd.date_range("2024-03-30", periods=30, freq="h", tz="Europe/Lisbon")  # crosses the DST switch
    hourly = pd.date_range("2024-01-01", periods=4, freq="h")
    series = {"m": pd.Series(np.arange(5.0), index=pd.DatetimeIndex(monthly.to_numpy())),
              "b": pd.Series(np.arange(6.0), index=pd.DatetimeIndex(business.to_numpy())),
              "tz": pd.Series(np.arange(30.0), index=lisbon), "h": pd.Series(np.arange(4.0), index=hourly)}
    long = pd.concat([pd.DataFrame({"id": k, "timestamp": s.index.tz_localize(None) if k == "tz" else s.index,
                                    "value": s.to_numpy()}) for k, s in series.items() if k != "tz"])
    for panel, keys, named in ((Panel.from_dict(series), list(series), False),
                               (Panel.from_long(long), ["m", "b", "h"], True)):
        assert [panel.kind[i] == INDEX for i in range(len(panel))] == [k != "h" for k in keys]
        _assert_matches_one_at_a_time(panel, [(k, check_series(series[k].rename(k if named else None)))
                                              for k in keys])
    tz_long = pd.DataFrame({"id": "tz", "timestamp": lisbon, "value": np.arange(30.0)})
    _assert_matches_one_at_a_time(Panel.from_long(tz_long), [("tz", check_series(series["tz"].rename("tz")))])


def test_long_to_dict_equals_groupby():
    df = _long().sample(frac=1, random_state=0)
    df["id"] = df["id"].astype("category")
    got = long_to_dict(df)
    expect = {str(k): p for k, p in df.groupby("id", sort=False)}
    assert list(got) == list(expect)
    for k, part in expect.items():
        np.testing.assert_array_equal(got[k].to_numpy(), part["value"].to_numpy())
        np.testing.assert_array_equal(got[k].index.to_numpy(), part["timestamp"].to_numpy())


# -- a global network predicts the same through every route ------------------------------------
def _histories(n=4, length=40):
    rng = np.random.default_rng(3)
    return {f"s{i}": pd.Series(10 * (i + 1) + np.cumsum(rng.normal(size=length + 3 * i)),
                               index=pd.date_range("2024-01-01", periods=length + 3 * i, freq="h"))
            for i in range(n)}


@pytest.mark.parametrize("difference", [False, True])
def test_global_lstm_same_forecasts_from_dict_long_and_one_series_at_a_time(difference):
    train = _histories(3)
    m = tsf.LSTMForecaster(lags=8, horizon=2, units=8, epochs=1, batch_size=32, patience=1,
                           difference=difference).fit(train)
    new = {**_histories(5, 30), "s1": train["s1"]}  # known ids use their fitted scaler, unseen ones their own
    long = pd.concat([pd.DataFrame({"id": k, "timestamp": s.index, "value": s.to_numpy()}) for k, s in new.items()])
    from_dict = m.predict(4, y=new)
    from_long = m.predict(4, y=long)
    interleaved = m.predict(4, y=long.sample(frac=1, random_state=0).sort_values("timestamp", kind="stable"))
    one_at_a_time = pd.concat([m.predict(4, y={k: s}) for k, s in new.items()], ignore_index=True)
    assert from_dict["timestamp"].dtype == "datetime64[ns]" and from_dict["step"].dtype == np.int64
    # One series per call runs the network on a batch of one: BLAS may sum in another order (float32).
    pd.testing.assert_frame_equal(from_dict, one_at_a_time, check_exact=False, rtol=1e-6)
    pd.testing.assert_frame_equal(from_long, from_dict, check_exact=True)
    assert interleaved["id"].unique().tolist() != list(new)  # ids in order of first appearance
    pd.testing.assert_frame_equal(interleaved.sort_values(["id", "step"]).reset_index(drop=True),
                                  from_dict.sort_values(["id", "step"]).reset_index(drop=True), check_exact=True)
    with pytest.raises(NotEnoughDataError, match=r"series \['s9'\] have fewer than"):
        m.predict(4, y={**new, "s9": train["s0"][:5]})


def test_rows_without_id_are_refused():
    df = pd.DataFrame({"id": ["a", None, "a"], "timestamp": [0, 1, 2], "value": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidInputError, match="1 row\\(s\\) have no id"):
        Panel.from_long(df)


def test_ids_equal_as_text_are_refused():
    df = pd.DataFrame({"id": [1, 1, "1", "1"], "timestamp": [0, 1, 0, 1], "value": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InvalidInputError, match="same text"):
        Panel.from_long(df)


def test_descending_frequency_is_refused_like_check_series():
    s = pd.Series(np.arange(5.0), index=pd.date_range("2020-01-05 04:00", periods=5, freq="-1h"))
    with pytest.raises(FrequencyError, match="series 'a'.*not sorted"):
        Panel.from_dict({"a": s})


def test_ambiguous_date_strings_are_parsed_per_series():
    a = pd.DataFrame({"id": "A", "timestamp": ["13/01/2020", "14/01/2020", "15/01/2020"], "value": [1.0, 2, 3]})
    b = pd.DataFrame({"id": "B", "timestamp": ["01/02/2020", "01/03/2020", "01/04/2020"], "value": [1.0, 2, 3]})
    together = Panel.from_long(pd.concat([a, b]))
    pd.testing.assert_index_equal(together.index(1), Panel.from_long(b).index(0))


def test_timestamps_beyond_the_nanosecond_range_keep_their_dates():
    ix = pd.date_range("2300-01-01", periods=5, freq="h", unit="s")
    s = pd.Series(np.arange(5.0), index=ix)
    want = future_index(check_series(s).index, 2).to_numpy()
    for panel in (Panel.from_long(pd.DataFrame({"id": "a", "timestamp": ix.to_numpy(), "value": s.to_numpy()})),
                  Panel.from_dict({"a": s})):
        np.testing.assert_array_equal(np.asarray(panel.future_stamps(2)[0]), want)


def test_dict_ids_equal_as_text_are_refused():
    s = pd.Series(np.arange(5.0))
    with pytest.raises(InvalidInputError, match="same text"):
        Panel.from_dict({1: s, "1": s})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", 7, "7x"]), min_size=1, max_size=30),
       st.sampled_from(["object", "str", "category"]), st.booleans())
def test_group_long_equals_a_loop_over_rows_whether_or_not_ids_are_contiguous(ids, dtype, contiguous):
    from tsforecast.panel import group_long

    if contiguous:  # the same ids, each one's rows together, in order of first appearance
        first = list(dict.fromkeys(ids))
        ids = sorted(ids, key=first.index)
    column = pd.Series([str(k) for k in ids] if dtype != "object" else ids, dtype=dtype)
    df = pd.DataFrame({"id": column, "timestamp": np.arange(len(ids)), "value": np.arange(len(ids), dtype=float)})
    rows = {}
    for i, key in enumerate(column.tolist()):
        rows.setdefault(key, []).append(i)
    keys, offsets, ts, vals = group_long(df)
    assert keys == list(rows)
    for i, key in enumerate(keys):
        np.testing.assert_array_equal(vals.to_numpy()[offsets[i]:offsets[i + 1]], rows[key])


@pytest.mark.parametrize("positional", [False, True])
@pytest.mark.parametrize("dtype", ["str", "object"])
def test_from_long_flags_a_bad_row_anywhere_as_check_series_does(positional, dtype, monkeypatch):
    """Every row of a sorted long frame (series of 1 to 5 rows, the first and last ones included) made bad in
    turn, by a missing value or an irregular step: from_long raises what one check_series per series raises
    (or accepts the frame when that does), whatever row of a series, or series of the frame, it lands in; and
    only the bad series leaves the vectorised path."""
    import tsforecast.panel as panel_module

    checked = []
    original = panel_module._checked
    monkeypatch.setattr(panel_module, "_checked", lambda s, *a: checked.append(s.name) or original(s, *a))
    lengths = [1, 4, 2, 5, 3, 1] if positional else [3, 4, 5, 3]
    parts = []
    for i, n in enumerate(lengths):
        stamps = (np.arange(n, dtype=np.int64) + 10 * i if positional
                  else pd.date_range(f"2020-01-0{i + 1}", periods=n, freq="h").to_numpy())
        parts.append((f"s{i}", stamps, np.arange(n, dtype=float) + i))
    rows = sum(lengths)
    for row in range(rows):
        for how in ("nan", "step"):
            broken, seen = [], 0
            for key, t, v in parts:
                t, v = t.copy(), v.copy()
                j = row - seen
                if 0 <= j < len(t):
                    if how == "nan":
                        v[j] = np.nan
                    else:
                        t[j:] = t[j:] + (3 if positional else np.timedelta64(3, "h"))  # one longer step before j
                broken.append((key, t, v))
                seen += len(t)
            long = pd.concat([pd.DataFrame({"id": [key] * len(t), "timestamp": t, "value": v})
                              for key, t, v in broken], ignore_index=True).astype({"id": dtype})
            truth, bad = None, []
            for key, t, v in broken:
                try:
                    check_series(pd.Series(v, index=pd.Index(t), name=key), f"series {key!r}")
                except InvalidInputError as exc:
                    truth, bad = exc, [key]
                    break
            checked.clear()
            if truth is None:
                panel = Panel.from_long(long)
                np.testing.assert_array_equal(panel.lengths, lengths)
            else:
                with pytest.raises(InvalidInputError) as got:
                    Panel.from_long(long)
                assert type(got.value) is type(truth) and str(got.value) == str(truth), (row, how)
            assert checked == bad, (row, how)
