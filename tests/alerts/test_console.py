"""ConsoleSender: alerts on standard output when no chat platform is configured."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.alerts.console import CHAT_ID, PLATFORM, ConsoleSender, ensure_console_subscription
from bot.alerts.dispatcher import AlertDispatcher
from bot.engine.generator import START
from bot.pipeline import ScoringPipeline
from bot.service.narratives import NarrativeService
from storage.models import Subscription
from tests.alerts.stream import (
    MEME_START,
    SEED_URL,
    replay_minutes,
    replay_until_alert,
    warmed_engine,
)


async def test_console_prints_each_alert_once(storage: str) -> None:
    await ensure_console_subscription(60.0)
    await ensure_console_subscription(60.0)  # every start: idempotent
    assert await Subscription.filter(platform=PLATFORM, chat_id=CHAT_ID).count() == 1
    out = io.StringIO()
    service = NarrativeService(clock=lambda: START + timedelta(minutes=200))
    dispatcher = AlertDispatcher({PLATFORM: ConsoleSender(out)}, service, chat_interval=0)
    pipeline = ScoringPipeline(
        warmed_engine(MEME_START + 10), on_narratives=dispatcher.on_narratives
    )
    await replay_until_alert(pipeline, MEME_START + 10, MEME_START + 70)
    await replay_minutes(pipeline, MEME_START + 25, MEME_START + 35)  # still viral: no repeat
    await dispatcher.drain()
    await dispatcher.close()
    text = out.getvalue()
    assert text.count("Emerging narrative: summoning ghosts") == 1
    assert "Score " in text and SEED_URL in text and "seeded by @karpathy" in text
    assert "Details: /narrative summoning ghosts" in text
