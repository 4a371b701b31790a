"""Attention of a seq2seq decoder over the encoder's states (Luong et al., 2015; Bahdanau et al., 2015)."""

import keras
from keras import ops

from .options import ATTENTION_SCORES as SCORES


@keras.saving.register_keras_serializable(package="tsforecast")
class EncoderAttention(keras.layers.Layer):
    """[decoder states (batch, steps, d), encoder states (batch, time, e)] -> contexts (batch, steps, e).

    Each decoder step scores every encoder state, and its context is the softmax-weighted mean of
    the encoder states, so a forecast step can read any time step of the window directly instead
    of through the final encoder state alone.

    Parameters
    ----------
    score : {"luong", "bahdanau"}
        ``"luong"``: the general (bilinear) score ``h_t' W h_s`` of Luong et al. (2015), whose
        ``W = I`` case is the dot score. ``"bahdanau"``: the additive score
        ``v' tanh(W_q h_t + W_k h_s)`` of Bahdanau et al. (2015).
    units : int, optional
        Width of the additive score's hidden layer (default: the encoder state's width).
    """

    def __init__(self, score="luong", units=None, **kwargs):
        super().__init__(**kwargs)
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}.")
        self.score, self.units = score, units

    def build(self, shapes):
        d, e = int(shapes[0][-1]), int(shapes[1][-1])
        if self.score == "luong":
            self.w = self.add_weight(shape=(d, e), initializer="glorot_uniform", name="w")
        else:
            u = self.units or e
            self.w_query = self.add_weight(shape=(d, u), initializer="glorot_uniform", name="w_query")
            self.w_key = self.add_weight(shape=(e, u), initializer="glorot_uniform", name="w_key")
            self.v = self.add_weight(shape=(u,), initializer="glorot_uniform", name="v")

    def weights_of(self, inputs):
        """Attention weights (batch, steps, time): each row sums to 1."""
        query, keys = inputs
        if self.score == "luong":
            scores = ops.matmul(ops.matmul(query, self.w), ops.transpose(keys, (0, 2, 1)))
        else:
            hidden = ops.tanh(ops.expand_dims(ops.matmul(query, self.w_query), 2)
                              + ops.expand_dims(ops.matmul(keys, self.w_key), 1))  # (batch, steps, time, u)
            scores = ops.sum(hidden * self.v, axis=-1)
        return ops.softmax(scores, axis=-1)

    def call(self, inputs):
        return ops.matmul(self.weights_of(inputs), inputs[1])

    def compute_output_shape(self, shapes):
        return (shapes[0][0], shapes[0][1], shapes[1][-1])

    def get_config(self):
        return {**super().get_config(), "score": self.score, "units": self.units}
