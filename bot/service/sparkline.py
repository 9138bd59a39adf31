"""Text sparklines (▁▂▃▄▅▆▇█) for chat messages."""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """The last `width` values as bars scaled from 0 to their maximum ("" for no values)."""
    tail = [max(0.0, float(v)) for v in values[-width:]]
    if not tail:
        return ""
    top = max(tail)
    if top <= 0:
        return BARS[0] * len(tail)
    last = len(BARS) - 1
    return "".join(BARS[min(last, round(v / top * last))] for v in tail)
