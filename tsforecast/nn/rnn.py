"""Recurrent encoders (SimpleRNN, LSTM, GRU, peephole LSTM) with a dense, seq2seq or attention head,
and the stateful networks of truncated-BPTT training."""

import keras
from keras import layers, ops, regularizers

from ..exceptions import ParameterError
from .attention import EncoderAttention
from .heads import dense_head, make_inputs, model_from
from .layers import Squeeze
from .options import CELLS, GATE_INITS, HEADS
from .peephole import PeepholeLSTMCell



def _recurrent(cell, units, *, return_sequences, return_state, dropout, recurrent_dropout, reg, peephole,
               stateful=False):
    kw = dict(return_sequences=return_sequences, return_state=return_state, stateful=stateful)
    if cell == "lstm" and peephole:
        if recurrent_dropout:
            raise ParameterError("recurrent_dropout is not supported with peephole=True; use dropout.")
        return layers.RNN(PeepholeLSTMCell(units, kernel_regularizer=reg), **kw)
    kw.update(dropout=dropout, recurrent_dropout=recurrent_dropout, kernel_regularizer=reg)
    if cell == "lstm":
        # Forget-gate bias starts at 1 so early gradients flow through time (Jozefowicz et al., 2015).
        return layers.LSTM(units, unit_forget_bias=True, **kw)
    if cell == "gru":
        return layers.GRU(units, **kw)
    return layers.SimpleRNN(units, **kw)


def _check_cell(cell, gate_init, peephole):
    if cell not in CELLS:
        raise ParameterError(f"cell must be one of {CELLS}, got {cell!r}.")
    if gate_init not in GATE_INITS:
        raise ParameterError(f"gate_init must be one of {GATE_INITS}, got {gate_init!r}.")
    if gate_init == "chrono" and (cell == "simple" or peephole):
        raise ParameterError("gate_init='chrono' needs a gated Keras cell: use cell 'lstm' (without peephole) or 'gru'.")


def chrono_init(layer, t_max):
    """Chrono initialisation (Tallec & Ollivier, 2018) of a built Keras LSTM or GRU layer, in place.

    The gate that keeps the state (LSTM forget gate, GRU update gate) gets bias
    ``log(u)``, ``u ~ U(1, t_max - 1)``, so at the start of training units keep
    their state for between 1 and ``t_max`` steps and gradients reach the
    start of a ``t_max``-step window; the LSTM input gate gets the opposite
    bias. The fixed LSTM forget bias of 1 (GRU: update bias 0) lets a state
    fade within a few steps, and the optimiser then rarely discovers
    dependencies 25+ steps back (see ``experiments/long_memory.py``).
    """
    if isinstance(layer, layers.Bidirectional):
        chrono_init(layer.forward_layer, t_max)
        chrono_init(layer.backward_layer, t_max)
        return
    cell = layer.cell
    u = cell.units
    keep = ops.log(keras.random.uniform((u,), 1.0, max(float(t_max) - 1.0, 1.0 + 1e-6)))
    bias = ops.convert_to_numpy(cell.bias).copy()
    keep = ops.convert_to_numpy(keep)
    if isinstance(cell, layers.LSTMCell):  # gate order i, f, c, o
        bias[:u], bias[u : 2 * u] = -keep, keep
    else:  # GRU gate order z, r, h; state_t = z * state_{t-1} + (1 - z) * candidate
        bias[..., :u] = 0.0
        bias[(0, slice(0, u)) if bias.ndim == 2 else slice(0, u)] = keep
    cell.bias.assign(bias)


def build_rnn(window, n_channels, out_steps, n_future, *, cell="lstm", units=(32,), bidirectional=False,
              dropout=0.0, recurrent_dropout=0.0, l2=0.0, head="dense", peephole=False, gate_init="unit",
              n_quantiles=1, attention="luong"):
    """Encoder of stacked recurrent layers; ``head='dense'`` maps the last state to all steps,
    ``head='seq2seq'`` unrolls a recurrent decoder over the steps (fed known-future covariates),
    ``head='attention'`` adds to that decoder attention over all encoder states
    (:class:`tsforecast.nn.attention.EncoderAttention` with score ``attention``): each step's
    output reads ``tanh(W_c [context; decoder state])``, the attentional state of Luong et al. (2015).

    ``gate_init='chrono'`` applies :func:`chrono_init` (with ``t_max = window``) to the
    LSTM / GRU encoder layers; ``'unit'`` keeps the LSTM forget bias at 1 and Keras' GRU default.
    ``n_quantiles`` outputs per step, step-major (see :func:`tsforecast.nn.heads.dense_head`).
    """
    _check_cell(cell, gate_init, peephole)
    units = (units,) if isinstance(units, int) else tuple(units)
    reg = regularizers.L2(l2) if l2 else None
    opts = dict(dropout=dropout, recurrent_dropout=recurrent_dropout, reg=reg, peephole=peephole)

    def encoder_layer(u, return_sequences, return_state):
        layer = _recurrent(cell, u, return_sequences=return_sequences, return_state=return_state, **opts)
        return layers.Bidirectional(layer) if bidirectional else layer

    def encode(u, x, return_sequences, return_state):
        layer = encoder_layer(u, return_sequences, return_state)
        out = layer(x)
        if gate_init == "chrono":
            chrono_init(layer, window)
        return out

    past, future = make_inputs(window, n_channels, out_steps, n_future)
    x = past
    if peephole and dropout:
        x = layers.Dropout(dropout)(x)
    for u in units[:-1]:
        x = encode(u, x, True, False)
    if head not in HEADS:
        raise ParameterError(f"head must be one of {HEADS}, got {head!r}.")
    attend = head == "attention"
    seq2seq = head != "dense"
    encoded = encode(units[-1], x, attend, seq2seq)
    if not seq2seq:
        return model_from(past, future, dense_head(encoded, future, out_steps, l2, n_quantiles), f"{cell}_dense")

    out, *states = encoded  # with attention, `out` is the whole sequence of encoder states
    if bidirectional:  # forward states then backward states: join them pairwise
        half = len(states) // 2
        states = [layers.Concatenate()([f, b]) for f, b in zip(states[:half], states[half:])]
    encoder_states = out
    if attend:
        out = states[0]  # the last output is the first state (h) of every cell
    dec_units = units[-1] * (2 if bidirectional else 1)
    dec_in = layers.RepeatVector(out_steps)(out)
    if future is not None:
        dec_in = layers.Concatenate()([dec_in, future])
    decoder = _recurrent(cell, dec_units, return_sequences=True, return_state=False, **opts)
    seq = decoder(dec_in, initial_state=states)
    if attend:
        context = EncoderAttention(attention, name="attention")([seq, encoder_states])
        seq = layers.Dense(dec_units, activation="tanh", kernel_regularizer=reg,
                           name="attentional")(layers.Concatenate()([context, seq]))
    y = layers.TimeDistributed(layers.Dense(n_quantiles), name="forecast")(seq)
    y = Squeeze()(y) if n_quantiles == 1 else layers.Flatten()(y)  # (batch, steps * quantiles), step-major
    return model_from(past, future, y, f"{cell}_{head}")


def build_stateful_rnn(n_channels, out_steps, *, cell="lstm", units=(32,), rows=None, dropout=0.0,
                       recurrent_dropout=0.0, l2=0.0, peephole=False, gate_init="unit", t_max=None, n_quantiles=1):
    """Stacked recurrent layers that forecast at every step: (batch, time, channels) ->
    (batch, time, out_steps * n_quantiles), the outputs at step ``t`` forecasting ``t+1 .. t+out_steps``
    from the state (step-major quantiles as :func:`tsforecast.nn.heads.dense_head`).

    ``rows``: build the stateful training twin, whose layers keep each of ``rows`` batch rows'
    state from one call to the next (:func:`tsforecast.nn.training.train_stateful_network`);
    ``None``: the stateless twin that forecasts, run over a whole history from a zero state. Both
    have the same weights, in the same order. ``gate_init='chrono'`` spreads the keep-gate biases
    over ``t_max`` steps (:func:`chrono_init`).
    """
    _check_cell(cell, gate_init, peephole)
    units = (units,) if isinstance(units, int) else tuple(units)
    reg = regularizers.L2(l2) if l2 else None
    past = keras.Input((None, n_channels), batch_size=rows, name="past")
    x = past
    if peephole and dropout:
        x = layers.Dropout(dropout)(x)
    for u in units:
        layer = _recurrent(cell, u, return_sequences=True, return_state=False, dropout=dropout,
                           recurrent_dropout=recurrent_dropout, reg=reg, peephole=peephole, stateful=rows is not None)
        x = layer(x)
        if gate_init == "chrono":
            chrono_init(layer, t_max)
    y = layers.Dense(out_steps * n_quantiles, kernel_regularizer=reg, name="forecast")(x)
    return keras.Model(past, y, name=f"{cell}_stateful" if rows is not None else f"{cell}_streaming")
