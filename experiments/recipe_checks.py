"""Read an experiment's results and print the traffic recipe's acceptance checks.

For each dataset: the best classical model and the best model containing a network (by the headline
metric), the Diebold-Mariano test between them (squared error, the same test as the report's) and, when
it is not significant, how much smaller the network's errors would have to be for p < 0.05; lead-1
MAPE of every model against the naive forecast's, and the models that lose to seasonal naive.

    tsforecast experiment experiments/network_traffic.toml --results-dir results
    python experiments/recipe_checks.py results/network_traffic
    python experiments/recipe_checks.py results/network_traffic --network narx   # the model CV chose
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.evaluation.compare import dm_against
from tsforecast.registry import get_forecaster_class

CLASSICAL = {"naive", "seasonal_naive", "ar", "arima", "holt_winters", "mstl"}


def contains_network(spec: dict) -> bool:
    """Whether a resolved model spec (from config.json) is, or combines, a network."""
    if spec["model"] == "ensemble":
        return any(contains_network(m if isinstance(m, dict) else {"model": m[0]}) for m in spec["models"])
    return bool(get_forecaster_class(spec["model"]).get_tag("neural"))


def fell_back(report: str, dataset: str) -> set:
    """Models that the report says fell back to their fallback (all series) on ``dataset``."""
    section = report.split(f"\n## {dataset}\n", 1)[-1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)`[^:\n]*: fell back to", section, flags=re.MULTILINE))


def error_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Errors (origins x steps) of one model on one dataset (series stacked for many-series data)."""
    # A results file with a many-series dataset has a series column, empty for the single-series ones.
    keys = ["series", "origin"] if "series" in frame.columns and frame["series"].notna().any() else ["origin"]
    return (frame.assign(e=frame["y_true"] - frame["y_pred"]).pivot_table(index=keys, columns="step", values="e")
            .sort_index())


def significant_scale(e_net, e_cls, step):
    """The largest factor ``k`` such that errors ``k * e_net`` beat ``e_cls`` with DM p < 0.05 (bisection):
    how much better, with the same pattern of errors, the network would have to be."""
    lo, hi = 0.0, 1.0  # k = 0 (a perfect forecast) is significant unless the test is undefined
    for _ in range(30):
        k = (lo + hi) / 2
        stat, p = dm_against(k * e_net, e_cls, step, "se")
        lo, hi = (k, hi) if stat < 0 and p < 0.05 else (lo, k)
    return lo


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the experiment's results folder (holds metrics.csv)")
    parser.add_argument("--network", help="test this model against the best classical one (default: the model "
                        "containing a network with the best headline metric on the test part)")
    args = parser.parse_args(argv)
    import json

    config = json.loads((args.results / "config.json").read_text())
    metrics = pd.read_csv(args.results / "metrics.csv")
    forecasts = pd.read_parquet(args.results / "forecasts.parquet")
    step = int(config.get("protocol", {}).get("step", 1))
    specs = config["models"]
    report = (args.results / "report.md").read_text()
    for dataset, table in metrics.groupby("dataset", sort=False):
        headline = next(c for c in ("mape", "mase") if c in table and table[c].notna().any())
        table = table.set_index("model")
        fallen = fell_back(report, dataset)
        # A network that fell back to seasonal naive forecasts as seasonal naive: it is not a network here.
        nets = [m for m in table.index if contains_network(specs[m]) and m not in fallen]
        classical = [m for m in table.index if m in CLASSICAL]
        rows = forecasts[forecasts["dataset"] == dataset]
        print(f"\n== {dataset} ({headline}) ==")
        if fallen:
            print(f"fell back to seasonal naive on the training folds: {sorted(fallen)}")
        if not nets:
            print("no model with a network is left")
        else:
            _network_against_classical(parser, args, table, rows, headline, nets, classical,
                                       int(config.get("datasets", {}).get(dataset, {}).get("protocol", {})
                                           .get("step", step)))
        lead1 = rows[rows["step"] == 1].assign(ape=lambda d: 100 * (d["y_true"] - d["y_pred"]).abs() / d["y_true"].abs())
        lead1 = lead1.replace([np.inf], np.nan).groupby("model")["ape"].mean().sort_values()
        print("lead-1 MAPE: " + ", ".join(f"{m} {v:.2f}" for m, v in lead1.items() if not math.isnan(v)))
        # Equal to 9 significant digits is a tie: a model that is the seasonal naive forecast (ARIMA's
        # seasonal random walk on log1p values) differs from it only by rounding.
        snaive = table.loc["seasonal_naive", headline]
        others = [m for m in table.index if m not in ("naive", "seasonal_naive")]
        tied = [m for m in others if math.isclose(table.loc[m, headline], snaive, rel_tol=1e-9)]
        worse = [m for m in others if m not in tied and table.loc[m, headline] > snaive]
        print(f"worse than seasonal naive: {worse or 'none'}" + (f" (tied with it: {tied})" if tied else ""))
    return 0


def _network_against_classical(parser, args, table, rows, headline, nets, classical, ds_step):
    """DM test of the best (or the given) model with a network against the best classical model."""
    best_net, best_cls = table.loc[nets, headline].idxmin(), table.loc[classical, headline].idxmin()
    if args.network:
        if args.network not in nets:
            parser.error(f"--network {args.network!r} is not a model with a network here; those are {nets}")
        best_net = args.network
    e_net = error_matrix(rows[rows["model"] == best_net])
    e_cls = error_matrix(rows[rows["model"] == best_cls]).loc[e_net.index]
    stat, p = dm_against(e_net.to_numpy(), e_cls.to_numpy(), ds_step, "se", best_net, best_cls)
    print(f"{'given' if args.network else 'best'} with a network: {best_net} {table.loc[best_net, headline]:.3f}; "
          f"best classical: {best_cls} {table.loc[best_cls, headline]:.3f}; DM (squared error) stat {stat:.2f}, "
          f"p {p:.4f} ({'network better' if stat < 0 else 'classical better'})")
    if not p < 0.05 or stat > 0:
        k = significant_scale(e_net.to_numpy(), e_cls.to_numpy(), ds_step)
        mse = float(np.mean(e_net.to_numpy() ** 2) / np.mean(e_cls.to_numpy() ** 2))
        print(f"  the same errors scaled by {k:.3f} would reach p < 0.05: an MSE {k * k * mse:.3f} times the "
              f"classical model's instead of {mse:.3f}")


if __name__ == "__main__":
    sys.exit(main())
