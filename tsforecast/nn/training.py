"""The one training routine every Keras forecaster uses."""

from __future__ import annotations

import keras
import numpy as np

from ..exceptions import ParameterError

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd", "nadam")
LOSSES = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}
# Windows are gathered into memory below this many float32 values, streamed through tf.data above it.
MAX_IN_MEMORY = 64_000_000


def make_optimizer(name, learning_rate, clipnorm):
    if name not in OPTIMIZERS:
        raise ParameterError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}.")
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate, "clipnorm": clipnorm}})


def _select(batch, target_slice, future_slice):
    past, targets, future = batch
    targets = targets[:, target_slice]
    inputs = past if future is None else [past, future[:, future_slice]]
    return inputs, targets


def train_network(net, source, train_starts, val_starts, *, target_slice=slice(None), epochs=100, batch_size=32,
                  learning_rate=1e-3, optimizer="adam", clipnorm=None, loss="mse", patience=10, seed=0,
                  verbose=0, jit_compile="auto"):
    """Fit ``net`` on windows of a :class:`~tsforecast.windowing.WindowSource`.

    Early stopping watches the chronological validation windows (training loss
    when there are none) and restores the best weights. ``jit_compile`` goes to
    ``Model.compile``: ``"auto"`` leaves XLA off for TensorFlow on CPU, where
    compiling costs more than it saves for small fits (on for JAX).
    """
    if loss not in LOSSES:
        raise ParameterError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}.")
    net.compile(optimizer=make_optimizer(optimizer, learning_rate, clipnorm), loss=LOSSES[loss], jit_compile=jit_compile)
    has_val = len(val_starts) > 0
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss" if has_val else "loss", patience=patience,
                                               restore_best_weights=True)]
    fit_kw = dict(epochs=epochs, callbacks=callbacks, verbose=verbose)
    n_values = len(train_starts) * source.lags * source.data.shape[1]
    if n_values <= MAX_IN_MEMORY:
        x, y = _select(source.gather(train_starts), target_slice, target_slice)
        val = _select(source.gather(val_starts), target_slice, target_slice) if has_val else None
        return net.fit(x, y, batch_size=batch_size, shuffle=True, validation_data=val, **fit_kw)

    def pick(x, y):
        if isinstance(x, tuple):
            x = (x[0], x[1][:, target_slice])
        return x, y[:, target_slice]

    train = source.tf_dataset(train_starts, batch_size, shuffle=True, seed=seed).map(pick)
    val = source.tf_dataset(val_starts, batch_size, shuffle=False).map(pick) if has_val else None
    return net.fit(train, validation_data=val, shuffle=False, **fit_kw)  # the dataset shuffles itself


def predict_batched(net, inputs, batch_size=4096) -> np.ndarray:
    """Run ``net`` on all rows at once (one compiled call per ``batch_size`` rows)."""
    n = len(inputs[0]) if isinstance(inputs, list) else len(inputs)
    if n <= batch_size:
        return np.asarray(net.predict_on_batch(inputs))
    return np.asarray(net.predict(inputs, batch_size=batch_size, verbose=0))
