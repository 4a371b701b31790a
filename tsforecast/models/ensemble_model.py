"""Ensembles: several registered forecasters fitted on the same series, their forecasts combined.

The median of a few models (Cortez et al. 2012: the median of five small
MLPs) is a robust default on traffic data. Members are given as
``(registry_name, params)`` pairs rather than instances so the ensemble's
parameters stay plain data: scikit-learn can clone them and a saved model
stores them as JSON.
"""

from __future__ import annotations

import itertools
import math
from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import ExogenousError, InvalidInputError, NotEnoughDataError, ParameterError
from ..persistence import json_tuples
from ..registry import get_forecaster_class
from ..validation import check_horizon, check_series

COMBINES = ("median", "mean", "weighted", "best_subset")
CHOSEN_ON_FOLDS = ("weighted", "best_subset")  # combinations whose weights come from rolling-origin folds


class _TagLookup:
    """``get_tag`` that reads the members' tags on an instance and the class tags on the class."""

    def __get__(self, obj, cls):
        if obj is None:
            return partial(BaseForecaster.get_tag.__func__, cls)
        return obj._instance_tag


def member_specs(models) -> list:
    """Normalise ``models`` to a list of ``(registry_name, params_dict)``.

    Accepts a name (``"naive"``), a pair ``(name, params)`` or a dict
    ``{"model": name, **params}`` per member. List values inside params become
    tuples, as they do when a saved model's JSON parameters are read back.
    """
    if isinstance(models, (str, dict)) or not isinstance(models, (list, tuple)) or not models:
        raise ParameterError(
            f"models must be a non-empty list of members, each a registry name, a pair (name, params) or a dict "
            f"{{'model': name, ...params}}, e.g. [('naive', {{}}), ('ar', {{'lags': 2}})]; got {models!r}."
        )
    return [_member_spec(i, spec) for i, spec in enumerate(models)]


def _member_spec(i, spec):
    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, dict):
        if not isinstance(spec.get("model"), str):
            raise ParameterError(f"models[{i}] is a dict without a 'model' name: {spec!r}.")
        name, params = spec["model"], {k: v for k, v in spec.items() if k != "model"}
    elif isinstance(spec, (list, tuple)) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], dict):
        name, params = spec
    else:
        raise ParameterError(f"models[{i}] must be a name, a pair (name, params_dict) or a dict with 'model'; got {spec!r}.")
    if name == "ensemble":
        raise ParameterError(f"models[{i}] is itself an ensemble; list its members in one ensemble instead.")
    try:
        get_forecaster_class(name)
    except ParameterError as exc:
        raise ParameterError(f"models[{i}]: {exc}") from None
    return name, {str(k): json_tuples(v) for k, v in params.items()}


def combine_forecasts(F: np.ndarray, combine: str, weights=None) -> np.ndarray:
    """Combine member forecasts ``F`` (n_members, batch, horizon) into (batch, horizon).

    ``weights`` is (n_members,) or, per lead time, (n_members, n_leads); leads past ``n_leads``
    take the last lead's weights.
    """
    if combine == "median":
        return np.median(F, axis=0)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        return np.tensordot(w, F, axes=1)
    H = F.shape[2]
    w = w[:, np.minimum(np.arange(H), w.shape[1] - 1)]
    return np.einsum("mh,mbh->bh", w, F)


def inverse_mse_weights(mse) -> np.ndarray:
    """Weights proportional to 1/MSE over members (axis 0), summing to one; members with zero error
    share all the weight. ``mse`` (n_members,) or (n_members, n_leads): one set of weights per lead."""
    mse = np.asarray(mse, dtype=np.float64)
    if not np.isfinite(mse).all():
        raise InvalidInputError(f"a member gave non-finite forecasts on the weighting holdout (MSE {mse.tolist()}).")
    perfect = mse == 0
    raw = np.where(perfect.any(axis=0), perfect.astype(np.float64), 1.0 / np.where(perfect, 1.0, mse))
    return raw / raw.sum(axis=0)


def member_subsets(n_members: int) -> list:
    """Every non-empty subset of ``range(n_members)`` as a tuple, smallest first (so a tie goes to fewer members)."""
    return [c for r in range(1, n_members + 1) for c in itertools.combinations(range(n_members), r)]


def subset_scores(blocks, subsets) -> np.ndarray:
    """Score of the equal-weight mean of each of ``subsets`` (tuples of member indices) on ``blocks``.

    ``blocks`` holds one array (n_members, n_origins, horizon) of forecast errors per fold (and per
    series). In each block the mean's MSE is divided by the members' average MSE there, so no fold or
    series counts more for its scale; the score is the mean over blocks. The MSE of a mean of forecasts
    is ``w' G w / N`` with ``G`` the members' error cross-products, so subsets cost no pass over the errors.
    """
    W = np.zeros((len(subsets), blocks[0].shape[0]))
    for i, subset in enumerate(subsets):
        W[i, list(subset)] = 1.0 / len(subset)
    scores = np.zeros(len(subsets))
    for E in blocks:
        E = np.asarray(E, dtype=np.float64).reshape(E.shape[0], -1)
        if not np.isfinite(E).all():
            raise InvalidInputError("a member gave non-finite forecasts on the folds that choose the combination.")
        G = E @ E.T
        reference = np.trace(G) / len(G)
        scores += np.einsum("si,ij,sj->s", W, G, W) / (reference if reference > 0 else 1.0)
    return scores / len(blocks)


class EnsembleForecaster(BaseForecaster):
    """Fit several registered forecasters on one series and combine their forecasts.

    Parameters
    ----------
    models : sequence of members
        Each a registry name, a pair ``(name, params_dict)`` or a dict
        ``{"model": name, **params}``, e.g.
        ``(("holt_winters", {"seasonal_periods": 24}), ("ar", {"lags": 24}), ("gru", {"lags": 48}))``.
        Use tuples: a saved model reads its parameters back as tuples.
    combine : {"median", "mean", "weighted", "best_subset"}
        How to combine the members' forecasts per origin and lead time.
        ``"weighted"`` uses weights proportional to 1/MSE, found inside the
        training data: members forecast leads ``1..horizon`` from every origin
        of its last ``holdout`` share, in ``n_folds`` consecutive folds, each
        fitted on all the data before the fold (rolling origin), and are then
        refitted on all of it. ``"best_subset"`` uses the same folds to choose
        which members to average: of every non-empty subset, the equal-weight
        mean with the lowest MSE (each fold's MSE relative to the members'
        average MSE there, mean over folds; over many series, over every
        series' folds). A tie goes to the smaller subset.
    benchmark : str, optional
        ``"best_subset"`` only: the registry name of one member (e.g. ``"seasonal_naive"``). A member
        whose mean alone scores worse than the benchmark's on the folds is left out of every subset, so a
        short series where nothing estimated beats the benchmark is forecast by the benchmark alone.
    horizon : int
        Default lead times of ``predict``; also the horizon of the weighting
        holdout, and given to members that have a ``horizon`` parameter and
        do not set one.
    holdout : float in (0, 1)
        Share of the training series used to find the weights (``"weighted"`` and ``"best_subset"``).
    n_folds : int, default 1
        Folds the holdout is cut into (``"weighted"`` and ``"best_subset"``). The MSE is the mean over folds, so one
        unusual stretch (a holiday) does not decide the weights alone; each fold costs one fit of
        every member.
    by_lead : bool, default False
        ``"weighted"`` only: one set of weights per lead time, so a member that is best one step
        ahead (an AR model) can lead there and another (a network) at longer leads. Leads past
        ``horizon`` use the last lead's weights.
    seed : int, optional
        Given as ``seed + i`` to member ``i`` when it has a ``seed`` parameter
        and does not set one, so a median of networks is a median of
        differently initialised networks.

    Notes
    -----
    Fitted on many series (a dict or a long DataFrame), members that are global
    models (the networks) are fitted once over all series and the others once
    per series; forecasts are combined per series. ``combine="weighted"`` needs
    one series; ``"best_subset"`` chooses one subset for all series (global
    members fitted once per fold over every series' data before that fold).

    Attributes
    ----------
    members_ : list of BaseForecaster
        The fitted members, in the order of ``models``. Fitted on many series, a
        member fitted per series is a dict ``{id: fitted member}``.
    weights_ : ndarray or None
        Combination weights (uniform for ``"mean"``, ``1/k`` on the ``k`` chosen members and 0
        elsewhere for ``"best_subset"``, None for ``"median"``); (n_members, horizon) with ``by_lead``.
    holdout_mse_ : ndarray or None
        Each member's MSE on the weighting holdout, mean over folds (``"weighted"`` only); per lead
        time with ``by_lead``.
    subset_ : tuple of int or None
        The members averaged (``"best_subset"`` only).
    subset_scores_ : ndarray or None
        The score of every subset, in the order of :func:`member_subsets` (``"best_subset"`` only).
    """

    # "stochastic": a class-level guess; an instance reports its members' tags. "global": fitted on many
    # series, members that are global models are fitted once over all of them, the others per series.
    _tags = {"stochastic": True, "global": True}

    get_tag = _TagLookup()

    def __init__(self, models=(("naive", {}),), combine="median", horizon=1, holdout=0.2, n_folds=1,
                 by_lead=False, seed=None, benchmark=None):
        self.models = models
        self.combine = combine
        self.benchmark = benchmark
        self.horizon = horizon
        self.holdout = holdout
        self.n_folds = n_folds
        self.by_lead = by_lead
        self.seed = seed

    def _instance_tag(self, name):
        if name in ("stochastic", "neural"):
            try:
                specs = member_specs(self.models)
            except ParameterError:
                return BaseForecaster.get_tag.__func__(type(self), name)
            return any(get_forecaster_class(n).get_tag(name) for n, _ in specs)
        return BaseForecaster.get_tag.__func__(type(self), name)

    # -- parameters ---------------------------------------------------------------
    def _check_params(self):
        check_choice(self.combine, COMBINES, "combine")
        check_int(self.horizon, "horizon")
        if isinstance(self.holdout, (bool, np.bool_)) or not isinstance(self.holdout, (float, np.floating)) \
                or not 0 < self.holdout < 1:
            raise ParameterError(f"holdout must be a float in (0, 1) (share of the training data), got {self.holdout!r}.")
        check_int(self.n_folds, "n_folds")
        if not isinstance(self.by_lead, (bool, np.bool_)):
            raise ParameterError(f"by_lead must be True or False, got {self.by_lead!r}.")
        if self.n_folds != 1 and self.combine not in CHOSEN_ON_FOLDS:
            raise ParameterError(f"n_folds cuts the holdout that chooses the combination; it needs combine="
                                 f"'weighted' or 'best_subset', not {self.combine!r}.")
        if self.by_lead and self.combine != "weighted":
            raise ParameterError(f"by_lead chooses weights per lead time; it needs combine='weighted', not "
                                 f"{self.combine!r}.")
        if self.seed is not None:
            check_int(self.seed, "seed", minimum=0)
        if self.benchmark is not None:
            self._benchmark_index()
        for i, member in enumerate(self._build_members()):
            try:
                member._check_params()
            except ParameterError as exc:
                raise ParameterError(f"models[{i}] ({type(member).__name__}): {exc}") from None

    def _benchmark_index(self) -> int:
        """Position of the ``benchmark`` member (one member of that name; ``best_subset`` only)."""
        if self.combine != "best_subset":
            raise ParameterError(f"benchmark leaves out members that score worse alone than it on the folds of "
                                 f"combine='best_subset'; combine={self.combine!r} chooses no subset.")
        names = [name for name, _ in member_specs(self.models)]
        if names.count(self.benchmark) != 1:
            raise ParameterError(f"benchmark must name exactly one member; {self.benchmark!r} names "
                                 f"{names.count(self.benchmark)} of {names}.")
        return names.index(self.benchmark)

    def _left_out(self, n_members) -> set:
        """Members whose mean alone scored worse than the benchmark's (none without a benchmark)."""
        if self.benchmark is None:
            return set()
        alone = self.subset_scores_[:n_members]  # member_subsets lists the members alone first
        return {int(i) for i in np.flatnonzero(alone > alone[self._benchmark_index()])}

    def _build_members(self) -> list:
        """Unfitted member instances, with the ensemble's horizon and seeds filled in where unset."""
        members = []
        for i, (name, params) in enumerate(member_specs(self.models)):
            cls = get_forecaster_class(name)
            names = cls._get_param_names()
            params = dict(params)
            if "horizon" in names and "horizon" not in params:
                params["horizon"] = self.horizon
            if self.seed is not None and "seed" in names and "seed" not in params:
                params["seed"] = int(self.seed) + i
            try:
                members.append(cls(**params))
            except TypeError as exc:
                raise ParameterError(f"models[{i}]: invalid parameters for {name!r}: {exc}") from None
        return members

    def _default_horizon(self):
        return int(self.horizon)

    def _min_length(self):
        need = max(m._min_length() for m in self._build_members())
        if self.combine not in CHOSEN_ON_FOLDS:
            return need
        n, H = need + int(self.horizon), int(self.horizon)
        # A few steps: the head grows by about (1 - holdout) per point; each fold needs an origin.
        while self._head_length(n) < need or n - H - self._head_length(n) + 1 < int(self.n_folds):
            n += 1
        return n

    def _head_length(self, n):
        """Points the members are fitted on when finding weights; the rest (>= horizon) is scored."""
        return n - max(math.ceil(self.holdout * n), int(self.horizon))

    # -- fit ----------------------------------------------------------------------
    def _fit(self, y, X):
        series = self.y_  # members get the validated pandas series (their own fit re-checks it cheaply)
        members = self._build_members()
        self._choose(members, {"0": series}, set())
        self.members_ = [m.fit(series) for m in members]
        lengths = [m.context_length_ for m in self.members_]
        self.context_length_ = None if any(L is None for L in lengths) else max(lengths)

    def _choose(self, members, series: dict, global_members: set):
        """Set ``weights_`` (and what chose them) for the combine rule; folds only for the rules that need them."""
        M = len(members)
        self.holdout_mse_ = self.subset_ = self.subset_scores_ = None
        if self.combine == "median":
            self.weights_ = None
        elif self.combine == "mean":
            self.weights_ = np.full(M, 1.0 / M)
        elif self.combine == "weighted":
            blocks = self._fold_errors(members, series, global_members)
            mse = np.mean([np.mean(np.square(E), axis=1) for E in blocks], axis=0)  # (members, leads)
            self.holdout_mse_ = mse if self.by_lead else mse.mean(axis=1)
            self.weights_ = inverse_mse_weights(self.holdout_mse_)
        else:
            subsets = member_subsets(M)
            self.subset_scores_ = subset_scores(self._fold_errors(members, series, global_members), subsets)
            out = self._left_out(M)
            allowed = np.array([not out.intersection(c) for c in subsets])
            self.subset_ = subsets[int(np.argmin(np.where(allowed, self.subset_scores_, np.inf)))]
            self.weights_ = np.zeros(M)
            self.weights_[list(self.subset_)] = 1.0 / len(self.subset_)

    def _fold_errors(self, members, series: dict, global_members: set) -> list:
        """Forecast errors (n_members, n_origins, horizon) of every fold of every series.

        Series ``k``'s holdout (its last ``holdout`` share) is cut into ``n_folds`` blocks of origins
        (:func:`~tsforecast.evaluation.tune.fold_origins`); in fold ``j`` each member is fitted on the
        data before the block's first origin and forecasts every origin of the block, so nothing after
        an origin is seen. Members in ``global_members`` are fitted once per fold over all series.
        """
        from ..evaluation.backtest import backtest, backtest_global
        from ..evaluation.tune import fold_origins

        H, n_folds = int(self.horizon), int(self.n_folds)
        folds = {k: fold_origins(len(s), self._head_length(len(s)), H, 1, n_folds) for k, s in series.items()}
        blocks = {(k, j): [] for k in series for j in range(n_folds)}
        for i, m in enumerate(members):
            for j in range(n_folds):
                if i in global_members:
                    data = {k: s.iloc[: int(folds[k][j][-1]) + H] for k, s in series.items()}
                    res = backtest_global(clone(m), data, initial={k: int(folds[k][j][0]) for k in series},
                                          horizon=H, metrics=("rmse",))
                    for k in series:
                        blocks[k, j].append(res.errors[k])
                    continue
                for k, s in series.items():
                    first, stop = int(folds[k][j][0]), int(folds[k][j][-1]) + H
                    blocks[k, j].append(backtest(clone(m), s.iloc[:stop], initial=first, horizon=H,
                                                 metrics=("rmse",)).errors)
        return [np.stack([np.asarray(e, dtype=np.float64) for e in b]) for b in blocks.values()]

    def selection_summary(self):
        """What the folds chose, in a sentence (None for rules that choose nothing)."""
        if self.combine not in CHOSEN_ON_FOLDS:
            return None
        names = [name for name, _ in member_specs(self.models)]
        where = (f"{self.n_folds} rolling-origin fold(s) over the last {self.holdout:.0%} of the training part, "
                 f"leads 1..{self.horizon}")
        if self.combine == "weighted":
            w = np.atleast_2d(np.asarray(self.weights_).T).mean(axis=0) if self.by_lead else self.weights_
            return f"weights 1/MSE on {where}: " + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w))
        subsets = member_subsets(len(names))
        score = dict(zip(subsets, self.subset_scores_))
        alone = ", ".join(f"{names[i]} {score[(i,)]:.4f}" for i in range(len(names)))
        left_out = ""
        if self.benchmark is not None:
            worse = ", ".join(names[i] for i in sorted(self._left_out(len(names)))) or "none"
            left_out = f"; worse alone than {self.benchmark}, so left out: {worse}"
        return (f"averages {' + '.join(names[i] for i in self.subset_)}, the subset of members whose equal-weight "
                f"mean had the lowest MSE on {where} (relative to the members' average MSE: "
                f"{score[self.subset_]:.4f}; the mean of all {score[subsets[-1]]:.4f}; each alone: {alone}"
                f"{left_out}).")

    # -- predict ------------------------------------------------------------------
    def _active(self) -> list:
        """Indices of the members whose forecasts enter the combination (a zero weight on every lead: out)."""
        if self.weights_ is None:
            return list(range(len(self.members_)))
        w = np.asarray(self.weights_).reshape(len(self.members_), -1)
        return [i for i in range(len(self.members_)) if np.any(w[i] != 0)]

    def _combine(self, F, active) -> np.ndarray:
        return combine_forecasts(F, self.combine, None if self.weights_ is None else np.asarray(self.weights_)[active])

    def _prepare_origin(self, history, X, y_given, horizon):
        # Each member prepares its own inputs from the history (its context, its clock: MSTL's phase), carried in
        # the XH slot; Y is only the history's last point, which sizes the batch.
        if X is not None:
            raise ExogenousError("the ensemble takes no X; do not pass X to predict.")
        Y, _, _, fut_idx = super()._prepare_origin(history.iloc[-1:], None, y_given, horizon)
        inputs = [self.members_[i]._prepare_origin(history, None, y_given, horizon)[:3] for i in self._active()]
        return Y, inputs, None, fut_idx

    def _predict(self, Y, XH, XF, horizon):
        active = self._active()
        return self._combine(np.stack([self.members_[i]._checked_predict(*inputs, horizon)
                                       for i, inputs in zip(active, XH)]), active)

    def predict_at(self, y, origins, horizon, X=None) -> np.ndarray:
        """Forecasts (n_origins, horizon) from many origins of ``y``: each member forecasts every origin in
        its own batched way (fixed-context members through sliding windows, whole-history ones through
        their filters), then the forecasts are combined. See :meth:`tsforecast.base.BaseForecaster.predict_at`."""
        check_is_fitted(self, "context_length_")
        if X is not None:
            raise ExogenousError("the ensemble takes no X; drop X.")
        series, horizon = check_series(y, "y"), check_horizon(horizon)
        active = self._active()
        return self._combine(np.stack([self.members_[i].predict_at(series, origins, horizon) for i in active]), active)

    # -- many series ----------------------------------------------------------------
    def _fit_global(self, series, Xs):
        if Xs is not None:
            raise ExogenousError("an ensemble over many series takes no X yet; drop X.")
        if self.combine == "weighted":
            raise ParameterError("combine='weighted' chooses weights on one series; over many series use "
                                 "'best_subset', 'mean' or 'median'.")
        members = self._build_members()
        short = [k for k, s in series.items() if len(s) < self._min_length()]
        if short:
            raise NotEnoughDataError(f"series {short[:5]} have fewer than {self._min_length()} points, which the "
                                     f"members need; drop them or use smaller lags.")
        self.is_global_, self.ids_, self.series_, self.X_series_ = True, list(series), series, None
        self.exog_columns_ = None
        self._choose(members, series, {i for i, m in enumerate(members) if m.get_tag("global")})
        self.members_ = [m.fit(series) if m.get_tag("global") else {k: clone(m).fit(s) for k, s in series.items()}
                         for m in members]
        self.context_length_ = None

    def forecast_origins(self, series: dict, origins: dict, horizon: int) -> dict:
        """Forecasts (n_origins, horizon) from ``origins[k]`` of every series ``k``, each member batched:
        global members in one call, per-series members through their ``predict_at``."""
        F, active = [], self._active()
        for m in (self.members_[i] for i in active):
            if isinstance(m, dict):
                F.append({k: m[k].predict_at(s, origins[k], horizon) for k, s in series.items()})
            else:
                F.append(m.forecast_origins(series, origins, horizon))
        return {k: self._combine(np.stack([f[k] for f in F]), active) for k in series}

    def _predict_global(self, horizon, X, y):
        from ..multiseries import is_multi, long_to_dict, stacked_forecasts_to_long
        from ..panel import Panel

        if X is not None:
            raise ExogenousError("the ensemble was fitted without X; do not pass X to predict.")
        if y is None or isinstance(y, (list, tuple)):
            ids = self.ids_ if y is None else [str(k) for k in y]
            histories = {k: self.series_[k] for k in ids if k in self.series_}
        else:
            given = y if isinstance(y, dict) else (long_to_dict(y) if is_multi(y) else {"0": y})
            histories = {str(k): v for k, v in given.items()}
            ids = list(histories)
        unknown = [k for k in ids if k not in self.series_ and any(isinstance(m, dict) for m in self.members_)]
        if unknown or len(histories) < len(ids):
            raise InvalidInputError(f"series {(unknown or ids)[:5]} were not in the fit; the ensemble's per-series "
                                    f"members forecast only the series they were fitted on.")
        ends = {k: np.array([len(s)]) for k, s in histories.items()}
        pred = self.forecast_origins(histories, ends, horizon)
        panel = Panel.from_dict(histories)
        return stacked_forecasts_to_long(panel.ids, panel.future_stamps(horizon),
                                         np.vstack([pred[k] for k in panel.ids]))

    # -- persistence --------------------------------------------------------------
    def _get_state(self):
        infos, arrays, networks = [], {}, []

        def add(prefix, m):
            meta, arr, nets = m._get_state()
            arrays.update({f"{prefix}{k}": v for k, v in arr.items()})
            networks.extend(nets)
            return {"context_length": m.context_length_, "state": meta, "n_networks": len(nets)}

        for i, m in enumerate(self.members_):
            if isinstance(m, dict):  # fitted per series: one state per series, in self.ids_ order
                infos.append({"per_series": [add(f"m{i}_s{j}_", m[k]) for j, k in enumerate(self.ids_)]})
            else:
                infos.append(add(f"m{i}_", m))
        meta = {"members": infos}
        if self.weights_ is not None:
            arrays["weights"] = self.weights_
        if self.holdout_mse_ is not None:
            arrays["holdout_mse"] = self.holdout_mse_
        if self.subset_scores_ is not None:
            arrays["subset_scores"] = self.subset_scores_
            meta["subset"] = list(self.subset_)
        return meta, arrays, networks

    def _set_state(self, meta, arrays, networks):
        start = 0

        def restore(m, info, prefix, history):
            nonlocal start
            # What load_model restores on a top-level model, restored here for each member.
            if history is None:
                m.series_, m.X_series_, m.ids_, m.is_global_ = self.series_, None, list(self.ids_), True
            else:
                m.y_, m.X_, m.is_global_ = history, None, False
            m.exog_columns_, m.context_length_ = None, info["context_length"]
            own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            m._set_state(info["state"], own, networks[start : start + info["n_networks"]])
            start += info["n_networks"]
            return m

        members = []
        for i, (m, info) in enumerate(zip(self._build_members(), meta["members"])):
            if "per_series" in info:
                members.append({k: restore(clone(m), part, f"m{i}_s{j}_", self.series_[k])
                                for j, (k, part) in enumerate(zip(self.ids_, info["per_series"]))})
            else:
                members.append(restore(m, info, f"m{i}_", None if getattr(self, "is_global_", False) else self.y_))
        self.members_ = members
        self.weights_ = arrays.get("weights")
        self.holdout_mse_ = arrays.get("holdout_mse")
        self.subset_scores_ = arrays.get("subset_scores")
        self.subset_ = tuple(meta["subset"]) if "subset" in meta else None

    @classmethod
    def _test_params(cls):
        return {"models": (("naive", {}), ("seasonal_naive", {"m": 24}), ("ar", {"lags": 2})), "combine": "median"}
