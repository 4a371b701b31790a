"""SimpleRNN, LSTM and GRU forecasters: one implementation, three thin public classes."""

from ..base import check_choice, check_int
from ..exceptions import ParameterError
from ..nn.options import ATTENTION_SCORES, GATE_INITS, HEADS
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
    head : {"dense", "seq2seq", "attention"}
        ``dense``: the last encoder state maps to all horizon steps at once.
        ``seq2seq``: a recurrent decoder unrolls over the horizon, started from
        the encoder state and fed known-future covariates when given.
        ``attention``: that decoder, with each step attending over all the encoder's
        states, so a step can read any lag of the window directly (a value far back
        need not survive in the final state).
    attention : {"luong", "bahdanau"}
        Score of ``head='attention'``: Luong et al.'s (2015) general (bilinear) score, whose
        identity case is the dot score, or Bahdanau et al.'s (2015) additive score.
    clipnorm : float or None
        Gradient clipping; backpropagation through long windows explodes without it.
    gate_init : {"unit", "chrono"}
        Gate biases of LSTM / GRU encoders. ``unit``: LSTM forget bias 1, GRU
        Keras default. ``chrono``: chrono initialisation (Tallec & Ollivier,
        2018) spread over ``lags`` steps, so dependencies far back in the window
        are learnable (see :func:`tsforecast.nn.rnn.chrono_init`). Not for
        SimpleRNN or peephole LSTM.
    stateful : bool
        Train by truncated backpropagation through time over the whole series: it is cut into
        ``batch_size`` consecutive streams, read ``tbptt`` steps at a time, and each stream's state
        is carried from one chunk to the next (reset every epoch), so the state can hold
        information from further back than any window, while gradients reach ``tbptt`` steps
        back. The network forecasts the next ``horizon`` steps from its state; ``predict`` runs it
        over the whole history. One series; ``head='dense'``, ``strategy='mimo'``, not
        bidirectional, and no window scaler, base or known-future inputs.
    seasonal_channel : bool
        Feed the network, next to its window, the value ``seasonal_period`` steps before each
        forecast step (default period: the first season; ``"long_season"``: the week on hourly
        data). The last week's value at each lead time then reaches the output directly, while the
        network unrolls over a shorter window (a day). The value is read from the history, which
        must reach that far back. Not with ``stateful=True``.
    tbptt : int, optional
        Chunk length of stateful training (steps backpropagated through); default ``lags``.
        Only with ``stateful=True``.
    strategy, scaler, difference, base, seasonal_period, n_ensemble, epochs, batch_size, learning_rate, optimizer,
    weight_decay, loss, quantiles, patience, restore_best_weights, reduce_lr_patience, validation_fraction, known_future, calendar, seed,
    verbose
        As for :class:`~tsforecast.models.narx_model.NARXForecaster`; default strategy ``'mimo'``.
    """

    cell = "lstm"

    _params = {"lags": 48, "horizon": 24, "units": 32, "bidirectional": False, "recurrent_dropout": 0.0,
               "head": "dense", "strategy": "mimo", "gate_init": "unit", "stateful": False, "tbptt": None,
               "attention": "luong", "seasonal_channel": False}

    def _check_params(self):
        super()._check_params()
        check_choice(self.head, HEADS, "head")
        check_choice(self.attention, ATTENTION_SCORES, "attention")
        if self.attention != "luong" and self.head != "attention":
            raise ParameterError(f"attention={self.attention!r} scores the attention head; set head='attention' "
                                 f"(the {self.head!r} head has no attention).")
        check_choice(self.gate_init, GATE_INITS, "gate_init")
        if self.gate_init == "chrono" and (self.cell == "simple" or getattr(self, "peephole", False)):
            raise ParameterError("gate_init='chrono' needs gates: use it with LSTM (peephole=False) or GRU.")
        units = (self.units,) if isinstance(self.units, int) else tuple(self.units)
        if not units or any(not isinstance(u, int) or u < 1 for u in units):
            raise ParameterError(f"units must be a positive int or a tuple of them, got {self.units!r}.")
        check_choice(self.stateful, (False, True), "stateful")
        check_choice(self.seasonal_channel, (False, True), "seasonal_channel")
        if self.tbptt is not None:
            check_int(self.tbptt, "tbptt")
            if not self.stateful:
                raise ParameterError("tbptt is the chunk length of stateful training; set stateful=True or drop tbptt.")
        if self.stateful:
            self._check_stateful()

    def _check_stateful(self):
        clashes = {"head": (self.head, "dense"), "strategy": (self.strategy, "mimo"),
                   "bidirectional": (self.bidirectional, False), "base": (self.base, None),
                   "seasonal_channel": (self.seasonal_channel, False),
                   "known_future": (self.known_future, False), "calendar": (self.calendar, None)}
        for name, (value, allowed) in clashes.items():
            if value != allowed:
                raise ParameterError(f"stateful=True forecasts the next horizon steps from the state with a dense "
                                     f"head over a forward pass of the whole history: it needs {name}={allowed!r}, "
                                     f"got {value!r} (or use stateful=False).")
        if self.scaler == "window":
            raise ParameterError("stateful=True reads the series as one stream, not windows: scaler='window' does "
                                 "not apply; use 'standard', 'log', ... (or stateful=False).")

    def _window_length(self):
        # Stateful: the chunk backpropagated through (the minimum history, too).
        return self.tbptt if self.stateful and self.tbptt else super()._window_length()

    def _build_stateful_network(self, n_channels, out_steps, rows):
        from ..nn.rnn import build_stateful_rnn

        return build_stateful_rnn(n_channels, out_steps, cell=self.cell, units=self.units, rows=rows,
                                  dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, l2=self.l2,
                                  t_max=self._window_length(), n_quantiles=self._n_quantiles(),
                                  **self._network_options())

    def _network_options(self):
        return {"gate_init": self.gate_init}

    def _build_network(self, window, n_channels, out_steps, n_future):
        from ..nn.rnn import build_rnn

        return build_rnn(window, n_channels, out_steps, n_future, cell=self.cell, units=self.units,
                         bidirectional=self.bidirectional, dropout=self.dropout,
                         recurrent_dropout=self.recurrent_dropout, l2=self.l2, head=self.head,
                         n_quantiles=self._n_quantiles(), attention=self.attention,
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
