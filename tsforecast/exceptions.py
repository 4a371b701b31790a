"""Exceptions raised by tsforecast.

Every error a user can trigger with bad input is a :class:`TSForecastError`.
Input errors also subclass :class:`ValueError` so code (and scikit-learn)
that catches ``ValueError`` keeps working.
"""


class TSForecastError(Exception):
    """Base class of every tsforecast error."""


class InvalidInputError(TSForecastError, ValueError):
    """The data given to a forecaster or function is not usable as it is."""


class NotEnoughDataError(InvalidInputError):
    """The series is shorter than the model needs."""


class MissingValuesError(InvalidInputError):
    """The series holds NaN or missing values and the policy is ``missing='raise'``."""


class FrequencyError(InvalidInputError):
    """The time index is unsorted, duplicated or has no regular frequency."""


class ExogenousError(InvalidInputError):
    """Exogenous data ``X`` is missing, misaligned or does not cover what the model needs."""


class ParameterError(TSForecastError, ValueError):
    """A forecaster or function was given an invalid parameter value."""


class DataFileError(TSForecastError, ValueError):
    """A data file is missing or malformed."""


class ModelFileError(TSForecastError, ValueError):
    """A saved model directory is missing, unrecognised or corrupt."""


class ConfigError(TSForecastError, ValueError):
    """An experiment or batch configuration file is invalid."""


class TargetExistsError(ModelFileError):
    """A model would be saved over a file or a folder that holds something other than a saved model."""


class ContractError(TSForecastError, RuntimeError):
    """A forecaster implementation broke the estimator contract (a bug in the model, not in the data)."""
