"""The report of an experiment: its content as blocks, tables with units, and the Markdown rendering.

The report is built once as a list of blocks (:func:`render_markdown` writes
``report.md``; :mod:`.html_report` writes ``report.html`` from the same
blocks), so both show the same numbers formatted the same way.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
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


# Columns in the unit of the series; percent (mape, smape) and scale-free (mase, r2) metrics have none.
UNIT_COLUMNS = ("mae", "rmse", "width")
SI_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_PREFIXABLE = re.compile(r"^(bits?|bytes?|B)(?=$|[/\s])")


def series_unit(info, column=None):
    """The unit of a dataset's values (``column`` picks one of a wide frame's); None when unknown.

    A card of a wide frame lists per-column units as ``"a (X, Y); b (Z)"``;
    the part naming ``column`` is returned, e.g. ``"index points"`` for Close.
    Other notes in parentheses are dropped, so the unit reads short on axes.
    """
    unit = getattr(info, "unit", None)
    if not unit:
        return None
    parts = [p.strip() for p in unit.split(";")]
    if column is not None:
        for part in parts:
            match = re.fullmatch(r"(.*?)\s*\((.*)\)", part)
            if match and column in [c.strip() for c in match.group(2).split(",")]:
                return match.group(1)
    if len(parts) > 1:
        return None  # per-column units and no (known) column: no single unit
    return re.sub(r"\s*\(.*\)\s*$", "", unit).strip() or None


def unit_scale(values, unit):
    """``(factor, label)`` to show ``values`` in ``unit``: divide by ``factor``, label with ``label``.

    Bits and bytes take the SI prefix (k, M, G, T) that puts the median
    magnitude of the finite non-zero values in [1, 1000), so 4.66e7 bit/s
    reads 46.6 Mbit/s. Other units are kept as they are; no unit gives
    ``(1.0, None)``.
    """
    if not unit:
        return 1.0, None
    if not _PREFIXABLE.match(unit):
        return 1.0, unit
    v = np.abs(np.asarray(values, dtype=float).ravel())
    v = v[np.isfinite(v) & (v > 0)]
    if v.size:
        size = np.median(v)
        for factor, prefix in SI_PREFIXES:
            if size >= factor:
                return factor, prefix + unit
    return 1.0, unit


def format_quantity(value, unit) -> str:
    """One value in its unit, to 4 significant digits: ``format_quantity(4.66e7, "bit/s") == "46.6 Mbit/s"``."""
    factor, label = unit_scale([value], unit)
    text = _cell(float(value) / factor)
    return f"{text} {label}" if label else text


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.4g}"
    return str(value)


def _raw(value) -> str:
    """A cell's exact value (the HTML sort key): full precision for floats, empty for NaN."""
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    return str(value)


@dataclass(frozen=True)
class FormattedTable:
    """A table ready to print: header and cell texts, which columns are numeric, and each cell's exact value."""

    header: list
    cells: list
    numeric: list
    raw: list


def format_table(df: pd.DataFrame, index=True, unit=None, unit_columns=UNIT_COLUMNS) -> FormattedTable:
    """Cell texts of ``df``; numbers to 4 significant digits.

    With ``unit``, the columns in ``unit_columns`` are shown in it, scaled per
    column (see :func:`unit_scale`) and headed ``"mae (Mbit/s)"``.
    """
    frame = df.reset_index() if index else df
    header, columns, numeric = [], [], []
    for name in frame.columns:
        col = frame[name]
        is_num = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        factor, label = unit_scale(col.to_numpy(), unit) if is_num and name in unit_columns else (1.0, None)
        header.append(f"{name} ({label})" if label else str(name))
        columns.append([_cell(v / factor) if factor != 1.0 else _cell(v) for v in col.tolist()])
        numeric.append(pd.api.types.is_numeric_dtype(col))
    cells = [list(row) for row in zip(*columns)] if columns else []
    raw = [[_raw(v) for v in row] for row in frame.itertuples(index=False)]
    return FormattedTable(header, cells, numeric, raw)


def markdown_table(df, index=True, unit=None) -> str:
    """A GitHub-flavoured Markdown table (of a DataFrame or a :class:`FormattedTable`); numbers to 4 significant digits."""
    t = df if isinstance(df, FormattedTable) else format_table(df, index=index, unit=unit)
    align = ["---:" if n else ":---" for n in t.numeric]
    lines = ["| " + " | ".join(t.header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in t.cells]
    return "\n".join(lines)


def _ts(value) -> str:
    return str(value)


def protocol_items(summary: dict) -> list:
    """The evaluation protocol of one dataset, in words: one item per aspect (Markdown inline text)."""
    s = summary
    unit = f"values in {s['unit']}, " if s.get("unit") else ""
    lines = [
        f"**Data**: {s['source']} — {s['n']} points, frequency {s['frequency']}, {unit}"
        f"{_ts(s['first'])} → {_ts(s['last'])}" + (f", {s['n_series']} series" if s.get("n_series") else "") + ".",
        f"**Split**: the first {s['initial']} points ({s['train_share']:.0%}, up to {_ts(s['train_end'])}) are the "
        f"training part; the remaining {s['n'] - s['initial']} points are the test part."
        + (" (Per series for many series.)" if s.get("n_series") else ""),
        f"**Origins**: {s['n_origins']} forecast origins in the test part, one every {s['step']} step(s); each "
        f"forecasts lead times 1..{s['horizon']} from the actual history before it.",
    ]
    if s["refit"] is False:
        lines.append("**Refit**: none — every model is fitted once on the training part and forecasts every "
                     "origin from the observed history without seeing test data in fitting.")
    else:
        every = "every origin" if s["refit"] is True else f"every {s['refit']} origins"
        lines.append(f"**Refit**: {every}, on a{'n expanding' if s['window'] == 'expanding' else ' rolling'} "
                     f"window of the data before the origin.")
    if s.get("periods"):
        lines.append(f"**Season lengths**: {', '.join(map(str, s['periods']))} steps, measured on the data "
                     f"(autocorrelation peak near each season of the frequency, on the first half of the training "
                     f"part) and taken by every model that takes a season length.")
    lines.append(f"**Scaling**: {s['scaling']}")
    lines.append(f"**Metrics**: {', '.join(s['metrics'])}; headline **{s['headline']}**; "
                 f"MASE scaled by the in-sample seasonal naive error with m = {s['seasonal_period']}.")
    if s.get("coverage"):
        lines.append(f"**Intervals**: split-conformal, nominal coverage {s['coverage']:.0%}, from errors known "
                     f"before each origin.")
    if s.get("baseline"):
        lines.append(f"**Baseline**: `{s['baseline']}`; `dm_stat`/`dm_pvalue` are Diebold–Mariano tests "
                     f"(Harvey–Leybourne–Newbold corrected) of each model against it; `dm_pvalue_holm` adjusts "
                     f"them (Holm) for testing every model against the same baseline.")
    return lines


def protocol_text(summary: dict) -> str:
    """The evaluation protocol of one dataset, as a Markdown list."""
    return "\n".join(f"- {item}" for item in protocol_items(summary))


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


def origins_per_lead(predictions: pd.DataFrame, columns=("y_true", "y_pred")) -> pd.DataFrame:
    """How many forecasts a per-lead number averages over: index lead time (``step``), one column per model.

    Counts the rows of the long ``predictions`` where every one of ``columns``
    is finite (``("y_true", "lower", "upper")`` for interval coverage, which
    leaves out origins without enough past errors for an interval). One
    series: the origins per lead; many series: summed over series.
    """
    ok = np.isfinite(predictions[list(columns)].to_numpy(dtype=float)).all(axis=1)
    counts = pd.Series(ok, index=predictions.index).groupby([predictions["step"], predictions["model"]]).sum()
    return counts.unstack("model", fill_value=0).astype("int64")


def origins_note(counts: pd.DataFrame, many_series=False) -> str:
    """``"n = 22 origins per lead"`` (a range when leads or models differ) for a plot or caption."""
    lo, hi = int(counts.to_numpy().min()), int(counts.to_numpy().max())
    n = str(lo) if lo == hi else f"{lo}–{hi}"
    return f"n = {n} " + ("forecasts per lead (origins summed over series)" if many_series else "origins per lead")


# -- the report as blocks ---------------------------------------------------------------------
# Each block is a tuple naming its kind first:
#   ("heading", level, text)   ("text", [line, ...])   ("list", [item, ...])   ("code", text)
#   ("table", FormattedTable)  ("figure", path, caption)
# Text is Markdown inline (**bold**, `code`). report.md leaves figures out (it lists the files);
# report.html embeds them.


def render_markdown(blocks) -> str:
    """``report.md`` from the report's blocks."""
    parts = []
    for kind, *args in blocks:
        if kind == "heading":
            parts.append("#" * args[0] + " " + args[1])
        elif kind == "text":
            parts.append("\n".join(args[0]))
        elif kind == "list":
            parts.append("\n".join(f"- {item}".replace("\n", "\n  ") for item in args[0]))
        elif kind == "code":
            parts.append(f"```\n{args[0]}\n```")
        elif kind == "table":
            parts.append(markdown_table(args[0]))
        elif kind != "figure":
            raise ValueError(f"unknown report block {kind!r}")
    return "\n\n".join(parts) + "\n"
