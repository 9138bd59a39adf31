"""Leadership on the real local PostgreSQL: one holder, takeover when it dies, trivial on SQLite."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.ops.leadership import Leadership


async def test_sqlite_leadership_is_trivially_held(tmp_path) -> None:
    lead = Leadership(f"sqlite://{tmp_path}/x.sqlite3")
    lead.start()
    assert lead.held and lead.acquired.is_set() and not lead.required
    await lead.stop()


async def attempts(lead: Leadership, count: int) -> None:
    """Until `lead` has tried for the lock `count` more times (its `tried` is set after each)."""
    for _ in range(count):
        lead.tried.clear()
        await asyncio.wait_for(lead.tried.wait(), 5)


async def test_only_one_process_holds_and_the_other_takes_over(postgres_url: str) -> None:
    first = Leadership(postgres_url, retry_interval=0.1)
    second = Leadership(postgres_url, retry_interval=0.1)
    first.start()
    await asyncio.wait_for(first.wait(), 5)
    second.start()
    await attempts(second, 3)
    assert first.held and not second.held
    await first.stop()
    await asyncio.wait_for(second.wait(), 5)
    assert second.held
    await second.stop()


async def test_holder_whose_session_dies_reports_loss_and_standby_takes_over(
    postgres_url: str,
) -> None:
    holder = Leadership(postgres_url, retry_interval=0.1)
    standby = Leadership(postgres_url, retry_interval=0.1)
    holder.start()
    await asyncio.wait_for(holder.wait(), 5)
    standby.start()
    # Kill the holder's backend from outside, as a crash or network cut would.
    admin = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://", 1))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    finally:
        await admin.close()
    assert killed == 1
    await asyncio.wait_for(holder.lost.wait(), 5)
    await asyncio.wait_for(standby.wait(), 5)
    assert standby.held and not holder.held
    await holder.stop()
    await standby.stop()


async def test_unreachable_postgres_keeps_retrying_without_holding() -> None:
    lead = Leadership("postgres://postgres@127.0.0.1:1/none", retry_interval=0.05)
    lead.start()
    await attempts(lead, 3)
    assert lead.required and not lead.held and not lead.lost.is_set()
    await lead.stop()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "asyncpg"])
def test_postgres_schemes_require_the_lock(scheme: str) -> None:
    assert Leadership(f"{scheme}://u@h/db").required
