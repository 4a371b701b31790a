"""Small serialisable layers used by the builders (no Lambda layers: they cannot be loaded safely)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tsforecast")
class TakeWindow(keras.layers.Layer):
    """Keep the last ``steps`` time steps and the channels ``[start, stop)`` of a (batch, time, channels) tensor."""

    def __init__(self, steps, start=0, stop=None, **kwargs):
        super().__init__(**kwargs)
        self.steps, self.start, self.stop = steps, start, stop

    def call(self, x):
        return x[:, -self.steps :, self.start : self.stop]

    def compute_output_shape(self, shape):
        stop = shape[2] if self.stop is None else self.stop
        return (shape[0], self.steps, stop - self.start)

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package="tsforecast")
class Squeeze(keras.layers.Layer):
    """(batch, steps, 1) -> (batch, steps)."""

    def call(self, x):
        return ops.squeeze(x, axis=-1)

    def compute_output_shape(self, shape):
        return shape[:-1]


WINDOW_EPS = 1e-3  # the floor of a window's spread


@keras.saving.register_keras_serializable(package="tsforecast")
class WindowStats(keras.layers.Layer):
    """Level and spread of the target channel of each input window: (batch, time, channels) -> (batch, 2).

    The spread is floored at ``eps`` so a flat window normalises to zeros instead of dividing by zero.
    """

    def __init__(self, eps=WINDOW_EPS, **kwargs):
        super().__init__(**kwargs)
        self.eps = eps

    def call(self, x):
        target = x[:, :, 0]
        mean = ops.mean(target, axis=1)
        std = ops.sqrt(ops.mean(ops.square(target - mean[:, None]), axis=1))
        return ops.stack([mean, ops.maximum(std, self.eps)], axis=1)

    def compute_output_shape(self, shape):
        return (shape[0], 2)

    def get_config(self):
        return {**super().get_config(), "eps": self.eps}


@keras.saving.register_keras_serializable(package="tsforecast")
class NormalizeTarget(keras.layers.Layer):
    """[window, stats] -> the window with its target channel standardised by the window's own stats."""

    def call(self, inputs):
        x, stats = inputs
        stats = ops.expand_dims(stats, 1)  # (batch, 1, 2): broadcasts over time
        target = (x[:, :, :1] - stats[:, :, :1]) / stats[:, :, 1:]
        return ops.concatenate([target, x[:, :, 1:]], axis=-1)

    def compute_output_shape(self, shapes):
        return shapes[0]


@keras.saving.register_keras_serializable(package="tsforecast")
class Denormalize(keras.layers.Layer):
    """[forecast (batch, steps), stats] -> forecast in the units the window came in."""

    def call(self, inputs):
        y, stats = inputs
        return y * stats[:, 1:] + stats[:, :1]

    def compute_output_shape(self, shapes):
        return shapes[0]


@keras.saving.register_keras_serializable(package="tsforecast")
class TakeSteps(keras.layers.Layer):
    """Gather fixed time steps of the target channel: (batch, time, channels) -> (batch, len(positions)).

    Used for residual targets: the naive (last value) or seasonal-naive forecast of each output step,
    read straight from the input window.
    """

    def __init__(self, positions, **kwargs):
        super().__init__(**kwargs)
        self.positions = [int(p) for p in positions]

    def call(self, x):
        return ops.take(x[:, :, 0], self.positions, axis=1)

    def compute_output_shape(self, shape):
        return (shape[0], len(self.positions))

    def get_config(self):
        return {**super().get_config(), "positions": self.positions}


@keras.saving.register_keras_serializable(package="tsforecast")
class TakeLags(keras.layers.Layer):
    """Keep chosen lags of a (batch, time, channels) window: lag ``l`` is time step ``time - l``."""

    def __init__(self, lags, start=0, stop=None, **kwargs):
        super().__init__(**kwargs)
        self.lags, self.start, self.stop = [int(v) for v in lags], start, stop

    def call(self, x):
        steps = [x.shape[1] - lag for lag in self.lags]
        return ops.take(x[:, :, self.start : self.stop], steps, axis=1)

    def compute_output_shape(self, shape):
        stop = shape[2] if self.stop is None else self.stop
        return (shape[0], len(self.lags), stop - self.start)

    def get_config(self):
        return {**super().get_config(), "lags": self.lags, "start": self.start, "stop": self.stop}
