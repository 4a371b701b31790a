"""Forecaster implementations, one module each; see tsforecast.registry."""
