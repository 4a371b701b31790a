"""The package's exports come from tsforecast.registry: one registry line exports (and tests) a model."""

import importlib
import subprocess
import sys

import pytest

import tsforecast
from tsforecast import registry
from tsforecast.registry import REGISTRY, get_forecaster_class, list_forecasters


def test_every_registered_class_is_a_top_level_name():
    assert list_forecasters(), "empty registry"
    for name, path in REGISTRY.items():
        module, cls_name = path.split(":")
        cls = getattr(importlib.import_module(module), cls_name)  # the class, found independently of tsforecast
        assert get_forecaster_class(name) is cls
        assert getattr(tsforecast, cls_name) is cls
        ns = {}
        exec(f"from tsforecast import {cls_name}", ns)
        assert ns[cls_name] is cls
        assert cls_name in tsforecast.__all__ and cls_name in dir(tsforecast)


def test_star_import_gives_all():
    ns = {}
    exec("from tsforecast import *", ns)
    assert sorted(k for k in ns if k != "__builtins__") == sorted(tsforecast.__all__)


def test_names_used_in_docs_and_experiments_still_resolve():
    for name in ["ARForecaster", "ARIMAForecaster", "HoltWintersForecaster", "MSTLForecaster", "NaiveForecaster",
                 "SeasonalNaiveForecaster", "NARXForecaster", "TDNNForecaster", "SimpleRNNForecaster", "LSTMForecaster",
                 "GRUForecaster", "EnsembleForecaster", "BaseForecaster", "Scaler", "load_model", "load_dataset",
                 "make_traffic", "backtest", "compare", "tune", "get_forecaster", "exceptions", "metrics"]:
        assert name in tsforecast.__all__, name
        assert getattr(tsforecast, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NotAForecaster"):
        tsforecast.NotAForecaster  # noqa: B018
    with pytest.raises(ImportError):
        exec("from tsforecast import NotAForecaster", {})


def test_import_does_not_load_tensorflow_or_keras():
    code = "import tsforecast, sys; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


class ToyForecaster:
    """Stands in for a newly added model module."""


def test_a_new_registry_entry_is_exported(monkeypatch):
    monkeypatch.setitem(REGISTRY, "toy", f"{__name__}:ToyForecaster")
    assert tsforecast.ToyForecaster is ToyForecaster
    ns = {}
    exec("from tsforecast import ToyForecaster", ns)
    assert ns["ToyForecaster"] is ToyForecaster
    assert "ToyForecaster" in tsforecast.__all__ and "ToyForecaster" in dir(tsforecast)
    assert "toy" in registry.list_forecasters()
    monkeypatch.delitem(REGISTRY, "toy")
    assert "ToyForecaster" not in tsforecast.__all__
    with pytest.raises(AttributeError):
        tsforecast.ToyForecaster  # noqa: B018
