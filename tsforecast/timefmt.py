"""Durations as progress lines print them (one helper for the training and the batch-job lines)."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """``"42s"``, ``"3m05s"`` or ``"2h07m"`` for a number of seconds (rounded to whole seconds)."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
