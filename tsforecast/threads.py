"""Keep BLAS thread pools from fighting TensorFlow's (and other processes') threads.

OpenBLAS starts one worker per core and its workers wait for each other at every
call. In a process that has loaded TensorFlow, or on a machine whose cores are
busy, a worker that is not scheduled stalls the whole call: single AR fits took
4-16 s instead of < 0.1 s. The linear algebra of tsforecast's statsmodels fits is
small (designs of a few thousand rows by at most a few hundred columns), so one
BLAS thread is never slower for it; :func:`~tsforecast.statsmodels_guard.statsmodels_guard`
runs every statsmodels fit inside :func:`blas_threads` (one thread).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

#: BLAS threads used for statsmodels work (see module docstring).
STATSMODELS_BLAS_THREADS = 1

# threadpoolctl finds the BLAS libraries by scanning every loaded shared object (~3 ms, and more
# once TensorFlow is loaded); statsmodels_guard runs at every fit and filter, so the scan is kept
# and redone only when modules were imported since (only an import can load a new BLAS library).
_controller = None
_modules_at_scan = -1


def _blas_controller():
    """A ``threadpoolctl.ThreadpoolController`` over the loaded libraries, rescanned after new imports."""
    global _controller, _modules_at_scan
    if _controller is None or len(sys.modules) != _modules_at_scan:
        from threadpoolctl import ThreadpoolController

        _modules_at_scan = len(sys.modules)
        _controller = ThreadpoolController()
    return _controller


@contextmanager
def blas_threads(n: int = 1):
    """Limit every loaded BLAS library (OpenBLAS, MKL, BLIS) to ``n`` threads inside the block.

    The previous limits are restored on exit, also when the block raises. Results
    do not depend on the limit for the small problems tsforecast solves; only the
    time does. The limits are process-wide (as all BLAS settings are), so threads
    that enter and leave the block concurrently may restore each other's limits.

    Parameters
    ----------
    n : int, default 1
        Maximum number of BLAS threads inside the block (at least 1).

    Yields
    ------
    None

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer.

    Examples
    --------
    >>> from tsforecast.threads import blas_threads
    >>> with blas_threads(1):
    ...     pass  # numpy / scipy / statsmodels calls here use one BLAS thread
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"blas_threads needs a positive int, got {n!r}.")
    with _blas_controller().limit(limits=n, user_api="blas"):
        yield
