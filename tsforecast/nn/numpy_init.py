"""A new network's initial weights drawn with NumPy on the JAX backend.

Why: Keras draws initial weights with backend ops. On JAX every initialiser is a jitted function
traced and lowered again for each weight shape in every new process (the persistent compile cache
skips only the XLA compile), about 0.3 s for a small LSTM: a third of the first fit's extra time.
:func:`build_network` builds the network with its variables left uninitialised
(``keras.StatelessScope(initialize_variables=False)``), then draws the values of the common
initialisers (zeros, ones, constants, Glorot uniform, orthogonal) from the same distributions with
NumPy, and lets Keras initialise the rest; the LSTM's forget-gate bias and each recurrent cell's
dropout seed state too (one jitted conversion less). On TensorFlow networks are
built as Keras builds them.

The optimizer's variables are created before training (:func:`build_optimizer`): on JAX its zero slots
with NumPy; on TensorFlow by Keras, but before the first train step is traced, which spares TensorFlow
tracing that step twice.
"""

from __future__ import annotations

import inspect
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


def _seed_state(initializer):
    """A ``keras.random.SeedGenerator``'s first state, ``[seed, 0]``, when ``initializer`` is its state's
    initialiser (a closure over the seed: every recurrent cell holds one, for dropout); else None."""
    if getattr(initializer, "__qualname__", "") != "SeedGenerator.__init__.<locals>.seed_initializer":
        return None
    seed = inspect.getclosurevars(initializer).nonlocals.get("seed")
    return np.array([seed, 0]) if isinstance(seed, int) else None


def draw(initializer, shape, rng):
    """The initial value of a weight of ``shape`` as ``initializer`` would draw it, with ``rng``;
    None for initialisers this module does not know (and for random ones when ``rng`` is None)."""
    if shape == (2,) and (state := _seed_state(initializer)) is not None:
        return state
    kind = type(initializer)
    if rng is None and kind in (initializers.GlorotUniform, initializers.Orthogonal):
        return None  # no generator given: random draws are left to Keras
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
    net, assigned, pending = _without_initial_values(build)
    if net is None or assigned:  # it failed, or assigned weights the scope kept to itself
        for variable in pending:  # e.g. the global seed generator, if the attempt created it: usable again
            variable._deferred_initialize()
        return build()
    rng = np.random.default_rng(np.random.randint(2**31 - 1))
    _initialize(pending, rng, _forget_biases(net))
    return net


def _without_initial_values(make):
    """``make()`` with the variables it creates left uninitialised: ``(result, {id(variable): value it
    assigned}, those variables)``; ``(None, {}, [])`` when it fails, its variables then usable again."""
    global_state.set_global_attribute(_PENDING, [])
    result = scope = None
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            result = make()
    except Exception:  # noqa: BLE001 - whatever fails here fails again, by name, when made the usual way
        result = None
    finally:
        pending = list(global_state.get_global_attribute(_PENDING) or [])
        global_state.set_global_attribute(_PENDING, [])
    if result is None:
        for variable in pending:
            variable._deferred_initialize()
        return None, {}, []
    return result, scope.state_mapping, pending


def _initialize(pending, rng, composite=None):
    """Give each variable of ``pending`` its value: ``composite[id(variable)](rng)`` or :func:`draw`, else
    Keras's own initialiser."""
    composite = composite or {}
    for variable in pending:
        own = composite.get(id(variable))
        value = own(rng) if own else draw(variable._initializer, tuple(variable.shape), rng)
        if value is None:
            variable._deferred_initialize()
        else:
            variable._initialize(value.astype(variable.dtype))


def _forget_biases(net) -> dict:
    """``{id(bias): draw}`` for LSTM cells with ``unit_forget_bias``: Keras builds their bias from the cell's
    bias initialiser with the forget gate's block set to ones, in a closure :func:`draw` cannot read."""
    out = {}
    for layer in net._flatten_layers():
        cell = getattr(layer, "cell", layer)
        if isinstance(cell, keras.layers.LSTMCell) and cell.use_bias and cell.unit_forget_bias:
            def value(rng, base=cell.bias_initializer, u=cell.units):
                parts = [draw(base, (u,), rng), np.ones(u, np.float32), draw(base, (2 * u,), rng)]
                return None if parts[0] is None else np.concatenate(parts)

            out[id(cell.bias)] = value
    return out


def build_optimizer(net):
    """Create the optimizer's variables (Adam's moments, ...) of a compiled ``net`` before it trains.

    On TensorFlow, Keras otherwise creates them inside the first traced train step, and TensorFlow then
    traces that step twice (once to create the variables, once more without): 0.5 s more on every fit of
    a small LSTM, which hand-written Keras pays too. On JAX the zero slots are made with NumPy, as each
    jitted ``zeros`` is one more compilation per weight shape in every new process.
    """
    optimizer = getattr(net, "optimizer", None)
    if optimizer is None or optimizer.built:
        return
    if keras.backend.backend() == "jax":
        build_optimizer_stateless(net)
    else:
        optimizer.build(net.trainable_variables)


def build_optimizer_stateless(net):
    """:func:`build_optimizer`'s JAX route, on any backend."""
    optimizer = net.optimizer
    global_state.set_global_attribute(_PENDING, [])
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            optimizer.build(net.trainable_variables)
    finally:
        pending = list(global_state.get_global_attribute(_PENDING) or [])
        global_state.set_global_attribute(_PENDING, [])
    _initialize(pending, None)
    for variable in optimizer.variables:  # values the build assigned, which the scope kept to itself
        if id(variable) in scope.state_mapping:
            variable.assign(scope.state_mapping[id(variable)])


def load_network(file):
    """``keras.saving.load_model(file, safe_mode=True, compile=False)`` with the variables created empty
    and given their saved values once. Keras otherwise runs every initialiser (an orthogonal draw, a QR in
    backend ops) before overwriting the result with the saved weights: 0.2-0.3 s for a small LSTM in a
    new process, paid by every model a batch job loads. Nets train through ``nn.training``, which compiles
    them afresh, so the saved optimizer is not needed. Anything unexpected loads the usual way (and fails
    there by name)."""
    net, assigned, pending = _without_initial_values(lambda: keras.saving.load_model(file, safe_mode=True,
                                                                                     compile=False))
    if net is None:
        return keras.saving.load_model(file, safe_mode=True, compile=False)
    rest = []
    for variable in pending:
        value = assigned.get(id(variable))
        if value is None:
            rest.append(variable)  # not in the file (a dropout seed state): its own initial value
        else:
            variable._initialize(np.asarray(keras.ops.convert_to_numpy(value)).astype(variable.dtype))
    _initialize(rest, None)
    return net
