"""The estimator contract every forecaster follows.

Public ``fit``/``predict`` validate and convert once, then call the private
``_fit``/``_predict`` a model implements. Models declare what they can do in
``_tags``; the conformance suite (tests/test_conformance.py) reads the same
tags, so a new model gets the whole contract test by being registered.

``_predict`` is batch-first: it receives the last ``context_length_`` points
of many histories at once, so backtests predict every origin in one call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .exceptions import (
    ContractError,
    ExogenousError,
    FrequencyError,
    InvalidInputError,
    NotEnoughDataError,
    ParameterError,
)
from .shared_fits import remember as remember_fit, restore as restore_fit
from .validation import check_exog, check_horizon, check_series, future_index
from .windowing import origin_windows, windows_at


CALENDAR_PREFIX = "calendar_"


class BaseForecaster(BaseEstimator):
    """Base class of all tsforecast forecasters.

    Subclasses implement

    - ``_fit(y, X)``: ``y`` float64 array (n,), ``X`` array (n, k) or None.
      Must set ``context_length_`` (points of history ``_predict`` needs, or
      None for the whole history).
    - ``_predict(Y, XH, XF, horizon)``: ``Y`` (batch, context) histories,
      ``XH`` (batch, context, k) their exogenous rows or None, ``XF``
      (batch, n_future_steps, k) exogenous rows after the origin or None.
      Returns (batch, horizon).
    - ``_min_length()``: shortest series ``fit`` accepts.
    - ``_future_exog_steps(horizon)``: rows of ``X`` after the origin the model
      needs (0 when it uses past covariates only).
    """

    _tags = {
        "exog": False,  # accepts X
        "global": False,  # one model over many series (dict / long DataFrame input)
        "stochastic": False,  # training draws random numbers; `seed` makes it repeatable
        "neural": False,  # a Keras network (slow to fit; tests use small settings)
    }

    # -- tags -------------------------------------------------------------
    @classmethod
    def get_tag(cls, name):
        for klass in cls.__mro__:
            tags = klass.__dict__.get("_tags", {})
            if name in tags:
                return tags[name]
        raise KeyError(name)

    # -- hooks with defaults ------------------------------------------------
    def _check_params(self):
        """Validate constructor parameters; raise ParameterError."""

    def _min_length(self) -> int:
        return 1

    def _default_horizon(self) -> int:
        return int(getattr(self, "horizon", 1))

    def _future_exog_steps(self, horizon: int) -> int:
        return 0

    # -- fit ----------------------------------------------------------------
    def fit(self, y, X=None, missing="raise"):
        """Fit the forecaster to a series.

        Parameters
        ----------
        y : pandas.Series or 1-D array
            Series with a DatetimeIndex that has (or implies) a frequency, or
            a RangeIndex. Global models also take a dict ``{id: Series}`` or a
            long DataFrame with columns ``id, timestamp, value``.
        X : pandas.DataFrame or 2-D array, optional
            Exogenous inputs aligned with ``y`` by index (by row for arrays).
        missing : {"raise", "interpolate"}
            What to do with missing values in ``y``.

        Returns
        -------
        self
        """
        self._check_params()
        from .multiseries import is_multi, to_series_dict

        if is_multi(y):
            if not self.get_tag("global"):
                raise InvalidInputError(
                    f"{type(self).__name__} fits one series; for many series use a global model "
                    f"(e.g. 'lstm') or tsforecast.batch to fit one model per series."
                )
            # Copies: the model must not change when the caller edits their data after fit.
            series = {k: s.copy() for k, s in to_series_dict(y, missing=missing).items()}
            Xs = None
            if X is not None or self._calendar():
                given = X if X is not None else dict.fromkeys(series)
                if not isinstance(given, dict):
                    raise ExogenousError("for many series pass X as a dict {id: DataFrame} keyed like y.")
                X = {k: self._add_calendar(given.get(k), s.index) for k, s in series.items()}
                Xs = {k: x.copy() for k, x in to_exog_dict(X, series).items()}
            self._reset_fitted()
            if restore_fit(self, series, Xs):
                return self
            self._fit_global(series, Xs)
            remember_fit(self, series, Xs)
            return self
        # Copies: check_series hands back a clean Series itself, and the model must not change
        # when the caller edits their data after fit.
        series = check_series(y, "y", missing).copy()
        Xf = self._check_fit_exog(self._add_calendar(X, series.index), series.index)
        Xf = None if Xf is None else Xf.copy()
        if len(series) < self._min_length():
            raise NotEnoughDataError(
                f"{type(self).__name__} needs at least {self._min_length()} points to fit, got {len(series)}; "
                f"use a longer series or smaller lags/horizon."
            )
        self._reset_fitted()
        if restore_fit(self, series, Xf):
            return self
        self.y_ = series
        self.X_ = Xf
        self.exog_columns_ = None if Xf is None else list(Xf.columns)
        self.is_global_ = False
        self._fit(series.to_numpy(), None if Xf is None else Xf.to_numpy())
        remember_fit(self, series, Xf)
        return self

    # -- calendar covariates ------------------------------------------------
    def _calendar(self) -> tuple:
        """Calendar features the model feeds itself (its ``calendar`` parameter), or ()."""
        names = getattr(self, "calendar", None)
        return ((names,) if isinstance(names, str) else tuple(names)) if names else ()

    def _known_future(self) -> bool:
        """Whether exogenous inputs are known for the forecast steps: calendar inputs always are,
        so a model with ``calendar`` treats every exogenous column as known-future."""
        return bool(getattr(self, "known_future", False)) or bool(self._calendar())

    def _user_exog_columns(self) -> list:
        return [c for c in (self.exog_columns_ or []) if not str(c).startswith(CALENDAR_PREFIX)]

    def _add_calendar(self, X, index):
        """``X`` (or None) aligned to ``index`` with the model's calendar columns appended.

        Calendar inputs depend only on the timestamps, so the model computes them for history and
        future steps alike and the user passes nothing for them.
        """
        names = self._calendar()
        if not names:
            return X
        from .calendar import calendar_feature_names, calendar_features, check_calendar_names

        check_calendar_names(names, index)
        cal = pd.DataFrame(calendar_features(index, names), index=index,
                           columns=[CALENDAR_PREFIX + c for c in calendar_feature_names(names)])
        if X is None:
            return cal
        if not isinstance(X, (pd.DataFrame, pd.Series)):
            raise ExogenousError("with calendar features, pass X as a DataFrame indexed by timestamp: an array "
                                 "cannot be matched to the calendar rows.")
        user = check_exog(X, index, "X")
        user = user[[c for c in user.columns if not str(c).startswith(CALENDAR_PREFIX)]]
        return pd.concat([user, cal], axis=1)

    def _reset_fitted(self):
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, key)

    def _check_fit_exog(self, X, index):
        if X is None:
            return None
        if not self.get_tag("exog"):
            raise ExogenousError(f"{type(self).__name__} does not use exogenous inputs; drop X.")
        return check_exog(X, index, "X")

    def _fit_global(self, series: dict, Xs):
        raise NotImplementedError  # only models tagged global implement it

    # -- predict ------------------------------------------------------------
    def predict(self, horizon=None, X=None, y=None):
        """Forecast the next ``horizon`` values.

        Parameters
        ----------
        horizon : int, optional
            Steps ahead; defaults to the ``horizon`` the model was built for (or 1).
        X : pandas.DataFrame or 2-D array, optional
            Exogenous rows the model needs: the history rows up to the origin
            when ``y`` is given, and the rows after the origin when the model
            uses future values (``_future_exog_steps(horizon)`` of them). A
            DataFrame is aligned by timestamp (position for a RangeIndex). An
            array has no labels, so its rows are read by position: one row per
            point of the history (``y``, or the training series), then one per
            future step. Without ``y`` an array may instead hold only the
            future rows.
        y : pandas.Series, optional
            A new history to forecast from, without refitting. Defaults to
            the training series.

        Returns
        -------
        pandas.Series
            Forecasts indexed by the ``horizon`` time steps after the origin.
            Global models return a long DataFrame ``id, timestamp, step, forecast``.
        """
        check_is_fitted(self, "context_length_")
        horizon = self._default_horizon() if horizon is None else check_horizon(horizon)
        if getattr(self, "is_global_", False):
            return self._predict_global(horizon, X, y)
        if y is not None:
            from .multiseries import is_multi

            if is_multi(y):
                raise InvalidInputError(f"{type(self).__name__} was fitted on one series; pass one series as y.")
        history = self.y_ if y is None else self._check_history(y)
        Y, XH, XF, fut_idx = self._prepare_origin(history, X, y is not None, horizon)
        pred = self._checked_predict(Y, XH, XF, horizon)[0]
        return pd.Series(pred, index=fut_idx, name=history.name)

    def _checked_predict(self, Y, XH, XF, horizon):
        pred = np.asarray(self._predict(Y, XH, XF, horizon))
        if pred.shape != (len(Y), horizon):
            raise ContractError(
                f"{type(self).__name__}._predict returned shape {pred.shape} for {len(Y)} origin(s) and horizon "
                f"{horizon}; it must return ({len(Y)}, {horizon}). This is a bug in the forecaster, not in your data."
            )
        return pred

    def _check_history(self, y) -> pd.Series:
        history = check_series(y, "y")
        freq = getattr(self.y_.index, "freq", None)
        if freq is not None and getattr(history.index, "freq", None) != freq:
            raise FrequencyError(
                f"y has frequency {getattr(history.index, 'freqstr', None)} but the model was fitted on {self.y_.index.freqstr}."
            )
        if isinstance(self.y_.index, pd.DatetimeIndex) != isinstance(history.index, pd.DatetimeIndex):
            raise FrequencyError("y must have the same kind of index (timestamps or positions) as the training series.")
        need = self.context_length_ or self._min_length()
        if len(history) < need:
            raise NotEnoughDataError(f"y has {len(history)} points; this model needs at least {need} to forecast from.")
        return history

    def _prepare_origin(self, history: pd.Series, X, y_given: bool, horizon: int):
        """Arrays for one origin at the end of ``history``."""
        L = self.context_length_ or len(history)
        ctx_idx = history.index[-L:]
        fut_idx = future_index(history.index, horizon)
        XH = XF = None
        if self.exog_columns_ is None:
            if X is not None:
                raise ExogenousError(f"{type(self).__name__} was fitted without X; do not pass X to predict.")
        else:
            n_fut = self._future_exog_steps(horizon)
            if X is not None:
                X = self._label_exog_array(X, history.index, n_fut, y_given)
            if self._calendar() and (y_given or n_fut) and (X is not None or not self._user_exog_columns()):
                need = future_index(history.index, n_fut) if n_fut else ctx_idx[:0]
                X = self._add_calendar(X, ctx_idx.append(need) if y_given else need)
            if X is None and (y_given or n_fut):
                what = "the history rows up to the origin" if y_given else f"the {n_fut} step(s) after the origin"
                raise ExogenousError(f"the model was fitted with X, so predict needs X covering {what}.")
            if y_given:
                XH = check_exog(X, ctx_idx, "X", self.exog_columns_).to_numpy()[None]
            else:
                XH = self.X_.to_numpy()[-L:][None]
            if n_fut:
                XF = check_exog(X, future_index(history.index, n_fut), "X", self.exog_columns_).to_numpy()[None]
        return history.to_numpy()[-L:][None], XH, XF, fut_idx

    def _label_exog_array(self, X, index, n_fut, y_given):
        """Give an unlabelled X (array) the labels of its rows: the history, then the future steps.

        Without this an array would be matched to the context and to the future
        rows separately, each from its first row: the same rows read as both.
        """
        if isinstance(X, (pd.DataFrame, pd.Series)) or not (y_given or n_fut):
            return X  # labelled already, or not read at all (the history rows are the training X)
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ExogenousError(f"X must be 2-D (time, features), got shape {arr.shape}.")
        if arr.shape[1] != len(self.exog_columns_):
            raise ExogenousError(f"X has {arr.shape[1]} column(s); the model was fitted with {len(self.exog_columns_)}.")
        full = index.append(future_index(index, n_fut)) if n_fut else index
        if len(arr) == len(full):
            labels = full
        elif not y_given and n_fut and len(arr) == n_fut:
            labels = full[len(index):]  # only the future rows: the history rows are the training X
        else:
            which = "y" if y_given else "the training series"
            only = "" if y_given or not n_fut else f", or only the {n_fut} future row(s)"
            raise ExogenousError(
                f"X has {len(arr)} rows; as an array it needs one row per point of {which} ({len(index)}) "
                f"followed by the {n_fut} step(s) after it, {len(full)} in all{only}. "
                f"Or pass a DataFrame indexed like y to align by timestamp."
            )
        # Array columns are positional, so they take the names seen in fit.
        return pd.DataFrame(arr, index=labels, columns=self.exog_columns_)

    def _predict_global(self, horizon, X, y):
        raise NotImplementedError

    # -- many origins at once (backtests) -----------------------------------
    def predict_at(self, y: pd.Series, origins, horizon: int, X=None) -> np.ndarray:
        """Forecast from many origins of one series, without refitting.

        ``origins`` are integer positions: origin ``o`` forecasts
        ``y[o : o+horizon]`` from the history ``y[:o]``. Models with a fixed
        context predict all origins in one batched ``_predict`` call.

        Returns an array (n_origins, horizon).
        """
        check_is_fitted(self, "context_length_")
        horizon = check_horizon(horizon)
        series = check_series(y, "y")
        values = series.to_numpy()
        origins = np.asarray(origins, dtype=np.int64)
        if origins.ndim != 1:
            raise InvalidInputError(f"origins must be a 1-D list of positions, got shape {origins.shape}.")
        Xv = None
        if self.exog_columns_ is not None:
            if X is None and self._user_exog_columns():
                raise ExogenousError("the model was fitted with X; pass X covering the series.")
            index = series.index
            if X is None:  # calendar inputs only: computed for the steps after the series too
                index = index.append(future_index(index, self._future_exog_steps(horizon)))
            Xv = check_exog(self._add_calendar(X, index), index, "X", self.exog_columns_).to_numpy()
        n_fut = self._future_exog_steps(horizon) if Xv is not None else 0
        if len(origins) == 0:
            return np.empty((0, horizon))
        L = self.context_length_
        lo = L or self._min_length()
        n_rows = len(values) if Xv is None else len(Xv)
        if origins.min() < lo or origins.max() > len(values) or origins.max() + max(n_fut, 0) > n_rows:
            raise InvalidInputError(
                f"origins must lie in [{lo}, {min(len(values), n_rows - n_fut)}] so each has {lo} points of history"
                + (f" and {n_fut} exogenous rows after it." if n_fut else ".")
            )
        if L is None:
            return self._predict_origins(values, Xv, origins, n_fut, horizon)
        Y = origin_windows(values, L, origins)
        XH = XF = None
        if Xv is not None:
            XH = origin_windows(Xv, L, origins)
            if n_fut:
                XF = windows_at(Xv, n_fut, origins)
        return self._checked_predict(Y, XH, XF, horizon)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon) -> np.ndarray:
        """Forecasts from each origin for models that use the whole history (``context_length_`` None).

        The default runs ``_predict`` once per origin; state-space models override
        it to filter the series once and read every origin's forecast off the states.
        """
        rows = []
        for o in origins:
            XH = None if Xv is None else Xv[:o][None]
            XF = None if not n_fut else Xv[o : o + n_fut][None]
            rows.append(self._predict(values[:o][None], XH, XF, horizon)[0])
        return np.vstack(rows)

    # -- online updates -------------------------------------------------------
    def update(self, y_new, X_new=None, *, refit=False, missing="raise", **kwargs):
        """Append new observations; forecasts then continue from the new end.

        Parameters
        ----------
        y_new : pandas.Series or 1-D array
            The observations after the last one the model has seen. A Series must
            start exactly one step after it; an array is stamped with the following
            steps. Global models take a dict ``{id: Series}`` (or a long DataFrame)
            of series they were fitted on.
        X_new : pandas.DataFrame or 2-D array, optional
            Exogenous rows for the new observations, when the model was fitted with X
            (calendar inputs are computed, not passed).
        refit : bool, default False
            Refit on the whole history with the same parameters. Without it the
            fitted parameters stay: statistical models filter the new points with
            them, networks keep their weights.
        missing : {"raise", "interpolate", "ffill"}
            What to do with missing values in ``y_new`` (filled from its own points
            and the history before it, never from later data).
        **kwargs
            Model-specific update options, e.g. ``epochs=k`` to fine-tune a network on
            its newest windows.

        Returns
        -------
        self
        """
        check_is_fitted(self, "context_length_")
        if refit and kwargs:
            raise ParameterError(f"refit=True fits from scratch; drop {sorted(kwargs)}.")
        # A refused option or a failed refit must not leave the new rows half-applied.
        saved = {k: getattr(self, k) for k in ("y_", "X_", "series_", "X_series_") if hasattr(self, k)}
        try:
            if getattr(self, "is_global_", False):
                new = self._append_global(y_new, X_new, missing)
            else:
                from .multiseries import is_multi

                if is_multi(y_new):
                    raise InvalidInputError(f"{type(self).__name__} was fitted on one series; pass one series to "
                                            f"update.")
                new = self._append(y_new, X_new, missing)
            if refit:
                self._refit_all()
            else:
                self._update(new, **kwargs)
        except BaseException:
            for k, v in saved.items():
                setattr(self, k, v)
            raise
        return self

    def _update(self, n_new, **kwargs):
        """Change fitted state after ``update`` appended ``n_new`` points (a dict per id for global models).

        The default keeps the parameters: ``predict`` forecasts from the stored history, so the
        model already continues from the new end.
        """
        if kwargs:
            raise ParameterError(f"{type(self).__name__}.update takes no options {sorted(kwargs)}; "
                                 f"it keeps its parameters, or refits with refit=True.")

    def _continuation(self, y_new, history: pd.Series, name: str, missing: str) -> pd.Series:
        """``y_new`` as a Series that starts one step after ``history``."""
        if not isinstance(y_new, (pd.Series, pd.DataFrame)):
            arr = np.asarray(y_new, dtype=float).reshape(-1) if np.ndim(y_new) <= 1 else np.asarray(y_new)
            y_new = pd.Series(arr, index=future_index(history.index, len(arr)) if arr.ndim == 1 and len(arr) else None,
                              name=history.name)
        if len(y_new) == 0:
            raise InvalidInputError(f"{name} is empty; pass at least one new observation.")
        expected = future_index(history.index, 1)[0]
        first = y_new.index[0]
        if isinstance(history.index, pd.DatetimeIndex) != isinstance(y_new.index, pd.DatetimeIndex):
            raise FrequencyError(f"{name} must have the same kind of index (timestamps or positions) as the history.")
        if first != expected:
            where = "overlaps the history" if first <= history.index[-1] else "leaves a gap after the history"
            raise InvalidInputError(
                f"{name} starts at {first} and {where}, which ends at {history.index[-1]}; pass only the "
                f"observations from {expected} on."
            )
        # Validated together with the last seen point, so frequency and gap checks see the join.
        return check_series(pd.concat([history.iloc[-1:], y_new]), name, missing).iloc[1:]

    def _append(self, y_new, X_new, missing) -> int:
        history = self.y_
        new = self._continuation(y_new, history, "y_new", missing)
        Xn = None
        if self.exog_columns_ is None:
            if X_new is not None:
                raise ExogenousError(f"{type(self).__name__} was fitted without X; do not pass X_new.")
        else:
            if X_new is None and self._user_exog_columns():
                raise ExogenousError(f"the model was fitted with X, so update needs X_new for the {len(new)} new rows.")
            if X_new is not None and not isinstance(X_new, (pd.DataFrame, pd.Series)):
                arr = np.asarray(X_new, dtype=float)
                arr = arr[:, None] if arr.ndim == 1 else arr
                if arr.ndim != 2 or arr.shape != (len(new), len(self._user_exog_columns())):
                    raise ExogenousError(f"X_new must have one row per new observation and "
                                         f"{len(self._user_exog_columns())} column(s): shape "
                                         f"({len(new)}, {len(self._user_exog_columns())}), got {arr.shape}.")
                X_new = pd.DataFrame(arr, index=new.index, columns=self._user_exog_columns())
            Xn = check_exog(self._add_calendar(X_new, new.index), new.index, "X_new", self.exog_columns_)
        self.y_ = pd.concat([history, new])
        self.y_.index.freq = history.index.freq if isinstance(history.index, pd.DatetimeIndex) else None
        if Xn is not None:
            self.X_ = pd.concat([self.X_, Xn])
        return len(new)

    def _append_global(self, y_new, X_new, missing) -> dict:
        from .multiseries import is_multi, long_to_dict

        if not is_multi(y_new):
            raise InvalidInputError("a global model updates from a dict {id: Series} or a long DataFrame "
                                    "id, timestamp, value.")
        given = long_to_dict(y_new) if isinstance(y_new, pd.DataFrame) else dict(y_new)
        given = {str(k): v for k, v in given.items()}
        unknown = [k for k in given if k not in self.series_]
        if unknown:
            raise InvalidInputError(f"series {unknown[:5]} were not in the fit; a global model updates only the "
                                    f"series it was fitted on (refit to add series).")
        if self.exog_columns_ is not None and self._user_exog_columns() and not isinstance(X_new, dict):
            raise ExogenousError("the model was fitted with X: pass X_new as a dict {id: DataFrame} for the new rows.")
        counts, series, Xs = {}, dict(self.series_), dict(self.X_series_ or {})
        for k, v in given.items():
            new = self._continuation(v, series[k], f"y_new[{k!r}]", missing)
            if self.exog_columns_ is not None:
                xk = None if X_new is None else X_new.get(k)
                Xs[k] = pd.concat([Xs[k], check_exog(self._add_calendar(xk, new.index), new.index, f"X_new[{k!r}]",
                                                     self.exog_columns_)])
            freq = series[k].index.freq if isinstance(series[k].index, pd.DatetimeIndex) else None
            series[k] = pd.concat([series[k], new])
            if freq is not None:
                series[k].index.freq = freq
            counts[k] = len(new)
        # Assigned only after every series passed its checks: a bad one leaves the model unchanged.
        self.series_ = series
        self.X_series_ = Xs or None
        return counts

    def _refit_all(self):
        if getattr(self, "is_global_", False):
            y, X = self.series_, self.X_series_
            X = None if X is None else {k: x[[c for c in x.columns if not str(c).startswith(CALENDAR_PREFIX)]]
                                        for k, x in X.items()}
        else:
            y, X = self.y_, self.X_
            if X is not None:
                X = X[self._user_exog_columns()]
        if X is not None and (not len(next(iter(X.values())).columns) if isinstance(X, dict) else not len(X.columns)):
            X = None  # calendar columns only: fit recomputes them
        from sklearn.base import clone

        fitted = clone(self).fit(y, X)  # a failed refit leaves this model as it was
        self._reset_fitted()
        vars(self).update({k: v for k, v in vars(fitted).items() if k.endswith("_")})

    # -- prediction intervals -------------------------------------------------
    def calibrate(self, y, X=None, *, origins=None, horizon=None):
        """Collect out-of-sample forecast errors for split-conformal intervals.

        ``y`` must continue (or contain) the training series; only origins after
        the end of the training data are used, so the errors are honest.
        See :func:`tsforecast.evaluation.conformal.calibrate`.
        """
        from .evaluation.conformal import calibrate

        return calibrate(self, y, X=X, origins=origins, horizon=horizon)

    def predict_interval(self, horizon=None, coverage=0.9, X=None, y=None) -> pd.DataFrame:
        """Point forecast with split-conformal ``lower``/``upper`` bounds per lead time.

        Needs calibration errors from :meth:`calibrate` or a backtest.
        See :func:`tsforecast.evaluation.conformal.predict_interval`.
        """
        from .evaluation.conformal import predict_interval

        return predict_interval(self, horizon=horizon, coverage=coverage, X=X, y=y)

    # -- persistence --------------------------------------------------------
    def save(self, path):
        """Save the fitted forecaster to directory ``path`` (see :func:`tsforecast.load_model`)."""
        from .persistence import save_model

        save_model(self, path)
        return path

    def _get_state(self):
        """Fitted state beyond the training history: (json dict, arrays dict, keras models list)."""
        return {}, {}, []

    def _set_state(self, meta, arrays, networks):
        """Inverse of :meth:`_get_state`."""

    # -- conformance-suite settings -----------------------------------------
    @classmethod
    def _test_params(cls) -> dict:
        """Small, fast parameters the conformance suite uses."""
        return {}


def to_exog_dict(X, series: dict) -> dict:
    """Align a dict of exogenous frames (keyed like the series) with each series."""
    if not isinstance(X, dict):
        raise ExogenousError("for many series pass X as a dict {id: DataFrame} keyed like y.")
    missing = [k for k in series if k not in X]
    if missing:
        raise ExogenousError(f"X has no exogenous data for series {missing[:5]}.")
    return {k: check_exog(X[k], s.index, f"X[{k!r}]") for k, s in series.items()}


def check_choice(value, options, name):
    if value not in options:
        raise ParameterError(f"{name} must be one of {tuple(options)}, got {value!r}.")
    return value


def check_int(value, name, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_calendar_param(calendar):
    """``calendar``: None or feature names from :data:`tsforecast.calendar.CALENDAR_FEATURES`
    (whether they suit the data's frequency is checked in ``fit``)."""
    if calendar is None:
        return None
    from .calendar import CALENDAR_FEATURES

    names = (calendar,) if isinstance(calendar, str) else calendar
    if not isinstance(names, (tuple, list)) or not names or any(n not in CALENDAR_FEATURES for n in names):
        raise ParameterError(f"calendar must be None or a tuple of names from {CALENDAR_FEATURES}, got {calendar!r}.")
    return tuple(names)


def check_lag_set(lags) -> list:
    """Validate an explicit lag set: distinct positive integers, at least one. Returns them sorted."""
    ok = len(lags) > 0 and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 1
                               for v in lags)
    if not ok or len(set(int(v) for v in lags)) != len(lags):
        raise ParameterError(
            f"lags must be an integer order, a name from ('season', 'long_season') or a list of distinct positive "
            f"integers such as [1, 2, 24, 168], got {lags!r}."
        )
    return sorted(int(v) for v in lags)
