"""The migrations describe the models: running them all leaves the migration state that
storage/models.py declares, and the state-only ones run no SQL on SQLite or PostgreSQL."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.migrations.api.sqlmigrate import sqlmigrate
from tortoise.migrations.autodetector import MigrationAutodetector

from storage import db

STATE_ONLY = ("0005_enum_columns", "0007_post_batch")


async def test_the_migrated_state_is_the_models() -> None:
    """What `makemigrations` would write next is nothing: a model renamed, a field or an option
    changed without a migration fails here, not on the next developer's makemigrations."""
    url = "sqlite://:memory:"
    await db.connect(url)
    try:
        apps = {db.APP: db.tortoise_config(url)["apps"][db.APP]}
        writers = await MigrationAutodetector(Tortoise.apps, apps).changes()
    finally:
        await db.close()
    pending = [op.describe() for writer in writers for op in writer.operations]
    assert pending == []


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("name", STATE_ONLY)
async def test_state_only_migrations_run_no_sql(
    database_url: str, name: str, backward: bool
) -> None:
    try:
        lines = await sqlmigrate(
            config=db.tortoise_config(database_url),
            app_label=db.APP,
            migration_name=name,
            backward=backward,
        )
    finally:
        await db.close()
    assert lines and "-- (no-op)" in lines
    assert [line for line in lines if not line.startswith("--")] == []
