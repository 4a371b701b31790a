"""Batch job files: parse and validate a TOML job (or the same keys as a dict).

A job file looks like::

    input = "traffic.parquet"        # long table id, timestamp, value (CSV/Parquet, or a directory of them)
    output = "forecasts/"            # Parquet/CSV chunks, errors.csv, summary.json
    model = "ar"                     # registry name (one model per series) or a saved model directory
    horizon = 24
    format = "parquet"               # or "csv"
    missing = "raise"                # or "interpolate"

    [params]                         # parameters of a registry model
    lags = 24

    [run]
    n_jobs = 2                       # local processes
    chunk_size = 500                 # series per chunk (and per output file)
    # scheduler = "tcp://host:8786"  # a running Dask scheduler, or
    # cluster = "local"              # start a local Dask cluster with n_workers processes
    # n_workers = 2

Relative paths are resolved against the job file's folder (the current folder for a dict).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..exceptions import ConfigError, ModelFileError
from ..registry import REGISTRY, get_forecaster, list_forecasters
from ..validation import MISSING_POLICIES

TOP_KEYS = ("input", "output", "model", "horizon", "format", "missing", "interval", "params", "run")
RUN_KEYS = ("n_jobs", "scheduler", "cluster", "chunk_size", "n_workers")
FORMATS = ("parquet", "csv")
CLUSTERS = ("local",)


@dataclass(frozen=True)
class BatchJob:
    """A validated batch job; build it with :func:`load_job`."""

    input: Path
    output: Path
    model: str
    horizon: int
    format: str = "parquet"
    missing: str = "raise"
    interval: float | None = None
    params: dict = field(default_factory=dict)
    n_jobs: int = 1
    scheduler: str | None = None
    cluster: str | None = None
    chunk_size: int = 1000
    n_workers: int = 2
    saved_model: bool = False  # model is a saved model directory (else a registry name)
    global_model: bool = False  # the saved model is a global (many-series) model
    model_digest: str | None = None  # content hash of a saved model (see model_digest)

    def fingerprint(self) -> dict:
        """What decides the content of the output files (not how the job is run).

        A rerun into the same output folder must have the same fingerprint, so
        finished chunks can be kept. It holds the saved model's content hash,
        not only its path: a model replaced between runs would otherwise
        forecast some series of one output with the old model and some with
        the new one.
        """
        doc = asdict(self)
        for key in RUN_KEYS:  # how the job is run (where, how many processes), not what it computes
            if key != "chunk_size":  # the chunk size decides which series land in which part file
                doc.pop(key)
        doc.pop("output")
        return json.loads(json.dumps(doc, default=str, sort_keys=True))


def model_files(path) -> list:
    """The files that make up the saved model at ``path``: metadata, arrays and networks, in a fixed order."""
    path = Path(path)
    return [path / "metadata.json", path / "arrays.npz", *sorted(path.glob("net_*.keras"))]


def model_digest(path) -> str:
    """SHA-256 of a saved model's content (the names and bytes of :func:`model_files`)."""
    h = hashlib.sha256()
    for f in model_files(path):
        h.update(f.name.encode() + b"\0")
        try:
            with open(f, "rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
        except FileNotFoundError:
            h.update(b"<missing>")  # loading will name the missing file; the digest only has to differ
        h.update(b"\0")
    return h.hexdigest()


def _check_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def _check_choice(value, options, name):
    if value not in options:
        raise ConfigError(f"{name} must be one of {options}, got {value!r}.")
    return value


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"job file {path} does not exist.") from None
    except IsADirectoryError:
        raise ConfigError(f"job file {path} is a folder; pass a .toml file.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"job file {path} is not valid TOML ({exc}).") from None


def _saved_model_kind(path: Path) -> bool:
    """Whether the saved model at ``path`` is global; read from its metadata without loading Keras."""
    meta = path / "metadata.json"
    try:
        doc = json.loads(meta.read_text())
        return bool(doc["fitted"]["is_global"])
    except FileNotFoundError:
        raise ModelFileError(f"{path} is not a saved tsforecast model (no metadata.json); save one with model.save(path).") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{meta} is not a valid tsforecast model file ({exc}).") from None


def load_job(job, base_dir=None, **overrides) -> BatchJob:
    """Validate a job given as a TOML path, a dict or a :class:`BatchJob`.

    ``overrides`` replace ``[run]`` settings (``n_jobs``, ``scheduler``, ``cluster``,
    ``chunk_size``, ``n_workers``); ``None`` values are ignored.

    Raises
    ------
    ConfigError
        Unknown keys, missing required keys or invalid values.
    ParameterError
        The model name is not registered or its parameters are invalid.
    ModelFileError
        ``model`` points to a folder that is not a saved model.
    """
    if isinstance(job, BatchJob):
        doc = {**asdict(job), "run": {}}
        doc = {k: v for k, v in doc.items() if k in TOP_KEYS}
        doc["run"] = {k: getattr(job, k) for k in RUN_KEYS}
        base = Path.cwd()
    elif isinstance(job, dict):
        doc, base = job, Path(base_dir) if base_dir else Path.cwd()
    elif isinstance(job, (str, Path)):
        path = Path(job)
        doc, base = _read_toml(path), path.resolve().parent
    else:
        raise ConfigError(f"job must be a path to a TOML file or a dict, got {type(job).__name__}.")
    unknown = sorted(set(doc) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"unknown job key(s) {unknown}; allowed: {list(TOP_KEYS)}.")
    run = doc.get("run", {})
    if not isinstance(run, dict):
        raise ConfigError("[run] must be a table of settings.")
    unknown = sorted(set(run) - set(RUN_KEYS))
    if unknown:
        raise ConfigError(f"unknown [run] key(s) {unknown}; allowed: {list(RUN_KEYS)}.")
    run = {**run, **{k: v for k, v in overrides.items() if v is not None}}
    missing_keys = [k for k in ("input", "output", "model", "horizon") if k not in doc]
    if missing_keys:
        raise ConfigError(f"job is missing required key(s) {missing_keys}.")
    for key in ("input", "output", "model"):
        if not isinstance(doc[key], (str, Path)):
            raise ConfigError(f"{key} must be a string, got {doc[key]!r}.")
    params = doc.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError("[params] must be a table of model parameters.")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}

    inp = (base / doc["input"]).resolve()
    if not inp.exists():
        raise ConfigError(f"input {inp} does not exist.")
    out = (base / doc["output"]).resolve()

    model = str(doc["model"])
    saved = is_global = False
    digest = None
    if model in REGISTRY:
        get_forecaster(model, **params)._check_params()  # bad names/values fail now, not once per series
    else:
        mpath = (base / model).resolve()
        if not mpath.is_dir():
            raise ConfigError(
                f"model {model!r} is neither a registered forecaster {list_forecasters()} nor a saved model folder."
            )
        if params:
            raise ConfigError("[params] only applies to a registry model; a saved model keeps its own parameters.")
        model, saved, is_global = str(mpath), True, _saved_model_kind(mpath)
        digest = model_digest(mpath)

    interval = doc.get("interval")
    if interval is not None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval < 1:
            raise ConfigError(f"interval must be a coverage in (0, 1), e.g. 0.9, got {interval!r}.")
        if not saved or is_global:
            raise ConfigError("interval needs a saved, calibrated single-series model (see model.calibrate).")

    scheduler, cluster = run.get("scheduler"), run.get("cluster")
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise ConfigError(f"scheduler must be an address like 'tcp://host:8786', got {scheduler!r}.")
    if cluster is not None:
        _check_choice(cluster, CLUSTERS, "cluster")
    if scheduler and cluster:
        raise ConfigError("give either scheduler (a running Dask cluster) or cluster = 'local', not both.")
    return BatchJob(
        input=inp,
        output=out,
        model=model,
        horizon=_check_int(doc["horizon"], "horizon"),
        format=_check_choice(doc.get("format", "parquet"), FORMATS, "format"),
        missing=_check_choice(doc.get("missing", "raise"), MISSING_POLICIES, "missing"),
        interval=interval,
        params=params,
        n_jobs=_check_int(run.get("n_jobs", 1), "n_jobs"),
        scheduler=scheduler,
        cluster=cluster,
        chunk_size=_check_int(run.get("chunk_size", 1000), "chunk_size"),
        n_workers=_check_int(run.get("n_workers", 2), "n_workers"),
        saved_model=saved,
        global_model=is_global,
        model_digest=digest,
    )
