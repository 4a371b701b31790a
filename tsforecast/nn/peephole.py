"""Peephole LSTM cell (Gers & Schmidhuber, 2000), which Keras 3 does not ship.

The input, forget and output gates also see the cell state through diagonal
"peephole" weights, so the gates can time events from the cell's content.
Gate order (i, f, c, o) and weight layout match ``keras.layers.LSTMCell``, so a
peephole cell with zero peephole weights computes exactly a plain LSTM.
"""

import keras
from keras import initializers, ops, regularizers


@keras.saving.register_keras_serializable(package="tsforecast")
class PeepholeLSTMCell(keras.layers.Layer):
    """LSTM cell with diagonal peephole connections; use inside ``keras.layers.RNN``.

    Parameters
    ----------
    units : int
    unit_forget_bias : bool
        Start the forget-gate bias at 1 (Jozefowicz et al., 2015), so the cell
        remembers by default early in training instead of forgetting.
    kernel_regularizer : keras regularizer, optional
    """

    def __init__(self, units, unit_forget_bias=True, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * u), initializer="glorot_uniform",
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), initializer="orthogonal", name="recurrent_kernel")

        def bias_init(shape, dtype=None):
            forget = initializers.Ones() if self.unit_forget_bias else initializers.Zeros()
            return ops.concatenate([ops.zeros((u,), dtype=dtype), forget((u,), dtype=dtype), ops.zeros((2 * u,), dtype=dtype)])

        self.bias = self.add_weight(shape=(4 * u,), initializer=bias_init, name="bias")
        self.peephole_i = self.add_weight(shape=(u,), initializer="zeros", name="peephole_i")
        self.peephole_f = self.add_weight(shape=(u,), initializer="zeros", name="peephole_f")
        self.peephole_o = self.add_weight(shape=(u,), initializer="zeros", name="peephole_o")

    def call(self, inputs, states, training=False):
        h, c = states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        i = ops.sigmoid(zi + self.peephole_i * c)
        f = ops.sigmoid(zf + self.peephole_f * c)
        c_new = f * c + i * ops.tanh(zc)
        o = ops.sigmoid(zo + self.peephole_o * c_new)
        h_new = o * ops.tanh(c_new)
        return h_new, [h_new, c_new]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer)}
