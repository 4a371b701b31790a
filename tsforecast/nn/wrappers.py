"""Traffic structure around any core network: per-window normalisation and residual (naive) targets.

Both live inside the Keras model, so training, prediction, saving and loading need no extra
bookkeeping: the wrapped model still maps ``past[, future]`` windows to ``(batch, out_steps)``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from .heads import make_inputs, model_from
from .layers import WINDOW_EPS, Denormalize, NormalizeTarget, TakeSteps, TakeWindow, WindowStats

BASES = (None, "last", "seasonal")


def base_positions(window, steps, base, period):
    """Window positions holding the naive forecast of each output step.

    ``steps`` are the 1-based steps ahead the outputs stand for. ``"last"``: the last value;
    ``"seasonal"``: the value ``period`` steps before the forecast step, i.e. position
    ``window - period + (step - 1) % period`` (the last season repeated).
    """
    if base == "last":
        return [window - 1] * len(steps)
    return [window - period + (s - 1) % period for s in steps]


def wrap_network(core, window, n_channels, out_steps, n_future, *, window_norm=False, base=None, period=None,
                 steps=None, core_window=None, n_quantiles=1, seasonal_channel=False):
    """``core`` with optional per-window normalisation (RevIN-style) and a naive base added to its output.

    With ``window_norm`` each window's target channel is standardised by its own mean and spread
    before ``core`` sees it, and the forecast is scaled back: the network learns the shape of the
    next steps, not the level, which follows the data as exponential smoothing's level does.
    With ``base`` the network forecasts the correction to the naive / seasonal-naive forecast.
    ``core_window`` (default ``window``): the core reads only the last ``core_window`` steps, so a
    recurrent network can unroll over a day while the seasonal base reaches a week back.
    With ``n_quantiles`` outputs per step (step-major) every quantile of a step gets the step's base.
    With ``seasonal_channel`` the core gets one more known-future input per output step: the (normalised)
    value ``period`` steps before that step, so a network reading a day still sees last week's value at
    each lead time. ``core`` must then be built with ``n_future + 1`` future inputs.
    """
    core_window = window if core_window is None else core_window
    if not window_norm and base is None and core_window == window and not seasonal_channel:
        return core
    past, future = make_inputs(window, n_channels, out_steps, n_future)
    x, stats = past, None
    if window_norm:
        stats = WindowStats()(past)
        x = NormalizeTarget()([past, stats])
    seen = x if core_window == window else TakeWindow(core_window)(x)
    core_future = future
    if seasonal_channel:
        last_season = TakeSteps(base_positions(window, steps, "seasonal", period))(x)
        last_season = layers.Reshape((len(steps), 1))(last_season)
        core_future = last_season if future is None else layers.Concatenate()([future, last_season])
    out = core(seen if core_future is None else [seen, core_future])
    if base is not None:
        out = layers.Add()([out, TakeSteps(np.repeat(base_positions(window, steps, base, period), n_quantiles))(x)])
    if window_norm:
        out = Denormalize()([out, stats])
    return model_from(past, future, out, f"{core.name}_wrapped")


def core_windows(past, targets, *, window_norm=False, base=None, period=None, steps=None, core_window=None):
    """NumPy twin of :func:`wrap_network` run backwards: the windows its ``core`` reads and the
    outputs the core must give for the wrapped network to forecast ``targets`` exactly.

    ``past`` (batch, window, channels) and ``targets`` (batch, len(steps)) as training feeds them.
    Returns ``(core_past, core_targets)`` in float64.
    """
    x = np.array(past, dtype=np.float64)
    t = np.array(targets, dtype=np.float64)
    if window_norm:
        level = x[:, :, 0].mean(axis=1, keepdims=True)
        spread = np.maximum(x[:, :, 0].std(axis=1, keepdims=True), WINDOW_EPS)
        x[:, :, 0] = (x[:, :, 0] - level) / spread
        t = (t - level) / spread
    if base is not None:
        t = t - x[:, base_positions(x.shape[1], steps, base, period), 0]
    core_window = x.shape[1] if core_window is None else core_window
    return x[:, x.shape[1] - core_window:], t
