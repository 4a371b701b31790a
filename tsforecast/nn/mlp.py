"""NARX network: an MLP on tapped delay lines of the target and of the exogenous inputs."""

from keras import layers, regularizers

from .heads import dense_head, make_inputs, model_from
from .layers import TakeLags, TakeWindow


def build_narx(window, n_channels, out_steps, n_future, *, lags, exog_lags, hidden=(32,),
               activation="tanh", dropout=0.0, l2=0.0, n_quantiles=1, linear_skip=False):
    """y_t = f(y_{t-l}, l in ``lags``; x_{t-1..t-q}): ``lags`` = the target taps (an int p means 1..p),
    ``exog_lags`` = q taps per exogenous input; ``n_quantiles`` outputs per step (see :func:`dense_head`).
    ``linear_skip``: the output layer also reads the taps themselves (a linear AR plus the MLP)."""
    past, future = make_inputs(window, n_channels, out_steps, n_future)
    if isinstance(lags, int):
        lags = list(range(1, lags + 1))
    if list(lags) == list(range(1, len(lags) + 1)):
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
    if linear_skip:
        x = layers.Concatenate()([x, inputs])
    return model_from(past, future, dense_head(x, future, out_steps, l2, n_quantiles), "narx")
