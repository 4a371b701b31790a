import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TSFORECAST_PROGRESS", "0")  # per-epoch progress lines would flood the test log
