"""Check where results will be written before any expensive work is done.

Training for an hour and then failing to save is the costliest way to learn that
``--out`` points into a read-only folder or at a folder of someone's files.
These checks write nothing; they only look at the path and its parents.
Where a model may be saved is decided in one place,
:func:`tsforecast.persistence.check_save_target` (which uses :func:`check_creatable`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .exceptions import ConfigError

TABLE_SUFFIXES = (".csv", ".parquet")


def check_creatable(path, what: str, error=ConfigError) -> None:
    """Raise ``error`` unless an entry at ``path`` could be created (or swapped in) beside its siblings.

    The nearest existing ancestor of ``path.parent`` must be a writable folder:
    under a regular file nothing can ever be created. Nothing is written.
    """
    path = Path(path).absolute()
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise error(f"{what} {path} cannot be created: {parent} is a file, not a folder; choose another path.")
    _check_writable(parent, path, what, error)


def _check_writable(folder: Path, path: Path, what: str, error=ConfigError) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise error(f"{what} {path} cannot be written: no write permission in {folder}; choose another path.")


def check_output_dir(path, is_ours, what: str = "output folder") -> Path:
    """Check that ``path`` can become (or already is) an output folder; nothing is written.

    Parameters
    ----------
    path : path-like
        The folder results will be written to.
    is_ours : callable
        ``is_ours(folder) -> bool``: whether an existing non-empty folder holds
        earlier results of the same kind, which may be replaced or resumed.
    what : str
        How to call the folder in the error message.

    Raises
    ------
    ConfigError
        ``path`` is a file, a folder holding other files, or cannot be created or written to.
    """
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file; give the path of a new or empty folder.")
    if not path.exists():
        check_creatable(path, what)
        return path
    if any(path.iterdir()) and not is_ours(path):
        raise ConfigError(
            f"{what} {path} already holds other files; give a new or empty folder, nothing was written."
        )
    _check_writable(path, path, what)
    return path


def check_output_file(path, what: str = "output file") -> Path:
    """Check that a ``.csv``/``.parquet`` result file can be written at ``path``; nothing is written."""
    path = Path(path).absolute()
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(f"{what} {path} must end in .csv or .parquet.")
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give a file name ending in .csv or .parquet.")
    if path.exists():
        _check_writable(path.parent, path, what)
    else:
        check_creatable(path, what)
    return path
