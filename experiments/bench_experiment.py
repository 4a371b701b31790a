"""Benchmark: wall time of the packaged default experiment (``tsforecast experiment`` without a config).

Wall-clock limits depend on the machine, so they live here rather than in the
test suite. Prints the time and the results table; exits with status 1 when
the run takes longer than ``--max-seconds`` (default 600: "a few minutes").

    .venv/bin/python experiments/bench_experiment.py --max-seconds 600
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from tsforecast.experiment import run_experiment


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seconds", type=float, default=600.0, help="fail above this wall time (default 600)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as results:
        t0 = time.perf_counter()
        result = run_experiment(results_dir=results, progress=False)
        seconds = time.perf_counter() - t0
    print(result.table.to_string(index=False))
    print(f"\ndefault experiment: {seconds:.0f} s (limit {args.max_seconds:.0f} s)")
    return 0 if seconds <= args.max_seconds else 1


if __name__ == "__main__":
    sys.exit(main())
