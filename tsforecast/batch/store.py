"""The fitted models a batch job keeps (``save_models = "DIR"``), so the next night can update them.

Layout of ``DIR``::

    _models.json          index: format tag, kind ("local" or "global") and, for local models, {id: folder}
    <name>-<hash>/        one saved model per series (local); see :func:`model_folder`
    model/                the global model (global)
    calibration.parquet   the global model's conformal errors per series (global, with coverage)

Every model is written with :func:`tsforecast.persistence.save_model`, which builds the new folder
beside the old one and swaps them, so a killed job leaves each model either old or new, never half
written. Only the driver writes the index; workers write model folders, whose names follow from the
ids alone. One job at a time may use a folder.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..exceptions import ConfigError
from ..outputs import check_output_dir
from ..tables import read_frame
from .io import write_atomic

INDEX = "_models.json"
FORMAT = "tsforecast-batch-models"
GLOBAL_MODEL = "model"
CALIBRATION = "calibration.parquet"
# Names of the temporary entries tsforecast.atomic leaves beside a target when a write is killed.
_TEMP = re.compile(r"^\..+\.[0-9a-f]{12}\.(tmp|old)$")


def model_folder(key: str) -> str:
    """Folder name of series ``key``'s model: its safe characters (at most 40), then 16 hex digits of its
    SHA-256, so that any id (``"a/b"``, ``".."``, ``"NA"``, non-ASCII, very long) gets its own folder on
    every file system, case-insensitive ones included."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", key)[:40].strip("_") or "series"
    return f"{safe}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def _read_index(path: Path):
    try:
        doc = json.loads((path / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path / INDEX} is damaged ({exc}); restore it or start again with a new folder.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("kind") not in ("local", "global") \
            or not isinstance(doc.get("series"), dict):
        raise ConfigError(f"{path / INDEX} is not a tsforecast batch model index.")
    return doc


def _is_store(path) -> bool:
    return (Path(path) / INDEX).is_file()


class ModelStore:
    """The ``save_models`` folder of a job: where each series' model (or the global one) lives.

    Parameters
    ----------
    path : Path
        The folder.
    kind : {"local", "global"}
        One model per series, or one global model.
    """

    def __init__(self, path, kind):
        self.path, self.kind = Path(path), kind
        doc = _read_index(self.path)
        self.series = {} if doc is None else dict(doc["series"])

    @classmethod
    def open(cls, job) -> ModelStore:
        """Check the job's ``save_models`` folder (nothing is written), and open it.

        Raises
        ------
        ConfigError
            The folder holds other files, models of the other kind, or (``mode = "update"``) no models.
        """
        path = check_output_dir(job.save_models, _is_store, "save_models folder")
        kind = "global" if job.fit_global else "local"
        doc = _read_index(path) if path.exists() else None
        if doc is None and job.mode == "update":
            raise ConfigError(f"save_models folder {path} holds no saved models (no {INDEX}); run the job with "
                              f"mode = 'fit' first.")
        if doc is not None and doc["kind"] != kind:
            want = "one global model (global = true)" if kind == "global" else "one model per series"
            raise ConfigError(f"save_models folder {path} holds {doc['kind']} models, but this job fits {want}; "
                              f"use another folder.")
        return cls(path, kind)

    def prepare(self):
        """Create the folder and its index, and remove temporary entries a killed run left."""
        self.path.mkdir(parents=True, exist_ok=True)
        for entry in self.path.iterdir():
            if _TEMP.match(entry.name):
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        if not (self.path / INDEX).exists():
            self._write()

    def model_path(self, key=None) -> Path:
        """Folder of series ``key``'s model (local), or of the global model."""
        return self.path / (GLOBAL_MODEL if self.kind == "global" else model_folder(key))

    def record(self, keys):
        """Add series ids to the index (local models): called by the driver once their models are saved."""
        new = {k: model_folder(k) for k in keys if k not in self.series}
        if new:
            self.series.update(new)
            self._write()

    def gone(self, present) -> list:
        """Ids with a kept model that the input no longer holds."""
        present = set(present)
        return [k for k in self.series if k not in present]

    def _write(self):
        doc = {"format": FORMAT, "kind": self.kind, "series": self.series}
        atomic_write_text(self.path / INDEX, json.dumps(doc, indent=1, ensure_ascii=False))

    # -- the global model's calibration errors --------------------------------------------
    def write_calibration(self, errors: dict):
        """Store ``{id: errors (n_origins, horizon)}`` as a long table ``id, origin, step, error``."""
        keys = list(errors)
        shapes = [errors[k].shape for k in keys]
        frame = pd.DataFrame({
            "id": np.repeat(np.asarray(keys, dtype=object), [r * h for r, h in shapes]),
            "origin": np.concatenate([np.repeat(np.arange(r), h) for r, h in shapes]) if keys else [],
            "step": np.concatenate([np.tile(np.arange(1, h + 1), r) for r, h in shapes]) if keys else [],
            "error": np.concatenate([errors[k].ravel() for k in keys]) if keys else [],
        })
        write_atomic(frame, self.path / CALIBRATION, "parquet")

    def read_calibration(self):
        """``{id: errors (n_origins, horizon)}``, or None when no calibration was stored."""
        file = self.path / CALIBRATION
        if not file.exists():
            return None
        frame = read_frame(file)
        out = {}
        for key, rows in frame.groupby("id", sort=False):
            out[key] = rows["error"].to_numpy(dtype=float).reshape(-1, int(rows["step"].max()))
        return out
