"""One estimator implementation behind every Keras forecaster (NARX, TDNN, RNNs).

A subclass only says which network to build (``_build_network``). Everything
else — per-series scaling, windowing, the recursive / direct / MIMO
strategies, training, batched prediction, global (many-series) models and
persistence — lives here once.
"""

from __future__ import annotations

import inspect
import random
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ..base import BaseForecaster, check_calendar_param, check_choice, check_int
from ..exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, ParameterError
from ..multiseries import is_multi, stacked_forecasts_to_long
from ..panel import Panel, first_differences
from ..scaling import SCALERS, Scaler
from ..seasonality import LAG_SETS, SEASON_LAGS, lag_set, resolve_period, season_lags
from ..validation import check_exog, future_index
from ..windowing import WindowSource, origin_windows, windows_at

STRATEGIES = ("recursive", "direct", "mimo")
NEURAL_SCALERS = SCALERS + ("window",)
BASES = (None, "last", "seasonal")

# Parameters every network has, with their defaults; a subclass lists its own (and any default it
# changes) in ``_params``, and ``__init__`` is generated from both, so they are declared once.
COMMON_PARAMS = {
    "horizon": 1, "strategy": "recursive", "scaler": "standard", "difference": False, "base": None,
    "seasonal_period": None, "n_ensemble": 1, "epochs": 200, "batch_size": 32, "learning_rate": 1e-3,
    "optimizer": "adam", "clipnorm": 1.0, "weight_decay": 0.0, "loss": "mse", "quantiles": None, "patience": 10, "restore_best_weights": True,
    "reduce_lr_patience": None, "validation_fraction": 0.2, "dropout": 0.0, "l2": 0.0, "known_future": False, "calendar": None,
    "seed": 0, "verbose": 0,
}


def _make_init(cls, defaults):
    """A keyword-only ``__init__`` storing each parameter untouched, with a real signature for
    scikit-learn's ``get_params``/``clone``."""

    def __init__(self, **params):
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected parameter(s) {unknown}; "
                            f"valid parameters: {list(defaults)}.")
        for name, default in defaults.items():
            setattr(self, name, params.get(name, default))

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature(
        [self_param] + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in defaults.items()])
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = f"Store the parameters; see :class:`{cls.__name__}`."
    return __init__


def newest_window_starts(per_series, counts, minimum):
    """Windows to fine-tune on after an update: those whose targets include a new point.

    Parameters
    ----------
    per_series : list of ndarray of int
        Start positions of each series' windows, oldest first (``WindowSource.per_series``).
    counts : list of int
        New points at the end of each series (0 for a series that got none).
    minimum : int
        Fewest windows wanted (one batch): when the newest ones are fewer, every updated series
        contributes its newest ``k`` windows (or all it has) for the smallest ``k`` that gives enough.

    Returns
    -------
    ndarray of int
        The chosen starts. A window's targets are the ``horizon`` points after its inputs, so in a
        series of ``n_win`` windows exactly the last ``min(count, n_win)`` reach a new point.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n_win = np.array([len(s) for s in per_series], dtype=np.int64)
    take = np.minimum(counts, n_win)
    updated = counts > 0
    if take.sum() < minimum and updated.any():
        def grown(k):  # at least k newest windows of each updated series
            return np.where(updated, np.minimum(np.maximum(take, k), n_win), 0)

        lo, hi = 0, int(n_win[updated].max())  # the total grows with k: bisect for the smallest enough
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if grown(mid).sum() >= minimum else (mid + 1, hi)
        take = grown(lo)
    return np.concatenate([s[len(s) - k :] for s, k in zip(per_series, take)]).astype(np.int64)


def quantile_pair(quantiles, coverage) -> tuple:
    """Positions in ``quantiles`` of the levels ``(1 - coverage) / 2`` and ``(1 + coverage) / 2``, the
    bounds of a central interval; ParameterError naming the coverages the quantiles do give."""
    qs = [float(v) for v in quantiles]

    def find(p):
        return next((k for k, v in enumerate(qs) if abs(v - p) < 1e-9), None)

    lower, upper = find((1 - coverage) / 2), find((1 + coverage) / 2)
    if lower is None or upper is None:
        available = sorted(round(1 - 2 * v, 10) for v in qs if v < 0.5 and find(1 - v) is not None)
        raise ParameterError(f"coverage={coverage} needs the quantiles {(1 - coverage) / 2:g} and "
                             f"{(1 + coverage) / 2:g}; the model has {tuple(qs)}, which give coverage "
                             f"{available or 'none (no symmetric pair)'}. Fit with those quantiles.")
    return lower, upper


class _Seeded:
    """Seed Keras for one fit without touching the caller's global generators.

    Keras seeds from the process-wide ``random``/NumPy/backend generators; their states are saved
    and put back afterwards, so fitting a model never changes what the user's own
    ``np.random``/``random`` calls return. ``seed=None`` draws a fresh seed (a different network each fit).
    """

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        import keras
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils

        self._np, self._py = np.random.get_state(), random.getstate()
        self._keys = (rng_utils.GLOBAL_RANDOM_SEED, seed_generator.GLOBAL_SEED_GENERATOR)
        self._keras = [global_state.get_global_attribute(k) for k in self._keys]
        seed = int(self.seed if self.seed is not None else np.random.SeedSequence().generate_state(1)[0] >> 1)
        if keras.backend.backend() == "tensorflow":
            keras.utils.set_random_seed(seed)
        else:
            # keras.utils.set_random_seed imports TensorFlow (to seed it too) whenever it is installed,
            # which costs a JAX process seconds and memory; these are the seeds a JAX fit reads.
            global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
            global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
            random.seed(seed)
            np.random.seed(seed)
            from ..nn.training import use_compilation_cache

            use_compilation_cache()  # before the first compile (the network's initialisers), or JAX never uses it
        return seed

    def __exit__(self, *exc):
        from keras.src.backend.common import global_state

        np.random.set_state(self._np)
        random.setstate(self._py)
        for key, value in zip(self._keys, self._keras):
            global_state.set_global_attribute(key, value)
        return False


class NeuralForecaster(BaseForecaster):
    """Shared Keras estimator; see the public subclasses for the parameters."""

    _tags = {"exog": True, "global": True, "stochastic": True, "neural": True}
    _params: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_params" in cls.__dict__:
            own = cls.__dict__["_params"]
            cls.__init__ = _make_init(cls, {**own, **{k: v for k, v in COMMON_PARAMS.items() if k not in own}})

    # -- what subclasses provide --------------------------------------------
    def _build_network(self, window, n_channels, out_steps, n_future):
        raise NotImplementedError

    def _window_length(self):
        return self._n_lags()

    def _n_lags(self):
        """``lags`` as a number: a season's name is resolved in fit from the training index."""
        return getattr(self, "lags_", None) or (self.lags if not isinstance(self.lags, str) else 1)

    def _resolve_lags(self, index, n):
        if isinstance(self.lags, str):
            self.lags_ = lag_set(self.lags, index, n) if self.lags in LAG_SETS else season_lags(self.lags, index, n)
        else:
            self.lags_ = self.lags

    # -- parameters -----------------------------------------------------------
    def _check_params(self):
        if isinstance(self.lags, str):
            if self.lags not in SEASON_LAGS:
                why = " (a window is a span of lags; lag sets are for NARX and AR)" if self.lags in LAG_SETS else ""
                raise ParameterError(f"lags must be an integer or one of {SEASON_LAGS}, got {self.lags!r}{why}.")
        else:
            check_int(self.lags, "lags")
        self._check_params_except_lags()

    def _check_params_except_lags(self):
        check_int(self.horizon, "horizon")
        check_int(self.epochs, "epochs")
        check_int(self.batch_size, "batch_size")
        check_int(self.patience, "patience", minimum=0)
        check_choice(self.strategy, STRATEGIES, "strategy")
        check_choice(self.scaler, NEURAL_SCALERS, "scaler")
        check_choice(self.difference, (False, True), "difference")
        check_choice(self.restore_best_weights, (False, True), "restore_best_weights")
        check_choice(self.base, BASES, "base")
        check_calendar_param(self.calendar)
        check_int(self.n_ensemble, "n_ensemble")
        if self.reduce_lr_patience is not None:
            check_int(self.reduce_lr_patience, "reduce_lr_patience")
        if self.seed is not None:
            check_int(self.seed, "seed", minimum=0)
        if self.seasonal_period is not None and self.seasonal_period not in SEASON_LAGS:
            check_int(self.seasonal_period, "seasonal_period", minimum=2)
        if self.difference and self.scaler in ("log", "window"):
            raise ParameterError("difference=True models the raw changes, which can be negative; "
                                 f"use scaler='standard' (or 'robust') with it, not {self.scaler!r}.")
        if self.difference and self.base is not None:
            raise ParameterError("base= is a naive forecast of the level; with difference=True the network "
                                 "already forecasts changes from the last value. Use one or the other.")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ParameterError(f"learning_rate must be a positive number, got {self.learning_rate!r}.")
        if self.clipnorm is not None and not self.clipnorm > 0:
            raise ParameterError(f"clipnorm must be positive or None, got {self.clipnorm!r}.")
        if (isinstance(self.weight_decay, bool) or not isinstance(self.weight_decay, (int, float, np.floating))
                or not 0 <= self.weight_decay < np.inf):
            raise ParameterError(f"weight_decay must be a number >= 0 (0 = off), got {self.weight_decay!r}.")
        if not 0 <= self.validation_fraction < 1:
            raise ParameterError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}.")
        if self.quantiles is not None:
            self._check_quantiles()

    def _check_quantiles(self):
        q = self.quantiles
        probabilities = isinstance(q, (tuple, list)) and len(q) > 0 and all(
            isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) and 0 < v < 1 for v in q)
        if not probabilities or any(b <= a for a, b in zip(q, q[1:])):
            raise ParameterError(f"quantiles must be None or increasing probabilities in (0, 1) such as "
                                 f"(0.1, 0.5, 0.9), got {q!r}.")
        if 0.5 not in q:
            raise ParameterError(f"quantiles must include 0.5: the median is the point forecast; got {q!r}.")
        if self.strategy == "recursive":
            raise ParameterError("quantiles need strategy='mimo' or 'direct': a recursive forecast feeds one value "
                                 "back, so its later quantiles would ignore the uncertainty of the earlier steps.")
        if self.difference:
            raise ParameterError("quantiles cannot be used with difference=True: quantiles of the changes do not add "
                                 "up to quantiles of the level. Use difference=False (e.g. with base='last').")
        if self.loss != "mse":
            raise ParameterError(f"with quantiles the networks train on the pinball loss; drop loss={self.loss!r}.")

    def _n_quantiles(self):
        return 1 if self.quantiles is None else len(self.quantiles)

    def _median_index(self):
        return 0 if self.quantiles is None else list(self.quantiles).index(0.5)

    def _min_length(self):
        return self._window_length() + self.horizon + int(bool(self.difference))

    def _future_exog_steps(self, horizon):
        if getattr(self, "exog_columns_", None) is None:
            return 0
        if self.strategy == "recursive":
            # Each fed-back step needs that step's X as a past channel; the last step feeds nothing back.
            return horizon if self._known_future() else horizon - 1
        # Blocks of `horizon` steps: each block after the first needs the previous block's X as past
        # channels; known-future covariates need X for every block's steps.
        n_blocks = -(-horizon // self.horizon)
        return self.horizon * (n_blocks if self._known_future() else n_blocks - 1)

    def _out_steps(self):
        return 1 if self.strategy == "recursive" else self.horizon

    # -- fitting ---------------------------------------------------------------
    def _changes(self, y):
        """What the network models: the values, or their first differences with ``difference=True``
        (prices and trending traffic leave the training range; their changes do not)."""
        return np.diff(y, axis=-1) if self.difference else y

    def _series_scaler(self):
        # "window": log values, then each window standardised inside the network (nn/wrappers.py).
        return "log" if self.scaler == "window" else self.scaler

    def _resolve_period(self, index):
        """Season length for ``base='seasonal'`` and a seasonal channel: the parameter (a number,
        ``"season"`` or ``"long_season"``), else the first season of the frequency."""
        if self.base != "seasonal" and not self._seasonal_channel():
            return None
        return resolve_period(self.seasonal_period, index, "seasonal_period", type(self).__name__)

    def _fit(self, y, X):
        self._resolve_lags(self.y_.index, len(y))
        self.period_ = self._resolve_period(self.y_.index)
        self.scalers_ = [Scaler(self._series_scaler()).fit(self._changes(y))]
        self._train([y], None if X is None else [X])

    def _fit_global(self, series, Xs):
        if self._stateful():
            raise InvalidInputError("stateful=True trains on one long series (its state runs through it); fit one "
                                    "series, or use stateful=False for many.")
        too_short = [k for k, s in series.items() if len(s) < self._min_length()]
        if too_short:
            raise NotEnoughDataError(
                f"series {too_short[:5]} have fewer than {self._min_length()} points (lags + horizon); drop them or lower lags."
            )
        self.is_global_ = True
        self.ids_ = list(series)
        self.series_ = series
        self.X_series_ = Xs
        self.exog_columns_ = None if Xs is None else list(next(iter(Xs.values())).columns)
        first = next(iter(series.values())).index
        self._resolve_lags(first, min(len(s) for s in series.values()))
        self.period_ = self._resolve_period(first)
        self.scalers_ = [Scaler(self._series_scaler()).fit(self._changes(s.to_numpy())) for s in series.values()]
        self._train([s.to_numpy() for s in series.values()], None if Xs is None else [x.to_numpy() for x in Xs.values()])

    def _scaled_channels(self, ys, Xs, scalers):
        chans = []
        skip = int(bool(self.difference))  # a difference at t pairs with X at t
        for i, (y, sc) in enumerate(zip(ys, scalers)):
            z = sc.transform(self._changes(y))[:, None]
            chans.append(z if Xs is None else np.column_stack([z, (Xs[i][skip:] - self.x_loc_) / self.x_scale_]))
        return chans

    def _train(self, ys, Xs):
        if Xs is not None:
            pooled = np.concatenate(Xs)
            self.x_loc_, sd = pooled.mean(axis=0), pooled.std(axis=0)
            self.x_scale_ = np.where(sd > 0, sd, 1.0)
        else:
            self.x_loc_ = self.x_scale_ = None
        if self._stateful():
            return self._train_stateful(ys, Xs)
        source, window, core_window, n_future, n_channels = self._window_source(ys, Xs)
        train, val = source.split(self.validation_fraction)
        self.networks_, self.history_ = [], []
        self._fit_networks(source, train, val, epochs=self.epochs, patience=self.patience,
                           learning_rate=self.learning_rate, restore_best_weights=self.restore_best_weights,
                           reduce_lr_patience=self.reduce_lr_patience,
                           build=lambda steps: self._wrapped_network(window, core_window, n_channels, len(steps),
                                                                     n_future, steps))
        self.n_channels_ = n_channels
        self.n_future_ = n_future
        self.context_length_ = window + int(bool(self.difference))

    def _window_source(self, ys, Xs):
        """The training windows of the scaled series (``x_loc_``/``x_scale_`` already set).

        Returns ``(source, window, core_window, n_future, n_channels)``.
        """
        chans = self._scaled_channels(ys, Xs, self.scalers_)
        n_future = 0 if (Xs is None or not self._known_future()) else chans[0].shape[1] - 1
        future = [c[:, 1:] for c in chans] if n_future else None
        core_window, out_steps = self._window_length(), self._out_steps()
        # The seasonal base reads a season back even when the network itself reads fewer lags.
        window = max(core_window, self.period_ or 0)
        short = min(len(c) for c in chans)
        if short < window + out_steps:
            reader = "base='seasonal'" if self.base == "seasonal" else "seasonal_channel=True"
            why = f"a window of {window} steps" + (f" ({reader} reads {self.period_} back)" if self.period_ else "")
            raise NotEnoughDataError(f"{why} and {out_steps} output step(s) need series of at least "
                                     f"{window + out_steps + int(self.difference)} points to train on; got "
                                     f"{short + int(self.difference)}. Use fewer lags or a longer series.")
        return WindowSource(chans, window, out_steps, future), window, core_window, n_future, chans[0].shape[1]

    # -- stateful networks (truncated BPTT) ------------------------------------------
    def _stateful(self):
        return bool(getattr(self, "stateful", False))

    def _build_stateful_network(self, n_channels, out_steps, rows):
        raise NotImplementedError  # recurrent subclasses with a `stateful` parameter provide it

    def _stream_data(self, ys, Xs):
        data = self._scaled_channels(ys, Xs, self.scalers_)[0].astype(np.float32)
        chunk, out_steps = self._window_length(), self._out_steps()
        if len(data) < chunk + out_steps:  # then the first stream has a step whose targets are all known
            raise NotEnoughDataError(f"stateful training reads chunks of {chunk} steps (tbptt) and forecasts "
                                     f"{out_steps}; the series needs at least {chunk + out_steps + int(self.difference)} "
                                     f"points, got {len(data) + int(self.difference)}.")
        return data, chunk, out_steps

    def _train_stateful(self, ys, Xs):
        """Truncated BPTT over parallel streams of the one series (:mod:`tsforecast.nn.streams`); the
        stateless twin of each trained network is kept, to run over whole histories."""
        from ..nn.streams import stream_layout

        data, chunk, out_steps = self._stream_data(ys, Xs)
        layout = stream_layout(len(data), chunk, self.batch_size, self.validation_fraction, chunk + out_steps)
        self.networks_, self.history_ = [], []
        self._fit_stateful(data, chunk, out_steps, layout, None, epochs=self.epochs, patience=self.patience,
                           learning_rate=self.learning_rate, restore_best_weights=self.restore_best_weights,
                           reduce_lr_patience=self.reduce_lr_patience)
        self.n_channels_, self.n_future_ = data.shape[1], 0
        self.context_length_ = None  # the state is built over the whole history

    def _fit_stateful(self, data, chunk, out_steps, layout, mask, **options):
        """Train each member's stateful twin (new networks when ``networks_`` is empty, else fine-tuning
        with the loss limited to ``mask``) and keep the weights in the stateless ``networks_``."""
        from ..nn.training import train_stateful_network

        fresh = not self.networks_
        for member in range(self.n_ensemble):
            seed = None if self.seed is None else self.seed + member
            with _Seeded(seed):
                twin = self._build_stateful_network(data.shape[1], out_steps, len(layout.starts))
                if not fresh:
                    twin.set_weights(self.networks_[member].get_weights())
                hist = train_stateful_network(
                    twin, data, out_steps, chunk, layout, optimizer=self.optimizer, clipnorm=self.clipnorm,
                    weight_decay=self.weight_decay, loss=self.loss, quantiles=self.quantiles, verbose=self.verbose,
                    mask=mask, label=f"[member {member + 1}/{self.n_ensemble}] " * (self.n_ensemble > 1)
                    + type(self).__name__, **options)
                if fresh:
                    self.networks_.append(self._build_stateful_network(data.shape[1], out_steps, None))
            self.networks_[member].set_weights(twin.get_weights())
            losses = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
            if fresh:
                self.history_.append(losses)
            else:
                for k, vals in losses.items():
                    self.history_[member].setdefault(f"update_{k}", []).extend(vals)

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        """A stateful model forecasts every origin from one run over the series up to the last origin
        (the state after ``o`` steps is the state of ``predict(y=y[:o])``)."""
        if not self._stateful() or horizon > self.horizon:
            return super()._predict_origins(values, Xv, origins, n_fut, horizon)
        end, scaler = int(origins.max()), self.scalers_[0]
        past, _ = self._network_inputs(values[None, :end], None if Xv is None else Xv[None, :end], None, scaler)
        at = origins - 1 - int(bool(self.difference))  # the step that ends each origin's history
        last = values[origins - 1][:, None, None] if self.difference else None
        return self._point(self._combine_members(
            lambda nets: self._sequence_outputs(nets[0], past)[0, at, :horizon], scaler, last))

    def _target_slices(self):
        """``(target_slice, steps)`` per network of one ensemble member: one network per step (direct)
        or one for all steps."""
        if self.strategy == "direct":
            return [(slice(h, h + 1), [h + 1]) for h in range(self.horizon)]
        return [(slice(None), list(range(1, self._out_steps() + 1)))]

    def _fit_networks(self, source, train, val, build=None, **options):
        """Train the networks on the windows ``train`` (early stopping on ``val``).

        ``build(steps)``: make each network first (a fit, which starts ``networks_`` and ``history_``
        empty); without it the networks of ``networks_`` train on (fine-tuning), their losses appended
        to ``history_`` under ``update_<name>`` keys. ``options`` go to ``train_network``.
        """
        from ..nn.heads import find_layer
        from ..nn.numpy_init import build_network
        from ..nn.training import train_network

        slices = self._target_slices()
        # Closed-form parts depend on the data only: solved once per output slice, shared by the members.
        closed = [None if build is None else self._closed_form_weights(source, np.concatenate(source.per_series), sl,
                                                                       steps) for sl, steps in slices]
        for member in range(self.n_ensemble):  # each member: its own seed; forecasts are combined by median
            seed = None if self.seed is None else self.seed + member
            with _Seeded(seed) as used_seed:
                for j, (sl, steps) in enumerate(slices):
                    i = member * len(slices) + j
                    weights, fitted = closed[j] or ({}, {})
                    if build is not None:
                        self.networks_.append(build_network(lambda: build(steps)))
                        if self.base is not None:
                            # A residual network starts as its base (zero correction); early stopping then
                            # keeps that start unless an epoch beats it on the validation windows.
                            head = find_layer(self.networks_[i], "forecast")
                            head.set_weights([np.zeros_like(w) for w in head.get_weights()])
                        for name, values in weights.items():
                            find_layer(self.networks_[i], name).set_weights(values)
                    hist = train_network(self.networks_[i], source, train, val, target_slice=sl,
                                         batch_size=self.batch_size, optimizer=self.optimizer,
                                         clipnorm=self.clipnorm, weight_decay=self.weight_decay, loss=self.loss,
                                         seed=used_seed, verbose=self.verbose, quantiles=self.quantiles,
                                         label=f"[member {member + 1}/{self.n_ensemble}] " * (self.n_ensemble > 1)
                                         + f"[step {steps[0]}/{len(slices)}] " * (len(slices) > 1)
                                         + type(self).__name__, keep_start=build is not None and self.base is not None,
                                         **options)
                    losses = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
                    if build is not None:
                        self.history_.append({**fitted, **losses})
                    else:
                        for k, vals in losses.items():
                            self.history_[i].setdefault(f"update_{k}", []).extend(vals)

    def _update(self, n_new, epochs=0, learning_rate=None, **kwargs):
        """Keep the weights (``epochs=0``), or fine-tune the networks on the newest windows.

        Parameters
        ----------
        n_new : int or dict
            Points ``update`` appended (``{id: count}`` for a global model).
        epochs : int, default 0
            Epochs of training on the windows whose targets include a new point (at least one
            batch of windows: older ones complete it), with the model's optimizer settings and no
            early stopping. The scalers stay as fitted: they define the inputs the weights were
            trained on, so rescaling would move every input under the network; new data enters
            through the weights only.
        learning_rate : float, optional
            Step size of the fine-tuning (default the model's ``learning_rate``).
        """
        if kwargs:
            raise ParameterError(f"{type(self).__name__}.update takes epochs= and learning_rate= (fine-tuning), "
                                 f"not {sorted(kwargs)}.")
        epochs = check_int(epochs, "epochs", minimum=0)
        if learning_rate is None:
            learning_rate = self.learning_rate
        elif isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
            raise ParameterError(f"learning_rate must be a positive number, got {learning_rate!r}.")
        if epochs == 0:
            return
        if getattr(self, "is_global_", False):
            ys = [self.series_[k].to_numpy() for k in self.ids_]
            Xs = None if self.X_series_ is None else [self.X_series_[k].to_numpy() for k in self.ids_]
            counts = [n_new.get(k, 0) for k in self.ids_]
        else:
            ys, Xs, counts = [self.y_.to_numpy()], None if self.X_ is None else [self.X_.to_numpy()], [n_new]
        if self._stateful():
            from ..nn.streams import stream_layout

            data, chunk, out_steps = self._stream_data(ys, Xs)
            n = len(data)
            # Steps whose targets reach a new point (at least a batch of them); the state still runs
            # over the whole series, so it is warm where the loss is taken.
            mask = np.arange(n) >= n - out_steps - max(counts[0], self.batch_size)
            self._fit_stateful(data, chunk, out_steps, stream_layout(n, chunk, self.batch_size), mask,
                               epochs=epochs, patience=epochs, learning_rate=learning_rate,
                               restore_best_weights=False, reduce_lr_patience=None)
            return
        source = self._window_source(ys, Xs)[0]
        starts = newest_window_starts(source.per_series, counts, self.batch_size)
        # Exactly `epochs` epochs: early stopping cannot fire before `patience` epochs.
        self._fit_networks(source, starts, np.arange(0), epochs=epochs, patience=epochs,
                           learning_rate=learning_rate, restore_best_weights=False, reduce_lr_patience=None)

    def _closed_form_weights(self, source, starts, target_slice, steps):
        """Weights a new network takes in closed form before training: ``None`` (the default), or
        ``({layer name: weights}, {choice: value})``, the choices kept in the network's ``history_``.

        ``starts``: every window of the training series (including those the split into training and
        validation windows leaves out); ``steps``: the output steps of the network.
        """
        return None

    def _wrapped_network(self, window, core_window, n_channels, out_steps, n_future, steps):
        from ..nn.wrappers import wrap_network

        channel = self._seasonal_channel()
        core = self._build_network(core_window, n_channels, out_steps, n_future + int(channel))
        return wrap_network(core, window, n_channels, out_steps, n_future, window_norm=self.scaler == "window",
                            base=self.base, period=self.period_, steps=steps, core_window=core_window,
                            n_quantiles=self._n_quantiles(), seasonal_channel=channel)

    def _seasonal_channel(self):
        return bool(getattr(self, "seasonal_channel", False))

    # -- prediction ------------------------------------------------------------
    def _predict(self, Y, XH, XF, horizon):
        return self._predict_scaled(Y, XH, XF, horizon, getattr(self, "_origin_scaler", None) or self.scalers_[0])

    def predict_at(self, y, origins, horizon, X=None):
        """As :meth:`BaseForecaster.predict_at`; a global model scales the history before each origin on
        its own, exactly as ``predict(horizon, y=y[:origin])`` does for a series it was not fitted on."""
        if not getattr(self, "is_global_", False):
            return super().predict_at(y, origins, horizon, X)
        from ..validation import check_series

        values = check_series(y, "y").to_numpy()
        ends = np.asarray(origins, dtype=np.int64)
        if len(ends) and (ends.min() < 1 or ends.max() > len(values)):
            return super().predict_at(y, origins, horizon, X)  # lets the base class report the bad origins
        # Differences of y[:o] are the first o-1 differences of y.
        self._origin_scaler = Scaler(self._series_scaler()).fit_prefixes(self._changes(values), ends - int(self.difference))
        try:
            return super().predict_at(y, origins, horizon, X)
        finally:
            del self._origin_scaler

    # -- quantiles ---------------------------------------------------------------
    @contextmanager
    def _keeping_quantiles(self):
        """Collect the (batch, horizon, n_quantiles) arrays behind the point forecasts made inside."""
        if self.quantiles is None:
            raise ParameterError(f"{type(self).__name__} was fitted without quantiles; fit with e.g. "
                                 f"quantiles=(0.1, 0.5, 0.9) to forecast quantiles.")
        self._quantile_sink = []
        try:
            yield self._quantile_sink
        finally:
            del self._quantile_sink

    def _check_quantile_horizon(self, horizon):
        if horizon is not None and horizon > self.horizon:
            raise ParameterError(f"quantiles are trained for {self.horizon} step(s); horizon={horizon} would feed "
                                 f"the median back and understate the spread. Fit with horizon={horizon}.")

    def predict_quantiles(self, horizon=None, X=None, y=None) -> pd.DataFrame:
        """Forecast quantiles of the next ``horizon`` values.

        Parameters
        ----------
        horizon : int, optional
            Steps ahead, at most the ``horizon`` the model was fitted with (default).
        X, y
            As for :meth:`predict`.

        Returns
        -------
        pandas.DataFrame
            One column per quantile of ``quantiles`` (named by the probability), indexed by the
            future timestamps; the 0.5 column is :meth:`predict`'s forecast. Global models return
            the long frame of :meth:`predict` (``id, timestamp, step``) with the quantile columns
            in place of ``forecast``.
        """
        self._check_quantile_horizon(horizon)
        with self._keeping_quantiles() as kept:
            point = self.predict(horizon, X=X, y=y)
        q = kept[-1]
        columns = [float(v) for v in self.quantiles]
        if isinstance(point, pd.DataFrame):
            return pd.concat([point[["id", "timestamp", "step"]],
                              pd.DataFrame(q.reshape(-1, len(columns)), columns=columns, index=point.index)], axis=1)
        return pd.DataFrame(q[0], index=point.index, columns=columns)

    def predict_quantiles_at(self, y, origins, horizon, X=None) -> np.ndarray:
        """Quantile forecasts from many origins of one series, in one batched call (for backtests).

        As :meth:`predict_at` (origin ``o`` forecasts ``y[o : o + horizon]`` from ``y[:o]``, no
        refit), returning an array (n_origins, horizon, n_quantiles) whose last axis follows
        ``quantiles``; its 0.5 slice equals :meth:`predict_at`.
        """
        self._check_quantile_horizon(horizon)
        with self._keeping_quantiles() as kept:
            point = self.predict_at(y, origins, horizon, X=X)
        if not kept:  # no origins
            return np.empty((*point.shape, self._n_quantiles()))
        return np.concatenate(kept)

    def predict_interval(self, horizon=None, coverage=0.9, X=None, y=None) -> pd.DataFrame:
        """Median forecast with ``lower``/``upper`` bounds from the model's quantiles.

        With ``quantiles``, the bounds are the quantiles ``(1 - coverage) / 2`` and
        ``(1 + coverage) / 2`` the networks were trained for (0.8 -> 0.1 and 0.9), with no
        calibration step; a coverage without its pair of quantiles raises ParameterError naming
        the coverages available. Without ``quantiles``, split-conformal intervals as for every
        forecaster (:meth:`BaseForecaster.predict_interval`, after :meth:`calibrate`).

        Returns
        -------
        pandas.DataFrame
            Columns ``forecast, lower, upper`` indexed by the future timestamps (global models:
            ``id, timestamp, step, forecast, lower, upper``).
        """
        if self.quantiles is None:
            return super().predict_interval(horizon=horizon, coverage=coverage, X=X, y=y)
        from ..evaluation.conformal import check_coverage

        qs = [float(v) for v in self.quantiles]
        i, j = quantile_pair(qs, check_coverage(coverage))
        q = self.predict_quantiles(horizon, X=X, y=y)
        out = q.drop(columns=qs).assign(forecast=q[0.5], lower=q[qs[i]], upper=q[qs[j]])
        return out

    def _predict_scaled(self, Y, XH, XF, horizon, scaler):
        """Point forecasts (batch, horizon): the median of :meth:`_predict_quantiles_scaled`'s outputs
        (the only output without ``quantiles``)."""
        return self._point(self._predict_quantiles_scaled(Y, XH, XF, horizon, scaler))

    def _point(self, full):
        """The median slice of forecasts (batch, horizon, n_quantiles); inside
        :meth:`_keeping_quantiles` the whole array is kept as well."""
        sink = getattr(self, "_quantile_sink", None)
        if sink is not None:
            sink.append(full)
        return full[:, :, self._median_index()]

    def _predict_quantiles_scaled(self, Y, XH, XF, horizon, scaler):
        """Forecasts (batch, horizon, n_quantiles) in the units of ``Y``; ``scaler`` may hold one
        loc/scale or one per row (arrays of shape (batch, 1))."""
        past, XFs = self._network_inputs(Y, XH, XF, scaler)
        return self._combine_members(lambda nets: self._run_strategy(past, XFs, horizon, nets), scaler,
                                     Y[:, -1:, None] if self.difference else None)

    def _network_inputs(self, Y, XH, XF, scaler):
        """Histories as the networks read them: ``past`` (batch, time, channels) float32 and the
        scaled future covariates (or None)."""
        if self.difference:
            XH = None if XH is None else XH[:, 1:]  # a difference at t pairs with X at t
        past = scaler.transform(self._changes(Y))[:, :, None]
        if XH is not None:
            past = np.concatenate([past, (XH - self.x_loc_) / self.x_scale_], axis=2)
        XFs = None if XF is None else (XF - self.x_loc_) / self.x_scale_
        return past.astype(np.float32), XFs

    def _combine_members(self, run, scaler, last):
        """``run(networks)`` per ensemble member (scaled outputs (batch, horizon, n_quantiles)), back in
        the data's units (summed onto ``last`` with ``difference``), combined by their median."""
        per_member = len(self.networks_) // self.n_ensemble
        outs = []
        for m in range(self.n_ensemble):
            z = run(self.networks_[m * per_member : (m + 1) * per_member])
            # The scale is increasing (affine, or log1p then affine), so quantiles map to quantiles.
            out = scaler.inverse_transform(z.reshape(len(z), -1)).reshape(z.shape)
            outs.append(last + np.cumsum(out, axis=1) if self.difference else out)
        # The median of the members' forecasts (Cortez et al., 2012, combine five networks this way);
        # an elementwise median of sorted quantiles stays sorted.
        return outs[0] if len(outs) == 1 else np.median(np.stack(outs), axis=0)

    def _call(self, net, past, fut):
        """Outputs (batch, steps, n_quantiles), each step's quantiles sorted; a stateful model's from
        the state after the whole history."""
        from ..nn.training import predict_batched

        if self._stateful():
            return self._sequence_outputs(net, past)[:, -1]
        inputs = past if not self.n_future_ else [past, fut.astype(np.float32)]
        return self._sorted(predict_batched(net, inputs).reshape(len(past), -1, self._n_quantiles()))

    @staticmethod
    def _sorted(out):
        # Quantile outputs can cross; sorting them (rearrangement, Chernozhukov et al., 2010) never
        # raises the pinball loss. One output per step: nothing to sort.
        return np.sort(out, axis=-1) if out.shape[-1] > 1 else out

    def _sequence_outputs(self, net, past):
        """A stateful model's forecasts after every step of ``past``: (batch, time, steps, n_quantiles)."""
        from ..nn.numpy_forward import numpy_forward

        forward = numpy_forward(net)  # one call: the sequence is the whole history
        out = forward(past) if forward is not None else np.asarray(net.predict_on_batch(past))
        return self._sorted(out.reshape(*past.shape[:2], -1, self._n_quantiles()))

    def _run_strategy(self, past, XFs, horizon, networks):
        """Scaled forecasts (batch, horizon, n_quantiles); the median is what is fed back."""
        H, L, med = self.horizon, past.shape[1], self._median_index()
        if self.strategy == "recursive":
            steps = []
            for h in range(horizon):
                fut = XFs[:, h : h + 1] if self.n_future_ else None
                z = self._call(networks[0], past, fut)[:, 0]
                steps.append(z)
                if h == horizon - 1:
                    break
                row = z[:, med : med + 1] if XFs is None else np.column_stack([z[:, med : med + 1], XFs[:, h]])
                past = np.concatenate([past[:, 1:], row[:, None, :].astype(np.float32)], axis=1)
            return np.stack(steps, axis=1)
        blocks = []
        for start in range(0, horizon, H):  # beyond the trained horizon, whole blocks are fed back
            fut = XFs[:, start : start + H] if self.n_future_ else None
            if self.strategy == "mimo":
                z = self._call(networks[0], past, fut)
            else:
                z = np.concatenate([self._call(net, past, None if fut is None else fut[:, h : h + 1])
                                    for h, net in enumerate(networks)], axis=1)
            blocks.append(z)
            if start + H < horizon:
                point = z[:, :, med : med + 1]
                rows = point if XFs is None else np.concatenate([point, XFs[:, start : start + H]], axis=2)
                past = np.concatenate([past, rows.astype(np.float32)], axis=1)
                if not self._stateful():  # a stateful network reads the whole history
                    past = past[:, -L:]
        return np.concatenate(blocks, axis=1)[:, :horizon]

    # -- many series -------------------------------------------------------------
    def forecast_origins(self, series: dict, origins: dict, horizon: int, quantiles: bool = False) -> dict:
        """Forecasts of a fitted global model from every origin of every series, in one batched call.

        Parameters
        ----------
        series : dict
            ``{id: Series}`` (ids as the model knows them).
        origins : dict
            ``{id: positions}``: origin ``o`` forecasts ``series[id][o : o + horizon]``
            from ``series[id][:o]``.
        horizon : int
        quantiles : bool, default False
            Return the quantile forecasts of a model fitted with ``quantiles``: arrays
            (n_origins, horizon, n_quantiles), the last axis following ``quantiles``.

        Returns
        -------
        dict
            ``{id: ndarray (n_origins, horizon)}``, equal to
            ``self.predict(horizon, y={id: series[id][:o]})`` origin by origin: the
            context windows of all origins are stacked and each is scaled with the
            scaler fitted on its series, as :meth:`predict` does for a series the
            model was fitted on.
        """
        known = dict(zip(self.ids_, self.scalers_))
        unknown = [k for k in series if k not in known]
        if unknown:
            raise InvalidInputError(f"series {unknown[:5]} were not in the model's training data.")
        L = self.context_length_
        n_fut = self._future_exog_steps(horizon) if self.exog_columns_ is not None else 0
        Y, XH, XF, loc, scale = [], [], [], [], []
        for k, s in series.items():
            o = np.asarray(origins[k], dtype=np.int64)
            Y.append(origin_windows(s.to_numpy(), L, o))
            loc.append(np.full(len(o), known[k].loc_))
            scale.append(np.full(len(o), known[k].scale_))
            if self.exog_columns_ is not None:  # calendar inputs only: computed from the timestamps
                index = s.index.append(future_index(s.index, n_fut)) if n_fut else s.index
                Xv = check_exog(self._add_calendar(None, index), index, "X", self.exog_columns_).to_numpy()
                XH.append(origin_windows(Xv, L, o))
                if n_fut:
                    XF.append(windows_at(Xv, n_fut, o))
        batch = Scaler(self._series_scaler())
        batch.loc_, batch.scale_ = np.concatenate(loc)[:, None], np.concatenate(scale)[:, None]
        inputs = (np.concatenate(Y), np.concatenate(XH) if XH else None, np.concatenate(XF) if XF else None)
        if quantiles:
            self._check_quantile_horizon(horizon)
            with self._keeping_quantiles() as kept:
                self._predict_scaled(*inputs, horizon, batch)
            pred = kept[0]
        else:
            pred = self._predict_scaled(*inputs, horizon, batch)
        bounds = np.cumsum([0] + [len(origins[k]) for k in series])
        return {k: pred[bounds[i] : bounds[i + 1]] for i, k in enumerate(series)}

    def _predict_global(self, horizon, X, y):
        """Forecast every training series (``y=None``), a subset (``y`` = list of ids) or new histories."""
        if y is None or isinstance(y, (list, tuple)):
            ids = self.ids_ if y is None else [str(k) for k in y]
            unknown = [k for k in ids if k not in self.series_]
            if unknown:
                raise InvalidInputError(f"unknown series ids {unknown[:5]}; known: {self.ids_[:5]}...")
            panel = Panel.from_dict({k: self.series_[k] for k in ids})
            given = False
        else:
            # One vectorised validation of all series instead of one check_series per series.
            if isinstance(y, dict) or not is_multi(y):
                panel = Panel.from_dict(y if isinstance(y, dict) else {"0": y})
            else:
                panel = Panel.from_long(y)
            given = True
        L = self.context_length_
        ids = panel.ids
        short = ids[panel.lengths < L].tolist()
        if short:
            raise NotEnoughDataError(f"series {short[:5]} have fewer than {L} points of history to forecast from.")
        known = dict(zip(self.ids_, self.scalers_))
        is_known = np.array([k in known for k in ids], dtype=bool)
        loc, scale = np.empty(len(ids)), np.empty(len(ids))
        for i in np.flatnonzero(is_known):
            loc[i], scale[i] = known[ids[i]].loc_, known[ids[i]].scale_
        unseen = np.flatnonzero(~is_known)
        if len(unseen):
            # A series the model never saw is scaled on its own history (all before the origin, so no leakage).
            values, lengths = panel.gather(unseen)
            if self.difference:
                values, lengths = first_differences(values, lengths)
            fitted = Scaler(self._series_scaler()).fit_flat(values, lengths)
            loc[unseen], scale[unseen] = fitted.loc_[:, 0], fitted.scale_[:, 0]
        batch = Scaler(self._series_scaler())
        batch.loc_, batch.scale_ = loc[:, None], scale[:, None]
        Y = panel.last_values(L)
        XH, XF = self._global_exog(panel, X, given, horizon)
        pred = self._predict_scaled(Y, XH, XF, horizon, batch)
        return stacked_forecasts_to_long(ids, panel.future_stamps(horizon), pred)

    def _global_exog(self, panel, X, given, horizon):
        if self.exog_columns_ is None:
            if X is not None:
                raise ExogenousError("the model was fitted without X; do not pass X to predict.")
            return None, None
        L, n_fut = self.context_length_, self._future_exog_steps(horizon)
        calendar_only = X is None and self._calendar() and not self._user_exog_columns()
        if (given or n_fut) and not isinstance(X, dict) and not calendar_only:
            raise ExogenousError("pass X as a dict {id: DataFrame} covering each series' history and horizon.")
        XH, XF = [], []
        for i, k in enumerate(panel.ids):
            index = panel.index(i)  # only here, with X, is a pandas index needed per series
            need = index[-L:].append(future_index(index, n_fut)) if n_fut else index[-L:]
            Xk = self._add_calendar(None if calendar_only else X[k], need) if (given or n_fut) else None
            if given:
                XH.append(check_exog(Xk, index[-L:], f"X[{k!r}]", self.exog_columns_).to_numpy())
            else:
                XH.append(self.X_series_[k].to_numpy()[-L:])
            if n_fut:
                XF.append(check_exog(Xk, future_index(index, n_fut), f"X[{k!r}]", self.exog_columns_).to_numpy())
        return np.stack(XH), (np.stack(XF) if n_fut else None)

    # -- persistence ---------------------------------------------------------------
    def _get_state(self):
        meta = {"scalers": [s.get_state() for s in self.scalers_], "n_channels": self.n_channels_,
                "n_future": self.n_future_, "history": self.history_, "period": self.period_, "lags": self.lags_}
        arrays = {} if self.x_loc_ is None else {"x_loc": self.x_loc_, "x_scale": self.x_scale_}
        return meta, arrays, list(self.networks_)

    def _set_state(self, meta, arrays, networks):
        self.scalers_ = [Scaler.from_state(s) for s in meta["scalers"]]
        self.n_channels_, self.n_future_, self.history_ = meta["n_channels"], meta["n_future"], meta["history"]
        self.x_loc_, self.x_scale_ = arrays.get("x_loc"), arrays.get("x_scale")
        self.networks_ = networks
        self.period_ = meta.get("period")
        self.lags_ = meta.get("lags", self.lags)

    @classmethod
    def _test_params(cls):
        return {"lags": 8, "horizon": 2, "epochs": 3, "batch_size": 32, "patience": 2}
