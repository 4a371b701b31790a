"""A trained network's forward pass run in NumPy, for forecasting.

Why: before a Keras model's first prediction its backend traces (TensorFlow) or traces and compiles
(JAX) a predict function, 0.1-0.2 s for a small LSTM, and again for every new model: every fold of a
backtest, every loaded model of a batch job. The forecast itself, a few matrix products per layer and
time step, takes milliseconds in NumPy. So :func:`numpy_forward` runs the model's layer graph with
NumPy versions of the layers the builders use, in float32 like Keras, reading the weights at each call
(so ``update()`` and fine-tuning need no bookkeeping). A network holding any other layer (attention,
bidirectional and peephole layers, ...) returns None and is run by Keras, as is every network when the
environment variable ``TSFORECAST_KERAS_PREDICT=1`` is set (e.g. to forecast millions of series on a GPU).
tests/test_numpy_forward.py checks every supported layer against Keras.
"""

from __future__ import annotations

import os

import keras
import numpy as np
from keras import layers
from keras.src.models.functional import Functional

from . import layers as own

KERAS_PREDICT = "TSFORECAST_KERAS_PREDICT"


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # the logistic function; twice as fast as scipy's expit on float32


_ACTIVATIONS = {
    keras.activations.linear: lambda x: x,
    keras.activations.tanh: np.tanh,
    keras.activations.sigmoid: _sigmoid,
    keras.activations.relu: lambda x: np.maximum(x, 0),
}


def _weights(*variables):
    return [None if v is None else keras.ops.convert_to_numpy(v).astype(np.float32, copy=False) for v in variables]


def _matmul(x, w):
    """``x @ w`` over the last axis, as one 2-D product (a 3-D matmul loops over the batch)."""
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def _dense(layer):
    act = _ACTIVATIONS[layer.activation]
    kernel, bias = _weights(layer.kernel, layer.bias)

    def run(x):
        y = _matmul(x, kernel)
        return act(y if bias is None else y + bias)

    return run


def _conv1d(layer):
    """Conv1D with ``padding="valid"``: output ``t`` reads inputs ``t, t + d, ..., t + (k - 1) d``."""
    act = _ACTIVATIONS[layer.activation]
    kernel, bias = _weights(layer.kernel, layer.bias)
    k, d = kernel.shape[0], layer.dilation_rate[0]

    def run(x):
        n = x.shape[1] - (k - 1) * d
        y = sum(_matmul(x[:, i * d : i * d + n], kernel[i]) for i in range(k))
        return act(y if bias is None else y + bias)

    return run


def _lstm_step(cell):
    kernel, recurrent, bias = _weights(cell.kernel, cell.recurrent_kernel, cell.bias)
    act, gate, u = _ACTIVATIONS[cell.activation], _ACTIVATIONS[cell.recurrent_activation], cell.units
    if act is np.tanh and gate is _sigmoid:
        return _lstm_tanh_sigmoid(kernel, recurrent, bias, u)

    def inputs(x):
        return _matmul(x, kernel) if bias is None else _matmul(x, kernel) + bias

    def step(xw, state):
        h, c = state
        z = xw + h @ recurrent
        g = gate(z)  # gates i, f, o: one call over all four blocks is faster than three
        c = g[:, u : 2 * u] * c + g[:, :u] * act(z[:, 2 * u : 3 * u])
        h = g[:, 3 * u :] * act(c)
        return h, [h, c]

    return inputs, step, 2


def _lstm_tanh_sigmoid(kernel, recurrent, bias, u):
    """The default LSTM (tanh, sigmoid gates) with one in-place ``tanh`` per step over all four blocks.

    sigmoid(z) = (tanh(z / 2) + 1) / 2, so the gate columns (i, f, o) of the weights are halved once
    here. Halving is exact in floating point, so the forecasts are bit for bit those of the general path,
    with about 0.6 of its elementwise work and no temporaries (that work is most of a batch forecast's time).
    """
    scale = np.full(4 * u, 0.5, np.float32)
    scale[2 * u : 3 * u] = 1.0
    kernel, recurrent = kernel * scale, recurrent * scale
    bias = None if bias is None else bias * scale

    def inputs(x):
        return _matmul(x, kernel) if bias is None else _matmul(x, kernel) + bias

    def step(xw, state):
        h, c = state
        z = h @ recurrent
        z += xw
        np.tanh(z, out=z)
        for gates in (z[:, : 2 * u], z[:, 3 * u :]):
            gates *= 0.5
            gates += 0.5
        c = z[:, u : 2 * u] * c
        c += z[:, :u] * z[:, 2 * u : 3 * u]
        h = np.tanh(c)
        h *= z[:, 3 * u :]
        return h, [h, c]

    return inputs, step, 2


def _gru_step(cell):
    kernel, recurrent, bias = _weights(cell.kernel, cell.recurrent_kernel, cell.bias)
    act, gate, u = _ACTIVATIONS[cell.activation], _ACTIVATIONS[cell.recurrent_activation], cell.units
    if bias is None:
        b_in = b_rec = 0.0
    elif cell.reset_after:
        b_in, b_rec = bias[0], bias[1]
    else:
        b_in, b_rec = bias, 0.0

    def inputs(x):
        return _matmul(x, kernel) + b_in

    def step(xw, state):
        (h,) = state
        if cell.reset_after:  # the reset gate scales the recurrent candidate term after its product
            hu = h @ recurrent + b_rec
            z, r = gate(xw[:, :u] + hu[:, :u]), gate(xw[:, u : 2 * u] + hu[:, u : 2 * u])
            candidate = act(xw[:, 2 * u :] + r * hu[:, 2 * u :])
        else:
            z = gate(xw[:, :u] + h @ recurrent[:, :u])
            r = gate(xw[:, u : 2 * u] + h @ recurrent[:, u : 2 * u])
            candidate = act(xw[:, 2 * u :] + (r * h) @ recurrent[:, 2 * u :])
        h = z * h + (1 - z) * candidate
        return h, [h]

    return inputs, step, 1


def _simple_step(cell):
    kernel, recurrent, bias = _weights(cell.kernel, cell.recurrent_kernel, cell.bias)
    act = _ACTIVATIONS[cell.activation]

    def inputs(x):
        return _matmul(x, kernel) if bias is None else _matmul(x, kernel) + bias

    def step(xw, state):
        h = act(xw + state[0] @ recurrent)
        return h, [h]

    return inputs, step, 1


_CELLS = {layers.LSTM: _lstm_step, layers.GRU: _gru_step, layers.SimpleRNN: _simple_step}


def _recurrent(layer):
    inputs, step, n_states = _CELLS[type(layer)](layer.cell)

    def run(x, initial_state=None):
        state = ([np.zeros((len(x), layer.cell.units), np.float32)] * n_states if initial_state is None
                 else [np.asarray(s, np.float32) for s in initial_state])
        outputs = []
        for t in range(x.shape[1]):  # step by step: the products of all steps at once would not stay in cache
            out, state = step(inputs(x[:, t]), state)
            outputs.append(out)
        out = np.stack(outputs, axis=1) if layer.return_sequences else outputs[-1]
        return [out, *state] if layer.return_state else out

    return run


def _stats(layer):
    def run(x):
        target = x[:, :, 0]
        mean = target.mean(axis=1)
        std = np.sqrt(np.square(target - mean[:, None]).mean(axis=1))
        return np.stack([mean, np.maximum(std, np.float32(layer.eps))], axis=1)

    return run


def _normalize(_):
    def run(inputs):
        x, stats = inputs
        target = (x[:, :, :1] - stats[:, None, :1]) / stats[:, None, 1:]
        return np.concatenate([target, x[:, :, 1:]], axis=-1)

    return run


_LAYERS = {
    layers.Dense: _dense,
    layers.Conv1D: _conv1d,
    layers.LSTM: _recurrent,
    layers.GRU: _recurrent,
    layers.SimpleRNN: _recurrent,
    layers.TimeDistributed: lambda layer: _dense(layer.layer),  # a Dense acts on the last axis anyway
    layers.Flatten: lambda _: lambda x: x.reshape(len(x), -1),
    layers.Concatenate: lambda layer: lambda xs: np.concatenate(xs, axis=layer.axis),
    layers.Add: lambda _: lambda xs: sum(xs[1:], xs[0]),
    layers.Dropout: lambda _: lambda x: x,
    layers.RepeatVector: lambda layer: lambda x: np.repeat(x[:, None], layer.n, axis=1),
    own.TakeWindow: lambda layer: lambda x: x[:, x.shape[1] - layer.steps :, layer.start : layer.stop],
    own.TakeLags: lambda layer: lambda x: x[:, [x.shape[1] - lag for lag in layer.lags], layer.start : layer.stop],
    own.TakeSteps: lambda layer: lambda x: x[:, layer.positions, 0],
    own.Squeeze: lambda _: lambda x: np.squeeze(x, axis=-1),
    own.WindowStats: _stats,
    own.NormalizeTarget: _normalize,
    own.Denormalize: lambda _: lambda inputs: inputs[0] * inputs[1][:, 1:] + inputs[1][:, :1],
}


def _supported(layer) -> bool:
    if isinstance(layer, keras.Model):
        return _is_functional(layer) and all(_supported(sub) for sub in layer.layers)
    if isinstance(layer, layers.InputLayer):
        return True
    kind = type(layer)
    if kind not in _LAYERS:
        return False
    if kind in (layers.Dense, layers.Conv1D) and layer.activation not in _ACTIVATIONS:
        return False
    if kind is layers.Dense and (getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None)):
        return False
    if kind is layers.Conv1D and (layer.padding != "valid" or layer.strides != (1,) or layer.groups != 1
                                  or layer.data_format != "channels_last"):
        return False
    if kind in _CELLS:
        cell = layer.cell
        gate = getattr(cell, "recurrent_activation", keras.activations.linear)  # SimpleRNN has none
        return not layer.stateful and not layer.go_backwards and cell.activation in _ACTIVATIONS and gate in _ACTIVATIONS
    if kind is layers.TimeDistributed:
        return type(layer.layer) is layers.Dense and _supported(layer.layer)
    return True


def _is_functional(model) -> bool:
    # Exactly a functional model: a subclass may override call().
    return type(model) is Functional


def _graph(model):
    """``model``'s layer graph as a NumPy function of its inputs (weights read now)."""

    def numpy_op(op):
        run = _graph(op) if isinstance(op, keras.Model) else _LAYERS[type(op)](op)
        # Keras also passes mask= and training= along the graph: inference, and no supported layer makes masks.
        return lambda *args, **kwargs: run(*args, **{k: v for k, v in kwargs.items() if k == "initial_state"})

    return lambda inputs: model._run_through_graph(inputs, operation_fn=numpy_op)


def numpy_forward(model):
    """``model``'s forward pass (inference: dropout off) as a function of NumPy inputs, or None when
    ``model`` holds a layer this module does not run; call it with what ``model.predict_on_batch`` takes."""
    if os.environ.get(KERAS_PREDICT, "") not in ("", "0"):
        return None
    if not (_is_functional(model) and all(_supported(layer) for layer in model.layers)):
        return None

    def run(inputs):
        arrays = [np.asarray(a, np.float32) for a in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
        return np.asarray(_graph(model)(arrays), np.float32)

    return run
