"""`ghostwatch run` over a speed=0 replay of a whole meme life cycle: the alert is not lost.

The file holds the ramp, the peak and more than an hour of cool-down, so by the time the bot's
scoring ticks have read it the narrative is already cooling; the alert fired on the way must
still reach every subscribed chat, exactly once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.engine.generator import START, StreamGenerator, merge
from tests.fakes.telegram_server import Call
from tests.system.conftest import World, seed_subscriptions
from tests.system.harness import GHOST_VARIANTS
from tests.system.test_run import _metric

ALERT_TIMEOUT = 60.0
MEME_START = 140  # minutes: after the engine's two-hour warm-up
PEAK_END = MEME_START + 60 + 30  # ramp, then the plateau
FILE_MINUTES = PEAK_END + 100  # the decay (60 min) and well over an hour past the peak


def whole_wave(path: Path, seed: int = 21) -> int:
    """Write chatter plus one leader-seeded meme that ramps, peaks and cools; returns posts."""
    gen = StreamGenerator(seed)
    posts = merge(
        gen.background(FILE_MINUTES / 60, 10),
        gen.meme(
            GHOST_VARIANTS,
            start_minute=MEME_START,
            peak_per_minute=8,
            authors=500,
            leader="karpathy",
            leader_text="we are summoning ghosts, not building animals",
        ),
    )
    end = START + timedelta(minutes=FILE_MINUTES)
    posts = [p for p in posts if p.created_at < end]
    assert posts[-1].created_at - START > timedelta(minutes=PEAK_END + 60)
    path.write_text("".join(json.dumps(p.to_json()) + "\n" for p in posts), encoding="utf-8")
    return len(posts)


def to_chat(chat_id: str) -> Callable[[Call], bool]:
    return lambda call: call.chat_id == chat_id


async def test_speed_zero_replay_of_a_cooled_wave_alerts_each_chat_once(
    world: World, sqlite_url: str
) -> None:
    replay = world.tmp / "whole-wave.jsonl"
    posts = whole_wave(replay)
    await seed_subscriptions(sqlite_url, world)
    bot = world.bot(world.env(sqlite_url, GHOSTWATCH_SOURCES=f"replay:{replay}?speed=0"))
    await bot.wait_ready()

    for chat in world.telegram_chats:
        await world.telegram.wait_for("sendMessage", to_chat(chat), within=ALERT_TIMEOUT)
    await world.discord.wait_for(
        "POST", rf"/channels/{world.channel.id}/messages", within=ALERT_TIMEOUT
    )
    await bot.wait_log(lambda m: "finished after" in m)
    await asyncio.sleep(2.0)  # several more scoring ticks: nothing may be sent again

    for chat in world.telegram_chats:
        assert world.telegram_alerts(chat) == 1
    assert world.discord_alerts() == 1
    (call,) = world.telegram.sent("sendMessage", world.telegram_chats[0])
    text = call.params["text"]
    assert "ghosts" in text.lower()
    # The card shows the score the wave fired at, not the cooled narrative's score now.
    score = re.search(r"Score (\d+)/100", text)
    assert score is not None and int(score.group(1)) >= 60, text

    status, metrics = await bot.get("/metrics")
    assert status == 200
    source = f"replay:{replay}"
    assert _metric(metrics, "ghostwatch_posts_ingested_total", source=source) == posts
    # The whole file was scored: the narrative is past its wave, not viral any more.
    assert _metric(metrics, "ghostwatch_narratives", state="viral") == 0
    cooled = _metric(metrics, "ghostwatch_narratives", state="cooling") + _metric(
        metrics, "ghostwatch_narratives", state="dormant"
    )
    assert cooled >= 1
    assert _metric(metrics, "ghostwatch_alerts_sent_total", platform="telegram") == 2
    assert _metric(metrics, "ghostwatch_alerts_sent_total", platform="discord") == 1
    assert "Traceback" not in bot.text()
