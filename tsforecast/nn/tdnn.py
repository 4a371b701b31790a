"""Time-delay neural network: stacked time-shared filters over delayed outputs of the layer below."""

from keras import layers, regularizers

from ..exceptions import ParameterError
from .heads import dense_head, make_inputs, model_from


def receptive_length(delays, n_layers, dilation):
    """Time steps one output of the stack sees."""
    return 1 + sum((delays - 1) * dilation**i for i in range(n_layers))


def build_tdnn(window, n_channels, out_steps, n_future, *, delays=3, filters=16, n_layers=2, dilation=1,
               activation="tanh", dropout=0.0, l2=0.0, n_quantiles=1):
    """Each Conv1D layer sees ``delays`` delayed outputs of the layer below (spaced ``dilation**i``),
    with weights shared over time as in the classic TDNN (Waibel et al., 1989); ``n_quantiles`` outputs
    per step (see :func:`tsforecast.nn.heads.dense_head`)."""
    if receptive_length(delays, n_layers, dilation) > window:
        raise ParameterError(
            f"the TDNN sees {receptive_length(delays, n_layers, dilation)} steps but the window has only "
            f"{window} lags; raise lags or lower delays/layers/dilation."
        )
    past, future = make_inputs(window, n_channels, out_steps, n_future)
    reg = regularizers.L2(l2) if l2 else None
    x = past
    for i in range(n_layers):
        x = layers.Conv1D(filters, delays, dilation_rate=dilation**i, activation=activation,
                          kernel_regularizer=reg, name=f"delay_layer_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return model_from(past, future, dense_head(layers.Flatten()(x), future, out_steps, l2, n_quantiles), "tdnn")
