"""Upgrading a database that has rows, from each older migration to head, on SQLite and
PostgreSQL: every row and every index is kept, and the indexes the models declare exist.

Rows are written with plain SQL in the columns of the migration the database is at (the
models describe head, so the ORM cannot write an older schema).
"""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate

from storage import db
from storage.models import Alert, Narrative, PostBatch

Index = tuple[str, str, tuple[str, ...], bool]  # table, name, columns, unique

TABLES = (
    "narratives",
    "alerts",
    "score_points",
    "token_launches",
    "token_matches",
    "phrase_aggregates",
)
AT = "'2024-05-01T12:00:00+00:00'"


def _dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


async def _execute(sql: str) -> list[dict[str, Any]]:
    _, rows = await get_connection("default").execute_query(sql)
    return [dict(row) for row in rows]


async def _fill(applied: str) -> None:
    """Three narratives, each with alerts, score points and a token match; three post batches."""
    since_0002 = applied >= "0002"
    since_0004 = applied >= "0004"
    for n, state in enumerate(["emerging", "viral", "cooling"]):
        offset = (", episode_offset", ", 2") if since_0004 else ("", "")
        await _execute(
            "INSERT INTO narratives (key, label, phrase, phrases, state, score, breakdown, "
            f"episode, authors, mentions, sources, first_seen, seed_leader, top_posts, series, "
            f"updated_at{offset[0]}) VALUES ('k{n}', 'label {n}', 'phrase {n}', '[\"a\"]', "
            f"'{state}', {60 + n}, '{{\"volume\":1}}', {n + 1}, 3, 9, '[\"rss\"]', {AT}, "
            f"'leader{n}', '[]', '[]', {AT}{offset[1]})"
        )
        narrative = f"(SELECT id FROM narratives WHERE key = 'k{n}')"
        for episode, status in enumerate(["sent", "pending"]):
            evidence = (", evidence", ", '{\"score\":70}'") if since_0002 else ("", "")
            await _execute(
                "INSERT INTO alerts (narrative_id, episode, platform, target, direct, status, "
                f"score, attempts, created_at{evidence[0]}) VALUES ({narrative}, {episode}, "
                f"'telegram', '-10{n}', false, '{status}', 70, 1, {AT}{evidence[1]})"
            )
        for minute in range(3):
            await _execute(
                "INSERT INTO score_points (narrative_id, at, score, mentions, authors) VALUES "
                f"({narrative}, '2024-05-01T12:0{minute}:00+00:00', {50 + minute}, 4, 2)"
            )
        await _execute(
            "INSERT INTO token_launches (chain, address, name, symbol, description, source, "
            f"boosted, seen_at) VALUES ('solana', 'addr{n}', 'Token {n}', 'T{n}', '', "
            f"'dexscreener', false, {AT})"
        )
        await _execute(
            "INSERT INTO token_matches (token_id, narrative_id, similarity, strong, matched_at) "
            f"VALUES ((SELECT id FROM token_launches WHERE address = 'addr{n}'), {narrative}, "
            f"90, true, {AT})"
        )
        await _execute(
            "INSERT INTO phrase_aggregates (producer, minute, payload, consumed, created_at) "
            f"VALUES ('ingest', '2024-05-01T12:0{n}:00+00:00', 'batch {n}', {n == 0}, {AT})"
        )


async def _rows(table: str) -> list[dict[str, Any]]:
    return await _execute(f"SELECT * FROM {table} ORDER BY id")


async def _indexes(url: str) -> set[Index]:
    """Every index in the database, primary keys included."""
    if _dialect(url) == "postgres":
        rows = await _execute(
            "SELECT t.relname AS tbl, i.relname AS name, x.indisunique AS uniq, "
            "array_to_string(array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY "
            "AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "ORDER BY k.n), ',') AS cols FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public'"
        )
        return {(r["tbl"], r["name"], tuple(r["cols"].split(",")), r["uniq"]) for r in rows}
    found: set[Index] = set()
    tables = await _execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (row["name"] for row in tables):
        for index in await _execute(f"PRAGMA index_list('{table}')"):
            columns = await _execute(f"PRAGMA index_info('{index['name']}')")
            names = tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"]))
            found.add((table, index["name"], names, bool(index["unique"])))
    return found


def _declared_indexes() -> set[tuple[str, tuple[str, ...], bool]]:
    """(table, columns, unique) of every index the models ask for, primary keys aside."""
    declared: set[tuple[str, tuple[str, ...], bool]] = set()
    for model in Tortoise.apps["ghostwatch"].values():
        meta = model._meta
        for name, field in meta.fields_map.items():
            if getattr(field, "index", False) and not field.pk:
                declared.add((meta.db_table, (meta.fields_db_projection[name],), False))
        declared.update((meta.db_table, tuple(cols), False) for cols in meta.indexes)
        declared.update((meta.db_table, tuple(cols), True) for cols in meta.unique_together)
    return declared


async def _assert_upgraded_keeping(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    before = await _indexes(url)
    await db.upgrade(url)
    assert await db.pending_migrations(url) == ([], [])
    for table, kept in rows.items():
        now = await _rows(table)
        assert [{k: row[k] for k in kept[0]} for row in now] == kept, table
    after = await _indexes(url)
    assert before <= after, sorted(before - after)
    shapes = {(table, columns, unique) for table, _, columns, unique in after}
    assert _declared_indexes() <= shapes, sorted(_declared_indexes() - shapes)


@pytest.mark.parametrize(
    "applied",
    [
        "0001_initial",
        "0002_alert_evidence",
        "0004_narrative_episode_offset",
        "0005_enum_columns",
        "0006_narrative_indexes",
    ],
)
async def test_upgrade_keeps_every_row_and_index(database_url: str, applied: str) -> None:
    await db.connect(database_url)
    try:
        await migrate(config=db.tortoise_config(database_url), target=f"ghostwatch.{applied}")
        await _fill(applied)
        rows = {table: await _rows(table) for table in TABLES}
        assert all(len(kept) >= 3 for kept in rows.values())

        await _assert_upgraded_keeping(database_url, rows)

        # the columns added on the way hold what the code would have written
        narratives = await Narrative.all().order_by("id")
        offsets = [n.episode_offset for n in narratives]
        assert offsets == ([2, 2, 2] if applied >= "0004" else [0, 0, 0])
        evidence = await Alert.all().values_list("evidence", flat=True)
        assert evidence == [{"score": 70} if applied >= "0002" else {}] * 6
        viral = await Narrative.get(key="k1").prefetch_related("alerts", "history", "tokens")
        assert (len(viral.alerts), len(viral.history), len(viral.tokens)) == (2, 3, 1)
        # 0007 renames PhraseAggregate in the migration state only: its rows are PostBatch's
        assert await PostBatch.filter(consumed=False).count() == 2
    finally:
        await db.close()


async def test_upgrade_restores_the_narrative_indexes_a_table_rebuild_dropped(
    database_url: str,
) -> None:
    """The old 0004 rebuilt `narratives` on SQLite, which dropped its indexes (state,
    updated_at) even on a new database; upgrading puts them back and keeps the rows."""
    await db.connect(database_url)
    try:
        await migrate(
            config=db.tortoise_config(database_url), target="ghostwatch.0005_enum_columns"
        )
        for _, name, _, _ in await _indexes(database_url):
            if name.startswith("idx_narratives"):
                await _execute(f'DROP INDEX "{name}"')
        await _fill("0005_enum_columns")
        rows = {table: await _rows(table) for table in TABLES}

        await _assert_upgraded_keeping(database_url, rows)
    finally:
        await db.close()
