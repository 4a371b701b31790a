"""Fit each model once per experiment: reuse a fit of the same model on the same data.

An experiment that backtests a network and also an ensemble containing that network (same
parameters, same seed, same training data) would train the network twice and get the same
weights. Inside :func:`shared_fits`, :meth:`BaseForecaster.fit` looks the fit up first: a model of
the same class, with the same parameters, fitted on the same validated data (values, timestamps,
names, exogenous columns) takes that fit's state instead of fitting again.

Only deterministic fits are shared: a model tagged ``stochastic`` whose ``seed`` (or a member's) is
None is always fitted, and so is one with a parameter that is not plain data (an array, an object).
The fitted attributes are recorded as they are after the fit, but the objects they hold (networks,
arrays) are shared, not copied: a model restored from the cache must only be read (predicted from),
not updated in place. That is how the experiment runner uses it, one dataset at a time. Outside the
context nothing is cached.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd

_CACHE: ContextVar = ContextVar("tsforecast_shared_fits", default=None)


@contextmanager
def shared_fits():
    """Within the block, fits of equal models on equal data are done once (see the module docstring)."""
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _digest_frame(h, obj):
    """Feed a Series/DataFrame's values, index and names to the hash ``h``. The index's dtype carries its
    time zone, which the row hashes (instants in UTC) do not."""
    h.update(repr((type(obj).__name__, getattr(obj, "name", None), list(getattr(obj, "columns", [])),
                   str(obj.index.dtype), obj.index.name, str(getattr(obj.index, "freqstr", None)))).encode())
    h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())


def _plain(value) -> bool:
    """Whether ``value`` is built of None, bools, numbers, strings, lists, tuples and dicts only, so that its
    ``repr`` spells it out in full."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def _unseeded(value) -> bool:
    """Whether a nested parameter table (an ensemble's members) sets some ``seed`` to None."""
    if isinstance(value, dict):
        return ("seed" in value and value["seed"] is None) or any(_unseeded(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_unseeded(v) for v in value)
    return False


def _key(model, y, X):
    cache = _CACHE.get()
    if cache is None:
        return cache, None
    params = model.get_params(deep=False)
    if model.get_tag("stochastic") and ("seed" in params and params["seed"] is None or _unseeded(params)):
        return cache, None
    if not _plain(params):
        return cache, None  # e.g. an array parameter, whose repr may be abridged: never risk a false match
    h = hashlib.blake2b(digest_size=20)
    for part in (y, X):
        if isinstance(part, dict):
            h.update(repr(list(part)).encode())
            for value in part.values():
                if value is None:
                    h.update(b"none")
                else:
                    _digest_frame(h, value)
        elif part is None:
            h.update(b"none")
        else:
            _digest_frame(h, part)
    return cache, (type(model).__module__, type(model).__qualname__, repr(sorted(params.items())), h.hexdigest())


def restore(model, y, X) -> bool:
    """Give ``model`` the state of an earlier fit of an equal model on equal ``y``/``X`` (validated data:
    a Series or a dict of Series, and None, a DataFrame or a dict of them); False when there is none."""
    cache, key = _key(model, y, X)
    if key is None or key not in cache:
        return False
    for name, value in cache[key].items():
        setattr(model, name, value)
    return True


def remember(model, y, X):
    """Record ``model``'s fit on ``y``/``X`` for :func:`restore` (inside :func:`shared_fits` only): its fitted
    attributes as they are now, so a later refit of the same object does not change what is handed out."""
    cache, key = _key(model, y, X)
    if key is not None:
        params = set(model.get_params(deep=False))
        cache[key] = {name: value for name, value in vars(model).items() if name not in params}
