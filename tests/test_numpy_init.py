"""Initial weights drawn with NumPy (tsforecast.nn.numpy_init), the JAX backend's build route."""

import keras
import numpy as np
import pytest

from tsforecast.nn import numpy_init as ni
from tsforecast.nn.rnn import build_rnn
from tsforecast.nn.tdnn import build_tdnn


def _built(build, seed=0):
    np.random.seed(seed)
    return ni.build_stateless(build)


def test_lstm_weights_come_from_numpy_with_the_forget_bias():
    net = _built(lambda: build_rnn(6, 2, 3, 0, cell="lstm", units=(8,)))
    kernel, recurrent, bias, head, head_bias = (np.asarray(w) for w in net.weights)
    limit = np.sqrt(6 / (2 + 32))
    assert np.abs(kernel).max() <= limit and kernel.std() > 0
    # Orthogonal: each of the four 8x8 gate blocks stacked side by side is one 8x32 matrix with orthonormal rows.
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)
    # unit_forget_bias (Keras builds it in a closure): ones for the forget gate only.
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])
    assert np.abs(head).max() <= np.sqrt(6 / (8 + 3)) and not head_bias.any()
    assert not keras.src.backend.common.global_state.get_global_attribute("uninitialized_variables")


def test_same_seed_same_network_and_another_seed_another():
    def build():
        return build_tdnn(9, 1, 2, 0, delays=3, filters=4, n_layers=2)

    a, b, c = _built(build, 1), _built(build, 1), _built(build, 2)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(np.asarray(wa), np.asarray(wb))
    assert not np.array_equal(np.asarray(a.weights[0]), np.asarray(c.weights[0]))


@pytest.mark.parametrize("shape", [(300, 200), (5, 40, 60)])
def test_glorot_draws_match_keras_own(shape):
    # Same distribution as Keras's GlorotUniform (conv kernels: fans times the receptive field).
    init = keras.initializers.GlorotUniform(seed=0)
    ours = ni.draw(init, shape, np.random.default_rng(0))
    theirs = np.asarray(init(shape))
    limit = np.sqrt(6 / sum(ni._fans(shape)))
    assert ours.dtype == np.float32 and ours.shape == shape
    assert np.abs(ours).max() <= limit and np.abs(theirs).max() <= limit
    assert abs(ours.std() / theirs.std() - 1) < 0.03 and abs(ours.std() - limit / np.sqrt(3)) < 0.03 * limit


@pytest.mark.parametrize("shape", [(16, 64), (64, 16), (3, 4, 5)])
def test_orthogonal_draws_are_orthogonal(shape):
    q = ni.draw(keras.initializers.Orthogonal(gain=2.0), shape, np.random.default_rng(0)).reshape(-1, shape[-1])
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-4)


def test_initialisers_it_does_not_know_are_left_to_keras():
    assert ni.draw(keras.initializers.HeNormal(), (3, 3), np.random.default_rng(0)) is None
    inp = keras.Input((4,))
    net = _built(lambda: keras.Model(inp, keras.layers.Dense(5, kernel_initializer="he_normal")(inp)))
    assert np.asarray(net.weights[0]).std() > 0


def test_a_builder_that_touches_weights_is_built_the_usual_way():
    # gate_init="chrono" sets the LSTM's biases while it builds, which uninitialised variables cannot take.
    net = _built(lambda: build_rnn(30, 1, 2, 0, cell="lstm", units=(4,), gate_init="chrono"))
    bias = np.asarray(net.layers[1].cell.bias)
    assert (bias[4:8] > 0).all() and np.allclose(bias[:4], -bias[4:8])
    assert not keras.src.backend.common.global_state.get_global_attribute("uninitialized_variables")


def test_only_jax_builds_through_the_stateless_route(monkeypatch):
    calls = []
    monkeypatch.setattr(ni, "build_stateless", lambda build: calls.append(1) or build())
    inp = keras.Input((2,))

    def build():
        return keras.Model(inp, keras.layers.Dense(1)(inp))

    monkeypatch.setattr(ni.keras.backend, "backend", lambda: "tensorflow")
    assert isinstance(ni.build_network(build), keras.Model) and calls == []
    monkeypatch.setattr(ni.keras.backend, "backend", lambda: "jax")
    assert isinstance(ni.build_network(build), keras.Model) and calls == [1]


@pytest.mark.parametrize("base", ["zeros", keras.initializers.Constant(0.3)])
def test_forget_gate_bias_equals_keras_own_build(base):
    def build():
        inp = keras.Input((5, 2))
        return keras.Model(inp, keras.layers.LSTM(4, bias_initializer=base, unit_forget_bias=True)(inp))

    ours, theirs = _built(build), build()
    np.testing.assert_array_equal(np.asarray(ours.weights[2]), np.asarray(theirs.weights[2]))
    assert not keras.src.backend.common.global_state.get_global_attribute("uninitialized_variables")


def _trained_with_and_without(prepare, cell, optimizer, seed):
    """The same network trained on the same data twice: once after ``prepare(net)`` (which checks its own
    effect), once as Keras builds it; asserts the trained weights are equal."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(48, 6, 1)).astype("float32"), rng.normal(size=(48, 2)).astype("float32")
    nets = []
    for prepared in (True, False):
        keras.utils.set_random_seed(0)
        net = build_rnn(6, 1, 2, 0, cell=cell, units=(4,))
        net.compile(optimizer=optimizer() if callable(optimizer) else optimizer, loss="mse")
        after_fit = prepare(net) if prepared else None
        net.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        if after_fit:
            after_fit(net)
        nets.append(net)
    for a, b in zip(nets[0].weights, nets[1].weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_optimizer_slots_built_stateless_train_exactly_as_keras_builds_them(optimizer):
    # Slots made by build_optimizer_stateless vs by Keras inside fit: only how the zeros were made differs.
    def prepare(net):
        ni.build_optimizer_stateless(net)
        assert net.optimizer.built and all(not np.asarray(v).any() for v in net.optimizer.variables
                                           if "iteration" not in v.path and "learning_rate" not in v.path)

    _trained_with_and_without(prepare, "lstm", optimizer, seed=0)


def test_optimizer_built_before_fit_trains_the_same_and_fit_creates_no_optimizer_variable():
    # Built by Keras inside the first traced train step, the slots make TensorFlow trace that step twice.
    def prepare(net):
        ni.build_optimizer(net)
        assert net.optimizer.built
        n_variables = len(net.optimizer.variables)

        def after_fit(trained):
            assert len(trained.optimizer.variables) == n_variables

        return after_fit

    _trained_with_and_without(prepare, "gru", lambda: keras.optimizers.Adam(clipnorm=1.0), seed=1)


@pytest.mark.parametrize("seed", [7, None])
def test_seed_generator_state_equals_keras_own(seed):
    # Every recurrent cell holds a SeedGenerator (for dropout) whose state Keras fills in a closure.
    def build():
        inp = keras.Input((5, 2))
        return keras.Model(inp, keras.layers.GRU(3, dropout=0.5, seed=seed)(inp))

    ours = _built(build)
    gen = ours.layers[1].cell.seed_generator
    seed_used = seed if seed is not None else int(np.asarray(gen.state)[0])
    expected = keras.random.SeedGenerator(seed_used).state  # built by Keras itself
    np.testing.assert_array_equal(np.asarray(gen.state), np.asarray(expected))
    assert gen.state.dtype == expected.dtype
    assert ni.draw(lambda shape, dtype=None: np.zeros(shape), (2,), None) is None  # any other closure: Keras's
    assert not keras.src.backend.common.global_state.get_global_attribute("uninitialized_variables")
    x = np.ones((4, 5, 2), np.float32)  # and dropout draws from it as from Keras's own generator
    np.testing.assert_array_equal(np.asarray(keras.random.dropout(x, 0.5, seed=gen)),
                                  np.asarray(keras.random.dropout(x, 0.5, seed=keras.random.SeedGenerator(seed_used))))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_loaded_network_equals_keras_own_load_and_still_trains(tmp_path, cell):
    net = build_rnn(6, 2, 3, 0, cell=cell, units=(8,))
    net.compile(optimizer="adam", loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 6, 2)).astype("float32"), np.zeros((32, 3), "float32")
    net.fit(x, y, epochs=1, verbose=0)
    net.save(tmp_path / "net.keras")
    ours, theirs = ni.load_network(tmp_path / "net.keras"), keras.saving.load_model(tmp_path / "net.keras")
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(ours.predict_on_batch(x)), np.asarray(theirs.predict_on_batch(x)))
    assert not keras.src.backend.common.global_state.get_global_attribute("uninitialized_variables")
    ours.compile(optimizer="adam", loss="mse")  # the training routine compiles afresh: it trains as loaded
    before = np.asarray(ours.weights[0]).copy()
    ours.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(before, np.asarray(ours.weights[0]))
