"""NARX network: an MLP on tapped delay lines of the target and of the exogenous inputs."""

import numpy as np
from keras import layers, regularizers

from .heads import dense_head, make_inputs, model_from
from .layers import TakeLags, TakeWindow

# The frozen linear part of ``linear_skip="ridge"``, set by ridge regression on :func:`narx_taps` before training.
LINEAR_SKIP = "linear_skip"


def _lag_list(lags):
    return list(range(1, lags + 1)) if isinstance(lags, int) else list(lags)


def _is_window(lags):
    """Lags 1..p: the last p steps of the window, in its order."""
    return lags == list(range(1, len(lags) + 1))


def build_narx(window, n_channels, out_steps, n_future, *, lags, exog_lags, hidden=(32,),
               activation="tanh", dropout=0.0, l2=0.0, n_quantiles=1, linear_skip=False):
    """y_t = f(y_{t-l}, l in ``lags``; x_{t-1..t-q}): ``lags`` = the target taps (an int p means 1..p),
    ``exog_lags`` = q taps per exogenous input; ``n_quantiles`` outputs per step (see :func:`dense_head`).
    ``linear_skip``: the output layer also reads the taps themselves (a linear AR plus the MLP);
    ``"ridge"``: the taps (and future covariates) feed a separate, frozen linear layer named
    :data:`LINEAR_SKIP` instead, whose weights are set by ridge regression before training, and the
    MLP's output (starting at zero) is added to it."""
    past, future = make_inputs(window, n_channels, out_steps, n_future)
    lags = _lag_list(lags)
    if _is_window(lags):
        taps = [layers.Flatten()(TakeWindow(len(lags), 0, 1)(past))]
    else:  # a sparse lag set, e.g. [1, 2, 3, 24, 168]
        taps = [layers.Flatten()(TakeLags(lags, 0, 1)(past))]
    if n_channels > 1:
        taps.append(layers.Flatten()(TakeWindow(exog_lags, 1, None)(past)))
    x = taps[0] if len(taps) == 1 else layers.Concatenate()(taps)
    inputs = x
    reg = regularizers.L2(l2) if l2 else None
    for units in hidden:
        x = layers.Dense(units, activation=activation, kernel_regularizer=reg)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    if linear_skip == "ridge":
        feats = inputs if future is None else layers.Concatenate()([inputs, layers.Flatten()(future)])
        # Zeros until the ridge fit sets it.
        linear = layers.Dense(out_steps, kernel_initializer="zeros", trainable=False, name=LINEAR_SKIP)(feats)
        # The MLP's output starts at zero, so training starts from the least-squares fit.
        head = dense_head(x, future, out_steps, l2, n_quantiles, kernel_initializer="zeros")
        return model_from(past, future, layers.Add()([head, linear]), "narx")
    if linear_skip:
        x = layers.Concatenate()([x, inputs])
    return model_from(past, future, dense_head(x, future, out_steps, l2, n_quantiles), "narx")


def narx_taps(past, future, *, lags, exog_lags):
    """NumPy twin of the inputs :func:`build_narx` gives its linear part: the target's ``lags``
    (``past`` is (batch, time, channels), lag ``l`` at time ``time - l``), then the last ``exog_lags``
    steps of the other channels, then the future covariates, each flattened time-major."""
    lags, t = _lag_list(lags), past.shape[1]
    # As build_narx: consecutive lags keep the window's order (oldest first), a lag set its own.
    parts = [past[:, t - len(lags):, 0] if _is_window(lags) else past[:, [t - lag for lag in lags], 0]]
    if past.shape[2] > 1:
        parts.append(past[:, t - exog_lags:, 1:].reshape(len(past), -1))
    if future is not None:
        parts.append(future.reshape(len(future), -1))
    return np.concatenate(parts, axis=1)
