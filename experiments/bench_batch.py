"""Throughput of batch jobs in series/second, for both kinds of job, Parquet in and out.

(a) Global: an LSTM trained quickly on a subset of links forecasts every link's
    history: series/second of the batched ``predict`` call alone, given the
    histories as a dict ``{id: Series}`` and as the long DataFrame itself, and
    of a whole ``run_batch`` job (Parquet in, Parquet chunks out, model loaded
    from its saved folder) including all I/O.
(b) Local AR: one AR model fitted and forecast per series inside ``run_batch``
    (the chunk's fits share one batched least-squares solve), including all I/O
    and, with ``--n-jobs`` above 1, the worker processes' start-up. On simulated
    links (``--n-ar`` series of ``--ar-length`` points) and, with ``--milan``, on
    the 281 Milan cells (``TSFORECAST_DATA_DIR``; ragged: some cells are short).

Every number printed is measured in this run; nothing is tuned away. The input
files are written before the clock starts; the clock covers ``run_batch`` only
(this process has imported tsforecast, and for (a) TensorFlow, already).

    .venv/bin/python experiments/bench_batch.py --n-series 10000 --seed 0
    .venv/bin/python experiments/bench_batch.py --kind global --repeat-jobs 4   # TSFORECAST_KERAS_PREDICT=1: Keras path
    .venv/bin/python experiments/bench_batch.py --kind ar --n-ar 5000 --ar-length 1000 --milan --n-jobs 1 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd


def simulate(n_series, length, seed):
    from tsforecast.datasets import make_traffic

    df = make_traffic(n_series=n_series, length=length, seed=seed)
    df["id"] = df["id"].astype(str)
    return df


def milan_cells():
    """The Milan cells as a long table; the empty trailing values of the short cells are dropped."""
    from tsforecast.datasets import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = load_dataset("milan_cells", missing="keep").data.dropna()
    df["id"] = df["id"].astype(str)
    return df.sort_values(["id", "timestamp"], kind="stable").reset_index(drop=True)


def timed_batch(job, **overrides):
    from tsforecast.batch import run_batch

    t = time.perf_counter()
    summary = run_batch(job, progress=False, **overrides)
    return summary, time.perf_counter() - t


def bench_global(df, args, work: Path):
    from tsforecast import LSTMForecaster
    from tsforecast.multiseries import long_to_dict

    ids = df["id"].unique()
    train = df[df["id"].isin(ids[: args.n_train])]
    model = LSTMForecaster(lags=args.lags, horizon=args.horizon, units=16, epochs=args.epochs, batch_size=256,
                           patience=1, seed=args.seed)
    t = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - t
    model.save(work / "lstm")
    histories = long_to_dict(df)
    model.predict(args.horizon, y=dict(list(histories.items())[:8]))  # compile the predict function once
    t = time.perf_counter()
    model.predict(args.horizon, y=histories)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    fc = model.predict(args.horizon, y=histories)
    predict_s = time.perf_counter() - t
    t = time.perf_counter()
    fc_long = model.predict(args.horizon, y=df)
    long_s = time.perf_counter() - t
    assert fc["id"].nunique() == len(histories)
    pd.testing.assert_frame_equal(fc_long, fc)  # the same forecasts from either input
    n = len(histories)
    print(f"(a) global LSTM (lags={args.lags}, horizon={args.horizon}, units=16) trained on {args.n_train} series, "
          f"{args.epochs} epoch(s): fit {fit_s:.1f} s")
    print(f"    first predict(y=dict) on all {n} series (also compiles the network for the larger batch shapes): "
          f"{first_s:.2f} s = {n / first_s:,.0f} series/s")
    print(f"    predict(y=dict of {n} histories), one batched call: {predict_s:.2f} s = "
          f"{n / predict_s:,.0f} series/s (validation, scaling, output frame included)")
    print(f"    predict(y=long DataFrame, {len(df):,} rows id/timestamp/value), one batched call: {long_s:.2f} s = "
          f"{n / long_s:,.0f} series/s (splitting by id, timestamp checks, validation, scaling, output frame included)")
    df.to_parquet(work / "input.parquet")
    job = {"input": str(work / "input.parquet"), "output": str(work / "out_lstm"), "model": str(work / "lstm"),
           "horizon": args.horizon, "run": {"chunk_size": args.chunk_size}}
    for k in range(args.repeat_jobs):  # the first job loads the model; later ones in the process reuse it
        summary, s = timed_batch({**job, "output": f"{job['output']}_{k}"})
        print(f"    global job {k + 1}: run_batch, inline, chunks of {args.chunk_size}: {summary.n_done} done, "
              f"{summary.n_failed} failed in {s:.2f} s = {summary.n_done / s:,.0f} series/s "
              f"(Parquet read + {'model load + ' if k == 0 else ''}write included)")


def bench_ar(df, label, args, work: Path):
    path = work / f"input_ar_{label.split()[0]}.parquet"
    df.to_parquet(path)
    n = df["id"].nunique()
    for n_jobs in args.n_jobs:
        job = {"input": str(path), "output": str(work / f"out_ar_{label.split()[0]}_{n_jobs}"), "model": "ar",
               "horizon": args.horizon, "params": {"lags": args.ar_lags}, "run": {"chunk_size": args.ar_chunk_size}}
        summary, s = timed_batch(job, n_jobs=n_jobs)
        print(f"(b) local AR(lags={args.ar_lags}) job, {label} ({n} series, {len(df):,} rows), chunks of "
              f"{args.ar_chunk_size}, n_jobs={n_jobs}: {summary.n_done} done, {summary.n_failed} failed in {s:.2f} s "
              f"= {summary.n_done / s:,.0f} series/s (Parquet read and write{', worker start-up' if n_jobs > 1 else ''}"
              f" included)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=("all", "global", "ar"), default="all", help="which jobs to run")
    parser.add_argument("--n-series", type=int, default=10_000, help="links for the global LSTM (default 10000)")
    parser.add_argument("--length", type=int, default=24 * 14, help="points per series (default 336, two weeks hourly)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=200, help="series the global LSTM is trained on")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lags", type=int, default=48)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--chunk-size", type=int, default=2000, help="series per batch chunk for (a)")
    parser.add_argument("--repeat-jobs", type=int, default=1, help="run the global job this many times, one after "
                        "another in this process (the first loads the model)")
    parser.add_argument("--n-ar", type=int, default=2000, help="simulated series for the AR job (default 2000; 0: none)")
    parser.add_argument("--ar-length", type=int, default=None, help="points per AR series (default --length)")
    parser.add_argument("--ar-lags", type=lambda v: v if v == "auto" else int(v), default=24,
                        help="AR order, or \"auto\" (AIC over orders 0..24, chosen for a whole chunk at once)")
    parser.add_argument("--ar-chunk-size", type=int, default=1000, help="series per batch chunk for (b)")
    parser.add_argument("--milan", action="store_true", help="also run the AR job on the 281 Milan cells")
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2], help="worker processes for (b), one run each")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.kind in ("all", "global"):
            t = time.perf_counter()
            df = simulate(args.n_series, args.length, args.seed)
            print(f"simulated {args.n_series} series x {args.length} points (seed {args.seed}) in "
                  f"{time.perf_counter() - t:.1f} s")
            bench_global(df, args, work)
        if args.kind in ("all", "ar"):
            length = args.ar_length or args.length
            if args.n_ar:
                bench_ar(simulate(args.n_ar, length, args.seed), f"simulated links x {length} points", args, work)
            if args.milan:
                bench_ar(milan_cells(), "Milan cells", args, work)
    return 0


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    raise SystemExit(main())
