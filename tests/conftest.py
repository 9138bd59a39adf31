"""Shared fixtures: isolation from the developer's environment and a fresh database per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from storage import db

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ENV = "GHOSTWATCH_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _relaxed_command_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Front-end suites send many commands as one user; the limits have their own tests
    (tests/service/test_ratelimit.py, tests/*/test_throttle.py) with the real rates."""
    from bot.service import ratelimit

    monkeypatch.setattr(ratelimit, "USER_RATE", ratelimit.Rate(10_000, 0.001))
    monkeypatch.setattr(ratelimit, "CHAT_RATE", ratelimit.Rate(10_000, 0.001))


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's GHOSTWATCH_* variables, .env file or database."""
    for name in list(os.environ):
        if name.startswith("GHOSTWATCH_") and name != POSTGRES_ENV:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GHOSTWATCH_DATA_DIR", str(tmp_path / "data"))
    yield


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_execute(url: str, statement: str) -> None:
    """Run one statement on the admin database, from a thread so no event loop is disturbed."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A new, empty PostgreSQL database, dropped afterwards (needs GHOSTWATCH_TEST_POSTGRES_URL)."""
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(admin, f'CREATE DATABASE "{name}"')
    request.addfinalizer(
        lambda: _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )
    return _with_database(admin, name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite, and on PostgreSQL when it is configured."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'ghostwatch.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[str]:
    """Open and migrate a fresh database; yields its URL."""
    await db.open_storage(database_url)
    try:
        yield database_url
    finally:
        await db.close()
