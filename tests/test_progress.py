"""Progress lines of long fits (issue 14): silent at first, then one line per epoch on stderr."""

import re

import keras
import numpy as np
import pytest

import tsforecast as tsf
from tsforecast.nn import training
from tsforecast.nn.training import train_network
from tsforecast.testing import make_series
from tsforecast.windowing import WindowSource


class _SlowClock:
    """A clock that moves ``step`` seconds every time it is read.

    FitProgress reads it once when training begins and once per epoch, so every
    epoch appears to take ``step`` seconds, however fast the real fit is.
    """

    def __init__(self, step):
        self.step, self.now = step, -step

    def __call__(self):
        self.now += self.step
        return self.now


@pytest.fixture
def slow_epochs(monkeypatch):
    monkeypatch.setenv(training.PROGRESS_ENV, "1")
    monkeypatch.setattr(training, "PROGRESS_CLOCK", _SlowClock(2.0))  # the threshold (5 s) passes in epoch 3


def _fit(epochs=5, **kw):
    z = np.random.default_rng(0).normal(size=(80, 1))
    source = WindowSource([z], 8, 2, None)
    train, val = source.split(0.2)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    return train_network(net, source, train, val, epochs=epochs, batch_size=16, patience=epochs, **kw)


def _lines(capsys, label):
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith(label)]


def test_silent_before_the_threshold_then_one_line_per_epoch_with_the_reported_losses(slow_epochs, capsys):
    assert training.PROGRESS_AFTER == 5.0
    hist = _fit(epochs=5, label="toy")
    lines = _lines(capsys, "toy")
    assert len(hist.history["loss"]) == 5
    # Epochs 1 and 2 end at 2 s and 4 s (silent); 3, 4 and 5 at 6, 8 and 10 s.
    assert [re.search(r"epoch (\d+)/5", line).group(1) for line in lines] == ["3", "4", "5"]
    for k, line in zip((3, 4, 5), lines):
        loss, val_loss = hist.history["loss"][k - 1], hist.history["val_loss"][k - 1]
        assert f"toy epoch {k}/5, loss {loss:.4g}, val_loss {val_loss:.4g}, lr 0.001, " in line
    assert lines[0].endswith("elapsed 6s, ETA at most 4s")  # mean epoch 2 s, 2 epochs left
    assert lines[-1].endswith("elapsed 10s, ETA at most 0s")


def test_a_fit_shorter_than_the_threshold_prints_nothing(slow_epochs, capsys):
    _fit(epochs=2, label="toy")
    assert _lines(capsys, "toy") == []


def test_no_validation_windows_no_val_loss(slow_epochs, capsys):
    z = np.random.default_rng(0).normal(size=(60, 1))
    source = WindowSource([z], 8, 2, None)
    train, val = source.split(0.0)
    net = keras.Sequential([keras.Input((8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    train_network(net, source, train, val, epochs=3, batch_size=16, patience=3, label="toy")
    (line,) = _lines(capsys, "toy")
    assert "epoch 3/3" in line and "val_loss" not in line


def test_the_environment_variable_silences_it(slow_epochs, monkeypatch, capsys):
    monkeypatch.setenv(training.PROGRESS_ENV, "0")
    _fit(epochs=5, label="toy")
    assert _lines(capsys, "toy") == []


def test_the_module_switch_silences_it(slow_epochs, monkeypatch, capsys):
    monkeypatch.setattr(training, "PROGRESS", False)
    _fit(epochs=5, label="toy")
    assert _lines(capsys, "toy") == []


def test_verbose_keeps_keras_output_instead(slow_epochs, capsys):
    _fit(epochs=5, label="toy", verbose=2)
    assert _lines(capsys, "toy") == []


def test_ensemble_members_and_direct_networks_are_labelled(slow_epochs, capsys):
    y = make_series(120, seed=0)
    model = tsf.NARXForecaster(lags=8, hidden=(4,), horizon=2, strategy="direct", n_ensemble=2, epochs=3,
                               batch_size=32, patience=3)
    model.fit(y)
    heads = [line.split(" epoch ")[0] for line in capsys.readouterr().err.splitlines() if " epoch 3/3" in line]
    assert heads == ["[member 1/2] [step 1/2] NARXForecaster", "[member 1/2] [step 2/2] NARXForecaster",
                     "[member 2/2] [step 1/2] NARXForecaster", "[member 2/2] [step 2/2] NARXForecaster"]


@pytest.mark.parametrize("seconds, text", [(0.4, "0s"), (59.6, "1m00s"), (185, "3m05s"), (3599, "59m59s"),
                                           (7620, "2h07m")])
def test_durations_read_as_hours_minutes_seconds(seconds, text):
    from tsforecast.timefmt import duration

    assert duration(seconds) == text
