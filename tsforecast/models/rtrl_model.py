"""Elman network trained online by real-time recurrent learning (RTRL, Williams & Zipser 1989).

The network sees one observation at a time. Alongside its hidden state it carries the
forward-mode sensitivities ``dh_t/dtheta`` (the "P matrices"), so the gradient of each
step's one-step-ahead error is available at once and the weights take an SGD step per
observation. Nothing about past states is stored: memory is constant whatever the stream
length. Pure numpy; no TensorFlow.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..base import BaseForecaster, check_choice, check_int
from ..exceptions import ParameterError
from ..scaling import Scaler
from ..threads import blas_threads
from ..windowing import sliding_windows

RTRL_SCALERS = ("standard", "minmax", "robust", None)  # affine and defined for every finite value
_CHUNK = 4096  # steps whose input drive is computed in one matrix product by the frozen run
_DIVERGED = 1e8  # largest weight magnitude (in scaled units) accepted after learning


class RTRLNetwork:
    """An Elman network with its RTRL learning state, in scaled units.

    ``h_t = tanh(W h_{t-1} + U x_t + b)``, ``x_t = (z_t, ..., z_{t-lags+1})``, forecast of
    ``z_{t+1}`` is ``v . h_t + c``. ``W, U, b`` are stored side by side as ``A = [W | U | b]``
    of shape (n, q), q = n + lags + 1, so ``a_t = A u_t`` with ``u_t = (h_{t-1}, x_t, 1)``.
    The sensitivities ``P[k, i, j] = dh_t[k] / dA[i, j]`` follow

        P_t = diag(1 - h_t**2) (W P_{t-1} + E_t),   E_t[k, i, j] = delta_ki u_t[j],

    which costs n * n * (n q) ~ n**4 multiply-adds per step (the product ``W P``) and holds
    n * n * q ~ n**3 numbers (two such buffers, swapped every step).

    Parameters
    ----------
    units : int
        Hidden units n.
    lags : int
        Recent values in the input x_t.
    rng : numpy.random.Generator, optional
        Draws the initial weights; None leaves every weight zero (for :meth:`from_arrays`).

    Attributes
    ----------
    theta : ndarray of shape (n q + n + 1,)
        Every weight: ``A`` row by row, then ``v``, then ``c``. Change it in place only:
        ``A``, ``W`` (the first n columns of ``A``) and ``v`` are views into it.
    h : ndarray of shape (n,)
        Hidden state after the last observation (zero until ``lags`` values were seen).
    P : ndarray of shape (n, n, q)
        Sensitivities of ``h`` to ``A`` (those to ``v`` and ``c`` need no carrying).
    buf : ndarray of shape (lags,)
        The last ``lags`` observations, newest first.
    n_buf : int
        How many of ``buf`` are filled (the state is ready once ``n_buf == lags``).
    """

    def __init__(self, units, lags, rng=None):
        n, m = int(units), int(lags)
        self.units, self.lags, self.q = n, m, n + m + 1
        self.theta = np.zeros(n * self.q + n + 1)
        # Views into theta (which is only ever changed in place): an SGD step on theta updates them all.
        self.A = self.theta[: n * self.q].reshape(n, self.q)
        self.v = self.theta[n * self.q : -1]
        self.W = self.A[:, :n]
        if rng is not None:
            # Recurrent weights scaled to a spectral radius about 0.5, so the state forgets (stable filter).
            self.A[:, :n] = rng.normal(0.0, 0.5 / np.sqrt(n), (n, n))
            self.A[:, n : n + m] = rng.normal(0.0, 1.0 / np.sqrt(m), (n, m))
            self.v[:] = rng.normal(0.0, 1.0 / np.sqrt(n), n)
        self._P_next = np.zeros((n, n, self.q))
        self._u = np.ones(self.q)  # (h_{t-1}, x_t, 1); the last entry stays 1
        self.reset_state()

    def reset_state(self):
        """Zero state, zero sensitivities, empty input buffer (the weights stay)."""
        n = self.units
        self.h = np.zeros(n)
        self.P = np.zeros((n, n, self.q))
        self.buf = np.zeros(self.lags)
        self.n_buf = 0

    # -- online learning ------------------------------------------------------
    def step(self, z, learning_rate=0.0, clipnorm=None, gradient=None):
        """Take one observation ``z``: learn from the error of its forecast, then advance the state.

        Parameters
        ----------
        z : float
            The next observation (scaled).
        learning_rate : float
            SGD step on ``0.5 * (forecast - z)**2``; 0 keeps the weights (filtering).
        clipnorm : float, optional
            The gradient is rescaled to at most this Euclidean norm before the step.
        gradient : ndarray like ``theta``, optional
            The unclipped gradient of this step's loss is added to it.

        Returns
        -------
        float
            The forecast of ``z`` made before seeing it (NaN while fewer than ``lags`` values were seen).
        """
        if self.n_buf < self.lags:
            self._advance(z)
            return np.nan
        forecast = float(self.v @ self.h) + self.theta[-1]
        if learning_rate or gradient is not None:
            g = self._gradient(forecast - z)
            if gradient is not None:
                gradient += g
            if learning_rate:
                norm = np.sqrt(g @ g)
                rate = learning_rate * (clipnorm / norm if clipnorm is not None and norm > clipnorm else 1.0)
                self.theta -= rate * g  # in place: A and v are views
        self._advance(z)
        return forecast

    def stream(self, z, learning_rate=0.0, clipnorm=None, forecasts=None):
        """:meth:`step` through the values of ``z``; ``forecasts`` (same length), if given, receives each
        step's forecast. Holds nothing per step: memory is constant whatever ``len(z)``."""
        # One BLAS thread: the products are small, and on busy cores OpenBLAS workers waiting for
        # each other made n = 32 fourteen times slower (275 against 3,900 steps/s).
        with blas_threads(1):
            for i, zi in enumerate(z):
                f = self.step(zi, learning_rate, clipnorm)
                if forecasts is not None:
                    forecasts[i] = f

    def _gradient(self, err):
        nq, n = self.units * self.q, self.units
        g = np.empty_like(self.theta)
        g[:nq] = err * (self.v @ self.P.reshape(n, nq))
        g[nq:-1] = err * self.h
        g[-1] = err
        return g

    def _advance(self, z):
        self.buf[1:] = self.buf[:-1]
        self.buf[0] = z
        self.n_buf = min(self.n_buf + 1, self.lags)
        if self.n_buf < self.lags:
            return
        n, u = self.units, self._u
        u[:n] = self.h
        u[n:-1] = self.buf
        h = np.tanh(self.A @ u)
        self._next_sensitivity(u, 1.0 - h * h)
        self.h = h

    def _next_sensitivity(self, u, d):
        """P <- diag(d) (W P + E): the recurrence through W, plus the immediate term on the diagonal k == i."""
        n = self.units
        nxt = self._P_next
        np.matmul(self.W, self.P.reshape(n, -1), out=nxt.reshape(n, -1))
        nxt.reshape(n * n, self.q)[:: n + 1] += u  # rows (k, k) of the (k, i) grid
        nxt *= d[:, None, None]
        self.P, self._P_next = nxt, self.P

    # -- frozen network (forecasting) -------------------------------------------
    def states_at(self, Z, ends):
        """Hidden states of the frozen network run from a zero state over each row of ``Z``.

        Parameters
        ----------
        Z : ndarray of shape (batch, T)
            Scaled histories.
        ends : sequence of int
            Points consumed, each in [lags, T]: the state after ``Z[:, :end]``.

        Returns
        -------
        ndarray of shape (batch, len(ends), n)
        """
        n, m = self.units, self.lags
        W, U, b = self.W.T, self.A[:, n:-1].T, self.A[:, -1]
        ends = np.asarray(ends, dtype=np.int64)
        order = np.argsort(ends, kind="stable")
        out = np.empty((Z.shape[0], len(ends), n))
        h = np.zeros((Z.shape[0], n))
        ptr, last = 0, int(ends.max())
        with blas_threads(1):
            for start in range(m - 1, last, _CHUNK):  # step t consumes Z[:, t]; t + 1 points are seen after it
                stop = min(start + _CHUNK, last)
                drive = sliding_windows(Z[:, start - m + 1 : stop], m, axis=1)[:, :, ::-1] @ U + b
                for k in range(stop - start):
                    h = np.tanh(h @ W + drive[:, k])
                    while ptr < len(ends) and ends[order[ptr]] == start + k + 1:
                        out[:, order[ptr]] = h
                        ptr += 1
        return out

    def forecast(self, H, buf, horizon):
        """Recursive forecasts from states ``H`` (batch, n) with last inputs ``buf`` (batch, lags, newest first)."""
        W, U, b = self.W.T, self.A[:, self.units : -1].T, self.A[:, -1]
        out = np.empty((len(H), horizon))
        for j in range(horizon):
            out[:, j] = H @ self.v + self.theta[-1]
            if j + 1 < horizon:
                buf = np.column_stack([out[:, j], buf[:, :-1]])
                H = np.tanh(H @ W + buf @ U + b)
        return out

    # -- persistence -------------------------------------------------------------
    def to_arrays(self) -> dict:
        return {"theta": self.theta, "h": self.h, "P": self.P, "buf": self.buf,
                "n_buf": np.array(self.n_buf)}

    @classmethod
    def from_arrays(cls, units, lags, arrays) -> "RTRLNetwork":
        net = cls(units, lags)
        for key in ("theta", "h", "P", "buf"):
            value = np.asarray(arrays[key], dtype=np.float64)
            if value.shape != getattr(net, key).shape:
                raise ValueError(f"{key} has shape {value.shape}, expected {getattr(net, key).shape} "
                                 f"for units={units}, lags={lags}")
            getattr(net, key)[...] = value
        net.n_buf = int(arrays["n_buf"])
        if not 0 <= net.n_buf <= lags:
            raise ValueError(f"n_buf={net.n_buf} is outside [0, {lags}]")
        return net


class RTRLForecaster(BaseForecaster):
    """Elman recurrent network trained online by real-time recurrent learning (Williams & Zipser 1989).

    ``h_t = tanh(W h_{t-1} + U x_t + b)`` with ``x_t`` the last ``lags`` (scaled) values and the
    one-step forecast ``y_{t+1} = v . h_t + c``; longer horizons feed the forecasts back in. The
    network learns as the data arrive: for each observation it takes an SGD step on the squared
    error of the forecast it made for it, with the exact gradient through the whole past carried
    forward in the sensitivities ``dh_t/dtheta`` (no unrolling, no stored states, constant memory).
    A step costs O(n^4) time and holds O(n^3) numbers for n hidden units: the sensitivities of ``h``
    to ``[W | U | b]`` form an n x n x (n + lags + 1) tensor (768 numbers at n = 8, lags = 3;
    36,864 at n = 32), and ``W P`` is n x n times n x n(n + lags + 1). Measured with
    experiments/bench_rtrl.py.

    ``fit(y)`` learns over ``y`` (``epochs`` passes, each from a zero state). Afterwards:

    - ``partial_fit(y_new)`` (or ``update(y_new, learn=True)``) keeps learning from the carried
      state: one step per new observation, any stream length, constant memory. When the dynamics
      change (tests/test_rtrl.py: a noisy sine whose period drops from 20 to 12 steps after 2,000
      steps), the default network's one-step squared error is back within 1.25x its pre-change level
      300 steps after the change, while the frozen network's stays above 2.5x.
    - ``update(y_new)`` keeps the weights (networks do by default): the learning state runs forward
      over the new values with frozen weights, so a later ``partial_fit`` continues from the new end.

    ``predict`` runs the current weights from a zero state over the history (the stored series, or
    ``y``), at O(n^2) per point, so ``predict()`` after ``update`` equals ``predict(y=...)`` over the
    same history. The carried learning state is used only to learn.

    Parameters
    ----------
    units : int
        Hidden units n. Cost per step grows as n**4, memory as n**3.
    lags : int
        Recent values in each input x_t; the recurrence carries longer memory.
    learning_rate : float
        SGD step size per observation, in scaled units.
    clipnorm : float or None
        Each step's gradient is rescaled to at most this Euclidean norm (None: no clipping).
    scaler : {"standard", "minmax", "robust", None}
        Affine scaling fitted on the ``fit`` series only and kept fixed after, also while learning
        online (see :class:`~tsforecast.scaling.Scaler`).
    epochs : int
        Passes over the ``fit`` series, each from a zero state with the weights carried over.
    seed : int or None
        Seed of the initial weights (a local generator; None: fresh weights each fit).
    horizon : int
        Default number of steps for ``predict``.

    Attributes
    ----------
    network_ : RTRLNetwork
        Weights and the carried learning state (hidden state, sensitivities, input buffer).
    scaler_ : Scaler
        The scaling fitted on the ``fit`` series.
    online_forecasts_ : pandas.Series
        One-step forecasts made while consuming the points of the last ``fit`` pass, ``partial_fit``
        or ``update``, each made before its point was seen (prequential); NaN while the state is
        filling. Not kept by ``save``.
    """

    _tags = {"stochastic": True}

    def __init__(self, units=8, lags=3, learning_rate=0.01, clipnorm=1.0, scaler="standard", epochs=1, seed=0,
                 horizon=1):
        self.units, self.lags, self.learning_rate, self.clipnorm = units, lags, learning_rate, clipnorm
        self.scaler, self.epochs, self.seed, self.horizon = scaler, epochs, seed, horizon

    def _check_params(self):
        check_int(self.units, "units")
        check_int(self.lags, "lags")
        check_int(self.epochs, "epochs")
        check_int(self.horizon, "horizon")
        check_choice(self.scaler, RTRL_SCALERS, "scaler")
        for name, value, none_ok in (("learning_rate", self.learning_rate, False), ("clipnorm", self.clipnorm, True)):
            if value is None and none_ok:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < np.inf:
                raise ParameterError(f"{name} must be a positive number{' or None' if none_ok else ''}, got {value!r}.")
        if self.seed is not None:
            check_int(self.seed, "seed", minimum=0)

    def _min_length(self):
        return int(self.lags) + 1  # one full input and a value to learn from

    def _fit(self, y, X):
        self.scaler_ = Scaler(self.scaler).fit(y)
        self.network_ = RTRLNetwork(self.units, self.lags, np.random.default_rng(self.seed))
        z = self.scaler_.transform(y)
        for _ in range(self.epochs):
            self.network_.reset_state()
            self._learn(z, self.y_.index, learn=True)
        self.context_length_ = None

    def _learn(self, z, index, learn):
        """Stream scaled values ``z`` through the network; raise (network as it was) if learning diverged."""
        net = self.network_
        before = {k: np.array(v) for k, v in net.to_arrays().items()} if learn else None
        forecasts = np.empty(len(z))
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, by name
            net.stream(z, self.learning_rate if learn else 0.0, self.clipnorm, forecasts)
        # Scaled data are O(1): weights past _DIVERGED (or inf/NaN) mean SGD blew up, not a fit.
        if learn and not (np.abs(net.theta).max() <= _DIVERGED and np.isfinite(net.P).all()):
            self.network_ = RTRLNetwork.from_arrays(self.units, self.lags, before)
            raise ParameterError(
                f"RTRL learning diverged (weights beyond {_DIVERGED:g}) with learning_rate={self.learning_rate} and "
                f"clipnorm={self.clipnorm}; use a smaller learning_rate or set clipnorm (e.g. 1.0).")
        self.online_forecasts_ = pd.Series(self.scaler_.inverse_transform(forecasts), index=index, name=self.y_.name)

    # -- streaming ------------------------------------------------------------
    def partial_fit(self, y_new, missing="raise"):
        """Learn online from observations that continue the series: one SGD step per value.

        Parameters
        ----------
        y_new : pandas.Series or 1-D array
            The observations after the last one seen (as for :meth:`update`). On an unfitted
            model the call is :meth:`fit`.
        missing : {"raise", "interpolate", "ffill"}
            Missing values in ``y_new`` (see :meth:`update`).

        Returns
        -------
        self
        """
        if not hasattr(self, "context_length_"):
            return self.fit(y_new, missing=missing)
        return self.update(y_new, missing=missing, learn=True)

    def update(self, y_new, X_new=None, *, refit=False, missing="raise", learn=False, **kwargs):
        """Append observations; forecasts then continue from the new end.

        ``learn=False`` (the default) keeps the weights and runs the learning state forward over
        the new values; ``learn=True`` learns from them as :meth:`partial_fit` does. Other
        parameters as for :meth:`BaseForecaster.update`.
        """
        if not isinstance(learn, (bool, np.bool_)):
            raise ParameterError(f"learn must be True or False, got {learn!r}.")
        if kwargs:
            raise ParameterError(f"{type(self).__name__}.update takes no options {sorted(kwargs)}; "
                                 f"it takes learn=True to learn from the new values, or refit=True.")
        if refit and learn:
            raise ParameterError("refit=True fits from scratch; drop learn=True.")
        return super().update(y_new, X_new, refit=refit, missing=missing, **({} if refit else {"learn": bool(learn)}))

    def _update(self, n_new, learn=False):
        new = self.y_.iloc[-n_new:]
        try:
            self._learn(self.scaler_.transform(new.to_numpy()), new.index, learn)
        except ParameterError:
            self.y_ = self.y_.iloc[:-n_new]  # the model stays as it was before the update
            raise

    # -- forecasting ------------------------------------------------------------
    def _predict(self, Y, XH, XF, horizon):
        Z = self.scaler_.transform(Y)
        H = self.network_.states_at(Z, [Z.shape[1]])[:, 0]
        return self.scaler_.inverse_transform(self.network_.forecast(H, Z[:, ::-1][:, : self.lags], horizon))

    def _predict_origins(self, values, Xv, origins, n_fut, horizon):
        # One run over the series, reading the state at every origin.
        z = self.scaler_.transform(values[: int(origins.max())])
        H = self.network_.states_at(z[None], origins)[0]
        buf = z[origins[:, None] - 1 - np.arange(self.lags)]
        return self.scaler_.inverse_transform(self.network_.forecast(H, buf, horizon))

    # -- persistence --------------------------------------------------------------
    def _get_state(self):
        return {"scaler": self.scaler_.get_state()}, self.network_.to_arrays(), []

    def _set_state(self, meta, arrays, networks):
        self.scaler_ = Scaler.from_state(meta["scaler"])
        self.network_ = RTRLNetwork.from_arrays(self.units, self.lags, arrays)

    @classmethod
    def _test_params(cls):
        return {"units": 3, "lags": 2}
