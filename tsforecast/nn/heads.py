"""Shared pieces of the network builders: inputs and the dense output head."""

import keras
from keras import layers, regularizers


def make_inputs(window, n_channels, out_steps, n_future):
    """The ``past`` input and, with known-future covariates, the ``future`` input."""
    past = keras.Input((window, n_channels), name="past")
    future = keras.Input((out_steps, n_future), name="future") if n_future else None
    return past, future


def dense_head(features, future, out_steps, l2=0.0, n_quantiles=1, kernel_initializer="glorot_uniform"):
    """Features (batch, d) [+ flattened future covariates] -> (batch, out_steps * n_quantiles).

    With quantiles the outputs are step-major: step 1's quantiles, then step 2's, ...
    (see :func:`tsforecast.nn.training.pinball_loss`).
    """
    if future is not None:
        features = layers.Concatenate()([features, layers.Flatten()(future)])
    reg = regularizers.L2(l2) if l2 else None
    return layers.Dense(out_steps * n_quantiles, kernel_regularizer=reg, kernel_initializer=kernel_initializer,
                        name="forecast")(features)


def model_from(past, future, output, name):
    inputs = past if future is None else [past, future]
    return keras.Model(inputs, output, name=name)


def find_layer(net, name):
    """The layer called ``name`` in ``net`` or in any model nested in it (None if there is none)."""
    for layer in net.layers:
        if layer.name == name:
            return layer
        if hasattr(layer, "layers"):
            found = find_layer(layer, name)
            if found is not None:
                return found
    return None
