"""Figures of an experiment (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..atomic import atomic_write


def _figure(nrows=1, height=3.6):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, 1, figsize=(10, height * nrows), squeeze=False, sharex=True)
    return fig, axes[:, 0]


def _save(fig, path):
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)


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


def plot_forecasts(y: pd.Series, predictions: pd.DataFrame, models, horizon: int, path, title: str, span=None):
    """Forecast against actual for ``models`` over the last part of the test period.

    The forecast paths come from the last origins spaced ``horizon`` apart, so
    each plotted point is a genuine out-of-sample forecast made from one origin.
    """
    span = span or max(4 * horizon, 48)
    fig, axes = _figure(len(models))
    for ax, name in zip(axes, models):
        p = predictions[predictions["model"] == name]
        # ``origin`` holds the label of the last observed point; tile by position in the series.
        pos = y.index.get_indexer(pd.Index(p["origin"]))
        keep = tiling_origins(pos, horizon, span)
        p = p[np.isin(pos, keep)]
        actual = y.iloc[max(0, int(keep.min()) - horizon):]
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.2, label="actual")
        for i, (_, part) in enumerate(p.groupby("origin", sort=True)):
            ax.plot(part["timestamp"], part["y_pred"], color="tab:red", lw=1.2, label="forecast" if i == 0 else None)
            if "lower" in part and part["lower"].notna().all():
                ax.fill_between(part["timestamp"], part["lower"], part["upper"], color="tab:red", alpha=0.15,
                                label="interval" if i == 0 else None)
        ax.set_title(name, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    fig.autofmt_xdate()
    _save(fig, path)


def plot_by_lead(values: dict, ylabel: str, path, title: str, nominal=None):
    """One line per model of a per-lead-time quantity (error, coverage); ``nominal`` draws a reference line."""
    fig, (ax,) = _figure(1, height=4.5)
    for name, series in values.items():
        ax.plot(series.index.to_numpy(), series.to_numpy(), marker="o", ms=3, lw=1.2, label=name)
    if nominal is not None:
        ax.axhline(nominal, color="black", ls="--", lw=1, label=f"nominal {nominal:g}")
    ax.set_xlabel("lead time (steps ahead)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    _save(fig, path)
