"""The `ghostwatch` command line as an operator meets it: help, usage errors, config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ghostwatch(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTWATCH_")}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_explains_every_subcommand(tmp_path: Path) -> None:
    result = ghostwatch("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "backtest", "bench", "db"):
        assert command in result.stdout
    db_help = ghostwatch("db", "--help", cwd=tmp_path)
    assert "upgrade" in db_help.stdout


def test_unknown_subcommand_and_flag_are_usage_errors(tmp_path: Path) -> None:
    for args in (("frobnicate",), ("run", "--turbo"), ("db",)):
        result = ghostwatch(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert result.stderr.startswith("usage: ghostwatch")
        assert "Traceback" not in result.stderr


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    env = {"GHOSTWATCH_HTTP_PORT": "99999", "GHOSTWATCH_TELEGRAM_TOKEN": token}
    result = ghostwatch("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "GHOSTWATCH_HTTP_PORT" in lines[0]
    assert token not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()  # nothing created before the config was valid


def test_bad_operators_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = ghostwatch("run", env={"GHOSTWATCH_OPERATORS": "alice"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "GHOSTWATCH_OPERATORS" in lines[0]


def test_db_upgrade_then_status(tmp_path: Path) -> None:
    upgrade = ghostwatch("db", "upgrade", cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (
        "applied 6 migration(s): 0001_initial, 0002_alert_evidence, "
        "0004_narrative_episode_offset, 0005_enum_columns, "
        "0006_narrative_indexes, 0007_post_batch" in upgrade.stdout
    )
    assert (tmp_path / "data" / "ghostwatch.sqlite3").is_file()
    again = ghostwatch("db", "upgrade", cwd=tmp_path)
    assert "applied 0 migration(s)" in again.stdout
    status = ghostwatch("db", "status", cwd=tmp_path)
    assert "pending: none" in status.stdout


def _make_read_only(path: Path) -> None:
    """Read-only even for root (CI runs as root, where permission bits do not bind)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o644)


def test_unusable_databases_are_one_clear_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"garbage" * 1000)
    readonly = tmp_path / "ro.sqlite3"
    env = {"GHOSTWATCH_DATABASE_URL": f"sqlite://{readonly}"}
    assert ghostwatch("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    before = readonly.read_bytes()
    _make_read_only(readonly)
    try:
        for url in (
            f"sqlite://{corrupt}",
            f"sqlite://{readonly}",
            "postgres://ghost:hunter2@127.0.0.1:1/none",
        ):
            result = ghostwatch("db", "upgrade", env={"GHOSTWATCH_DATABASE_URL": url}, cwd=tmp_path)
            assert result.returncode == 1, (url, result.stderr)
            assert "Traceback" not in result.stderr
            assert result.stderr.strip().splitlines()[-1].startswith("ghostwatch: ")
            assert "hunter2" not in result.stderr
    finally:
        _make_writable(readonly)
    assert corrupt.read_bytes() == b"garbage" * 1000
    assert readonly.read_bytes() == before
