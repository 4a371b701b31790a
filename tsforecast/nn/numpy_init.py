"""A new network's initial weights drawn with NumPy on the JAX backend.

Why: Keras draws initial weights with backend ops. On JAX every initialiser is a jitted function
traced and lowered again for each weight shape in every new process (the persistent compile cache
skips only the XLA compile), about 0.3 s for a small LSTM: a third of the first fit's extra time.
:func:`build_network` builds the network with its variables left uninitialised
(``keras.StatelessScope(initialize_variables=False)``), then draws the values of the common
initialisers (zeros, ones, constants, Glorot uniform, orthogonal) from the same distributions with
NumPy, and lets Keras initialise the rest. On TensorFlow networks are built as Keras builds them.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import initializers
from keras.src.backend.common import global_state

_PENDING = "uninitialized_variables"  # where Keras lists the variables a stateless scope created


def _fans(shape):
    """Keras's fan-in and fan-out: a kernel's last two axes, times its receptive field (convolutions)."""
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2])
    return shape[-2] * field, shape[-1] * field


def draw(initializer, shape, rng):
    """The initial value of a weight of ``shape`` as ``initializer`` would draw it, with ``rng``;
    None for initialisers this module does not know."""
    kind = type(initializer)
    if kind is initializers.Zeros:
        return np.zeros(shape, np.float32)
    if kind is initializers.Ones:
        return np.ones(shape, np.float32)
    if kind is initializers.Constant:
        return np.full(shape, initializer.value, np.float32)
    if kind is initializers.GlorotUniform:
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(3.0 / max(1.0, (fan_in + fan_out) / 2))
        return rng.uniform(-limit, limit, shape).astype(np.float32)
    if kind is initializers.Orthogonal and len(shape) >= 2:
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
        q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
        return (initializer.gain * (q.T if rows < cols else q).reshape(shape)).astype(np.float32)
    return None


def build_network(build):
    """``build()``, on JAX with its weights drawn by :func:`draw` from NumPy's global generator (which a
    fit seeds, so a seed still gives the same network).

    A builder that sets weights while it builds (e.g. ``gate_init="chrono"``) cannot run with its
    variables uninitialised (the scope would keep the new values to itself); it is built again the
    usual way.
    """
    if keras.backend.backend() != "jax":
        return build()
    return build_stateless(build)


def build_stateless(build):
    """:func:`build_network`'s JAX route, on any backend: ``build()`` with uninitialised variables, then
    the values of :func:`draw` (Keras's own initialisers for the others)."""
    global_state.set_global_attribute(_PENDING, [])
    net = scope = None
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            net = build()
    except Exception:  # noqa: BLE001 - whatever fails here fails again, by name, in the usual build
        net = None
    finally:
        pending = list(global_state.get_global_attribute(_PENDING) or [])
        global_state.set_global_attribute(_PENDING, [])
    if net is None or scope.state_mapping:  # it failed, or assigned weights the scope kept to itself
        for variable in pending:  # e.g. the global seed generator, if the attempt created it: usable again
            variable._deferred_initialize()
        return build()
    rng = np.random.default_rng(np.random.randint(2**31 - 1))
    for variable in pending:
        value = draw(variable._initializer, tuple(variable.shape), rng)
        if value is None:
            variable._deferred_initialize()
        else:
            variable._initialize(value.astype(variable.dtype))
    return net
