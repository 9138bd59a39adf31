"""Narrative engine: turns a stream of posts into scored narratives and lifecycle alerts."""

from bot.engine.breakdown import Breakdown, Components
from bot.engine.config import EngineConfig
from bot.engine.engine import NarrativeEngine
from bot.engine.text import canonicalize
from bot.engine.types import (
    AlertEvent,
    CheckpointError,
    Lifecycle,
    NarrativeView,
    SamplePost,
)

__all__ = [
    "AlertEvent",
    "Breakdown",
    "CheckpointError",
    "Components",
    "EngineConfig",
    "Lifecycle",
    "NarrativeEngine",
    "NarrativeView",
    "SamplePost",
    "canonicalize",
]
