"""Figures of an experiment (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from .report import unit_scale

# Base offset code (pandas rule code before any "-" anchor) -> one step in words.
STEP_NAMES = {"h": "hour", "min": "minute", "s": "second", "ms": "millisecond", "D": "day", "B": "business day",
              "C": "business day", "W": "week", "ME": "month", "MS": "month", "QE": "quarter", "QS": "quarter",
              "YE": "year", "YS": "year"}


def _figure(nrows=1, height=3.6):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # Constrained layout keeps the suptitle, the outside legends and rotated dates clear of each other.
    fig, axes = plt.subplots(nrows, 1, figsize=(10, height * nrows), squeeze=False, sharex=True, layout="constrained")
    return fig, axes[:, 0]


def _save(fig, path):
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)


def _legend(ax):
    """A legend outside the axes, right of them, so it never hides data (saved with bbox_inches="tight")."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, fontsize=8)


def lead_axis_label(freq) -> str:
    """``"lead time (hours ahead)"``; ``"lead time (steps ahead, 1 step = 5 minutes)"``; steps when unknown."""
    from pandas.tseries.frequencies import to_offset

    try:
        offset = to_offset(freq)
    except (TypeError, ValueError):
        return "lead time (steps ahead)"
    name = STEP_NAMES.get(offset.rule_code.split("-")[0]) if offset is not None else None
    if name is None:
        return "lead time (steps ahead)"
    if offset.n == 1:
        return f"lead time ({name}s ahead)"
    return f"lead time (steps ahead, 1 step = {offset.n} {name}s)"


def tiling_origins(origins, horizon: int, span: int) -> np.ndarray:
    """The last origins, at least ``horizon`` apart, whose forecasts tile the last ``span`` steps."""
    origins = np.sort(np.unique(origins))[::-1]
    picked = [origins[0]]
    for o in origins[1:]:
        if o <= origins[0] - span:
            break
        if o <= picked[-1] - horizon:
            picked.append(o)
    return np.array(picked[::-1])


def plot_forecasts(y: pd.Series, predictions: pd.DataFrame, models, horizon: int, path, title: str, span=None,
                   unit=None, level=None):
    """Forecast against actual for ``models`` over the last part of the test period.

    The forecast paths come from the last origins spaced ``horizon`` apart, so
    each plotted point is a genuine out-of-sample forecast made from one origin.
    Values are shown in ``unit`` (scaled as in the report's tables); ``level``
    is the nominal coverage of the intervals, named in the legend.
    """
    span = span or max(4 * horizon, 48)
    fig, axes = _figure(len(models))
    shown = []
    for name in models:
        p = predictions[predictions["model"] == name]
        # ``origin`` holds the label of the last observed point; tile by position in the series.
        pos = y.index.get_indexer(pd.Index(p["origin"]))
        keep = tiling_origins(pos, horizon, span)
        shown.append((name, p[np.isin(pos, keep)], y.iloc[max(0, int(keep.min()) - horizon):]))
    factor, label = unit_scale(np.concatenate([actual.to_numpy() for _, _, actual in shown]), unit)
    band = f"{level * 100:g}% interval" if level else "interval"
    for ax, (name, p, actual) in zip(axes, shown):
        ax.plot(actual.index, actual.to_numpy() / factor, color="black", lw=1.2, label="actual")
        # One-step forecasts are one point per origin: join them into one path, or nothing would show.
        paths = [p.sort_values("timestamp")] if horizon == 1 else [part for _, part in p.groupby("origin", sort=True)]
        for i, part in enumerate(paths):
            ax.plot(part["timestamp"], part["y_pred"] / factor, color="tab:red", lw=1.2,
                    label="forecast" if i == 0 else None)
            if "lower" in part and part["lower"].notna().all():
                ax.fill_between(part["timestamp"], part["lower"] / factor, part["upper"] / factor, color="tab:red",
                                alpha=0.15, label=band if i == 0 else None)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(f"{y.name if y.name is not None else 'value'}" + (f" ({label})" if label else ""))
        _legend(ax)
    axes[-1].set_xlabel("time" if isinstance(y.index, pd.DatetimeIndex) else "time (steps)")
    fig.suptitle(title)
    for label in axes[-1].get_xticklabels():
        label.set(rotation=30, horizontalalignment="right")
    _save(fig, path)


def plot_by_lead(values: dict, ylabel: str, path, title: str, nominal=None, unit=None, xlabel=None, note=None):
    """One line per model of a per-lead-time quantity (error, coverage); ``nominal`` draws a reference line.

    ``unit``: the values' unit (scaled as in the report's tables, named on the
    y axis); ``xlabel``: the lead-time axis label (see :func:`lead_axis_label`);
    ``note``: a second title line, e.g. how many origins each point averages.
    """
    from matplotlib.ticker import MaxNLocator

    fig, (ax,) = _figure(1, height=4.5)
    factor, label = unit_scale(np.concatenate([np.asarray(s, dtype=float) for s in values.values()]), unit)
    for name, series in values.items():
        ax.plot(series.index.to_numpy(), series.to_numpy() / factor, marker="o", ms=3, lw=1.2, label=name)
    if nominal is not None:
        ax.axhline(nominal, color="black", ls="--", lw=1, label=f"nominal {nominal * 100:g}%")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # lead times are whole steps
    ax.set_xlabel(xlabel or "lead time (steps ahead)")
    ax.set_ylabel(f"{ylabel} ({label})" if label else ylabel)
    ax.set_title(f"{title}\n{note}" if note else title)
    ax.grid(alpha=0.3)
    _legend(ax)
    _save(fig, path)
