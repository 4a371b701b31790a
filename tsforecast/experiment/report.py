"""The Markdown report of an experiment."""

from __future__ import annotations

import platform
from importlib import metadata

import numpy as np
import pandas as pd

VERSIONED = ("numpy", "pandas", "tensorflow", "keras", "statsmodels", "scikit-learn", "tsforecast")


def versions() -> dict:
    """Versions of Python and the libraries that produce the numbers."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.4g}"
    return str(value)


def markdown_table(df: pd.DataFrame, index=True) -> str:
    """A GitHub-flavoured Markdown table; numbers to 4 significant digits."""
    frame = df.reset_index() if index else df
    header = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    align = ["---:" if n else ":---" for n in numeric]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _ts(value) -> str:
    return str(value)


def protocol_text(summary: dict) -> str:
    """The evaluation protocol of one dataset, in words."""
    s = summary
    lines = [
        f"- **Data**: {s['source']} — {s['n']} points, frequency {s['frequency']}, "
        f"{_ts(s['first'])} → {_ts(s['last'])}" + (f", {s['n_series']} series" if s.get("n_series") else "") + ".",
        f"- **Split**: the first {s['initial']} points ({s['train_share']:.0%}, up to {_ts(s['train_end'])}) are the "
        f"training part; the remaining {s['n'] - s['initial']} points are the test part."
        + (" (Per series for many series.)" if s.get("n_series") else ""),
        f"- **Origins**: {s['n_origins']} forecast origins in the test part, one every {s['step']} step(s); each "
        f"forecasts lead times 1..{s['horizon']} from the actual history before it.",
    ]
    if s["refit"] is False:
        lines.append("- **Refit**: none — every model is fitted once on the training part and forecasts every "
                     "origin from the observed history without seeing test data in fitting.")
    else:
        every = "every origin" if s["refit"] is True else f"every {s['refit']} origins"
        lines.append(f"- **Refit**: {every}, on a{'n expanding' if s['window'] == 'expanding' else ' rolling'} "
                     f"window of the data before the origin.")
    lines.append(f"- **Scaling**: {s['scaling']}")
    lines.append(f"- **Metrics**: {', '.join(s['metrics'])}; headline **{s['headline']}**; "
                 f"MASE scaled by the in-sample seasonal naive error with m = {s['seasonal_period']}.")
    if s.get("coverage"):
        lines.append(f"- **Intervals**: split-conformal, nominal coverage {s['coverage']:.0%}, from errors known "
                     f"before each origin.")
    if s.get("baseline"):
        lines.append(f"- **Baseline**: `{s['baseline']}`; `dm_stat`/`dm_pvalue` are Diebold–Mariano tests "
                     f"(Harvey–Leybourne–Newbold corrected) of each model against it; `dm_pvalue_holm` adjusts "
                     f"them (Holm) for testing every model against the same baseline.")
    return "\n".join(lines)


def scaling_text(models: dict) -> str:
    """How each model scales its inputs (fitted on the training part only)."""
    parts = []
    for label, est in models.items():
        scaler = est.get_params().get("scaler", "__none__")
        if scaler != "__none__":
            parts.append(f"`{label}`: {scaler or 'no'} scaler")
    if not parts:
        return "none (the models work on the raw values)."
    return "fitted on the training part only — " + ", ".join(parts) + "; other models use raw values."
