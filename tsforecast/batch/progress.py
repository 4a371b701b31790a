"""Progress of a batch job on stderr: its steps, the chunks, and the epochs of a global network's fit.

On a terminal the chunks show as a tqdm bar; in a log file (a nightly job run by cron or a scheduler)
as one line every :data:`LINE_EVERY` seconds, because a bar's carriage returns make one unreadable
line there. A network's epochs print through :class:`tsforecast.nn.training.FitProgress`, which
``TSFORECAST_PROGRESS=0`` silences; ``progress=False`` (``--quiet``) silences all of it.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from ..timefmt import duration as _duration

LINE_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal
CLOCK = time.monotonic

def say(progress: bool, text: str):
    """One ``batch: ...`` line on stderr (a step of the job), unless ``progress`` is off."""
    if progress:
        print(f"batch: {text}", file=sys.stderr, flush=True)


class ChunkProgress:
    """Series done out of ``total``: a tqdm bar on a terminal, else a line every :data:`LINE_EVERY` s
    and one at the end (series done, elapsed, an ETA from this run's rate)."""

    def __init__(self, total: int, done: int, enabled: bool):
        from tqdm.auto import tqdm

        self.lines = enabled and not sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=done, unit="series", desc="batch", disable=not enabled or self.lines)
        self.total, self.done, self.first = total, done, done
        self.start = self.last = CLOCK()

    def update(self, n: int):
        self.bar.update(n)
        self.done += n
        now = CLOCK()
        if self.lines and (now - self.last >= LINE_EVERY or self.done >= self.total):
            self.last = now
            elapsed = now - self.start
            rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
            eta = f", ETA {_duration((self.total - self.done) / rate)}" if rate > 0 and self.done < self.total else ""
            say(True, f"{self.done}/{self.total} series ({self.done / self.total:.0%}), "
                      f"elapsed {_duration(elapsed)}{eta}")

    def close(self):
        self.bar.close()


@contextmanager
def fit_progress(progress: bool, neural: bool):
    """Around a network's fit: its epoch lines (:class:`~tsforecast.nn.training.FitProgress`) follow
    ``progress`` as well as ``TSFORECAST_PROGRESS``."""
    if not neural or progress:
        yield
        return
    from ..nn import training

    old, training.PROGRESS = training.PROGRESS, False
    try:
        yield
    finally:
        training.PROGRESS = old
