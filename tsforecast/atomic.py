"""Atomic writes: a crash never leaves a half-written result file or model folder.

Temporary files and folders are created with ``os.open(..., 0o666)`` and
``os.mkdir(..., 0o777)``, so the process umask applies and results get the
usual modes (0644 / 0755 under umask 022). ``tempfile.mkstemp``/``mkdtemp``
would force 0600 / 0700 on every file and folder we write.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


def _temp_name(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{secrets.token_hex(6)}.{tag}"


def _create_temp(path: Path, tag: str, make) -> Path:
    """Create a fresh temporary entry beside ``path`` with ``make(tmp)``, retrying on a name clash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        tmp = _temp_name(path, tag)
        try:
            make(tmp)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"could not create a temporary name beside {path}")


def _new_file(tmp: Path):
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))


def atomic_write(path, write):
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    tmp = _create_temp(path, "tmp", _new_file)
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str):
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_dir(path, write, remove_old=None):
    """Build a directory with ``write(tmp_dir)`` beside ``path``, then move it to ``path``.

    Parameters
    ----------
    path : path-like
        Target directory. It may be absent or an empty directory.
    write : callable
        Fills the new (empty) temporary directory it is given.
    remove_old : callable, optional
        Allows replacing a non-empty ``path``: the old directory is renamed
        aside, the new one renamed in, then ``remove_old(aside)`` deletes it.
        The caller decides what in the old directory may be deleted. Without
        it a non-empty ``path`` raises ``FileExistsError`` and nothing changes.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    tmp = _create_temp(path, "tmp", lambda p: os.mkdir(p, 0o777))
    try:
        write(tmp)
        _move_in(tmp, path, remove_old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder: nothing of the user's is in it
        raise
    return path


def _move_in(tmp: Path, path: Path, remove_old):
    if not (path.is_dir() and not path.is_symlink() and any(path.iterdir())):
        os.replace(tmp, path)  # absent or an empty directory: one atomic rename
        return
    if remove_old is None:
        raise FileExistsError(f"{path} exists and is not empty")
    aside = _temp_name(path, "old")  # 48 random bits: no clash with another writer in practice
    os.rename(path, aside)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(aside, path)  # put the old folder back: the target is never left missing
        raise
    remove_old(aside)
