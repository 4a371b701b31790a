"""Peak memory of one training epoch: all windows gathered up front (the old path) vs streamed batches.

    python experiments/bench_windowing.py                  # 1,000,000 points, 336 lags
    python experiments/bench_windowing.py --n 200000       # a quicker run

Each path trains a tiny network (336 lags -> Dense(4) -> Dense(1)) for one epoch on the
windows of one series, with the usual 20% chronological validation, in a fresh interpreter.
Two figures per path, both counted from just before training starts (the series, its
:class:`~tsforecast.windowing.WindowSource` and the start positions already exist):

- ``RSS +``: peak resident memory (``getrusage`` max RSS) minus the resident memory before
  training; it includes TensorFlow's own copies of the data and the compiled model.
- ``traced +``: peak of the NumPy / Python allocations (``tracemalloc``) during training.

A third run streams a 20,000-point series: its ``RSS +`` is the cost of the model, the
optimizer and the compiled step, which does not grow with the series. The target for the
streaming path is ``RSS +`` below 3x the series' float32 size plus that model cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tracemalloc

LAGS, BATCH, VAL_FRACTION = 336, 256, 0.2


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb * 1024


def _pad_to_batches(inputs, targets, batch_size):
    """The old path's padding: a copy of every window plus zero-weight rows up to whole batches."""
    import numpy as np

    pad = -len(targets) % batch_size
    weight = np.r_[np.ones(len(targets), np.float32), np.zeros(pad, np.float32)]
    if pad == 0:
        return inputs, targets, weight

    def grow(a):
        return np.concatenate([a, np.zeros((pad, *a.shape[1:]), dtype=a.dtype)])

    return grow(inputs), grow(targets), weight


def _train_once(path: str, n: int) -> dict:
    """One epoch on an ``n``-point series by ``path`` ('old' or 'new'); memory figures in bytes."""
    import keras
    import numpy as np

    from tsforecast.nn.training import VAL_BATCH, make_loss, train_network
    from tsforecast.windowing import WindowSource

    z = np.random.default_rng(0).normal(size=(n, 1)).astype(np.float32)
    source = WindowSource([z], LAGS, 1)
    train, val = source.split(VAL_FRACTION)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((LAGS, 1)), keras.layers.Flatten(), keras.layers.Dense(4, activation="relu"),
                            keras.layers.Dense(1)])
    rss0 = _rss_bytes()
    tracemalloc.start()
    if path == "new":
        train_network(net, source, train, val, epochs=1, batch_size=BATCH)
    else:
        # The training path before issue 14: every window copied out, then padded to whole batches.
        x, y, w = _pad_to_batches(*source.gather(train)[:2], BATCH)
        n_val = len(val)
        val_batch = -(-n_val // -(-n_val // VAL_BATCH))
        val_data = _pad_to_batches(*source.gather(val)[:2], val_batch)
        net.compile(optimizer="adam", loss=make_loss("mse"))
        net.fit(x, y, sample_weight=w, batch_size=BATCH, shuffle=True, validation_data=val_data,
                validation_batch_size=val_batch, epochs=1, verbose=0)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return {"rss": max_rss - rss0, "traced": traced, "series_f32": n * 4}


def _run_child(path: str, n: int) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = subprocess.run([sys.executable, __file__, "--child", path, "--n", str(n)], env=env, capture_output=True,
                         text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{path} run failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="series length")
    parser.add_argument("--child", choices=["old", "new"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_train_once(args.child, args.n)))
        return
    mb = 2**20
    model = _run_child("new", 20_000)
    print(f"series: {args.n:,} points, {LAGS} lags, batch {BATCH}, 1 epoch; float32 series = {args.n * 4 / mb:.1f} MB")
    print(f"model + optimizer + compiled step (streaming a 20,000-point series): RSS + {model['rss'] / mb:.1f} MB")
    print(f"{'path':<28}{'RSS + (MB)':>12}{'x series':>10}{'traced + (MB)':>15}{'x series':>10}")
    for path, label in (("old", "old: gather all + pad"), ("new", "new: streamed batches")):
        r = _run_child(path, args.n)
        print(f"{label:<28}{r['rss'] / mb:>12.1f}{r['rss'] / r['series_f32']:>10.2f}"
              f"{r['traced'] / mb:>15.1f}{r['traced'] / r['series_f32']:>10.2f}")
        if path == "new":
            excess = (r["rss"] - model["rss"]) / r["series_f32"]
            print(f"new path beyond the model's cost: {excess:.2f}x the float32 series (target < 3x)")
            print(f"new path, every NumPy/Python allocation while training: {r['traced'] / r['series_f32']:.2f}x "
                  f"the float32 series (target < 3x)")


if __name__ == "__main__":
    main()
