"""Time-delay neural network forecaster."""

from ..base import check_int
from .neural_base import NeuralForecaster


class TDNNForecaster(NeuralForecaster):
    """A time-delay neural network (Waibel et al., 1989) for forecasting.

    Each layer sees a sliding window of ``delays`` delayed outputs of the layer
    below with weights shared in time (Conv1D); ``dilation > 1`` spaces the
    delays of layer ``i`` by ``dilation**i`` to see further back.

    Parameters
    ----------
    lags : int, "season" or "long_season"
        Input window length; a season's name takes it from the training index's frequency.
    delays : int
        Delays per layer (kernel size).
    filters : int
        Units per time step in each layer.
    layers : int
        Number of time-delay layers.
    dilation : int
        Spacing factor of the delays: layer ``i`` spaces its delays by ``dilation**i`` steps.
    activation : str
        Activation of the time-delay layers.
    horizon, strategy, scaler, difference, base, seasonal_period, n_ensemble, epochs, batch_size, learning_rate,
    optimizer, clipnorm, weight_decay, loss, quantiles, patience, restore_best_weights, reduce_lr_patience, validation_fraction,
    dropout, l2, known_future, calendar, seed, verbose
        As for :class:`~tsforecast.models.narx_model.NARXForecaster`; default strategy ``'mimo'``.
    """

    _params = {"lags": 48, "delays": 3, "filters": 16, "layers": 2, "dilation": 2, "activation": "tanh",
               "strategy": "mimo"}

    def _check_params(self):
        super()._check_params()
        for name in ("delays", "filters", "layers", "dilation"):
            check_int(getattr(self, name), name)

    def _build_network(self, window, n_channels, out_steps, n_future):
        from ..nn.tdnn import build_tdnn

        return build_tdnn(window, n_channels, out_steps, n_future, delays=self.delays, filters=self.filters,
                          n_layers=self.layers, dilation=self.dilation, activation=self.activation,
                          dropout=self.dropout, l2=self.l2, n_quantiles=self._n_quantiles())

    @classmethod
    def _test_params(cls):
        return {**super()._test_params(), "delays": 2, "filters": 4, "layers": 2, "dilation": 2}
