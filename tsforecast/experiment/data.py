"""Load an experiment's data: the series of one run (a catalogue dataset or a file) and its protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ConfigError
from ..multiseries import to_series_dict
from .config import RunSpec

DEFAULT_METRICS = ["mae", "rmse", "mape", "mase"]
DEFAULT_TRAIN_FRACTION = 0.75


def _dataset_path(run: RunSpec) -> Path:
    path = Path(run.dataset).expanduser()
    candidates = [path] if path.is_absolute() else [p for p in ((run.base_dir / path) if run.base_dir else None, path) if p]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    from ..datasets import list_datasets

    raise ConfigError(f"dataset {run.dataset!r} (datasets.{run.label}) is neither a built-in dataset "
                      f"{list_datasets()} nor an existing file (looked for {', '.join(map(str, candidates))}).")


def _select_long(long: pd.DataFrame, run: RunSpec) -> dict:
    from ..multiseries import long_to_dict

    series = long_to_dict(long)
    sel = run.series
    if sel is None:
        raise ConfigError(f"dataset {run.dataset!r} holds {len(series)} series; choose with series = \"<id>\", a list "
                          f"of ids, a count (the first n) or \"all\".")
    if sel == "all":
        return series
    if isinstance(sel, int):
        return dict(list(series.items())[:sel])
    ids = [sel] if isinstance(sel, str) else sel
    unknown = [k for k in ids if k not in series]
    if unknown:
        raise ConfigError(f"series {unknown[0]!r} is not in dataset {run.dataset!r}; ids look like {list(series)[:3]}.")
    return {k: series[k] for k in ids}


def load_run_data(run: RunSpec):
    """The series (or ``{id: series}``) and dataset card (None for a user file) of one run.

    The loaders apply ``missing``, except ``"ffill"`` on many series (``series =``
    given): those are loaded with gaps as NaN and only the selected series are
    filled, so a gap in a series that is not used cannot stop the run.
    """
    from ..datasets import list_datasets, load_dataset, read_long_file, read_series_file, trading_day_series

    loader_missing = "keep" if run.missing == "ffill" and run.series is not None else run.missing
    if run.dataset in list_datasets():
        data, info = load_dataset(run.dataset, missing=loader_missing)
        source = f"catalogue dataset `{run.dataset}` ({info.title})"
    else:
        path = _dataset_path(run)
        read = read_long_file if run.series is not None else read_series_file
        data = read(path, missing=loader_missing)
        info, source = None, f"file `{path}`"
    if isinstance(data, pd.DataFrame) and "id" in data.columns:
        data = _select_long(data, run)
        if run.missing == "ffill":
            data = to_series_dict(data, missing="ffill")
    elif isinstance(data, pd.DataFrame):
        if run.column is None or run.column not in data.columns:
            raise ConfigError(f"dataset {run.dataset!r} has columns {list(data.columns)}; choose one with column = \"<name>\".")
        data = trading_day_series(data, run.column) if info is not None and info.kind == "frame" else data[run.column]
        source += f", column `{run.column}`"
    elif run.column is not None or run.series is not None:
        raise ConfigError(f"dataset {run.dataset!r} is a single series; drop column / series from the config.")
    return data, info, source


def resolve_protocol(protocol: dict, info) -> dict:
    """Protocol settings with defaults from the dataset card; ``initial`` may be a fraction or a test size."""
    card = info.protocol if info is not None else {}
    metrics = list(protocol.get("metrics", DEFAULT_METRICS))
    headline = protocol.get("headline", card.get("metric") if card.get("metric") in metrics else metrics[0])
    metrics = [headline] + [m for m in metrics if m != headline]  # compare ranks by the first metric
    if "initial" in protocol:
        initial = protocol["initial"]
    elif "test_size" in protocol:
        initial = -protocol["test_size"]  # resolved per series: len(y) - test_size
    else:
        initial = float(protocol.get("train_fraction", card.get("train_fraction", DEFAULT_TRAIN_FRACTION)))
    return {
        "initial": initial,
        "horizon": protocol.get("horizon", card.get("horizon", 1)),
        "step": protocol.get("step", 1),
        "refit": protocol.get("refit", False),
        "window": protocol.get("window", "expanding"),
        "metrics": metrics,
        "headline": headline,
        "coverage": protocol.get("coverage"),
        "seasonal_period": protocol.get("seasonal_period", info.seasonal_periods[0] if info is not None else 1),
        "n_jobs": protocol.get("n_jobs", 1),
        "periods": protocol.get("periods", "frequency"),
    }


def measured_periods(y, p: dict):
    """The season lengths the models of a run take: None (their data's frequency) unless the protocol says
    ``periods = "detect"``; then :func:`~tsforecast.seasonality.detect_periods` on the first half of the
    training part, the data before the first cross-validation origin of a search, so that neither a
    search nor the test part sees what it measured. Over many series, the lengths most series show."""
    from collections import Counter

    from ..exceptions import NotEnoughDataError
    from ..seasonality import detect_periods

    if p["periods"] != "detect":
        return None
    found = Counter()
    for s in (y.values() if isinstance(y, dict) else [y]):
        init = _initial_for(p["initial"], len(s))
        end = int(np.floor(init * len(s))) if isinstance(init, float) else int(init)
        try:
            found[detect_periods(s.iloc[: end // 2].interpolate(limit_direction="both"))] += 1
        except NotEnoughDataError:
            continue  # too short to measure: the other series decide
    if not found:
        raise ConfigError("periods = \"detect\" needs two cycles of the longest season in the first half of a "
                          "training part; no series has them. Use periods = \"frequency\".")
    return max(found, key=found.get)  # the most common; the first seen on a tie


def _initial_for(initial, n: int):
    return n + initial if isinstance(initial, int) and initial < 0 else initial


def _compare_kwargs(p: dict, n: int) -> dict:
    kw = {k: p[k] for k in ("horizon", "step", "refit", "window", "metrics", "coverage", "seasonal_period", "n_jobs")}
    kw["initial"] = _initial_for(p["initial"], n)
    return kw
