"""Source health as users see it, from whatever shape the source supervisor reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.posts import PostFormatError, parse_time
from bot.service.types import HealthState, SourceHealth

# Source supervisor states (bot/sources/health.py) → the four states users see.
HEALTH_STATES: dict[str, HealthState] = {
    "ok": "ok",
    "finished": "ok",
    "idle": "degraded",
    "backoff": "degraded",
    "degraded": "degraded",
    "open": "down",
    "blocked": "down",
    "down": "down",
    "stopped": "disabled",
    "disabled": "disabled",
}


def as_health(item: Any) -> SourceHealth:
    """A SourceHealth from ours, from the source registry's JSON snapshot, or a look-alike."""
    if isinstance(item, SourceHealth):
        return item
    get = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
    last = get("last_success")
    if isinstance(last, str):
        try:
            last = parse_time(last)
        except PostFormatError:
            last = None
    error = get("last_error")
    return SourceHealth(
        name=str(get("name") or "?"),
        state=HEALTH_STATES.get(str(get("state")), "degraded"),
        last_success=last if isinstance(last, datetime) else None,
        last_error=str(error).splitlines()[0][:200] if error else None,
        items=int(get("items_total") or get("items") or 0),
    )
