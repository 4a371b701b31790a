"""One place where statsmodels failures become tsforecast errors and warnings.

Used by every forecaster built on statsmodels (AR, ARIMA, Holt-Winters, MSTL).
Only errors that statsmodels raises are translated; an error raised by
tsforecast's own code inside the guarded block is a bug of ours and must
propagate unchanged, not be blamed on the data.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

from .exceptions import TSForecastError, InvalidInputError
from .threads import STATSMODELS_BLAS_THREADS, blas_threads


class FitWarning(UserWarning):
    """A statsmodels fit did not converge; the parameters (and forecasts) may be poor.

    Raised for statsmodels' ``ConvergenceWarning``. Typical causes: a constant
    or very short series (degenerate likelihood), or an order too large for
    the data.
    """


def raised_in_statsmodels(exc: BaseException) -> bool:
    """True when the innermost frame of ``exc``'s traceback that belongs to statsmodels or tsforecast is statsmodels'.

    Frames of numpy/scipy/pandas are skipped, so a ``LinAlgError`` numpy raises
    for statsmodels counts as statsmodels', and an ``IndexError`` numpy raises
    for our own indexing counts as ours.
    """
    owner = None
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "") or ""
        top = module.split(".", 1)[0]
        if top in ("statsmodels", "tsforecast"):
            owner = top
        tb = tb.tb_next
    return owner == "statsmodels"


def convergence_warned(caught) -> bool:
    """Whether a list of caught warnings holds a statsmodels ``ConvergenceWarning``."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    return any(issubclass(w.category, ConvergenceWarning) for w in caught)


@contextmanager
def statsmodels_guard(what: str):
    """Run statsmodels code with its failures turned into tsforecast errors and one clear warning.

    Non-convergence becomes one :class:`FitWarning`; statsmodels' other warnings
    (start values, rank-deficient designs of constant series, Hessian inversion
    for standard errors we do not report) do not affect the point forecasts and
    are silenced. ``LinAlgError``/``ValueError``/``IndexError`` raised inside
    statsmodels become :class:`~tsforecast.exceptions.InvalidInputError`; the
    same errors raised by tsforecast code propagate unchanged.

    The block runs with BLAS limited to one thread (:func:`~tsforecast.threads.blas_threads`):
    statsmodels' linear algebra here is small, and multi-threaded BLAS stalls when
    TensorFlow's threads or other processes hold the cores.

    Parameters
    ----------
    what : str
        What is being run, e.g. ``"ARForecaster fit"``; starts the error and warning messages.

    Yields
    ------
    None

    Raises
    ------
    InvalidInputError
        For ``LinAlgError``/``ValueError``/``IndexError`` raised inside statsmodels.

    Warns
    -----
    FitWarning
        When statsmodels reported non-convergence.
    """
    with warnings.catch_warnings(record=True) as caught, blas_threads(STATSMODELS_BLAS_THREADS):
        warnings.simplefilter("always")
        try:
            yield
        except (np.linalg.LinAlgError, ValueError, IndexError) as exc:
            if isinstance(exc, TSForecastError) or not raised_in_statsmodels(exc):
                raise
            raise InvalidInputError(
                f"{what} failed inside statsmodels ({type(exc).__name__}: {exc}); check that the series is long "
                f"and varied enough for the chosen order, or choose a smaller model."
            ) from None
    if convergence_warned(caught):
        warnings.warn(
            f"{what}: the statsmodels optimizer did not converge, so the parameters may be poor. A constant or very "
            f"short series does this; otherwise try a smaller order or a longer series.",
            FitWarning,
            stacklevel=3,
        )


class ConvergenceError(InvalidInputError):
    """No statsmodels fit converged, so there are no parameters worth forecasting with.

    The message says which settings to change (initialization, iterations,
    model components, or more data).
    """
