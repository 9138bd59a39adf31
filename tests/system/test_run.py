"""`ghostwatch run` as a subprocess against fake Telegram/Discord servers and a replay."""

from __future__ import annotations

import asyncio
import re
import signal

from tests.system.conftest import DISCORD_TOKEN, World, seed_subscriptions

ALERT_TIMEOUT = 60.0


def _metric(text: str, name: str, **labels: str) -> float:
    """One sample of the Prometheus text exposition."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{labels} in /metrics")


async def test_replay_alerts_exactly_once_per_platform_with_health_metrics_and_clean_stop(
    world: World, sqlite_url: str
) -> None:
    await seed_subscriptions(sqlite_url, world)
    bot = world.bot(world.env(sqlite_url))
    await bot.wait_ready()

    status, body = await bot.get("/healthz")
    assert (status, body) == (200, "ok\n")
    for chat in world.telegram_chats:
        await world.telegram.wait_for(
            "sendMessage", lambda c, chat=chat: c.chat_id == chat, within=ALERT_TIMEOUT
        )
    await world.discord.wait_for(
        "POST", rf"/channels/{world.channel.id}/messages", within=ALERT_TIMEOUT
    )
    await bot.wait_log(lambda m: "finished after" in m)
    await asyncio.sleep(2.0)  # several more scoring ticks: nothing may be sent again

    for chat in world.telegram_chats:
        assert world.telegram_alerts(chat) == 1
    assert world.discord_alerts() == 1
    (call,) = world.telegram.sent("sendMessage", world.telegram_chats[0])
    assert "ghosts" in call.params["text"].lower()

    status, metrics = await bot.get("/metrics")
    assert status == 200
    replay_source = f"replay:{world.replay}"
    posts = sum(1 for line in world.replay.read_text().splitlines() if line.strip())
    assert _metric(metrics, "ghostwatch_posts_ingested_total", source=replay_source) == posts
    assert _metric(metrics, "ghostwatch_alerts_sent_total", platform="telegram") == 2
    assert _metric(metrics, "ghostwatch_alerts_sent_total", platform="discord") == 1
    assert _metric(metrics, "ghostwatch_narratives", state="viral") == 1
    assert _metric(metrics, "ghostwatch_scoring_tick_seconds_count") >= 1

    bot.signal(signal.SIGTERM)
    assert await bot.wait_exit(within=15) == 0
    messages = bot.messages()
    assert "ghostwatch stopped" in messages
    log_text = bot.text()
    assert world.telegram.token not in log_text and DISCORD_TOKEN not in log_text
    assert "Traceback" not in log_text

    # A restart resumes from the shutdown checkpoint and repeats nothing.
    again = world.bot(world.env(sqlite_url), name="bot-again")
    await again.wait_ready()
    await again.wait_log(lambda m: m.startswith("engine restored from checkpoint"))
    await again.wait_log(lambda m: "finished after" in m)
    await asyncio.sleep(2.0)
    for chat in world.telegram_chats:
        assert world.telegram_alerts(chat) == 1
    assert world.discord_alerts() == 1
    again.signal(signal.SIGINT)
    assert await again.wait_exit(within=15) == 0
