"""weight_decay: decoupled weight decay (AdamW) for every network, 0 = off."""

import keras
import numpy as np
import pytest

import tsforecast as tsf
from tsforecast.exceptions import ParameterError
from tsforecast.nn.training import make_optimizer
from tsforecast.testing import make_series

FAST = dict(lags=6, horizon=2, epochs=8, batch_size=32, patience=8, validation_fraction=0.0, learning_rate=1e-2)


def _kernel_norm(net):
    return float(np.sqrt(sum(np.sum(np.square(w)) for w in net.get_weights())))


@pytest.mark.parametrize("wd", [0.5, 0.05])
@pytest.mark.parametrize("name", ["sgd", "adamw", "rmsprop"])
def test_one_step_with_zero_gradient_shrinks_by_lr_times_decay(name, wd):
    # Decoupled decay: w <- w - lr * wd * w, whatever the gradient step (here zero).
    w0 = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    var = keras.Variable(w0)
    opt = make_optimizer(name, 0.1, None, wd)
    opt.apply_gradients([(keras.ops.zeros(var.shape, dtype=var.dtype), var)])  # (zeros_like(var) fails on JAX)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(var), w0 * (1 - 0.1 * wd), rtol=1e-6)


def test_zero_decay_keeps_todays_optimizer():
    opt = make_optimizer("adam", 1e-3, 1.0, 0.0)
    assert type(opt) is keras.optimizers.Adam and opt.get_config()["weight_decay"] is None
    assert make_optimizer("adamw", 1e-3, 1.0, 0.0).get_config()["weight_decay"] == 0.0  # "adamw" alone is Adam


@pytest.mark.parametrize("cls", [tsf.NARXForecaster, tsf.GRUForecaster])
def test_weight_decay_gives_smaller_weights_with_adamw(cls, tmp_path):
    y = make_series(240, seed=4)
    extra = {"units": 8} if cls is tsf.GRUForecaster else {"hidden": (16,)}
    plain = cls(**FAST, **extra).fit(y)
    decayed = cls(**FAST, **extra, weight_decay=0.5).fit(y)
    assert type(plain.networks_[0].optimizer) is keras.optimizers.Adam
    opt = decayed.networks_[0].optimizer
    assert type(opt) is keras.optimizers.AdamW and opt.get_config()["weight_decay"] == pytest.approx(0.5)
    assert _kernel_norm(decayed.networks_[0]) < 0.95 * _kernel_norm(plain.networks_[0])
    decayed.save(tmp_path / "m")
    loaded = tsf.load_model(tmp_path / "m")
    assert loaded.weight_decay == 0.5
    np.testing.assert_array_equal(loaded.predict().to_numpy(), decayed.predict().to_numpy())


@pytest.mark.parametrize("bad", [-0.1, "0.1", True, float("inf"), float("nan")])
def test_bad_weight_decay_is_refused(bad):
    with pytest.raises(ParameterError, match="weight_decay"):
        tsf.NARXForecaster(weight_decay=bad).fit(make_series(80))
