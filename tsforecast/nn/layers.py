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
