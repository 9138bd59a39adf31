"""Running `ghostwatch run` as a real subprocess: environment, replay files, logs, health."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.engine.generator import START, StreamGenerator, merge
from bot.posts import Post

REPO = Path(__file__).resolve().parents[2]
GHOST_VARIANTS = ["summoning ghosts", "summoned ghosts", "#SummoningGhosts"]
_HEALTH = re.compile(r"health server on http://[^:]+:(\d+)")


def ghost_replay(path: Path, seed: int = 21, minutes: int = 200) -> list[Post]:
    """Chatter with one leader-seeded meme that alerts once (engine defaults, at 2:42).

    The file ends while the narrative is still viral (at `minutes`), so the last scoring tick
    of even an instant (speed=0) replay sees it viral.
    """
    gen = StreamGenerator(seed)
    posts = merge(
        gen.background(3.5, 10),
        gen.meme(
            GHOST_VARIANTS,
            start_minute=140,
            peak_per_minute=8,
            authors=500,
            leader="karpathy",
            leader_text="we are summoning ghosts, not building animals",
        ),
    )
    end = START + timedelta(minutes=minutes)
    posts = [p for p in posts if p.created_at < end]
    path.write_text("".join(json.dumps(p.to_json()) + "\n" for p in posts), encoding="utf-8")
    return posts


class BotProcess:
    """One `python -m bot run` child with its own environment and captured JSON logs."""

    def __init__(self, env: dict[str, str], cwd: Path, role: str = "all", name: str = "bot"):
        self.env = env
        self.cwd = cwd
        self.role = role
        self.name = name
        self.log_path = cwd / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        base = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTWATCH_")}
        base.update(
            {
                "GHOSTWATCH_LOG_FORMAT": "json",
                "GHOSTWATCH_LOG_LEVEL": "INFO",
                "GHOSTWATCH_HTTP_PORT": "0",
                "PYTHONPATH": str(REPO),
            }
        )
        base.update(self.env)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--role", self.role],
            cwd=self.cwd,
            env=base,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out

    def messages(self) -> list[str]:
        return [str(r.get("msg", "")) for r in self.records()]

    async def wait_log(self, predicate: Callable[[str], bool], within: float = 30.0) -> str:
        """The first log message matching; fails early if the process exits."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.messages():
                if predicate(message):
                    return message
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.tail()}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name}: no matching log line in {within}s:\n{self.tail()}")

    async def health_port(self, within: float = 30.0) -> int:
        message = await self.wait_log(lambda m: _HEALTH.search(m) is not None, within)
        match = _HEALTH.search(message)
        assert match
        return int(match.group(1))

    async def get(self, path: str) -> tuple[int, str]:
        port = await self.health_port()
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(5)) as r,
        ):
            return r.status, await r.text()

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.tail()}")
            try:
                status, _ = await self.get("/readyz")
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            if status == 200:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {within}s:\n{self.tail()}")

    async def wait_exit(self, within: float = 30.0) -> int:
        assert self.proc is not None
        deadline = time.monotonic() + within
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} still running after {within}s:\n{self.tail()}")
            await asyncio.sleep(0.05)
        return int(self.proc.returncode)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if hasattr(self, "_log"):
            self._log.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])
