"""Batch forecasting: many series from a long table, streamed in chunks, run locally, with joblib or Dask.

>>> from tsforecast.batch import run_batch
>>> summary = run_batch("job.toml")            # doctest: +SKIP
>>> print(summary)                             # doctest: +SKIP

See :mod:`tsforecast.batch.job` for the job keys and ``tsforecast batch --help``.
"""

from .job import BatchJob, load_job
from .runner import BatchSummary, forecast_chunk, read_forecasts, run_batch

__all__ = ["BatchJob", "BatchSummary", "forecast_chunk", "load_job", "read_forecasts", "run_batch"]
