"""SimpleRNN, LSTM and GRU forecasters: one implementation, three thin public classes."""

from ..base import check_choice
from ..exceptions import ParameterError
from .neural_base import NeuralForecaster


class RNNForecaster(NeuralForecaster):
    """Recurrent forecaster; use :class:`SimpleRNNForecaster`, :class:`LSTMForecaster` or :class:`GRUForecaster`.

    Parameters
    ----------
    lags : int, "season" or "long_season"
        Input window length (steps the encoder reads); a season's name takes it from the training
        index's frequency (see :func:`tsforecast.seasonality.season_lags`).
    horizon : int
        Steps forecast at once.
    units : int or tuple of int
        Units per recurrent layer; a tuple stacks layers, e.g. ``(64, 32)``.
    bidirectional : bool
        Read the window both ways in the encoder.
    dropout, recurrent_dropout : float
        Dropout on the inputs and on the recurrent state of each layer.
    l2 : float
        L2 penalty on the kernels.
    head : {"dense", "seq2seq"}
        ``dense``: the last encoder state maps to all horizon steps at once.
        ``seq2seq``: a recurrent decoder unrolls over the horizon, started from
        the encoder state and fed known-future covariates when given.
    clipnorm : float or None
        Gradient clipping; backpropagation through long windows explodes without it.
    gate_init : {"unit", "chrono"}
        Gate biases of LSTM / GRU encoders. ``unit``: LSTM forget bias 1, GRU
        Keras default. ``chrono``: chrono initialisation (Tallec & Ollivier,
        2018) spread over ``lags`` steps, so dependencies far back in the window
        are learnable (see :func:`tsforecast.nn.rnn.chrono_init`). Not for
        SimpleRNN or peephole LSTM.
    strategy, scaler, difference, base, seasonal_period, n_ensemble, epochs, batch_size, learning_rate, optimizer,
    weight_decay, loss, quantiles, patience, restore_best_weights, reduce_lr_patience, validation_fraction, known_future, calendar, seed,
    verbose
        As for :class:`~tsforecast.models.narx_model.NARXForecaster`; default strategy ``'mimo'``.
    """

    cell = "lstm"

    _params = {"lags": 48, "horizon": 24, "units": 32, "bidirectional": False, "recurrent_dropout": 0.0,
               "head": "dense", "strategy": "mimo", "gate_init": "unit"}

    def _check_params(self):
        super()._check_params()
        check_choice(self.head, ("dense", "seq2seq"), "head")
        check_choice(self.gate_init, ("unit", "chrono"), "gate_init")
        if self.gate_init == "chrono" and (self.cell == "simple" or getattr(self, "peephole", False)):
            raise ParameterError("gate_init='chrono' needs gates: use it with LSTM (peephole=False) or GRU.")
        units = (self.units,) if isinstance(self.units, int) else tuple(self.units)
        if not units or any(not isinstance(u, int) or u < 1 for u in units):
            raise ParameterError(f"units must be a positive int or a tuple of them, got {self.units!r}.")

    def _network_options(self):
        return {"gate_init": self.gate_init}

    def _build_network(self, window, n_channels, out_steps, n_future):
        from ..nn.rnn import build_rnn

        return build_rnn(window, n_channels, out_steps, n_future, cell=self.cell, units=self.units,
                         bidirectional=self.bidirectional, dropout=self.dropout,
                         recurrent_dropout=self.recurrent_dropout, l2=self.l2, head=self.head,
                         n_quantiles=self._n_quantiles(),
                         **self._network_options())

    @classmethod
    def _test_params(cls):
        return {**super()._test_params(), "units": 8}


class SimpleRNNForecaster(RNNForecaster):
    __doc__ = RNNForecaster.__doc__.replace("Recurrent forecaster; use", "Elman (SimpleRNN) forecaster; see also")
    cell = "simple"


class GRUForecaster(RNNForecaster):
    __doc__ = RNNForecaster.__doc__.replace("Recurrent forecaster; use", "GRU forecaster; see also")
    cell = "gru"


class LSTMForecaster(RNNForecaster):
    """LSTM forecaster (parameters as :class:`RNNForecaster`, plus ``peephole``).

    The forget-gate bias starts at 1, so at the start of training the cell
    keeps its state and gradients reach far back in the window (Jozefowicz et
    al., 2015). ``peephole=True`` lets the gates see the cell state (Gers &
    Schmidhuber, 2000), via :class:`tsforecast.nn.peephole.PeepholeLSTMCell`.

    Parameters
    ----------
    peephole : bool
        Gates see the cell state (peephole connections).
    """

    cell = "lstm"

    _params = {**RNNForecaster._params, "peephole": False}

    def _network_options(self):
        return {**super()._network_options(), "peephole": self.peephole}
