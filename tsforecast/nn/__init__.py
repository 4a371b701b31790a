"""Keras network builders and the shared training routine (no estimator logic here)."""
