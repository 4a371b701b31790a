"""Backend independence of the neural code."""

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tsforecast as tsf

PACKAGE = Path(tsf.__file__).parent


def _imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("folder", ["nn", "models"])
def test_model_code_does_not_import_tensorflow(folder):
    files = sorted((PACKAGE / folder).glob("*.py"))
    assert files, f"no modules found under tsforecast/{folder}"
    offenders = {f.name: m for f in files for m in _imported_modules(f) if m.split(".")[0] == "tensorflow"}
    assert not offenders, f"model code must use keras / keras.ops only, found tensorflow imports: {offenders}"


def test_static_check_detects_a_tensorflow_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tensorflow import math\n    import tensorflow as tf\n")
    assert list(_imported_modules(bad)) == ["tensorflow", "tensorflow"]


JAX_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras
    import tsforecast as tsf
    from tsforecast.testing import make_series

    assert keras.backend.backend() == "jax", keras.backend.backend()
    y = make_series(100)
    m = tsf.LSTMForecaster(lags=8, horizon=2, units=4, epochs=2, patience=1).fit(y)
    pred = m.predict().to_numpy()
    assert pred.shape == (2,) and np.all(np.isfinite(pred)), pred
    # Fitting and forecasting on JAX import no TensorFlow (it is installed here, so nothing hid it);
    # Keras's own model serializer imports it when installed, so saving comes after this check.
    assert "tensorflow" not in sys.modules, "a JAX fit imported TensorFlow"
    m.save(sys.argv[1])
    again = tsf.load_model(sys.argv[1]).predict().to_numpy()
    np.testing.assert_array_equal(again, pred)
    # The compiled train step went to the persistent cache; a refit loads it and gives the same model.
    from pathlib import Path
    assert any("train_step" in f.name for f in Path(sys.argv[2]).iterdir()), list(Path(sys.argv[2]).iterdir())
    refit = tsf.LSTMForecaster(lags=8, horizon=2, units=4, epochs=2, patience=1).fit(y).predict().to_numpy()
    np.testing.assert_array_equal(refit, pred)
    print("OK", pred)
    """
)


@pytest.mark.slow  # a fresh interpreter importing TF + JAX and compiling takes ~20-40 s on 2 busy cores
@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="jax is not installed (pip install 'tsforecast[jax]' to test the JAX backend)")
def test_lstm_fits_saves_and_loads_on_jax(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2",
           "TSFORECAST_JAX_CACHE_DIR": str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-c", JAX_SCRIPT, str(tmp_path / "m"), str(tmp_path / "cache")], env=env,
                         capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("OK")
