"""Stateful training data: a long series cut into parallel streams, read chunk by chunk.

Truncated backpropagation through time (Williams & Peng, 1990) on a series of
``T`` points: the series is cut into ``n_streams`` consecutive segments, one per
batch row, and every batch holds the next ``chunk`` steps of every segment. A
stateful recurrent layer keeps each row's state from one batch to the next, so
the state at a step has seen the whole segment so far, while gradients flow
back at most ``chunk`` steps. States are reset at the start of every epoch
(:class:`ResetStates`).

At every step the network forecasts the ``out_steps`` values after it (targets
``z[t + 1 .. t + out_steps]``); steps whose targets leave their part of the
series weigh 0.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

import keras
import numpy as np

from ..windowing import windows_at


class StreamLayout(NamedTuple):
    """Where each batch row reads its stream.

    starts : ndarray (n_streams,)
        First position of each training segment; row ``b`` reads ``starts[b] + j * chunk + (0..chunk-1)``
        in batch ``j``.
    n_chunks : int
        Training batches per epoch.
    train_end : int
        Positions before it train; targets must lie before it too.
    n_val_chunks : int
        Validation batches: the last row goes on from ``train_end`` to the end of the series
        (0: no validation).
    """

    starts: np.ndarray
    n_chunks: int
    train_end: int
    n_val_chunks: int


def stream_layout(n, chunk, n_streams, validation_fraction=0.0, min_train=0):
    """Cut positions ``0..n-1`` into at most ``n_streams`` training segments of whole chunks, then validation.

    The last ``round(n * validation_fraction)`` positions validate (when that is at least one chunk
    and leaves ``min_train`` positions to train on):
    the last training segment ends where they start, so the validation row continues its state. The
    training part is cut into ``n_streams`` equal segments of a whole number of chunks (fewer when it
    is short) that end at the validation part; the oldest positions left over are dropped. A single
    segment gets a silent first row (start ``n``: zeros, weight 0), as Keras cannot train a stateful
    layer on batches of one row.
    """
    n_val = int(round(n * validation_fraction))
    if n_val < chunk or n - n_val < min_train:
        n_val = 0
    train_end = n - n_val
    seg_chunks = max(1, train_end // (n_streams * chunk))
    seg = seg_chunks * chunk
    rows = max(1, min(n_streams, train_end // seg))
    first = train_end - rows * seg
    starts = first + seg * np.arange(rows)
    if rows == 1:
        starts = np.array([n, first])
    return StreamLayout(starts, seg_chunks, train_end, -(-n_val // chunk))


class StreamBatches(keras.utils.PyDataset):
    """Batches ``(inputs (rows, chunk, channels), targets (rows, chunk, out_steps), weights (rows, chunk))``.

    Parameters
    ----------
    data : ndarray (n, channels)
        The scaled series; channel 0 is the target.
    out_steps : int
    chunk : int
    starts : ndarray (rows,)
        First position each row reads (its stream).
    n_chunks : int
        Batches: batch ``j`` reads positions ``starts + j * chunk + (0..chunk-1)``.
    end : int
        Targets at or after ``end`` are not this part's: the steps needing them weigh 0,
        as do positions past ``end``.
    mask : ndarray (n,) of bool, optional
        Only steps where ``mask`` is True weigh (fine-tuning on the newest targets).
    """

    def __init__(self, data, out_steps, chunk, starts, n_chunks, end, mask=None):
        super().__init__()
        self.data, self.out_steps, self.chunk = data, out_steps, chunk
        self.starts, self.n_chunks, self.end, self.mask = np.asarray(starts), n_chunks, end, mask

    def __len__(self):
        return self.n_chunks

    def __getitem__(self, j):
        n, S = len(self.data), self.out_steps
        pos = self.starts[:, None] + j * self.chunk + np.arange(self.chunk)  # (rows, chunk)
        ok = (pos + S < self.end) & (pos < n)
        if self.mask is not None:
            ok &= self.mask[np.minimum(pos, n - 1)]
        # Every step gets some window (clipped into the series); the ones it does not own weigh 0.
        inputs = np.where((pos < n)[:, :, None], self.data[np.minimum(pos, n - 1)], 0.0).astype(np.float32)
        first = np.clip(pos + 1, 0, n - S)
        targets = windows_at(self.data[:, 0], S, first.ravel()).reshape(*pos.shape, S)
        return inputs, targets.astype(np.float32), ok.astype(np.float32)


@contextmanager
def carried_states(net):
    """Within the block, the state variables of ``net``'s stateful layers count as its non-trainable
    variables, so that every backend carries them from one call to the next.

    Why: Keras creates an RNN's state variables untracked. TensorFlow assigns them in place anyway, but
    JAX's trainer runs stateless steps and writes back only the variables the model lists, so on JAX the
    state silently restarted from zero at every batch of training and prediction. Outside the block the
    weights are as Keras has them, so a stateful twin and its streaming network still share one layout.
    """
    added = []
    for layer in net._flatten_layers():
        if getattr(layer, "stateful", False) and getattr(layer, "states", None) is not None:
            for state in keras.tree.flatten(layer.states):
                if not any(state is v for v in layer._non_trainable_variables):
                    layer._non_trainable_variables.append(state)
                    added.append((layer, state))
    try:
        yield net
    finally:
        for layer, state in added:
            layer._non_trainable_variables[:] = [v for v in layer._non_trainable_variables if v is not state]


class ResetStates(keras.callbacks.Callback):
    """Zero the state of every stateful layer of the model at the start of each epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self.model._flatten_layers():
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
                layer.reset_state()
