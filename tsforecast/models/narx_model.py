"""NARX: nonlinear autoregression with exogenous inputs (a Keras MLP on tapped delay lines)."""

import numpy as np

from ..base import check_int, check_lag_set
from ..exceptions import ParameterError
from ..seasonality import LAG_SETS, SEASON_LAGS
from .neural_base import NeuralForecaster


class NARXForecaster(NeuralForecaster):
    """y_t = f(y_{t-1..t-p}, x_{t-1..t-q}) with an MLP ``f``; without ``X`` it is a NAR model.

    Trained open-loop (series-parallel: inputs are the true lagged values).
    Multi-step forecasts run closed-loop (``strategy='recursive'``: predictions
    are fed back, the classic NARX), or ``'direct'`` / ``'mimo'``.

    Parameters
    ----------
    lags : int, "season", "long_season", "seasonal_pairs" or list of int
        p, target delays ``1..p``; ``"season"``/``"long_season"``: p = the shortest / longest season of
        the training index's frequency (24 / 168 for hourly data; see
        :func:`tsforecast.seasonality.season_lags`); ``"seasonal_pairs"``: the last day's lags and those a
        day either side of a week (1..24 and 144..192 for hourly data; :func:`tsforecast.seasonality.lag_set`),
        what a forecast from the week-on-week change reads; or an explicit lag set such as ``[1, 2, 3, 24, 168]``.
    exog_lags : int, optional
        q, delays of each exogenous input (defaults to ``lags``).
    hidden : tuple of int
        Units of the hidden layers.
    linear_skip : bool or "ridge"
        Also connect the input taps straight to the output layer, so the network is a linear
        autoregression plus the MLP's nonlinear correction (the "highway" of LSTNet, Lai et al.,
        2018; AR-Net). The linear part carries what persistence and seasonal lags explain, which a
        small MLP on hundreds of inputs learns poorly (its lead-1 forecasts then lose to naive).
        ``"ridge"``: the linear part (taps and future covariates to every output step) is solved by
        ridge regression on all training windows, as the network sees them (after window
        normalisation and the residual base), and then held fixed. Each step's penalty is chosen by
        generalised cross-validation (:func:`tsforecast.nn.ridge.ridge_fit`; ``history_[i]["ridge_alpha"]``);
        the MLP trains on what it leaves (a hybrid linear + network model, as Zhang, 2003). Gradient
        descent fits a linear map from hundreds of correlated lags poorly; ridge regression solves it in
        closed form (a squared-error fit whatever ``loss`` the MLP trains with). The validation windows
        are among those it is fitted on, so early stopping then watches the MLP's gain only.
        ``update`` fine-tunes the MLP only. Point forecasts only (not with ``quantiles``).
    activation : str
    horizon : int
        Steps the model is built for (``predict`` defaults to it).
    strategy : {"recursive", "direct", "mimo"}
    scaler : {"standard", "minmax", "robust", "log", "window", None}
        Target scaling, fitted on the training series only. ``"window"``: log values, then each
        input window is standardised by its own mean and spread inside the network and the
        forecast scaled back (the network learns the shape, the level follows the data, as
        exponential smoothing's level does). Needs values > -1.
    difference : bool
        Model first differences (changes) instead of levels; forecasts are summed back onto the
        last observed value. Use it for prices and trending series, whose levels leave the
        training range (a network cannot extrapolate levels it never saw).
    base : {None, "last", "seasonal"}
        Residual target: the network forecasts the correction to the naive forecast (``"last"``)
        or to the seasonal-naive forecast (``"seasonal"``, needs ``lags >= seasonal_period``).
    seasonal_period : int, "season" or "long_season", optional
        Season length for ``base="seasonal"`` (and the recurrent networks' ``seasonal_channel``);
        default (or ``"season"``): the first season of the training index's frequency (24 for hourly
        data, 288 for 5-minute data); ``"long_season"``: the last (a week). Inside
        :func:`tsforecast.seasonality.use_periods`, those periods instead.
    n_ensemble : int
        Train this many networks (seeds ``seed, seed+1, ...``) and forecast their median.
    epochs, batch_size, learning_rate, optimizer, clipnorm, loss, patience, validation_fraction
        Training (see :func:`tsforecast.nn.training.train_network`): early stopping on the last
        ``validation_fraction`` of windows.
    weight_decay : float
        Decoupled weight decay (Loshchilov & Hutter, 2019): each step shrinks the weights by
        ``learning_rate * weight_decay`` times themselves; with ``optimizer='adam'`` this is AdamW.
        0 (default) is off.
    quantiles : tuple of float, optional
        Forecast these quantiles, e.g. ``(0.1, 0.5, 0.9)``: one output per quantile and step,
        trained with the pinball loss. Must include 0.5, whose output is the point forecast
        (``predict``); ``predict_quantiles`` returns them all and ``predict_interval(coverage=c)``
        the pair ``(1 - c) / 2, (1 + c) / 2`` with no calibration step. Needs strategy
        ``'mimo'`` or ``'direct'`` and ``difference=False``.
    restore_best_weights : bool
        Put back the weights of the best epoch when training stops.
    reduce_lr_patience : int, optional
        Halve the learning rate after this many epochs without improvement.
    dropout, l2 : float
    known_future : bool
        Also feed the exogenous values of the forecast steps (known in advance, e.g. calendar).
    calendar : tuple of str, optional
        Calendar inputs computed from the timestamps, e.g. ``("hour", "dayofweek")``, fed as
        known-future covariates (nothing to pass at predict time; any ``X`` is then known-future too).
    seed : int or None
        Seeds the weights and the shuffling; ``None`` draws a fresh seed. The caller's global
        ``random``/NumPy generators are left as they were.
    verbose : int
    """

    _params = {"lags": 24, "exog_lags": None, "hidden": (32,), "linear_skip": False, "activation": "tanh"}

    def _lag_set(self):
        lags = getattr(self, "lags_", None) or self.lags
        if isinstance(lags, str):  # a season's name, before fit resolves it
            return [1]
        return list(range(1, lags + 1)) if isinstance(lags, (int, np.integer)) else [int(v) for v in lags]

    def _q(self):
        return max(self._lag_set()) if self.exog_lags is None else self.exog_lags

    def _check_params(self):
        if isinstance(self.lags, str) and self.lags not in SEASON_LAGS + LAG_SETS:
            raise ParameterError(f"lags must be an integer, a list of lags or one of {SEASON_LAGS + LAG_SETS}, "
                                 f"got {self.lags!r}.")
        named = isinstance(self.lags, str) and self.lags in LAG_SETS
        if named or isinstance(self.lags, (list, tuple)):
            if not named:
                check_lag_set(self.lags)
            check_int(self._q(), "exog_lags")
            self._check_params_except_lags()
            return
        super()._check_params()
        check_int(self._q(), "exog_lags")

    def _check_params_except_lags(self):
        super()._check_params_except_lags()
        if not (isinstance(self.linear_skip, (bool, np.bool_)) or self.linear_skip == "ridge"):
            raise ParameterError(f"linear_skip must be True, False or 'ridge', got {self.linear_skip!r}.")
        if self.linear_skip == "ridge" and self.quantiles is not None:
            raise ParameterError("linear_skip='ridge' fits the point forecast's linear part by least squares; "
                                 "with quantiles use linear_skip=True (trained with the pinball loss).")

    def _window_length(self):
        return max(max(self._lag_set()), self._q())

    def _build_network(self, window, n_channels, out_steps, n_future):
        from ..nn.mlp import build_narx

        return build_narx(window, n_channels, out_steps, n_future, lags=self._lag_set(), exog_lags=self._q(),
                          hidden=tuple(self.hidden), activation=self.activation, dropout=self.dropout, l2=self.l2,
                          n_quantiles=self._n_quantiles(),
                          linear_skip="ridge" if self.linear_skip == "ridge" else bool(self.linear_skip))

    def _closed_form_weights(self, source, starts, target_slice, steps):
        if self.linear_skip != "ridge":
            return None
        from ..nn.mlp import LINEAR_SKIP, narx_taps
        from ..nn.ridge import linear_part
        from ..nn.wrappers import core_windows

        def design(past, targets, future):
            core_past, core_targets = core_windows(past, targets, window_norm=self.scaler == "window", base=self.base,
                                                   period=self.period_, steps=steps, core_window=self._window_length())
            return narx_taps(core_past, future, lags=self._lag_set(), exog_lags=self._q()), core_targets

        kernel, bias, alpha = linear_part(source, starts, design, target_slice=target_slice)
        return {LINEAR_SKIP: [kernel, bias]}, {"ridge_alpha": [float(a) for a in alpha]}

    @classmethod
    def _test_params(cls):
        return {**super()._test_params(), "hidden": (8,)}
