"""Command rate limits in Discord: the real discord.py bot against the fake Discord."""

from __future__ import annotations

import asyncio

from bot.discord.bot import DiscordFrontend
from bot.discord.throttle import ThrottledTree
from bot.metrics import REGISTRY
from bot.service.ratelimit import CHAT_RATE, USER_RATE, CommandLimiter
from tests.discord.conftest import World

EPHEMERAL = 64


def limited() -> float:
    value = REGISTRY.get_sample_value("ghostwatch_commands_limited_total", {"platform": "discord"})
    return value or 0.0


async def test_a_spammer_gets_one_ephemeral_notice_then_silence(
    frontend: DiscordFrontend, world: World
) -> None:
    tree = frontend.bot.tree
    assert isinstance(tree, ThrottledTree)
    # The shipped rates, and no refill during the test however slow it runs.
    tree.limiter = CommandLimiter(user=USER_RATE, chat=CHAT_RATE, clock=lambda: 0.0)
    fake = world.fake
    before = limited()
    for _ in range(5):
        callback = await fake.slash(world.guild, world.general, world.member, "status")
        assert callback.json["type"] in (4, 5)
    notice = await fake.slash(world.guild, world.general, world.member, "status", locale="ja")
    assert notice.json["data"]["flags"] & EPHEMERAL
    assert notice.json["data"]["content"].startswith("コマンドが多すぎます")
    payload = fake.slash_payload(world.guild, world.general, world.member, "status")
    await fake.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))
    for _ in range(500):  # the sentinel: the command was refused
        if limited() >= before + 2:
            break
        await asyncio.sleep(0.01)
    assert limited() == before + 2
    assert fake.find("POST", rf"/interactions/{payload['id']}/[^/]+/callback") == []
    # Someone else is served.
    other = await fake.slash(world.guild, world.alerts, world.admin, "status")
    assert other.json["type"] in (4, 5)
