"""Storage lifecycle on SQLite and PostgreSQL: migrate, refuse newer schemas, fail cleanly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from bot.engine import Lifecycle
from storage import db
from storage.models import Alert, AlertStatus, Narrative, Subscription


async def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    await db.open_storage(database_url)
    try:
        pending, unknown = await db.pending_migrations(database_url)
        assert (pending, unknown) == ([], [])
        assert await db.upgrade(database_url) == []  # second run applies nothing
        assert await Subscription.all().count() == 0
    finally:
        await db.close()


async def test_enum_columns_upgrade_keeps_every_row(database_url: str) -> None:
    """0005 only retypes state and status: rows written before it are kept and read as enums
    (rebuilding `narratives` on SQLite would have cascaded to its alerts)."""
    await db.connect(database_url)
    try:
        await migrate(
            config=db.tortoise_config(database_url),
            target="ghostwatch.0004_narrative_episode_offset",
        )
        now = datetime.now(UTC)
        for i, state in enumerate(["quiet", "emerging", "viral", "cooling", "dormant"]):
            narrative = await Narrative.create(
                key=f"k{i}", label="l", phrase="p", state=state, first_seen=now, updated_at=now
            )
            for episode, status in enumerate(["pending", "sent", "failed", "skipped"]):
                await Alert.create(
                    narrative=narrative,
                    episode=episode,
                    platform="telegram",
                    target="-100",
                    score=70,
                    status=status,
                )
        assert "0005_enum_columns" in await db.upgrade(database_url)
        states = await Narrative.all().order_by("id").values_list("state", flat=True)
        assert states == list(Lifecycle)
        assert all(type(state) is Lifecycle for state in states)
        assert await Alert.all().count() == 20
        assert await Alert.filter(status=AlertStatus.SENT).count() == 5
        viral = await Narrative.get(state=Lifecycle.VIRAL)
        assert viral.key == "k2" and viral.state is Lifecycle.VIRAL
    finally:
        await db.close()


async def test_alert_dedupe_key_is_enforced(storage: str) -> None:
    now = datetime.now(UTC)
    narrative = await Narrative.create(
        key="summon ghost",
        label="summoning ghosts",
        phrase="summon ghost",
        first_seen=now,
        updated_at=now,
    )
    await Alert.create(narrative=narrative, episode=1, platform="telegram", target="-100", score=80)
    with pytest.raises(IntegrityError):
        await Alert.create(
            narrative=narrative, episode=1, platform="telegram", target="-100", score=81
        )
    # the next episode is a different alert
    await Alert.create(narrative=narrative, episode=2, platform="telegram", target="-100", score=82)
    assert await Alert.filter(narrative=narrative).count() == 2


async def test_database_newer_than_code_is_refused(storage: str) -> None:
    conn = get_connection("default")
    await conn.execute_query(
        "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('ghostwatch', "
        "'9999_from_the_future', '2030-01-01T00:00:00+00:00')"
    )
    with pytest.raises(db.StorageError, match="newer ghostwatch"):
        await db.upgrade(storage)


async def test_without_auto_migrate_pending_migrations_stop_start(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.sqlite3'}"
    with pytest.raises(db.StorageError, match="ghostwatch db upgrade"):
        await db.open_storage(url, migrate=False)
    await db.close()


async def test_corrupt_sqlite_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(db.StorageError, match="cannot use SQLite database"):
        await db.open_storage(f"sqlite://{path}")
    assert path.read_bytes().startswith(b"this is not a database")  # nothing overwritten


async def test_unreachable_postgres_is_one_clear_error() -> None:
    with pytest.raises(db.StorageError, match="cannot open database") as info:
        await db.open_storage("postgres://ghost:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(info.value)


async def test_a_password_in_the_query_string_is_not_shown_either(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgres://ghost@127.0.0.1:1/nowhere?password=hunter3&sslpassword=sekrit9"
    with pytest.raises(db.StorageError, match="cannot open database") as info:
        await db.open_storage(url)
    message = str(info.value)
    assert "127.0.0.1:1/nowhere" in message
    assert "hunter3" not in message and "sekrit9" not in message
    assert not any("hunter3" in r.getMessage() for r in caplog.records)


def test_redact_url_masks_passwords_wherever_they_are() -> None:
    cases = {
        "postgres://u:hunter2@h:5432/db?password=hunter3&ssl=true": (
            "postgres://u:***@h:5432/db?password=***&ssl=true"
        ),
        "postgres://u@h/db?sslpassword=x&application_name=gw": (
            "postgres://u@h/db?sslpassword=***&application_name=gw"
        ),
        # a raw "/" or "@" in the password is still all password
        "postgres://u:p/w@rd@h/db": "postgres://u:***@h/db",
        "sqlite://data/ghostwatch.sqlite3": "sqlite://data/ghostwatch.sqlite3",
    }
    for url, shown in cases.items():
        assert db.redact_url(url) == shown
