"""kill -9 in the middle of an alert burst, on one SQLite process and on two PostgreSQL ones."""

from __future__ import annotations

import asyncio
import signal

from tests.system.conftest import World, seed_subscriptions

ALERT_WITHIN = 60.0
RETRY_AFTER = 5  # the flood-control wait during which the process is killed


async def _burst_half_done(world: World) -> None:
    """Two chats got their alert; the other two were told to wait (429), nothing in flight."""
    fast, slow = world.telegram_chats[:2], world.telegram_chats[2:]
    for chat in fast:
        await world.telegram.wait_for(
            "sendMessage", lambda c, chat=chat: c.chat_id == chat, within=ALERT_WITHIN
        )
    for chat in slow:
        await world.telegram.wait_for(
            "sendMessage",
            lambda c, chat=chat: c.chat_id == chat and c.status == 429,
            within=ALERT_WITHIN,
            include_failed=True,
        )
    await world.discord.wait_for(
        "POST", rf"/channels/{world.channel.id}/messages", within=ALERT_WITHIN
    )
    await asyncio.sleep(0.5)  # the delivered ones are marked sent
    for chat in slow:
        assert world.telegram_alerts(chat) == 0


def _flood_control(world: World) -> None:
    for chat in world.telegram_chats[2:]:
        world.telegram.fail_next("sendMessage", status=429, retry_after=RETRY_AFTER, chat_id=chat)


async def _all_delivered_once(world: World) -> None:
    for chat in world.telegram_chats:
        await world.telegram.wait_for(
            "sendMessage", lambda c, chat=chat: c.chat_id == chat, within=ALERT_WITHIN
        )
    await asyncio.sleep(2.0)  # more ticks and resumes: nothing may arrive twice
    assert {chat: world.telegram_alerts(chat) for chat in world.telegram_chats} == {
        chat: 1 for chat in world.telegram_chats
    }
    assert world.discord_alerts() == 1


async def test_kill_9_during_the_alert_burst_then_restart_delivers_each_alert_once(
    world: World, sqlite_url: str
) -> None:
    world.telegram_chats += ["-1003", "-1004"]
    await seed_subscriptions(sqlite_url, world)
    _flood_control(world)
    first = world.bot(world.env(sqlite_url), name="first")
    await _burst_half_done(world)
    first.kill()
    assert first.proc is not None and first.proc.returncode == -signal.SIGKILL

    second = world.bot(world.env(sqlite_url), name="second")
    await second.wait_ready()
    await _all_delivered_once(world)
    await second.wait_log(lambda m: m.startswith("resumed 2 pending alert(s)"))
    second.signal(signal.SIGTERM)
    assert await second.wait_exit(within=15) == 0


async def test_two_processes_on_postgres_one_dispatches_and_the_other_takes_over(
    world: World, postgres_url: str
) -> None:
    world.telegram_chats += ["-1003", "-1004"]
    await seed_subscriptions(postgres_url, world)
    env = world.env(postgres_url)
    _flood_control(world)  # before the leader starts: a fast replay can alert before it is ready
    leader = world.bot(env, name="leader")
    await leader.wait_ready()
    standby = world.bot(env, name="standby")
    await standby.wait_log(lambda m: m.startswith("standing by"))
    status, body = await standby.get("/readyz")
    assert status == 503 and "standby" in body
    assert (await standby.get("/healthz"))[0] == 200

    await _burst_half_done(world)
    leader.kill()
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    await standby.wait_ready(within=30)
    takeover = loop.time() - killed_at
    assert takeover < 10, f"takeover took {takeover:.1f}s"
    await _all_delivered_once(world)
    assert "took the scorer/dispatcher role" in " ".join(standby.messages())
    # the leader never stood by; the standby never sent before it took over
    assert not any(m.startswith("standing by") for m in leader.messages())
    standby.signal(signal.SIGTERM)
    assert await standby.wait_exit(within=15) == 0


async def test_ingest_process_feeds_a_separate_scorer_through_postgres(
    world: World, postgres_url: str
) -> None:
    await seed_subscriptions(postgres_url, world)
    env = world.env(postgres_url, GHOSTWATCH_AGGREGATE_INTERVAL="0.5")
    scorer_env = {k: v for k, v in env.items() if k != "GHOSTWATCH_SOURCES"}
    scorer = world.bot(scorer_env, name="scorer", role="scorer")
    await scorer.wait_ready()
    ingest_env = {k: v for k, v in env.items() if "TELEGRAM" not in k and "DISCORD" not in k}
    ingest = world.bot(ingest_env, name="ingest", role="ingest")
    await ingest.wait_ready()
    await ingest.wait_log(lambda m: "finished after" in m)
    await _all_delivered_once(world)
    # the ingest process ran no front end and sent nothing itself
    assert not any("telegram" in m.lower() for m in ingest.messages())
    for process in (ingest, scorer):
        process.signal(signal.SIGTERM)
        assert await process.wait_exit(within=15) == 0
