"""Global jobs (``global = true``): one network over all series, fitted or updated by the driver.

A global model is fitted on (or updated with) every series at once, so the driver reads the whole
input, prepares the model once, saves it (in ``save_models``, else in the output's ``_global``
folder) and then forecasts chunk after chunk from it, one batched call per chunk. What the
preparation did (the model's content hash, per-series problems, which series were fitted or
updated) is recorded in the output's ``_global.json`` before the first chunk is written: a killed
job rerun reuses that model instead of fitting again, so every chunk of an output comes from the
same model.

Series the model cannot take go to ``errors.csv``: bad rows, series too short to fit on (with
``skip_short = true``; without it they stop the job before anything is fitted), too short to
calibrate (with ``coverage``), or whose new rows do not continue the model's history (update).
In an update night, series the model was not fitted on are forecast from their own history
(scaled on it, as the model does for any unseen series); they join the model at the next fit.
All of it runs in the driver process: ``[run]`` settings (workers, Dask) do not apply.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..exceptions import ConfigError, InvalidInputError, NotEnoughDataError
from ..persistence import is_model_folder, load_model
from .calibration import calibrate_global, halfwidths
from .io import iter_chunks
from .job import BatchJob, model_digest
from .progress import fit_progress, say
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
from .store import CALIBRATION, ModelStore

RECORD = "_global.json"



class GlobalRun:
    """The global model of one job run and the per-series state the chunks need.

    Parameters
    ----------
    job : BatchJob
    store : ModelStore
        Where the model is kept (kind ``"global"``).
    progress : bool
        Print the steps (and the network's epochs) on stderr.
    """

    def __init__(self, job: BatchJob, store: ModelStore, progress: bool):
        self.job, self.store, self.progress = job, store, progress
        self.series, self.X = {}, {}
        self.errors = {}  # id -> reason: bad rows (found on every read) and problems of the preparation
        self.status = {}  # id -> "fitted" | "updated"
        self.model = self.half = None

    # -- preparation ------------------------------------------------------------------
    def prepare(self, files, future, resuming: bool):
        """Read every series, then fit or update the model, or reuse the one this output was started with.

        ``resuming``: some chunks of the output are finished, so they came from the recorded model.
        """
        job, path = self.job, self.store.model_path()
        if job.mode == "update" and not is_model_folder(path):
            raise ConfigError(f"save_models folder {self.store.path} holds no global model ({path}); run the job "
                              f"with mode = 'fit' first.")
        if job.mode == "update" and job.coverage is not None and not (self.store.path / CALIBRATION).exists():
            raise ConfigError(f"the global model in {self.store.path} was fitted without coverage, so it has no "
                              f"calibration errors; run a fit night with coverage for intervals.")
        self._read(files, future)
        record = self._record()
        if record is not None and is_model_folder(path) and model_digest(path) == record["digest"]:
            say(self.progress, f"reusing the global model in {path} (this output was started with it)")
            self.model = load_model(path)
            self.errors.update(record["errors"])
            self.status = record["status"]
        elif resuming:
            raise ConfigError(f"the global model in {path} changed since this output's first chunks were forecast "
                              f"from it; resuming would mix two models, so use a new output folder.")
        else:
            problems = self._fit(path) if job.mode == "fit" else self._update(path)
            self.errors.update(problems)
            atomic_write_text(self.job.output / RECORD, json.dumps(
                {"digest": model_digest(path), "errors": problems, "status": self.status}, indent=1))
        if job.coverage is not None:
            self.half = halfwidths(self.store.read_calibration() or {}, job.coverage)

    def _record(self):
        try:
            return json.loads((self.job.output / RECORD).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _read(self, files, future):
        say(self.progress, f"reading every series for the global model from {len(files)} file(s)")
        for _, chunk in iter_chunks(files, 1000, self.job.exog):
            series, errors = chunk_inputs(self.job, chunk, None if future is None else future.rows(chunk.keys))
            self.errors.update(errors)
            for key, (y, X) in series.items():
                self.series[key], self.X[key] = y, X
        say(self.progress, f"read {len(self.series)} series ({len(self.errors)} unusable, see errors.csv)")

    def _fit(self, path) -> dict:
        job = self.job
        proto = make_model(job)
        name, need = type(proto).__name__, proto._min_length()
        short = [k for k, s in self.series.items() if len(s) < need]
        if short and not job.skip_short:
            raise NotEnoughDataError(
                f"{len(short)} series have fewer than the {need} points {name} needs to fit on ({short[:5]}); set "
                f"skip_short = true to list them in errors.csv and fit the others, or lower lags/horizon."
            )
        problems = {k: reason(NotEnoughDataError(f"{len(self.series[k])} points; {name} needs {need} to fit on "
                                                  f"(skipped: skip_short = true).")) for k in short}
        fit = {k: s for k, s in self.series.items() if k not in problems}
        if not fit:
            raise NotEnoughDataError(f"no series has the {need} points {name} needs to fit on.")
        X = {k: self.X[k] for k in fit} if job.exog else None
        with fit_progress(self.progress, proto.get_tag("neural")):
            if job.coverage is not None:
                say(self.progress, f"calibration: fitting {name} on the heads of {len(fit)} series")
                errors, failed = calibrate_global(make_model(job), fit, job.horizon, job.coverage)
                problems.update({k: reason(exc) for k, exc in failed.items()})
                self.store.write_calibration(errors)
            else:
                (self.store.path / CALIBRATION).unlink(missing_ok=True)  # errors of an older model
            say(self.progress, f"fitting {name} on {len(fit)} series")
            model = make_model(job).fit(fit, X=X)
        model.save(path)
        say(self.progress, f"saved the global model in {path}")
        self.model, self.status = model, dict.fromkeys(fit, "fitted")
        return problems

    def _update(self, path) -> dict:
        job, model = self.job, load_model(path)
        new, Xn, problems = {}, {}, []
        for k, y in self.series.items():
            if k not in model.series_:
                continue  # unseen: forecast from its own history
            seen = model.series_[k].index
            if isinstance(y.index, pd.DatetimeIndex) != isinstance(seen, pd.DatetimeIndex):
                problems.append((k, reason(InvalidInputError(
                    f"series {k!r}: the input's timestamps are not of the kind the model was fitted on."))))
                continue
            fresh = y[y.index > seen[-1]]
            if len(fresh):
                new[k], Xn[k] = fresh, None if self.X[k] is None else self.X[k].loc[fresh.index]

        def update(keys):
            model.update({k: new[k] for k in keys}, {k: Xn[k] for k in keys} if job.exog else None)
            return keys

        say(self.progress, f"updating the global model with the new rows of {len(new)} series")
        done = [k for keys in isolated(update, list(new), problems) for k in keys]
        if done:
            model.save(path)
        self.model, self.status = model, dict.fromkeys(done, "updated")
        return dict(problems)

    # -- after preparation ---------------------------------------------------------------
    def gone(self, present) -> list:
        """Series of the model that the input no longer holds."""
        present = set(present)
        return [k for k in self.model.series_ if k not in present]

    def forecast(self, keys) -> tuple:
        """``(forecasts, errors, status)`` of one chunk of series ids, from one batched call per kind
        (series of the model, from its history; unseen series, from theirs)."""
        job, model = self.job, self.model
        errors, known, unseen = [], [], []
        for k in keys:
            if k in self.errors:
                errors.append((k, self.errors[k]))
                continue
            try:
                if self.half is not None and k not in self.half:
                    raise InvalidInputError(f"series {k!r} has no calibration errors: it was not in the fit night's "
                                            f"calibration. Its interval needs a fit night with coverage.")
                history = model.series_[k] if k in model.series_ else self.series[k]
                if len(history) < model.context_length_:
                    raise short_history(len(history), model.context_length_)
                check_future(k, model, history.index, self.X[k], job.horizon)
            except SERIES_ERRORS as exc:
                errors.append((k, reason(exc)))
                continue
            (known if k in model.series_ else unseen).append(k)

        def exog(ks):
            return {k: self.X[k] for k in ks} if job.exog else None

        frames = isolated(lambda ks: model.predict(job.horizon, y=list(ks), X=exog(ks)), known, errors)
        frames += isolated(lambda ks: model.predict(job.horizon, y={k: self.series[k] for k in ks}, X=exog(ks)),
                           unseen, errors)
        fc = concat_forecasts(frames)
        if self.half is not None and len(fc):
            codes, ids = pd.factorize(fc["id"])
            width = np.stack([self.half[k] for k in ids])[codes, fc["step"].to_numpy() - 1]
            fc["lower"], fc["upper"] = fc["forecast"] - width, fc["forecast"] + width
        done = [self.status.get(k) for k in keys]
        status = {"saved": [], "fitted": done.count("fitted"), "updated": done.count("updated"), "kept": 0}
        return fc, pd.DataFrame(errors, columns=["id", "reason"]), status
