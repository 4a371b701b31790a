"""Every speed and memory figure of issue 14, in one run: each benchmark in its own process, in turn.

    TSFORECAST_DATA_DIR=../shared/data python experiments/bench_all.py          # ~20 min on 2 cores
    python experiments/bench_all.py --only windowing,backtest                    # some of them

What each part prints (the scripts' own docstrings say how they measure):

- ``threads``: AR fit time before and after a Keras fit in one process, with and without a busy
  neighbour (``bench_threads.py``; target: after <= 1.2x before);
- ``fit``: ``LSTMForecaster.fit`` with defaults against hand-written Keras, and on JAX the first fit
  in a process against the later ones (``bench_fit_defaults.py``);
- ``windowing``: peak training memory, streamed batches against gathering every window
  (``bench_windowing.py``; 1,000,000 points, 336 lags);
- ``milan``: a global LSTM fitted over the Milan cells from the CLI (lags 48, units 32, 10 epochs;
  ``tsforecast fit`` on a Parquet of the cells long enough for one window, wall time of the whole
  command, its progress lines counted); skipped with a note when the data is absent;
- ``batch``: global and local-AR batch jobs in series/s (``bench_batch.py``);
- ``backtest``: a no-refit LSTM backtest over 388 origins (``bench_backtest.py``).

Parts run one after another, never side by side, so they do not share the 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "threads": ["bench_threads.py"],
    "fit": ["bench_fit_defaults.py", "--repeats", "2"],
    "windowing": ["bench_windowing.py"],
    "batch": ["bench_batch.py", "--n-series", "10000", "--seed", "0"],
    "backtest": ["bench_backtest.py", "--origins", "388"],
}
PARTS = ("threads", "fit", "windowing", "milan", "batch", "backtest")


def _env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_script(args):
    res = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], env=_env(), capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{res.stderr[-3000:]}")
    return res.stdout


def run_milan():
    from tsforecast.datasets.catalog import data_file, dataset_info
    from tsforecast.exceptions import DataFileError

    try:
        data_file(dataset_info("milan_cells"))
    except DataFileError as err:
        return f"skipped: {err}\n"
    from bench_batch import milan_cells

    df = milan_cells()
    length = df.groupby("id").size()
    keep = length.index[length >= 48 + 24]  # the CLI refuses a global fit with series shorter than lags + horizon
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "milan.parquet"
        df[df["id"].isin(keep)].to_parquet(data)
        cmd = [sys.executable, "-m", "tsforecast", "fit", "--model", "lstm", "--data", str(data), "--out",
               str(Path(tmp) / "lstm"), "--param", "lags=48", "--param", "units=32", "--param", "epochs=10",
               "--param", "horizon=24", "--param", "seed=0"]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"tsforecast fit failed:\n{res.stderr[-3000:]}")
    progress = [line for line in res.stderr.splitlines() if "epoch" in line]
    last = progress[-1].strip() if progress else "(none)"
    return (f"global LSTM from the CLI over {len(keep)} of the {len(length)} Milan cells ({len(length) - len(keep)} "
            f"have fewer than lags + horizon = 72 points), lags 48, units 32, 10 epochs: {wall:.1f} s wall, "
            f"{len(progress)} progress lines on stderr; the last: {last}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated, from {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = args.only.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
    start = time.perf_counter()
    for part in parts:
        t0 = time.perf_counter()
        print(f"=== {part} ===", flush=True)
        out = run_milan() if part == "milan" else run_script(SCRIPTS[part])
        print(out.rstrip() + f"\n({part}: {time.perf_counter() - t0:.0f} s)\n", flush=True)
    print(f"all parts: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
