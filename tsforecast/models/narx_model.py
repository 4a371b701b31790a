"""NARX: nonlinear autoregression with exogenous inputs (a Keras MLP on tapped delay lines)."""

from ..base import check_int
from .neural_base import NeuralForecaster


class NARXForecaster(NeuralForecaster):
    """y_t = f(y_{t-1..t-p}, x_{t-1..t-q}) with an MLP ``f``; without ``X`` it is a NAR model.

    Trained open-loop (series-parallel: inputs are the true lagged values).
    Multi-step forecasts run closed-loop (``strategy='recursive'``: predictions
    are fed back, the classic NARX), or ``'direct'`` / ``'mimo'``.

    Parameters
    ----------
    lags : int
        p, target delays.
    exog_lags : int, optional
        q, delays of each exogenous input (defaults to ``lags``).
    hidden : tuple of int
        Units of the hidden layers.
    activation : str
    horizon : int
        Steps the model is built for (``predict`` defaults to it).
    strategy : {"recursive", "direct", "mimo"}
    scaler : {"standard", "minmax", "robust", "log", None}
        Target scaling, fitted on the training series only.
    difference : bool
        Model first differences (changes) instead of levels; forecasts are summed back onto the
        last observed value. Use it for prices and trending series, whose levels leave the
        training range (a network cannot extrapolate levels it never saw).
    epochs, batch_size, learning_rate, optimizer, clipnorm, loss, patience, validation_fraction
        Training (see :func:`tsforecast.nn.training.train_network`): early stopping on the last
        ``validation_fraction`` of windows, best weights restored.
    dropout, l2 : float
    known_future : bool
        Also feed the exogenous values of the forecast steps (known in advance, e.g. calendar).
    seed : int
    verbose : int
    """

    def __init__(self, lags=24, exog_lags=None, hidden=(32,), activation="tanh", horizon=1, strategy="recursive",
                 scaler="standard", difference=False, epochs=200, batch_size=32, learning_rate=1e-3, optimizer="adam", clipnorm=1.0,
                 loss="mse", patience=10, validation_fraction=0.2, dropout=0.0, l2=0.0, known_future=False, seed=0,
                 verbose=0):
        self.lags, self.exog_lags, self.hidden, self.activation = lags, exog_lags, hidden, activation
        self.horizon, self.strategy, self.scaler, self.difference = horizon, strategy, scaler, difference
        self.epochs, self.batch_size, self.learning_rate, self.optimizer = epochs, batch_size, learning_rate, optimizer
        self.clipnorm, self.loss, self.patience, self.validation_fraction = clipnorm, loss, patience, validation_fraction
        self.dropout, self.l2, self.known_future, self.seed, self.verbose = dropout, l2, known_future, seed, verbose

    def _q(self):
        return self.lags if self.exog_lags is None else self.exog_lags

    def _check_params(self):
        super()._check_params()
        check_int(self._q(), "exog_lags")

    def _window_length(self):
        return max(self.lags, self._q())

    def _build_network(self, window, n_channels, out_steps, n_future):
        from ..nn.mlp import build_narx

        return build_narx(window, n_channels, out_steps, n_future, lags=self.lags, exog_lags=self._q(),
                          hidden=tuple(self.hidden), activation=self.activation, dropout=self.dropout, l2=self.l2)

    @classmethod
    def _test_params(cls):
        return {**super()._test_params(), "hidden": (8,)}
