"""Throughput of batch forecasting on simulated traffic.

(a) A global LSTM trained quickly on a subset of links forecasts every link's
    history: series/second of the batched ``predict`` call alone, given the
    histories as a dict ``{id: Series}`` and as the long DataFrame itself, and
    of a whole ``run_batch`` job (Parquet in, Parquet chunks out, model loaded
    from its saved folder) including all I/O.
(b) Local AR models, fitted and forecast per series inside ``run_batch`` with
    ``n_jobs`` worker processes, including all I/O and worker start-up.

Every number printed is measured in this run; nothing is tuned away.

    .venv/bin/python experiments/bench_batch.py --n-series 10000 --seed 0
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd


def simulate(n_series, length, seed):
    from tsforecast.datasets import make_traffic

    df = make_traffic(n_series=n_series, length=length, seed=seed)
    df["id"] = df["id"].astype(str)
    return df


def bench_global(df, args, work: Path):
    from tsforecast import LSTMForecaster
    from tsforecast.batch import run_batch
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
    t = time.perf_counter()
    summary = run_batch(job, progress=False)
    batch_s = time.perf_counter() - t
    print(f"    run_batch, inline, chunks of {args.chunk_size}: {summary.n_done} done, {summary.n_failed} failed in "
          f"{batch_s:.2f} s = {summary.n_done / batch_s:,.0f} series/s (Parquet read + model load + write included)")


def bench_ar(df, args, work: Path):
    from tsforecast.batch import run_batch

    ids = df["id"].unique()[: args.n_ar]
    df[df["id"].isin(ids)].to_parquet(work / "input_ar.parquet")
    job = {"input": str(work / "input_ar.parquet"), "output": str(work / "out_ar"), "model": "ar",
           "horizon": args.horizon, "params": {"lags": args.ar_lags}, "run": {"chunk_size": 100}}
    t = time.perf_counter()
    summary = run_batch(job, n_jobs=args.n_jobs, progress=False)
    s = time.perf_counter() - t
    print(f"(b) local AR(lags={args.ar_lags}) fit + predict per series, run_batch n_jobs={args.n_jobs}: "
          f"{summary.n_done} done, {summary.n_failed} failed in {s:.2f} s = {summary.n_done / s:,.0f} series/s "
          f"(worker start-up, Parquet read and write included)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-series", type=int, default=10_000, help="links for the global LSTM (default 10000)")
    parser.add_argument("--n-ar", type=int, default=2000, help="series for the AR benchmark (default 2000)")
    parser.add_argument("--length", type=int, default=24 * 14, help="points per series (default 336, two weeks hourly)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=200, help="series the global LSTM is trained on")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lags", type=int, default=48)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--ar-lags", type=int, default=24)
    parser.add_argument("--chunk-size", type=int, default=2000, help="series per batch chunk for (a)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    t = time.perf_counter()
    df = simulate(max(args.n_series, args.n_ar), args.length, args.seed)
    print(f"simulated {df['id'].nunique()} series x {args.length} points (seed {args.seed}) in "
          f"{time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_global(df[df["id"].isin(df["id"].unique()[: args.n_series])], args, work)
        bench_ar(df, args, work)
    return 0


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    raise SystemExit(main())
