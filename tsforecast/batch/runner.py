"""Run a batch job: stream chunks of series, forecast them locally, with joblib or with Dask, write atomically.

The driver process reads the input (one chunk of series at a time), hands
chunks to workers, and writes each chunk's ``errors`` file and then its
``part-NNNNN`` file, both via temp file + ``os.replace``. A chunk is finished
iff its part file exists (and not all its series failed for a reason of the
whole job), so a killed job rerun into the same output folder redoes only the
missing chunks.

Each chunk is read as one frame; series whose rows are already clean are built from its columns in
vectorised passes (:func:`~tsforecast.batch.series.chunk_inputs`). A job fitting the registry model ``ar``
afresh (no exogenous inputs, no intervals) fits a chunk's models with one batched least-squares solve
(:func:`~tsforecast.models.ar_batch.fit_each`) and forecasts them in one recursion per order: the same
forecasts as one fit per series, to rounding.

Failures of one series (bad data) go to ``errors.csv`` and the job goes on;
failures of the whole job (the model cannot load or changed, the output cannot
be written, a bad config) stop it with a named error and write no chunk.

With ``save_models`` each series' model is saved (atomically) before it forecasts,
and listed in the folder's index by the driver before its chunk counts as done;
``mode = "update"`` loads it and appends only the rows after its last timestamp,
so a chunk redone after a kill updates nothing twice. Global jobs (``global =
true``) are prepared and forecast by the driver (:mod:`~tsforecast.batch.global_job`).

Workers get the job description (small) and the chunk's rows; a saved model
is loaded from its folder once per worker process, checked against the content
hash taken when the job started, and kept in a small cache. With a remote Dask
scheduler that folder must be visible to the workers at the same path (a shared
file system). Local worker processes end when the driver does, even if it is
killed.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..exceptions import ConfigError, InvalidInputError, ModelFileError
from ..models.ar_batch import fit_each, predict_many
from ..models.ar_model import ARForecaster
from ..outputs import check_output_dir
from ..registry import get_forecaster_class
from ..tables import integer_steps, read_frame
from ..validation import MissingValuesWarning, future_index
from .io import FutureTable, SeriesChunk, iter_chunks, scan_ids, table_files, write_atomic
from .global_job import RECORD, GlobalRun
from .job import BatchJob, load_job, model_digest
from .progress import ChunkProgress, fit_progress, say
from .series import (
    SERIES_ERRORS,
    check_future,
    chunk_inputs,
    concat_forecasts,
    isolated,
    make_model,
    reason,
    short_history,
)
from .store import ModelStore, model_folder

# Failures of the whole job: an errors file where every series failed with one of these is not a finished chunk.
JOB_ERRORS = (ModelFileError,)
ERROR_DIR = "_errors"
MANIFEST = "_job.json"

MODEL_CACHE_SIZE = 2  # a Keras model can take hundreds of MB; a worker needs one per job
_MODELS: dict = {}  # saved models loaded in this (worker) process, by (path, content hash), oldest first


@dataclass
class BatchSummary:
    """What a batch run did; ``str()`` is the one-line summary the CLI prints."""

    n_series: int
    n_done: int
    n_failed: int
    n_chunks: int
    n_chunks_skipped: int
    seconds: float
    output: str
    n_fitted: int = 0  # models fitted (every series of a fit night; new series of an update night)
    n_updated: int = 0  # kept models updated with new rows
    n_gone: int = 0  # kept models whose series the input no longer holds (listed in errors.csv)

    def __str__(self):
        kept = f", {self.n_chunks_skipped} of {self.n_chunks} chunks kept from an earlier run" if self.n_chunks_skipped else ""
        models = ""
        if self.n_updated or self.n_gone:
            models = f"; models: {self.n_fitted} fitted, {self.n_updated} updated, {self.n_gone} gone"
        return (f"batch: {self.n_done} series forecast, {self.n_failed} failed (see errors.csv){models}{kept}, "
                f"{self.seconds:.1f} s -> {self.output}")


# -- worker side ---------------------------------------------------------------
def saved_model(path, digest=None):
    """The saved model at ``path``, loaded once per process and kept in a cache of :data:`MODEL_CACHE_SIZE`.

    Parameters
    ----------
    path : str or Path
        Saved model folder.
    digest : str, optional
        Content hash the model must have (:func:`~tsforecast.batch.job.model_digest`, taken when the job
        started); by default the hash of what is there now.

    Raises
    ------
    ModelFileError
        The model cannot be loaded, or its files no longer match ``digest``.
    """
    from ..persistence import load_model

    path = str(path)
    key = (path, digest or model_digest(path))
    if key in _MODELS:
        _MODELS[key] = _MODELS.pop(key)  # most recently used last
        return _MODELS[key]
    _check_digest(path, key[1])
    model = load_model(path)
    _check_digest(path, key[1])  # not replaced while we were loading it
    _MODELS[key] = model
    while len(_MODELS) > MODEL_CACHE_SIZE:
        del _MODELS[next(iter(_MODELS))]
    return model


def _check_digest(path, digest):
    if model_digest(path) != digest:
        raise ModelFileError(
            f"the saved model {path} changed while the batch job ran; its series would be forecast by two "
            f"different models. Rerun the job (into a new output folder) once the model is in place."
        )


def _local_model(job: BatchJob, key, y, X):
    """The series' model and what was done to it: ``"fitted"``, ``"updated"`` or ``"kept"`` (no new rows).

    With ``save_models`` it is saved (atomically, replacing the old one) before anything is forecast, so a
    killed job rerun finds it updated and ignores the rows it has seen.
    """
    from ..persistence import is_model_folder, load_model
    from .calibration import fit_calibrated

    path = None if job.save_models is None else job.save_models / model_folder(key)
    if job.mode == "update" and path is not None and is_model_folder(path):
        model = load_model(path)
        last = model.y_.index[-1]
        if isinstance(y.index, pd.DatetimeIndex) != isinstance(model.y_.index, pd.DatetimeIndex):
            raise InvalidInputError(f"series {key!r}: the input's timestamps are not of the kind its saved model "
                                    f"was fitted on (dates or integer steps).")
        new = y[y.index > last]
        if not len(new):
            return model, "kept"
        model.update(new, None if X is None else X.loc[new.index])
        status = "updated"
    elif job.coverage is None:
        model, status = make_model(job).fit(y, X), "fitted"
    else:
        model, status = fit_calibrated(lambda: make_model(job), y, X, job.horizon, job.coverage), "fitted"
    if path is not None:
        model.save(path)
    return model, status


def _forecast_one(job: BatchJob, key, model, y, X) -> pd.DataFrame:
    """Forecast one series: ``y`` is the history to forecast from (None: the model's own).

    Returns a frame indexed by the forecast timestamps: ``forecast[, lower, upper]``.
    """
    check_future(key, model, (model.y_ if y is None else y).index, X, job.horizon)
    if job.coverage is None:
        return model.predict(job.horizon, X=X, y=y).rename("forecast").to_frame()
    if getattr(model, "conformal_errors_", None) is None:
        raise InvalidInputError(f"the saved model of series {key!r} holds no calibration errors (it was fitted "
                                f"without coverage); refit it with mode = 'fit' and coverage for intervals.")
    return model.predict_interval(job.horizon, coverage=job.coverage, X=X, y=y)


def _stack(keys, frames) -> pd.DataFrame:
    """Per-series forecast frames (indexed by timestamp) as one long frame, built once from arrays."""
    return _long_frame(keys, [f.index.to_numpy() for f in frames],
                       {col: [f[col].to_numpy() for f in frames] for col in frames[0].columns})


def _long_frame(keys, stamps, columns) -> pd.DataFrame:
    """The long frame ``id, timestamp, step, <columns>`` of series ``keys`` with forecast timestamps ``stamps``
    (one array per series) and ``columns`` ``{name: one array per series}``."""
    lengths = [len(t) for t in stamps]
    out = {"id": np.repeat(np.asarray(keys, dtype=object), lengths),
           "timestamp": np.concatenate(stamps),
           "step": np.concatenate([np.arange(1, n + 1) for n in lengths])}
    for col, parts in columns.items():
        out[col] = np.concatenate(parts)
    return pd.DataFrame(out)


def _future_stamps(indexes, horizon) -> list:
    """The ``horizon`` timestamps after each index (as ``predict`` stamps them), computed once per distinct end."""
    cache, out = {}, []
    for index in indexes:
        key = (index[-1], index.dtype, getattr(index, "freq", None))
        if key not in cache:
            cache[key] = future_index(index, horizon).to_numpy()
        out.append(cache[key])
    return out


def _batched_ar(job):
    """The job's AR template when its series can be fitted with one batched solve per chunk, else None:
    a registry ``ar`` fitted afresh (mode "fit") without exogenous or calendar inputs, or intervals."""
    if job.saved_model or job.mode != "fit" or job.coverage is not None or job.exog:
        return None
    model = make_model(job)
    return model if isinstance(model, ARForecaster) and not model._calendar() else None


def _forecast_ar_many(job, template, series, errors, status) -> list:
    """Fit the chunk's AR models together (:func:`~tsforecast.models.ar_batch.fit_each`: the same models as
    one ``fit`` each, one batched least-squares solve) and forecast them in one recursion per order."""
    models, failures = fit_each(template, {k: y for k, (y, _) in series.items()}, catch=SERIES_ERRORS)
    errors.extend((key, reason(exc)) for key, exc in failures.items())
    status["fitted"] += len(models)
    if job.save_models is not None:
        for key, model in models.items():
            model.save(job.save_models / model_folder(key))
            status["saved"].append(key)
    if not models:
        return []
    fitted = list(models.values())
    values = predict_many(fitted, job.horizon)
    stamps = _future_stamps([m.y_.index for m in fitted], job.horizon)
    return [_long_frame(list(models), stamps, {"forecast": list(values)})]


def forecast_chunk(job: BatchJob, items, future=None) -> tuple:
    """Forecasts and errors for one chunk ``[(id, rows), ...]`` (or a :class:`~tsforecast.batch.io.SeriesChunk`).

    ``future``: ``{id: rows}`` of the job's future table for these series.
    Returns ``(forecasts, errors)``: DataFrames ``id, timestamp, step, forecast[, lower, upper]``
    and ``id, reason``. A series that cannot be forecast goes to ``errors``; the others go on.
    """
    chunk = items if isinstance(items, SeriesChunk) else SeriesChunk.from_items(items)
    fc, err, _ = _run_chunk(job, chunk, future or {})
    return fc, err


def _run_chunk(job: BatchJob, chunk: SeriesChunk, future) -> tuple:
    """:func:`forecast_chunk`, plus what was done to the kept models: ``{"saved": [ids], "fitted": n, ...}``."""
    errors = []
    status = {"saved": [], "fitted": 0, "updated": 0, "kept": 0}
    if job.saved_model:
        saved_model(job.model, job.model_digest)  # a model that cannot load fails the job, not every series
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # the job asked for interpolation
        if job.global_model:
            chunk = _drop_short(job, chunk, errors)
            clean = None if job.exog else _forecast_global_chunk(job, chunk)
            if clean is not None:
                return clean, pd.DataFrame(errors, columns=["id", "reason"]), status
        series, bad = chunk_inputs(job, chunk, future)
        errors += bad
    template = None if job.global_model else _batched_ar(job)
    if job.global_model:
        frames = _forecast_global(job, series, errors)
    elif template is not None:
        frames = _forecast_ar_many(job, template, series, errors, status)
    else:
        keys, parts = [], []
        for key, (y, X) in series.items():
            try:
                if job.saved_model:
                    part = _forecast_one(job, key, saved_model(job.model, job.model_digest), y, X)
                else:
                    model, done = _local_model(job, key, y, X)
                    status[done] += 1
                    if job.save_models is not None:
                        status["saved"].append(key)
                    part = _forecast_one(job, key, model, None, X)
            except SERIES_ERRORS as exc:
                errors.append((key, reason(exc)))
                continue
            keys.append(key)
            parts.append(part)
        frames = [_stack(keys, parts)] if parts else []
    return concat_forecasts(frames), pd.DataFrame(errors, columns=["id", "reason"]), status


def _too_short(n, L) -> str:
    return reason(short_history(n, L))


def _drop_short(job, chunk, errors):
    """Series with fewer rows than the global model's context go to ``errors``; the chunk of the rest is
    returned."""
    L = saved_model(job.model, job.model_digest).context_length_
    n = chunk.lengths()
    for i in np.flatnonzero(n < L):
        errors.append((chunk.keys[i], _too_short(int(n[i]), L)))
    return chunk.select(n >= L)


def _forecast_global_chunk(job, chunk):
    """The whole chunk as one long frame in one ``predict`` call (validated in vectorised passes);
    None when any series is bad, so that the per-series route can name it and forecast the rest."""
    if not len(chunk):
        return concat_forecasts([])
    model = saved_model(job.model, job.model_digest)
    try:
        return concat_forecasts([model.predict(job.horizon, y=chunk.frame)])
    except SERIES_ERRORS:
        return None


def _forecast_global(job, series, errors):
    """One batched ``predict`` for the whole chunk; per series only to isolate a failure."""
    model = saved_model(job.model, job.model_digest)
    L = model.context_length_
    ok = {}
    for key, (y, X) in series.items():
        try:
            if len(y) < L:
                raise short_history(len(y), L)
            check_future(key, model, y.index, X, job.horizon)
        except SERIES_ERRORS as exc:
            errors.append((key, reason(exc)))
            continue
        ok[key] = (y, X)

    def predict(keys):
        X = {k: ok[k][1] for k in keys} if job.exog else None
        return model.predict(job.horizon, y={k: ok[k][0] for k in keys}, X=X)

    return isolated(predict, list(ok), errors)


def _task(job, index, chunk, future):
    fc, err, status = _run_chunk(job, chunk, future)
    return index, len(chunk), fc, err, status


# -- execution back ends -------------------------------------------------------------
def _inline(job, chunks, loading=None):
    for chunk in _read_ahead(chunks):
        _settle(loading)  # the first chunk was read while the model loaded
        loading = None
        yield _task(job, *chunk)


def _load_ahead(job, backend):
    """Start loading the job's saved model in a thread, so that it overlaps the id scan and the first read;
    returns the load's future, or None when this process will not use the model (worker back ends) or has
    it cached already.

    The thread only fills the cache of :func:`saved_model`: a load that fails there is done again (and
    fails again, by name) where the job would have loaded the model anyway, so the job's errors, and
    their order, are those of a job without it.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not job.saved_model or backend is not _inline or (str(job.model), job.model_digest) in _MODELS:
        return None
    pool = ThreadPoolExecutor(1, thread_name_prefix="tsforecast-load")
    loading = pool.submit(saved_model, job.model, job.model_digest)
    pool.shutdown(wait=False)  # its one thread ends when the load does
    return loading


def _settle(loading):
    """Wait for a load started by :func:`_load_ahead` (its error, if any, is raised by the next load)."""
    if loading is not None:
        from concurrent.futures import wait

        wait([loading])


def _read_ahead(chunks):
    """``chunks``, the next one read in a thread while this one is forecast: Parquet decoding and NumPy
    release the GIL, so reading and forecasting overlap on two cores. One chunk ahead at most."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = iter(chunks)
    with ThreadPoolExecutor(1, thread_name_prefix="tsforecast-read") as pool:
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk


def _write_behind(results, write):
    """Run ``write(index, fc, err, status)`` for each of ``results`` in a thread while the next chunk is
    forecast (Parquet encoding releases the GIL); yields each chunk's size once its write has finished.
    One write at a time, in order; a failed write is raised here before any later chunk is written, and
    an error while forecasting waits for the pending write (files are written atomically either way)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="tsforecast-write") as pool:
        pending = None
        for index, n, *rest in results:
            if pending is not None:
                pending[0].result()
                yield pending[1]
            pending = pool.submit(write, index, *rest), n
        if pending is not None:
            pending[0].result()
            yield pending[1]


def _exit_with_parent(parent_pid):
    """Worker initializer: end this worker as soon as its driver is gone.

    A driver killed with SIGKILL cannot shut its pool down, and idle workers
    would otherwise sit on their memory (a loaded model) for minutes.
    """
    import threading

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="tsforecast-watch-driver", daemon=True).start()


def _processes(job, chunks):
    from joblib.externals.loky import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=job.n_jobs, initializer=_exit_with_parent, initargs=(os.getpid(),))
    finished = False
    try:
        yield from _windowed(pool, job, chunks, window=2 * job.n_jobs)
        finished = True
    finally:
        # On an error (or an abandoned generator) running chunks are not waited for.
        pool.shutdown(wait=finished, kill_workers=not finished)


def _windowed(pool, job, chunks, window):
    """Results of ``_task`` over ``chunks`` as they finish, with at most ``window`` chunks read ahead
    of the workers, so memory stays bounded."""
    from concurrent.futures import FIRST_COMPLETED, wait

    chunks, pending = iter(chunks), set()

    def fill():
        while len(pending) < window and (nxt := next(chunks, None)) is not None:
            pending.add(pool.submit(_task, job, *nxt))

    fill()
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            pending.discard(fut)
            yield fut.result()
        fill()


def _dask_client(job):
    """A Dask client for the job, and the local cluster it started (None for a remote scheduler)."""
    from distributed import Client, LocalCluster

    if job.cluster == "local":
        cluster = LocalCluster(n_workers=job.n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()  # else its worker processes outlive the failed job
            raise
    try:
        return Client(job.scheduler, timeout="15s"), None
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"cannot connect to the Dask scheduler {job.scheduler} ({exc}); check that it runs and the address."
        ) from None


def _dask(job, chunks):
    from distributed import as_completed

    client, cluster = _dask_client(job)
    try:
        window = 2 * max(1, sum(client.nthreads().values()))
        chunks = iter(chunks)
        futures = as_completed()

        def submit():
            nxt = next(chunks, None)
            if nxt is not None:
                futures.add(client.submit(_task, job, *nxt, pure=False))

        for _ in range(window):
            submit()
        for fut in futures:
            result = fut.result()
            fut.release()
            submit()
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- driver side ----------------------------------------------------------------------
def part_path(output, index, fmt):
    return Path(output) / f"part-{index:05d}.{fmt}"


def _chunks(files, chunk_size, skip, exog=(), future=None):
    """``(index, SeriesChunk, {id: future rows})`` for every chunk not in ``skip``; skipped chunks are read but
    not kept."""
    for index, chunk in iter_chunks(files, chunk_size, exog, skip):
        if chunk is not None:
            yield index, chunk, _future_rows(future, chunk.keys)


def _future_rows(future, keys) -> dict:
    return {} if future is None else future.rows(keys)


def _id_chunks(order, chunk_size, skip):
    """``(index, [id, ...])`` for every chunk not in ``skip``, from the ids alone (the global route has
    every series in memory)."""
    for index, start in enumerate(range(0, len(order), chunk_size)):
        if index not in skip:
            yield index, [key for key, _ in order[start : start + chunk_size]]


def _is_batch_output(folder) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def _prepare_output(job, files, n_series):
    """Create the output folder and its manifest (``files``: the input's and the future table's), or check
    that the folder holds an earlier run of the same job on the same files."""
    out = job.output
    out.mkdir(parents=True, exist_ok=True)
    (out / ERROR_DIR).mkdir(exist_ok=True)
    manifest = {
        "job": job.fingerprint(), "n_series": n_series,
        "input_files": [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files],
    }
    mfile = out / MANIFEST
    old = json.loads(mfile.read_text()) if mfile.exists() else None
    if old is not None and old != manifest and any(out.glob("part-*")):
        raise ConfigError(
            f"output {out} holds results of a different job or of a changed input ({_changes(old, manifest)} "
            f"changed); resuming would mix the two, so use a new output folder or delete this one."
        )
    if old != manifest:  # a new folder, or one where an earlier run failed before finishing any chunk
        for stale in [*(out / ERROR_DIR).glob("part-*"), *(out / ERROR_DIR).glob("status-*"), out / RECORD]:
            stale.unlink(missing_ok=True)
        atomic_write_text(mfile, json.dumps(manifest, indent=1))
    for stale in [*out.glob(".*.tmp"), *(out / ERROR_DIR).glob(".*.tmp")]:
        stale.unlink()  # left by a killed run


def _changes(old, new) -> str:
    old_job, new_job = old.get("job", {}), new["job"]
    keys = [k for k in sorted(set(old_job) | set(new_job)) if old_job.get(k) != new_job.get(k)]
    keys = ["the saved model's content" if k == "model_digest" else k for k in keys]
    keys += [k for k in ("n_series", "input_files") if old.get(k) != new[k]]
    return ", ".join(keys) or "the job files"


def _errors_path(output, index):
    return Path(output) / ERROR_DIR / f"part-{index:05d}.csv"


def _read_errors(output, index) -> pd.DataFrame:
    return read_frame(_errors_path(output, index), text=("id", "reason"))


def _chunk_done(job, index, n_items) -> bool:
    """A chunk is done when its part file exists, unless every series of it failed for a job-level reason
    (e.g. a model that could not load): that says nothing about the series, so they are redone."""
    if not part_path(job.output, index, job.format).exists():
        return False
    errors = _errors_path(job.output, index)
    if not errors.exists():
        return False  # the errors file is written first, so this part file is not ours
    if errors.read_bytes().count(b"\n") <= n_items:
        return True  # fewer error lines than series (plus the header): some series were forecast
    reasons = _read_errors(job.output, index)["reason"].astype(str)
    job_level = reasons.str.startswith(tuple(f"{e.__name__}:" for e in JOB_ERRORS))
    return not (len(reasons) == n_items and job_level.all())


def _status_path(output, index):
    return Path(output) / ERROR_DIR / f"status-{index:05d}.json"


def _write_chunk(job, index, fc, err, status):
    # The errors file first: a chunk whose part file exists is complete, errors included.
    counts = {k: v for k, v in status.items() if k != "saved"}
    atomic_write_text(_status_path(job.output, index), json.dumps(counts))
    write_atomic(err, _errors_path(job.output, index), "csv")
    write_atomic(fc, part_path(job.output, index, job.format), job.format)


def _count(output, n_chunks, key) -> int:
    """How many models of the output's chunks were ``key`` ("fitted", "updated"), over every run."""
    total = 0
    for i in range(n_chunks):
        try:
            total += json.loads(_status_path(output, i).read_text()).get(key, 0)
        except (FileNotFoundError, ValueError):
            pass  # chunks of older versions have no status
    return total


def read_forecasts(output) -> pd.DataFrame:
    """All forecasts of a finished batch output folder, as one DataFrame (for small outputs and tests)."""
    output = Path(output)
    parts = sorted(output.glob("part-*.parquet")) + sorted(output.glob("part-*.csv"))
    frames = [f for f in (_read_part(p) for p in parts) if len(f)]
    if not frames:
        return concat_forecasts([])
    return pd.concat(frames, ignore_index=True)


def _read_part(path) -> pd.DataFrame:
    frame = read_frame(path)
    if len(frame) and not pd.api.types.is_numeric_dtype(frame["timestamp"]):
        steps = integer_steps(frame["timestamp"])  # CSV keeps integer time steps as text
        if steps is not None:
            frame["timestamp"] = steps
    return frame


def run_batch(job, *, progress=True, **overrides) -> BatchSummary:
    """Run a batch forecast job.

    Parameters
    ----------
    job : str, Path, dict or BatchJob
        A TOML job file or its keys (see :mod:`tsforecast.batch.job`).
    progress : bool
        Show progress on stderr: the job's steps, the chunks (a tqdm bar on a terminal, else a line every
        few seconds) and a global network's epochs.
    **overrides
        ``n_jobs``, ``scheduler``, ``cluster``, ``chunk_size``, ``n_workers`` replacing ``[run]``.

    Returns
    -------
    BatchSummary
    """
    t0 = time.perf_counter()
    job = load_job(job, **overrides)
    # Before the pass over the input: a bad output or models folder is known at once, not after the work.
    check_output_dir(job.output, _is_batch_output, "batch output folder")
    backend = _dask if (job.scheduler or job.cluster) else _processes if job.n_jobs > 1 else _inline
    loading = _load_ahead(job, backend)
    try:
        return _run(job, t0, backend, loading, progress)
    finally:
        _settle(loading)  # no load goes on in the background after the job


def _run(job, t0, backend, loading, progress) -> BatchSummary:
    """:func:`run_batch` once the job is loaded, its ``backend`` chosen and its saved model ``loading``."""
    store = None if job.save_models is None else ModelStore.open(job)
    files = table_files(job.input)
    say(progress, f"scanning the ids of {len(files)} input file(s)")
    order = scan_ids(files, job.exog)
    future = None if job.future is None else FutureTable(job.future, job.exog)
    n_series = len(order)
    n_chunks = -(-n_series // job.chunk_size)
    _prepare_output(job, files + ([] if job.future is None else table_files(job.future)), n_series)
    if job.fit_global and store is None:
        store = ModelStore(job.output / "_global", "global")
    if store is not None:
        store.prepare()
    sizes = [min(job.chunk_size, n_series - i * job.chunk_size) for i in range(n_chunks)]
    done = {i for i in range(n_chunks) if _chunk_done(job, i, sizes[i])}
    if job.fit_global:
        run = GlobalRun(job, store, progress)
        run.prepare(files, future, resuming=bool(done))
        results = ((i, len(ids), *run.forecast(ids)) for i, ids in _id_chunks(order, job.chunk_size, done))
    else:
        chunks = _chunks(files, job.chunk_size, done, job.exog, future)
        results = _inline(job, chunks, loading) if backend is _inline else backend(job, chunks)
    say(progress, f"forecasting {n_series - sum(sizes[i] for i in done)} series in {n_chunks - len(done)} chunk(s)")
    bar = ChunkProgress(n_series, sum(sizes[i] for i in done), progress)
    neural = not job.saved_model and get_forecaster_class(job.model).get_tag("neural")
    try:
        with fit_progress(progress, neural):  # networks fitted per series in this process follow --quiet too
            def write(index, fc, err, status):
                if store is not None and store.kind == "local":
                    store.record(status["saved"])  # before the chunk counts as done: no saved model goes unlisted
                _write_chunk(job, index, fc, err, status)

            for n in _write_behind(results, write):
                bar.update(n)
    finally:
        bar.close()
    errors = pd.concat([_read_errors(job.output, i) for i in range(n_chunks)], ignore_index=True)
    ids = [key for key, _ in order]
    gone = [] if store is None else run.gone(ids) if job.fit_global else store.gone(ids)
    where = "the global model keeps its history" if job.fit_global else "its saved model is kept"
    gone_rows = pd.DataFrame({"id": gone, "reason": f"gone: the input has no rows for this series; {where}."},
                             index=range(len(gone)))
    write_atomic(pd.concat([errors, gone_rows], ignore_index=True), job.output / "errors.csv", "csv")
    summary = BatchSummary(n_series=n_series, n_done=n_series - len(errors), n_failed=len(errors),
                           n_chunks=n_chunks, n_chunks_skipped=len(done),
                           seconds=round(time.perf_counter() - t0, 3), output=str(job.output),
                           n_fitted=_count(job.output, n_chunks, "fitted"),
                           n_updated=_count(job.output, n_chunks, "updated"), n_gone=len(gone))
    atomic_write_text(job.output / "summary.json", json.dumps(asdict(summary), indent=1))
    return summary
