"""The container files say what operators rely on: entry point, health check, user, compose."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _dockerfile() -> list[str]:
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _instr(name: str) -> list[str]:
    return [line[len(name) :].strip() for line in _dockerfile() if line.upper().startswith(name)]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_dockerfile_runs_the_console_script_as_a_non_root_user() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert _instr("FROM ") == ["python:3.11-slim"]
    assert _instr("ENTRYPOINT ") == [f'["{next(iter(scripts))}"]']
    assert "ghostwatch" in scripts
    assert _instr("CMD ") == ['["run"]']
    users = _instr("USER ")
    assert users and users[-1] not in ("root", "0")
    assert any("pip install ." in run for run in _instr("RUN "))


def test_dockerfile_health_check_uses_urllib_on_healthz_and_listens_beyond_loopback() -> None:
    (check,) = _instr("HEALTHCHECK ")
    assert "urllib.request" in check and "/healthz" in check and "curl" not in check
    env = " ".join(_instr("ENV "))
    assert "GHOSTWATCH_HTTP_HOST=0.0.0.0" in env
    assert any("/data" in v for v in _instr("VOLUME "))


def test_compose_runs_bot_after_a_healthy_postgres() -> None:
    services = _compose()["services"]
    assert set(services) >= {"bot", "postgres"}
    pg = services["postgres"]
    assert pg["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    bot = services["bot"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = bot["environment"]["GHOSTWATCH_DATABASE_URL"]
    assert url.startswith("postgres://") and "@postgres:5432/" in url
    assert bot["environment"]["GHOSTWATCH_HTTP_HOST"] == "0.0.0.0"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".git", ".venv", "data"):
        assert entry in ignored
