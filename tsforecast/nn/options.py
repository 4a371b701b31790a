"""Choices of the network builders, importable without Keras (the estimators validate with them)."""

CELLS = ("simple", "lstm", "gru")
GATE_INITS = ("unit", "chrono")
HEADS = ("dense", "seq2seq", "attention")
ATTENTION_SCORES = ("luong", "bahdanau")
