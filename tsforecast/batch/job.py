"""Batch job files: parse and validate a TOML job (or the same keys as a dict).

A job file looks like::

    input = "traffic.parquet"        # long table id, timestamp, value (CSV/Parquet, or a directory of them)
    output = "forecasts/"            # Parquet/CSV chunks, errors.csv, summary.json
    model = "ar"                     # registry name (one model per series) or a saved model directory
    horizon = 24
    format = "parquet"               # or "csv"
    missing = "raise"                # or "interpolate", "ffill"
    # exog = ["temp"]                # extra numeric columns of the input: exogenous inputs
    # future = "future.parquet"      # id, timestamp and the exog columns for the forecast steps
    # coverage = 0.9                 # lower/upper columns: split-conformal intervals
    # global = true                  # one model over all series (a network); skip_short = true
    # save_models = "models/"        # keep the fitted models; mode = "update" updates them next night
    # mode = "fit"                   # or "update"

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

from ..base import CALENDAR_PREFIX
from ..exceptions import ConfigError, ModelFileError
from ..registry import REGISTRY, get_forecaster, get_forecaster_class, list_forecasters
from ..validation import MISSING_POLICIES

TOP_KEYS = ("input", "output", "model", "horizon", "format", "missing", "exog", "future", "coverage", "interval",
            "global", "skip_short", "save_models", "mode", "params", "run")
RUN_KEYS = ("n_jobs", "scheduler", "cluster", "chunk_size", "n_workers")
FORMATS = ("parquet", "csv")
CLUSTERS = ("local",)
MODES = ("fit", "update")
RESERVED_COLUMNS = ("id", "timestamp", "value")


@dataclass(frozen=True)
class BatchJob:
    """A validated batch job; build it with :func:`load_job`."""

    input: Path
    output: Path
    model: str
    horizon: int
    format: str = "parquet"
    missing: str = "raise"
    exog: tuple = ()  # exogenous columns of the input table
    future: Path | None = None  # table of the exogenous values of the forecast steps
    coverage: float | None = None  # split-conformal lower/upper columns (TOML also accepts `interval`)
    fit_global: bool = False  # TOML `global`: fit one registry model over all series
    skip_short: bool = False  # global fit: series too short to fit on go to errors.csv
    save_models: Path | None = None  # folder of the fitted models kept for update nights
    mode: str = "fit"
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


def _saved_model_kind(path: Path) -> tuple:
    """Whether the saved model at ``path`` is global, and its user exogenous columns; read from its
    metadata without loading Keras."""
    meta = path / "metadata.json"
    try:
        doc = json.loads(meta.read_text())
        columns = doc["fitted"]["exog_columns"] or []
        return bool(doc["fitted"]["is_global"]), tuple(c for c in columns if not c.startswith(CALENDAR_PREFIX))
    except FileNotFoundError:
        raise ModelFileError(f"{path} is not a saved tsforecast model (no metadata.json); save one with model.save(path).") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{meta} is not a valid tsforecast model file ({exc}).") from None


def _job_doc(job: BatchJob) -> dict:
    """The TOML keys of a :class:`BatchJob` (for re-validating one)."""
    doc = {k: v for k, v in asdict(job).items() if k in TOP_KEYS and v is not None}
    doc.update({"global": job.fit_global, "exog": list(job.exog),
                "run": {k: getattr(job, k) for k in RUN_KEYS if getattr(job, k) is not None}})
    return doc


def _check_bool(value, name):
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}.")
    return value


def _check_exog(value) -> tuple:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) and c.strip() for c in value):
        raise ConfigError(f"exog must be a list of column names such as [\"temp\"], got {value!r}.")
    bad = [c for c in value if c in RESERVED_COLUMNS or c.startswith(CALENDAR_PREFIX)]
    if bad:
        raise ConfigError(f"exog column(s) {bad} are reserved (id, timestamp, value, {CALENDAR_PREFIX}*); "
                          f"rename them in the table.")
    if len(set(value)) != len(value):
        raise ConfigError(f"exog lists a column twice: {list(value)}.")
    return tuple(value)


def _check_coverage(doc) -> float | None:
    if "coverage" in doc and "interval" in doc:
        raise ConfigError("give coverage (or its older name interval), not both.")
    coverage = doc.get("coverage", doc.get("interval"))
    if coverage is not None and (isinstance(coverage, bool) or not isinstance(coverage, (int, float))
                                 or not 0 < coverage < 1):
        raise ConfigError(f"coverage must be a probability in (0, 1), e.g. 0.9, got {coverage!r}.")
    return coverage


def _resolve(base: Path, doc: dict, key: str) -> Path | None:
    if doc.get(key) is None:
        return None
    if not isinstance(doc[key], (str, Path)):
        raise ConfigError(f"{key} must be a path string, got {doc[key]!r}.")
    return (base / doc[key]).resolve()


def _is_calibrated(path: Path) -> bool:
    """Whether the saved model holds conformal errors (listed in its arrays file; nothing is loaded)."""
    import zipfile

    try:
        with zipfile.ZipFile(path / "arrays.npz") as z:
            return "conformal_errors.npy" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return True  # a damaged model: loading it names the file


def load_job(job, base_dir=None, **overrides) -> BatchJob:
    """Validate a job given as a TOML path, a dict or a :class:`BatchJob`.

    ``overrides`` replace ``[run]`` settings (``n_jobs``, ``scheduler``, ``cluster``,
    ``chunk_size``, ``n_workers``); ``None`` values are ignored.

    Raises
    ------
    ConfigError
        Unknown keys, missing required keys, invalid values or keys that do not go together.
    ParameterError
        The model name is not registered or its parameters are invalid.
    ModelFileError
        ``model`` points to a folder that is not a saved model.
    """
    if isinstance(job, BatchJob):
        doc, base = _job_doc(job), Path.cwd()
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

    inp = _resolve(base, doc, "input")
    if not inp.exists():
        raise ConfigError(f"input {inp} does not exist.")
    out = _resolve(base, doc, "output")
    exog = _check_exog(doc.get("exog", ()))
    future = _resolve(base, doc, "future")
    if future is not None:
        if not exog:
            raise ConfigError("future holds the exogenous values of the forecast steps; list their columns in exog.")
        if not future.exists():
            raise ConfigError(f"future {future} does not exist.")
    coverage = _check_coverage(doc)
    fit_global = _check_bool(doc.get("global", False), "global")
    skip_short = _check_bool(doc.get("skip_short", False), "skip_short")
    save_models = _resolve(base, doc, "save_models")
    mode = _check_choice(doc.get("mode", "fit"), MODES, "mode")

    model = str(doc["model"])
    saved = is_global = False
    digest = None
    if model in REGISTRY:
        get_forecaster(model, **params)._check_params()  # bad names/values fail now, not once per series
        cls = get_forecaster_class(model)
        if exog and not cls.get_tag("exog"):
            raise ConfigError(f"model {model!r} does not use exogenous inputs; drop exog or use one that does "
                              f"(e.g. 'ar', 'arima' or a network).")
        if fit_global and not cls.get_tag("global"):
            raise ConfigError(f"global = true fits one model over all series, which {model!r} cannot; use a "
                              f"network (e.g. 'lstm'), or drop global to fit one {model!r} per series.")
    else:
        mpath = (base / model).resolve()
        if not mpath.is_dir():
            raise ConfigError(
                f"model {model!r} is neither a registered forecaster {list_forecasters()} nor a saved model folder."
            )
        if params:
            raise ConfigError("[params] only applies to a registry model; a saved model keeps its own parameters.")
        for key in ("global", "save_models"):
            if doc.get(key):
                raise ConfigError(f"{key} needs a registry model to fit; {model!r} is a saved model, which the job "
                                  f"only applies.")
        model, saved = str(mpath), True
        is_global, model_exog = _saved_model_kind(mpath)
        if model_exog != exog:
            raise ConfigError(f"the saved model uses the exogenous columns {list(model_exog)}; set exog = "
                              f"{list(model_exog)} (the job lists {list(exog)}).")
        digest = model_digest(mpath)
        if coverage is not None and is_global:
            raise ConfigError("coverage with a saved global model: fit the global model in the job (global = true) "
                              "so that it is calibrated on each series' tail.")
        if coverage is not None and not _is_calibrated(mpath):
            raise ConfigError(f"the saved model {mpath} is not calibrated, so it has no intervals; calibrate it "
                              f"(model.calibrate(new_y)) and save it again, or give a registry model name, which "
                              f"the job calibrates on each series' tail.")
    if skip_short and not fit_global:
        raise ConfigError("skip_short applies to a global fit (global = true); a model per series already "
                          "reports short series in errors.csv.")
    if mode == "update" and save_models is None:
        raise ConfigError("mode = 'update' updates the models a 'fit' night kept; give their folder as save_models.")
    if fit_global and coverage is not None and exog:
        raise ConfigError("coverage for a global model with exog is not supported yet (its calibration backtest "
                          "takes no exogenous inputs); drop one of them.")

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
        exog=exog,
        future=future,
        coverage=coverage,
        fit_global=fit_global,
        skip_short=skip_short,
        save_models=save_models,
        mode=mode,
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
