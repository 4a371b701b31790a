"""Save and load fitted forecasters.

A saved model is a directory: ``metadata.json`` (class, parameters, fitted
scalars), ``arrays.npz`` (numpy arrays, loaded with ``allow_pickle=False``)
and one ``net_<i>.keras`` file per Keras network. Nothing in it can run code
on load, and only classes from the registry are rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import ModelFileError
from .registry import REGISTRY, get_forecaster_class

FORMAT = "tsforecast-model"
FORMAT_VERSION = 1


def _index_state(index):
    if isinstance(index, pd.DatetimeIndex):
        return {"kind": "datetime", "start": index[0].isoformat(), "freq": index.freqstr, "n": len(index),
                "tz": None if index.tz is None else str(index.tz)}
    return {"kind": "range", "start": int(index[0]), "n": len(index)}


def _index_from(state):
    if state["kind"] == "datetime":
        return pd.date_range(pd.Timestamp(state["start"]), periods=state["n"], freq=state["freq"], tz=state["tz"])
    return pd.RangeIndex(state["start"], state["start"] + state["n"])


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _tuples(value):
    # JSON has no tuples; every list-valued parameter of ours is a tuple (units, hidden, order, ...).
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _class_path(est):
    path = f"{type(est).__module__}:{type(est).__name__}"
    if path not in REGISTRY.values():
        raise ModelFileError(f"{type(est).__name__} is not a registered forecaster, so it cannot be saved.")
    return path


def save_model(est, path):
    """Write fitted ``est`` to directory ``path`` atomically (a half-written model is never left behind)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "context_length_")
    meta, arrays, networks = est._get_state()
    arrays = dict(arrays)
    if getattr(est, "conformal_errors_", None) is not None:  # calibration travels with the model
        arrays["conformal_errors"] = np.asarray(est.conformal_errors_)
    series = {}
    if getattr(est, "is_global_", False):
        names = {"series": est.series_, "X": est.X_series_ or {}}
    else:
        names = {"series": {"y": est.y_}, "X": {} if est.X_ is None else {"y": est.X_}}
    for i, (key, s) in enumerate(names["series"].items()):
        arrays[f"series_{i}"] = s.to_numpy()
        series[key] = {"i": i, "index": _index_state(s.index), "name": None if s.name is None else str(s.name)}
        if key in names["X"]:
            arrays[f"X_{i}"] = names["X"][key].to_numpy()
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "class": _class_path(est),
        "params": _jsonable(est.get_params()),
        "fitted": {"context_length": est.context_length_, "exog_columns": est.exog_columns_,
                   "is_global": bool(getattr(est, "is_global_", False)), "series": series,
                   "n_networks": len(networks)},
        "state": _jsonable(meta),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for i, net in enumerate(networks):
            net.save(tmp / f"net_{i}.keras")
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "metadata.json").write_text(json.dumps(doc, indent=1))
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_model(path):
    """Load a forecaster saved with ``forecaster.save(path)``.

    Raises
    ------
    ModelFileError
        When ``path`` is not a tsforecast model directory or is corrupt.
    """
    path = Path(path)
    meta_file = path / "metadata.json"
    if not meta_file.is_file():
        raise ModelFileError(f"{path} is not a saved tsforecast model (no metadata.json); save one with model.save(path).")
    try:
        doc = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{meta_file} is not valid JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{meta_file} is not a tsforecast model file (format tag missing).")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {doc.get('format_version')}; this tsforecast reads {FORMAT_VERSION}.")
    if doc.get("class") not in REGISTRY.values():
        raise ModelFileError(f"{path} names class {doc.get('class')!r}, which is not a registered forecaster.")
    name = next(k for k, v in REGISTRY.items() if v == doc["class"])
    cls = get_forecaster_class(name)
    try:
        est = cls(**{k: _tuples(v) for k, v in doc["params"].items()})
        with np.load(path / "arrays.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        networks = []
        if doc["fitted"]["n_networks"]:
            import keras

            from .nn import layers as _layers, peephole as _peephole  # noqa: F401 - registers custom layers

            networks = [keras.saving.load_model(path / f"net_{i}.keras", safe_mode=True)
                        for i in range(doc["fitted"]["n_networks"])]
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} is corrupt or incomplete: {exc}") from None
    fitted = doc["fitted"]
    series, X = {}, {}
    for key, info in fitted["series"].items():
        idx = _index_from(info["index"])
        series[key] = pd.Series(arrays.pop(f"series_{info['i']}"), index=idx, name=info["name"])
        if f"X_{info['i']}" in arrays:
            X[key] = pd.DataFrame(arrays.pop(f"X_{info['i']}"), index=idx, columns=fitted["exog_columns"])
    if "conformal_errors" in arrays:
        est.conformal_errors_ = arrays.pop("conformal_errors")
    est.context_length_ = fitted["context_length"]
    est.exog_columns_ = fitted["exog_columns"]
    est.is_global_ = fitted["is_global"]
    if est.is_global_:
        est.series_, est.X_series_, est.ids_ = series, (X or None), list(series)
    else:
        est.y_, est.X_ = series["y"], X.get("y")
    est._set_state(doc["state"], arrays, networks)
    return est
