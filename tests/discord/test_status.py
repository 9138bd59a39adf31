"""/status on Discord names sources by display name: no configured URL secret is shown."""

from __future__ import annotations

from bot.discord.bot import start_discord
from bot.service.narratives import NarrativeService
from tests.discord.conftest import World, discord_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.secret_sources import SECRETS, run_secret_feeds
from tests.fakes.upstream import UpstreamFake, upstream

__all__ = ["upstream"]


async def test_status_shows_failing_feeds_without_their_secrets(
    storage: str, fake: FakeDiscord, world: World, upstream: UpstreamFake
) -> None:
    run = await run_secret_feeds(upstream)
    await run.http.close()
    service = NarrativeService(health=run.health.snapshot)
    running = await start_discord(discord_settings(fake), service, guild_ready_timeout=0.05)
    try:
        await running.wait_ready(10)
        callback = await fake.slash(world.guild, world.general, world.member, "status")
    finally:
        await running.stop()
    embed = callback.json["data"]["embeds"][0]
    text = repr(embed)
    for source in run.scheduler.sources.polling:
        assert source.name in text  # each feed is listed, by display name
    assert "HTTP 500 from 127.0.0.1" in text  # with its error
    assert [s for s in SECRETS if s in text] == [], text
