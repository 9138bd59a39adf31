"""ConsoleSender: alerts on standard output when no chat platform is configured."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.alerts.console import CHAT_ID, PLATFORM, ConsoleSender, ensure_console_subscription
from bot.alerts.dispatcher import AlertDispatcher
from bot.service.narratives import NarrativeService
from storage.models import Subscription
from tests.builders import AT, SEED_URL, Ticks, alert_event, evolve, fired


async def test_console_prints_each_alert_once(storage: str) -> None:
    await ensure_console_subscription(60.0)
    await ensure_console_subscription(60.0)  # every start: idempotent
    assert await Subscription.filter(platform=PLATFORM, chat_id=CHAT_ID).count() == 1
    out = io.StringIO()
    service = NarrativeService(clock=lambda: AT + timedelta(minutes=30))
    dispatcher = AlertDispatcher({PLATFORM: ConsoleSender(out)}, service, chat_interval=0)
    result = await fired(dispatcher.on_narratives)
    [view] = result.views
    tick = Ticks(dispatcher.on_narratives)
    for minute in range(1, 11):  # still viral, and the engine's alert handed over again
        later = evolve(view, score=view.score + minute)
        await tick([later], [alert_event(view)], at=AT + timedelta(minutes=minute))
    await dispatcher.drain()
    await dispatcher.close()
    text = out.getvalue()
    assert text.count("Emerging narrative: summoning ghosts") == 1
    assert "Score " in text and SEED_URL in text and "seeded by @karpathy" in text
    assert "Details: /narrative summoning ghosts" in text
