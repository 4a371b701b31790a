"""The one training routine every Keras forecaster uses."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import keras
import numpy as np

from ..exceptions import ParameterError
from ..timefmt import duration as _duration
from .numpy_forward import numpy_forward
from .numpy_init import build_optimizer

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd", "nadam")
LOSS_CLASSES = {"mse": keras.losses.MeanSquaredError, "mae": keras.losses.MeanAbsoluteError, "huber": keras.losses.Huber}
LOSSES = tuple(LOSS_CLASSES)
PER_ROW_LOSSES = {"mse": keras.losses.mean_squared_error, "mae": keras.losses.mean_absolute_error,
                  "huber": keras.losses.huber}
VAL_BATCH = 4096
# Keras prefetches a few batches ahead on TensorFlow: capped at 1 MB of float32 per validation batch,
# those stay small next to the series even with long windows (4,096 windows of 336 lags are 5.5 MB).
VAL_BATCH_FLOATS = 2**18
PREDICT_BATCH = 4096
NUMPY_ROWS = 2048  # predict_batched runs at most this many rows in NumPy
CACHE_ENV = "TSFORECAST_JAX_CACHE_DIR"
PROGRESS = True  # module switch for the progress lines of quiet (verbose=0) fits; see FitProgress
PROGRESS_ENV = "TSFORECAST_PROGRESS"  # "0" (or "false", "no", "off") silences them too
PROGRESS_AFTER = 5.0  # seconds a quiet fit stays silent: short fits (tests, tuning candidates) print nothing
PROGRESS_CLOCK = time.monotonic  # replaceable, so tests can simulate slow epochs

def progress_enabled():
    """Whether quiet fits print progress lines: :data:`PROGRESS` and ``$TSFORECAST_PROGRESS`` not off."""
    return PROGRESS and os.environ.get(PROGRESS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class FitProgress(keras.callbacks.Callback):
    """One line per epoch on stderr once a fit has run longer than ``after`` seconds.

    A line reads ``<label> epoch k/max, loss L, val_loss V, lr R, elapsed T, ETA at most E``
    (no ``val_loss`` without validation windows). The ETA assumes the mean
    epoch time so far and all ``epochs``; early stopping usually ends sooner.

    Parameters
    ----------
    label : str
        Start of every line: the model, and which ensemble member or direct-strategy step.
    epochs : int
        The most epochs the fit may run.
    after : float, optional
        Seconds of silence; default :data:`PROGRESS_AFTER`.
    clock : callable, optional
        Returns seconds; read once when training begins and once per epoch.
        Default :data:`PROGRESS_CLOCK` (``time.monotonic``).
    """

    def __init__(self, label, epochs, after=None, clock=None):
        super().__init__()
        self.label, self.epochs = label, epochs
        self.after = PROGRESS_AFTER if after is None else after
        self.clock = PROGRESS_CLOCK if clock is None else clock
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = self.clock() - self._start
        if elapsed < self.after:
            return
        logs = logs or {}
        done = epoch + 1
        parts = [f"{self.label} epoch {done}/{self.epochs}", f"loss {float(logs['loss']):.4g}"]
        if "val_loss" in logs:
            parts.append(f"val_loss {float(logs['val_loss']):.4g}")
        try:
            parts.append(f"lr {float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)):.3g}")
        except (AttributeError, TypeError, ValueError):  # a schedule, or no optimizer: leave the rate out
            pass
        eta = (self.epochs - done) * elapsed / done
        parts.append(f"elapsed {_duration(elapsed)}, ETA at most {_duration(eta)}")
        # sys.stderr looked up per line, so a redirected (or captured) stderr gets the lines.
        print(", ".join(parts), file=sys.stderr, flush=True)


def use_compilation_cache():
    """On the JAX backend, keep compiled train / predict steps in JAX's persistent cache.

    Compiling an LSTM(64) train step costs ~0.7 s, about half of a short fit;
    a network with the same architecture and batch shape (a refit, a tuning
    candidate, the next night's job) then loads it from disk instead. The
    directory is ``$TSFORECAST_JAX_CACHE_DIR`` (empty: off), else
    ``~/.cache/tsforecast/jax``. A cache directory the user configured in JAX
    is left alone. No effect on the TensorFlow backend.
    """
    if keras.backend.backend() != "jax":
        return None
    import jax

    if jax.config.jax_compilation_cache_dir is not None:
        return jax.config.jax_compilation_cache_dir
    path = os.environ.get(CACHE_ENV)
    if path is None:
        path = str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tsforecast" / "jax")
    if not path:
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    # JAX caches only compilations slower than 1 s by default. A train step takes 0.3-1 s, and the
    # many small ones (weight initialisers, eager ops) add up to ~0.5 s of a process's first fit.
    # No size cap: JAX's size-capped (LRU) cache made every fit ~1 s slower. Entries are a few kB.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


def make_optimizer(name, learning_rate, clipnorm, weight_decay=0.0):
    """The named Keras optimizer; ``weight_decay > 0`` adds decoupled weight decay (Loshchilov &
    Hutter, 2019), so ``"adam"`` becomes AdamW. ``weight_decay=0`` is no decay for every optimizer
    (``"adamw"`` then equals ``"adam"``)."""
    if name not in OPTIMIZERS:
        raise ParameterError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}.")
    config = {"learning_rate": learning_rate, "clipnorm": clipnorm}
    if weight_decay or name == "adamw":
        # Decay is decoupled from the gradient step in every Keras optimizer; Adam with it is AdamW.
        name = "adamw" if name == "adam" else name
        config["weight_decay"] = float(weight_decay)
    return keras.optimizers.get({"class_name": name, "config": config})


PINBALL_KAPPA = 1e-4  # width of the quadratic zone of the pinball loss, in scaled units


@keras.saving.register_keras_serializable(package="tsforecast")
def pinball_loss(y_true, y_pred, quantiles, kappa=PINBALL_KAPPA):
    """Mean pinball (quantile) loss per row.

    ``y_true`` (batch, steps); ``y_pred`` (batch, steps * len(quantiles)), step-major: step 1's
    quantiles, then step 2's, ... The loss of quantile ``q`` at error ``e = y - f`` is
    ``max(q e, (q - 1) e)``, minimised in expectation by the ``q``-quantile of ``y`` (Koenker &
    Bassett, 1978), here with its kink rounded off within ``kappa`` (the Huber quantile loss,
    ``|q - 1[e < 0]| * (e**2 / (2 kappa) if |e| <= kappa else |e| - kappa / 2)``): its gradient
    vanishes at ``e = 0``, so a network that fits exactly (a constant series) stays put instead of
    stepping around zero, and the minimiser moves by at most ``kappa``. Returns (batch,): the mean
    over steps and quantiles. Leading axes beyond the batch (a stateful network's time axis) are
    kept: (batch, time, steps) -> (batch, time).
    """
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    pred = keras.ops.reshape(y_pred, tuple(keras.ops.shape(y_true)) + (len(quantiles),))
    err = keras.ops.expand_dims(y_true, -1) - pred
    size = keras.ops.abs(err)
    rounded = keras.ops.where(size <= kappa, 0.5 * keras.ops.square(err) / kappa, size - 0.5 * kappa)
    return keras.ops.mean(keras.ops.where(err < 0, 1.0 - q, q) * rounded, axis=(-2, -1))


@keras.saving.register_keras_serializable(package="tsforecast")
class PinballLoss(keras.losses.Loss):
    """:func:`pinball_loss` as a Keras loss (saved and loaded with its quantiles)."""

    def __init__(self, quantiles, reduction="mean_with_sample_weight", name="pinball", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.quantiles = [float(q) for q in quantiles]

    def call(self, y_true, y_pred):
        return pinball_loss(y_true, y_pred, self.quantiles)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


def make_loss(name, quantiles=None):
    """The named loss averaged over rows with non-zero sample weight (padding rows weigh 0);
    with ``quantiles`` the pinball loss of those quantiles instead (:class:`PinballLoss`)."""
    if name not in LOSS_CLASSES:
        raise ParameterError(f"loss must be one of {LOSSES}, got {name!r}.")
    if quantiles is not None:
        return PinballLoss(quantiles)
    return LOSS_CLASSES[name](reduction="mean_with_sample_weight")


def _per_row_metric(name, quantiles):
    if quantiles is not None:
        return keras.metrics.MeanMetricWrapper(pinball_loss, name="train_loss", quantiles=[float(q) for q in quantiles])
    return keras.metrics.MeanMetricWrapper(PER_ROW_LOSSES[name], name="train_loss")


class WindowBatches(keras.utils.PyDataset):
    """Batches of windows of a :class:`~tsforecast.windowing.WindowSource`, copied out one batch at a time.

    Memory stays at one batch of windows whatever the length of the series
    (gathering all training windows up front costs ``lags`` times the series).
    Every batch has ``batch_size`` rows: the last one is completed with
    zero-weight rows of zeros, written in place (no padded copy of the batch).
    A partial last batch would have a new shape, and every new shape is traced
    and compiled again (0.6 s per shape for an LSTM(64) train step on JAX, a
    retrace on TensorFlow); one shape serves the whole fit, and the loss,
    averaged over weighted rows, is unchanged.

    Parameters
    ----------
    source : WindowSource
    starts : ndarray of int
        Start positions of the windows in ``source``.
    batch_size : int
    target_slice : slice
        Output steps (of the source's horizon) the network predicts.
    seed : int or None
        Shuffle the windows at the start of every epoch, drawing from one
        generator seeded with it, so a fit is reproducible. ``None``: keep the
        order of ``starts``.
    """

    def __init__(self, source, starts, batch_size, target_slice=slice(None), seed=None):
        super().__init__()
        self.source, self.batch_size, self.target_slice = source, batch_size, target_slice
        self.starts = np.asarray(starts)
        # The shuffled order is a permutation of positions in ``starts``, shuffled in place epoch
        # after epoch (a fresh permutation per epoch would hold two). Generator.shuffle draws the
        # same swaps whatever the dtype, so int32 positions give the order a shuffled int64 copy of
        # ``starts`` would, in half its memory.
        self.order = None
        if seed is not None:
            self.order = np.arange(len(self.starts), dtype=np.int32 if len(self.starts) < 2**31 else np.int64)
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.starts) // self.batch_size)

    def on_epoch_begin(self):
        # Keras calls this before it asks for the epoch's first batch (also on the TensorFlow
        # backend, whose prefetch thread starts with the epoch's iterator).
        if self._rng is not None:
            self._rng.shuffle(self.order)

    def __getitem__(self, i):
        part = slice(i * self.batch_size, (i + 1) * self.batch_size)
        rows = self.starts[part] if self.order is None else self.starts[self.order[part]]
        past, targets, future = self.source.gather(rows, self.batch_size)
        weight = np.zeros(self.batch_size, dtype=np.float32)
        weight[: len(rows)] = 1.0
        # A tuple, not a list: tf.data (TensorFlow backend) takes no list in a batch's structure.
        inputs = past if future is None else (past, future[:, self.target_slice])
        return inputs, targets[:, self.target_slice], weight


class EarlyStoppingFromStart(keras.callbacks.EarlyStopping):
    """Keras early stopping that can count the weights before training as the best so far
    (:meth:`start_from`, with their validation loss): restoring the best weights may then restore the start."""

    _start = None

    def start_from(self, net, loss):
        self._start = (loss, net.get_weights())

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._start is not None:
            self.best, self.best_weights = self._start
            self.best_epoch = -1


def train_network(net, source, train_starts, val_starts, *, target_slice=slice(None), epochs=100, batch_size=32,
                  learning_rate=1e-3, optimizer="adam", clipnorm=None, weight_decay=0.0, loss="mse", patience=10, seed=0,
                  verbose=0, jit_compile="auto", restore_best_weights=True, reduce_lr_patience=None, label=None,
                  quantiles=None, keep_start=False):
    """Fit ``net`` on windows of a :class:`~tsforecast.windowing.WindowSource`.

    ``weight_decay``: decoupled decay of the weights (see :func:`make_optimizer`). ``quantiles``:
    train the outputs as those quantiles with the pinball loss instead of ``loss``.
    Early stopping watches the chronological validation windows (training loss
    when there are none); with ``restore_best_weights`` the weights of the best
    epoch are put back; with ``keep_start`` too, the weights before training count as an epoch, so a
    network that starts as a sound forecast (a residual network's zero correction) keeps that start unless
    training beats it on the validation windows. ``reduce_lr_patience``: halve the learning rate after
    that many epochs without improvement (it should be below ``patience``, so
    the smaller steps get a chance before training stops). ``jit_compile`` goes to
    ``Model.compile``: ``"auto"`` leaves XLA off for TensorFlow on CPU, where
    compiling costs more than it saves for small fits (on for JAX). Batches are
    built on the fly (:class:`WindowBatches`); ``seed`` fixes the order in which
    the training windows are shuffled, epoch by epoch. With ``verbose=0`` a fit
    longer than :data:`PROGRESS_AFTER` seconds prints a :class:`FitProgress`
    line per epoch to stderr, starting with ``label`` (default: the network's
    name), unless :func:`progress_enabled` says no; ``verbose >= 1`` shows
    Keras's own progress instead.
    """
    has_val = len(val_starts) > 0
    callbacks = _prepare(net, has_val, learning_rate=learning_rate, optimizer=optimizer, clipnorm=clipnorm,
                         weight_decay=weight_decay, loss=loss, quantiles=quantiles, patience=patience,
                         restore_best_weights=restore_best_weights, reduce_lr_patience=reduce_lr_patience,
                         verbose=verbose, label=label, epochs=epochs, jit_compile=jit_compile)
    train = WindowBatches(source, train_starts, batch_size, target_slice, seed=seed)
    val = None
    if has_val:
        # Few, equal validation batches: one compiled shape, and the per-batch means average
        # (almost) to the mean over all validation windows.
        val = WindowBatches(source, val_starts, validation_batch_rows(source, len(val_starts), batch_size),
                            target_slice)
        if keep_start and restore_best_weights:
            callbacks[0].start_from(net, float(net.evaluate(val, verbose=0)))
    # The batches shuffle themselves (seeded); Keras's shuffle would only reorder whole batches.
    return net.fit(train, validation_data=val, shuffle=False, epochs=epochs, callbacks=callbacks, verbose=verbose)


def validation_batch_rows(source, n_val, batch_size):
    """Rows per validation batch: as few equal batches as hold ``n_val`` windows with at most
    :data:`VAL_BATCH` rows and :data:`VAL_BATCH_FLOATS` floats each (never fewer rows than a
    training batch)."""
    k_future = 0 if source.future is None else source.future.shape[1]
    row_floats = source.lags * source.data.shape[1] + source.horizon * (1 + k_future)
    cap = max(batch_size, min(VAL_BATCH, VAL_BATCH_FLOATS // row_floats))
    return -(-n_val // -(-n_val // cap))


def _prepare(net, has_val, *, learning_rate, optimizer, clipnorm, weight_decay, loss, quantiles, patience,
             restore_best_weights, reduce_lr_patience, verbose, label, epochs, jit_compile):
    """Compile ``net`` and return the callbacks every training run uses (early stopping, the
    optional learning-rate schedule, progress lines)."""
    use_compilation_cache()
    # Keras averages an epoch's loss over batches weighted by their row count, padding rows
    # included; without validation windows, early stopping watches the exact weighted mean.
    loss_fn = make_loss(loss, quantiles)  # validates the name first
    metrics = None if has_val else [_per_row_metric(loss, quantiles)]
    net.compile(optimizer=make_optimizer(optimizer, learning_rate, clipnorm, weight_decay), loss=loss_fn,
                weighted_metrics=metrics, jit_compile=jit_compile)
    build_optimizer(net)
    monitor = "val_loss" if has_val else "train_loss"
    # mode="min": Keras cannot tell the direction of a metric it does not know (the pinball loss).
    callbacks = [EarlyStoppingFromStart(monitor=monitor, patience=patience, mode="min",
                                        restore_best_weights=restore_best_weights)]
    if reduce_lr_patience:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=reduce_lr_patience,
                                                           min_lr=learning_rate / 64, mode="min"))
    if verbose == 0 and progress_enabled():
        callbacks.append(FitProgress(label or net.name, epochs))
    return callbacks


def train_stateful_network(net, data, out_steps, chunk, layout, *, epochs=100, learning_rate=1e-3, optimizer="adam",
                           clipnorm=None, weight_decay=0.0, loss="mse", quantiles=None, patience=10, verbose=0,
                           jit_compile="auto", restore_best_weights=True, reduce_lr_patience=None, label=None,
                           mask=None):
    """Fit a stateful network by truncated backpropagation through time over parallel streams.

    ``net`` maps (rows, time, channels) to (rows, time, out_steps * n_quantiles) with stateful
    recurrent layers built for ``len(layout.starts)`` rows; ``data`` (n, channels) is the scaled
    series and ``layout`` a :func:`tsforecast.nn.streams.stream_layout`. Each epoch starts from zero
    states and feeds the chunks in order (no shuffling: the order is the state); validation goes on
    from the state where training stopped. ``mask`` (n,) limits the loss to the steps it marks
    (fine-tuning). Other options as :func:`train_network`.
    """
    from .streams import ResetStates, StreamBatches, carried_states

    has_val = layout.n_val_chunks > 0
    callbacks = [ResetStates()] + _prepare(
        net, has_val, learning_rate=learning_rate, optimizer=optimizer, clipnorm=clipnorm,
        weight_decay=weight_decay, loss=loss, quantiles=quantiles, patience=patience,
        restore_best_weights=restore_best_weights, reduce_lr_patience=reduce_lr_patience, verbose=verbose,
        label=label, epochs=epochs, jit_compile=jit_compile)
    train = StreamBatches(data, out_steps, chunk, layout.starts, layout.n_chunks, layout.train_end, mask)
    val = None
    if has_val:
        rows = np.full(len(layout.starts), len(data))  # rows past the end read zeros and weigh 0
        rows[-1] = layout.train_end
        val = StreamBatches(data, out_steps, chunk, rows, layout.n_val_chunks, len(data))
    with carried_states(net):
        return net.fit(train, validation_data=val, shuffle=False, epochs=epochs, callbacks=callbacks,
                       verbose=verbose)


def predict_batched(net, inputs, batch_size=PREDICT_BATCH) -> np.ndarray:
    """Run ``net`` on all rows in calls of at most ``batch_size`` rows, each padded to a power of two.

    Up to ``NUMPY_ROWS`` rows, networks made of the layers :mod:`tsforecast.nn.numpy_forward` knows
    run in NumPy, with no tracing or compiling before the first call (a backtest of one series, a
    forecast from a new or loaded model). More rows run in Keras: its compiled, multi-threaded kernels
    then win back the tracing (10,000 LSTM windows: about equal on the first call, 0.4-0.5 s against
    0.6-0.8 s on later ones). On JAX every new batch shape is a new compilation (~0.2 s): forecasting
    777 series and then 778 must not compile twice. Padding keeps the shapes to a handful (32, 64, ...,
    ``batch_size``) and wastes at most half of one call.
    """
    arrays = inputs if isinstance(inputs, list) else [inputs]
    n, out = len(arrays[0]), []
    if n == 0:
        raise ValueError("predict_batched needs at least one row.")
    forward = numpy_forward(net) if n <= NUMPY_ROWS else None
    if forward is None:
        use_compilation_cache()
    for start in range(0, n, batch_size):
        part = [a[start : start + batch_size] for a in arrays]
        rows = len(part[0])
        if forward is not None:
            out.append(forward(part))
            continue
        pad = min(batch_size, max(32, 1 << (rows - 1).bit_length())) - rows
        if pad > 0:
            part = [np.concatenate([a, np.zeros((pad, *a.shape[1:]), dtype=a.dtype)]) for a in part]
        pred = np.asarray(net.predict_on_batch(part if len(part) > 1 else part[0]))
        out.append(pred[:rows])
    return np.concatenate(out) if len(out) > 1 else out[0]
