"""A real headless Chromium driven over the DevTools protocol, for tests of HTML output.

Debian's `chromium` package (`.ci/run` installs it when missing). The page under test needs no
JavaScript of its own; the test asks the browser through `Runtime.evaluate` what it rendered.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(
        "headless Chromium is needed for this test: apt-get install -y chromium (.ci/run does)"
    )


class Page:
    """One browser tab and its DevTools websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        await self.ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == number:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def load(self, url: str, within: float = 30.0) -> None:
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + within
        while await self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not finish loading in {within}s")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _read_port(profile: Path) -> int | None:
    port_file = profile / "DevToolsActivePort"
    try:
        first = port_file.read_text().split()
    except OSError:
        return None
    return int(first[0]) if first else None


@contextlib.asynccontextmanager
async def chromium_page(width: int = 1100, height: int = 900) -> AsyncIterator[Page]:
    """A fresh headless Chromium (own profile, no network use needed) with one open tab."""
    profile = Path(tempfile.mkdtemp(prefix="gw-chromium-"))
    proc = await asyncio.create_subprocess_exec(
        *[
            chromium_path(),
            "--headless",
            "--no-sandbox",  # CI runs as root in a container
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (port := _read_port(profile)) is None:
            if proc.returncode is not None or time.monotonic() > deadline:
                raise AssertionError("headless Chromium did not start its DevTools endpoint")
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            [tab] = [t for t in targets if t.get("type") == "page"][:1]
            async with http.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield Page(ws)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
