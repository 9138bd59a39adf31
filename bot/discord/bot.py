"""The Discord bot: a typed commands.Bot that serves the slash commands and delivers alerts.

`start_discord()` logs in and connects inside ghostwatch's own event loop and returns a
`DiscordFrontend` whose `.sender` the AlertDispatcher uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.config import ConfigError, Settings
from bot.discord.intake import ChannelScope, DiscordIntake
from bot.discord.throttle import ThrottledTree
from bot.discord.translator import GhostwatchTranslator
from bot.errors import FrontendStartError, one_line
from bot.metrics import RATE_LIMIT_WAITS

if TYPE_CHECKING:
    from bot.discord.sender import DiscordAlertSender
    from bot.posts import Post
    from bot.service.narratives import NarrativeService

log = logging.getLogger(__name__)

# One extension module per feature; errors is the tree's single error handler.
EXTENSIONS = (
    "cogs.errors",
    "cogs.views",
    "cogs.ghosts",
    "cogs.narrative",
    "cogs.watch",
    "cogs.alerts",
    "cogs.leaders",
    "cogs.status",
)

DEFAULT_API_URL = "https://discord.com/api/v10"


def build_intents(settings: Settings) -> discord.Intents:
    """Default intents; the privileged message-content intent only when reading channels."""
    intents = discord.Intents.default()
    intents.members = False
    intents.presences = False
    intents.message_content = bool(settings.discord_read_channels)
    return intents


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py's REST routes (and the gateway, when given) at the configured URLs.

    Both are class attributes in discord.py 2.7, so this is per process. A plain (unsharded)
    client never asks GET /gateway/bot; it connects to DiscordWebSocket.DEFAULT_GATEWAY, which
    is also where it falls back after an invalidated session.
    """
    discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class RateLimitCounter(logging.Filter):
    """Counts the 429 waits discord.py performs itself (it only reports them in its log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("We are being rate limited"):
            RATE_LIMIT_WAITS.labels("discord").inc()
        return True


def count_rate_limit_waits() -> None:
    """Install the counter on discord.py's HTTP logger once per process."""
    http_log = logging.getLogger("discord.http")
    if not any(isinstance(f, RateLimitCounter) for f in http_log.filters):
        http_log.addFilter(RateLimitCounter())


class GhostwatchBotMixin:
    """What both bot classes share. The bot owns the shared resources: each extension's
    `setup(bot)` hands them to its cogs' constructors (`Watch(bot.service)`)."""

    service: NarrativeService
    settings: Settings
    sync_commands: bool

    def _init_ghostwatch(
        self, settings: Settings, service: NarrativeService, sync_commands: bool
    ) -> None:
        self.settings = settings
        self.service = service
        self.sync_commands = sync_commands

    async def _ghostwatch_setup(self) -> None:
        bot: commands.Bot = self  # type: ignore[assignment]
        await bot.tree.set_translator(GhostwatchTranslator())
        for name in EXTENSIONS:
            await bot.load_extension(name)
        if self.sync_commands:
            synced = await bot.tree.sync()
            log.info("discord: synced %d application command(s)", len(synced))

    async def on_message(self, message: discord.Message) -> None:
        """Slash commands only: messages are never parsed as text commands."""

    def _pin_gateway(self) -> None:
        """Keep resumes on the configured gateway rather than Discord's resume_gateway_url."""
        if not self.settings.discord_gateway_url:
            return
        url = yarl.URL(self.settings.discord_gateway_url)
        for ws in self._websockets():
            ws.gateway = url

    def _websockets(self) -> list[DiscordWebSocket]:
        return []


class GhostwatchBot(GhostwatchBotMixin, commands.Bot):
    """The single-connection bot."""

    def __init__(
        self,
        settings: Settings,
        service: NarrativeService,
        *,
        sync_commands: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no text commands; slash commands only
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self._init_ghostwatch(settings, service, sync_commands)

    async def setup_hook(self) -> None:
        await self._ghostwatch_setup()

    async def on_connect(self) -> None:
        self._pin_gateway()

    def _websockets(self) -> list[DiscordWebSocket]:
        return [self.ws] if self.ws is not None else []


class ShardedGhostwatchBot(GhostwatchBotMixin, commands.AutoShardedBot):
    """The sharded bot, for large deployments (GHOSTWATCH_DISCORD_SHARDS)."""

    def __init__(
        self,
        settings: Settings,
        service: NarrativeService,
        *,
        sync_commands: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            shard_count=settings.discord_shards,
            **options,
        )
        self._init_ghostwatch(settings, service, sync_commands)

    async def setup_hook(self) -> None:
        await self._ghostwatch_setup()

    async def on_shard_connect(self, shard_id: int) -> None:
        self._pin_gateway()

    def _websockets(self) -> list[DiscordWebSocket]:
        # discord.py keeps each shard's live websocket on the (private) Shard behind ShardInfo.
        return [info._parent.ws for info in self.shards.values()]


AnyBot = GhostwatchBot | ShardedGhostwatchBot
MAX_RATELIMIT_WAIT = 30.0


def build_bot(
    settings: Settings, service: NarrativeService, *, sync_commands: bool = True, **options: Any
) -> AnyBot:
    # A 429 asking for a longer wait raises RateLimited (the sender's RetryLater), so the
    # delivery worker defers that channel instead of discord.py sleeping on it (30 s is the
    # smallest value discord.py accepts).
    options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
    options.setdefault("tree_cls", ThrottledTree)  # per-user/per-channel command limits
    if settings.discord_shards:
        return ShardedGhostwatchBot(settings, service, sync_commands=sync_commands, **options)
    return GhostwatchBot(settings, service, sync_commands=sync_commands, **options)


@dataclass
class DiscordFrontend:
    """A running Discord front end."""

    bot: AnyBot
    sender: DiscordAlertSender
    task: asyncio.Task[None]

    async def wait_ready(self, within: float = 30.0) -> None:
        """Until the gateway session is ready (guilds cached); raises if the connection died."""
        ready = asyncio.ensure_future(self.bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self.task}, timeout=within, return_when="FIRST_COMPLETED"
        )
        if ready not in done:
            ready.cancel()
            if self.task in done:
                self.task.result()  # re-raise the connection error
            raise TimeoutError("discord: gateway not ready in time")

    async def stop(self) -> None:
        await self.bot.close()
        try:
            await asyncio.wait_for(self.task, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()
        except Exception:  # the connection's own error was already logged
            log.debug("discord connection ended with an error", exc_info=True)


async def start_discord(
    settings: Settings,
    service: NarrativeService,
    *,
    sync_commands: bool = True,
    post_sink: Callable[[Sequence[Post]], None] | None = None,
    **options: Any,
) -> DiscordFrontend:
    """Log in, set up cogs and commands, and connect to the gateway in a background task.

    With `post_sink` and GHOSTWATCH_DISCORD_READ_CHANNELS set, messages in those channels
    become Posts handed to the sink; otherwise no message text is read.
    """
    from bot.discord.sender import DiscordAlertSender

    if settings.discord_token is None:
        raise ConfigError("GHOSTWATCH_DISCORD_TOKEN is not set")
    if settings.discord_read_channels:
        log.warning(
            "discord: GHOSTWATCH_DISCORD_READ_CHANNELS is set, so the bot asks for the privileged "
            "message content intent; enable it for the application in the Developer Portal"
        )
    configure_endpoints(settings)
    count_rate_limit_waits()
    bot = build_bot(settings, service, sync_commands=sync_commands, **options)
    scope = ChannelScope(settings.discord_read_channels)
    if post_sink is not None and scope:
        bot.add_listener(DiscordIntake(scope, post_sink).on_message, "on_message")
        log.info("discord: reading channels %s as a post source", ",".join(scope_names(scope)))
    elif scope:
        log.warning("discord: GHOSTWATCH_DISCORD_READ_CHANNELS is set but no post sink is wired")
    try:
        await bot.login(settings.discord_token.get_secret_value())
        if not settings.discord_gateway_url and settings.discord_api_url != DEFAULT_API_URL:
            # Redirected REST but no gateway given: ask the API where its gateway is.
            _, url, _ = await bot.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    except discord.LoginFailure:
        await bot.close()
        raise FrontendStartError("discord", token_rejected=True) from None
    except (discord.HTTPException, discord.GatewayNotFound, OSError) as exc:
        await bot.close()
        raise FrontendStartError("discord", f"cannot reach the API: {one_line(exc)}") from None
    task = asyncio.create_task(_connect(bot), name="discord-gateway")
    log.info(
        "discord: logged in as %s (%s)",
        bot.user,
        "sharded" if settings.discord_shards else "one shard",
    )
    return DiscordFrontend(bot=bot, sender=DiscordAlertSender(bot), task=task)


async def _connect(bot: AnyBot) -> None:
    try:
        await bot.connect(reconnect=True)
    except discord.PrivilegedIntentsRequired:
        log.error(
            "discord: the message content intent is not enabled for this application; enable it "
            "in the Developer Portal or unset GHOSTWATCH_DISCORD_READ_CHANNELS"
        )
        raise
    except Exception as exc:
        log.error("discord: gateway connection ended: %s", one_line(exc))
        raise


def scope_names(scope: ChannelScope) -> list[str]:
    return ["all"] if scope.all else sorted(str(i) for i in scope.ids)


__all__ = [
    "AnyBot",
    "DiscordFrontend",
    "GhostwatchBot",
    "ShardedGhostwatchBot",
    "build_bot",
    "build_intents",
    "configure_endpoints",
    "start_discord",
]
