"""Save and load fitted forecasters.

A saved model is a directory: ``metadata.json`` (class, parameters, fitted
scalars), ``arrays.npz`` (numpy arrays, loaded with ``allow_pickle=False``)
and one ``net_<i>.keras`` file per Keras network. Nothing in it can run code
on load, and only classes from the registry are rebuilt.

Saving never deletes anything that is not a saved model: a path that holds
other files is refused (:class:`~tsforecast.exceptions.TargetExistsError`),
and a saved model is replaced by writing the new one beside it and swapping
the two folders (:func:`tsforecast.atomic.atomic_write_dir`).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_write_dir
from .exceptions import ModelFileError, TargetExistsError, TSForecastError
from .outputs import check_creatable
from .registry import REGISTRY, get_forecaster_class

FORMAT = "tsforecast-model"
FORMAT_VERSION = 1


def _index_state(index):
    if isinstance(index, pd.DatetimeIndex):
        # A tz-aware start is stored in UTC and converted back: an isoformat offset such as "+01:00"
        # parses to a fixed-offset zone that pandas refuses to mix with the named zone.
        start = index[0] if index.tz is None else index[0].tz_convert("UTC")
        return {"kind": "datetime", "start": start.isoformat(), "freq": index.freqstr, "n": len(index),
                "tz": None if index.tz is None else str(index.tz)}
    return {"kind": "range", "start": int(index[0]), "n": len(index)}


def _index_from(state):
    if state["kind"] == "datetime":
        start = pd.Timestamp(state["start"])
        if state["tz"] is not None:
            start = start.tz_localize(state["tz"]) if start.tz is None else start.tz_convert(state["tz"])
        return pd.date_range(start, periods=state["n"], freq=state["freq"])
    return pd.RangeIndex(state["start"], state["start"] + state["n"])


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def json_tuples(value):
    """Parameters read back from JSON: lists become the tuples they were (also inside dicts)."""
    # JSON has no tuples; every list-valued parameter of ours is a tuple (units, hidden, order, ...),
    # also inside dicts such as an ensemble member's params: ("narx", {"hidden": (8,)}).
    if isinstance(value, list):
        return tuple(json_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: json_tuples(v) for k, v in value.items()}
    return value


def _class_path(est):
    path = f"{type(est).__module__}:{type(est).__name__}"
    if path not in REGISTRY.values():
        raise ModelFileError(f"{type(est).__name__} is not a registered forecaster, so it cannot be saved.")
    return path


def _model_doc(est):
    """Everything ``save_model`` writes: (metadata dict, arrays dict, keras networks)."""
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
    return doc, arrays, networks


def _is_ours(name: str) -> bool:
    """File names a saved model consists of (nothing else in a model folder is deleted on replace)."""
    return name in ("metadata.json", "arrays.npz") or (name.startswith("net_") and name.endswith(".keras"))


def _has_format_tag(meta_file: Path) -> bool:
    try:
        doc = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def is_model_folder(path) -> bool:
    """Whether ``path`` is a folder holding a saved tsforecast model and nothing else.

    That is: ``metadata.json`` with ``"format": "tsforecast-model"``, and no
    files but ``metadata.json``, ``arrays.npz`` and ``net_<i>.keras``. Only such
    a folder may be replaced by :func:`save_model`.
    """
    path = Path(path)
    if path.is_symlink() or not path.is_dir() or not _has_format_tag(path / "metadata.json"):
        return False
    return all(_is_ours(p.name) for p in path.iterdir())


def check_save_target(path) -> Path:
    """Check that a model can be saved at ``path``; nothing is written.

    ``path`` may be absent (its parent folder must be creatable and writable),
    an empty folder or a model folder (:func:`is_model_folder`), which saving
    replaces. Call it before training so a bad target fails in a second, not
    after an hour; :func:`save_model` calls it too.

    Raises
    ------
    TargetExistsError
        ``path`` is a file, a folder holding anything but a saved model, or
        cannot be created (e.g. it lies under a regular file, or in a folder
        without write permission).
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise TargetExistsError(f"{path} exists and is not a folder; choose another path for the model.")
    if path.exists() and not is_model_folder(path):
        names = sorted(p.name for p in path.iterdir())
        if names and not _has_format_tag(path / "metadata.json"):
            raise TargetExistsError(
                f"{path} exists and is not a saved tsforecast model (it holds {names[:5]}); nothing was "
                f"written. Save into a new or empty folder, or delete {path} yourself if you meant to replace it."
            )
        foreign = [n for n in names if not _is_ours(n)]
        if foreign:
            raise TargetExistsError(
                f"{path} holds a saved model and also files that are not part of it ({foreign[:5]}); nothing was "
                f"written, so they are not lost. Move them out of {path}, or save the model elsewhere."
            )
    # The new model is built in a temporary folder beside ``path`` and renamed in: the parent must be writable.
    check_creatable(path, "model folder", TargetExistsError)
    return path


def _remove_model_dir(folder: Path):
    """Delete a replaced model folder: only our own files, then the folder if it is empty."""
    for p in folder.iterdir():
        if _is_ours(p.name) and p.is_file():
            p.unlink()
    try:
        folder.rmdir()
    except OSError:  # something else appeared in it meanwhile: keep it rather than delete a user's file
        pass


def save_model(est, path):
    """Write fitted ``est`` to folder ``path``.

    ``path`` may be absent, an empty folder or a folder holding a saved model,
    which is replaced. The model is written to a temporary folder beside
    ``path`` and renamed in, so ``path`` never holds a half-written model.

    Raises
    ------
    TargetExistsError
        When ``path`` is a file, a folder with anything but a saved model in
        it, or cannot be created (see :func:`check_save_target`; nothing is
        written or deleted then).
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "context_length_")
    path = Path(path)
    check_save_target(path)
    doc, arrays, networks = _model_doc(est)

    def write(tmp: Path):
        for i, net in enumerate(networks):
            net.save(tmp / f"net_{i}.keras")
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "metadata.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")

    atomic_write_dir(path, write, remove_old=_remove_model_dir)
    return path


def _read_metadata(path: Path) -> dict:
    meta_file = path / "metadata.json"
    if not meta_file.is_file():
        raise ModelFileError(f"{path} is not a saved tsforecast model (no metadata.json); save one with model.save(path).")
    try:
        doc = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{meta_file} is not valid JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{meta_file} is not a tsforecast model file (format tag missing).")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {doc.get('format_version')}; this tsforecast reads {FORMAT_VERSION}.")
    if doc.get("class") not in REGISTRY.values():
        raise ModelFileError(f"{path} names class {doc.get('class')!r}, which is not a registered forecaster.")
    for key, kind in (("params", dict), ("fitted", dict), ("state", dict)):
        if not isinstance(doc.get(key), kind):
            raise ModelFileError(f"{meta_file} is damaged: {key!r} is missing or not a JSON object; save the model again.")
    fitted = doc["fitted"]
    for key, ok in _FITTED_FIELDS.items():
        if key not in fitted or not ok(fitted[key]):
            raise ModelFileError(f"{meta_file} is damaged: fitted[{key!r}] is missing or malformed; save the model again.")
    return doc


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


_FITTED_FIELDS = {
    "context_length": lambda v: v is None or _is_count(v),
    "exog_columns": lambda v: v is None or (isinstance(v, list) and all(isinstance(c, str) for c in v)),
    "is_global": lambda v: isinstance(v, bool),
    "series": lambda v: isinstance(v, dict) and len(v) > 0 and all(isinstance(i, dict) for i in v.values()),
    "n_networks": _is_count,
}


def _read_arrays(path: Path) -> dict:
    file = path / "arrays.npz"
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{file} is missing; the model folder is incomplete, save the model again.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{file} is damaged or truncated ({type(exc).__name__}: {exc}); save the model again.") from None


def _read_networks(path: Path, n: int) -> list:
    if not n:
        return []
    from .nn import layers as _layers, peephole as _peephole  # noqa: F401 - registers custom layers
    from .nn.numpy_init import load_network

    networks = []
    for i in range(n):
        file = path / f"net_{i}.keras"
        if not file.is_file():
            raise ModelFileError(f"{file} is missing; the model folder is incomplete, save the model again.")
        try:
            networks.append(load_network(file))
        except Exception as exc:  # noqa: BLE001 - keras reports a damaged archive in many ways (even "File not found")
            raise ModelFileError(f"{file} is damaged or truncated ({type(exc).__name__}: {exc}); save the model again.") from None
    return networks


def load_model(path):
    """Load a forecaster saved with ``forecaster.save(path)``.

    Raises
    ------
    ModelFileError
        When ``path`` is not a tsforecast model directory or one of its files
        is damaged; the message names the file.
    """
    path = Path(path)
    doc = _read_metadata(path)
    arrays = _read_arrays(path)
    networks = _read_networks(path, doc["fitted"]["n_networks"])
    try:
        return _rebuild(doc, arrays, networks)
    except ModelFileError:
        raise
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        # Hand-edited or mismatched files fail deep inside pandas/numpy/the model; name the files instead.
        raise ModelFileError(
            f"{path / 'metadata.json'} does not match {path / 'arrays.npz'} or holds invalid values "
            f"({type(exc).__name__}: {exc}); save the model again."
        ) from None


def _rebuild(doc, arrays, networks):
    name = next(k for k, v in REGISTRY.items() if v == doc["class"])
    est = get_forecaster_class(name)(**{k: json_tuples(v) for k, v in doc["params"].items()})
    try:
        est._check_params()
    except TSForecastError as exc:
        raise ModelFileError(f"metadata.json holds invalid parameters: {exc}") from None
    fitted = doc["fitted"]
    series, X = {}, {}
    for key, info in fitted["series"].items():
        idx = _index_from(info["index"])
        values = arrays.pop(f"series_{info['i']}")
        if values.shape != (len(idx),):
            raise ModelFileError(f"arrays.npz holds {values.shape} values for series {key!r}, metadata.json says {len(idx)}.")
        series[key] = pd.Series(values, index=idx, name=info["name"])
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
