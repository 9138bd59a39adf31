"""`ghostwatch backtest --report`: a self-contained HTML page, checked in real headless Chromium."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.demo_stream import POSTS_FILE, read_launches
from bot.engine.breakdown import Breakdown, Components
from bot.engine.generator import START
from bot.engine.types import AlertEvent, Lifecycle, NarrativeView, SamplePost
from bot.posts import format_time
from bot.report import NarrativeTrack, ReportCollector
from tests.headless import chromium_page

REPO = Path(__file__).resolve().parents[1]
# Where test artifacts (the report's screenshot) are kept for people to look at.
ARTIFACTS = Path(os.environ.get("GHOSTWATCH_TEST_ARTIFACTS", REPO / "tmp" / "artifacts"))


def backtest_report(tmp: Path) -> tuple[Path, str]:
    """Backtest the demo stream (a leader narrative, token launches) with --report."""
    posts = tmp / "posts.jsonl"
    with gzip.open(POSTS_FILE, "rb") as src:
        posts.write_bytes(src.read())
    launches = tmp / "launches.jsonl"
    lines = []
    for launch in read_launches():
        at = launch.at(START)
        assert at.launched_at is not None
        lines.append(
            json.dumps(
                {
                    "chain": at.chain,
                    "address": at.address,
                    "name": at.name,
                    "symbol": at.symbol,
                    "launched_at": format_time(at.launched_at),
                }
            )
        )
    launches.write_text("\n".join(lines) + "\n", encoding="utf-8")
    leaders = tmp / "leaders.txt"
    leaders.write_text("karpathy\n", encoding="utf-8")
    report = tmp / "report.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "backtest",
            str(posts),
            "--leaders",
            str(leaders),
            "--out",
            str(tmp / "alerts.jsonl"),
            "--report",
            str(report),
            "--launches",
            str(launches),
        ],
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"report written to {report}" in done.stderr
    return report, (tmp / "alerts.jsonl").read_text(encoding="utf-8")


async def test_report_renders_in_chromium_with_every_image_loaded(tmp_path: Path) -> None:
    report, alerts_jsonl = backtest_report(tmp_path)
    alerts = [json.loads(line) for line in alerts_jsonl.splitlines()]
    assert alerts
    text = report.read_text(encoding="utf-8")
    # Self-contained: no script, nothing fetched; images are data URIs.
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)=["'](?!data:|https://dexscreener\.com/)""", text)

    async with chromium_page() as page:
        await page.load(report.as_uri())
        images = await page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight,"
            " i.src.slice(0, 22)])"
        )
        headings = await page.evaluate(
            "Array.from(document.querySelectorAll('section h3')).map(h => h.textContent)"
        )
        rows = await page.evaluate("document.querySelectorAll('table.alerts tr').length")
        body = await page.evaluate("document.body.innerText")
        await page.screenshot(ARTIFACTS / "backtest-report.png")

    # one timeline per alerted narrative, every one decoded by the browser
    assert len(images) == len({a["narrative"] for a in alerts}) == len(headings)
    assert all(done and width > 0 and height > 0 for done, width, height, _ in images), images
    assert all(src == "data:image/png;base64," for *_, src in images)
    assert "vibe coding" in headings
    assert rows == len(alerts) + 1  # a header row, then one row per alert
    assert "evidence" in body and "leader" in body  # the score breakdown columns
    assert "Seed post by @karpathy" in body
    assert "First token launch: $VIBE (Vibe Coding, solana)" in body
    assert "after the alert" in body
    assert re.search(r"Posts\s+4,\d{3}", body), body[:500]
    assert (ARTIFACTS / "backtest-report.png").stat().st_size > 10_000


def test_report_escapes_scraped_text() -> None:
    at = START
    seed = SamplePost("s1", "<script>", "x", "<script>alert(1)</script>", None, at, 3)
    label = '<img src=x onerror=alert(1)> "$GHOST"'
    view = NarrativeView(
        key="k",
        label=label,
        phrase=label,
        phrases=(label,),
        state=Lifecycle.VIRAL,
        score=70.0,
        breakdown=Breakdown(components=Components(evidence=69.0, leader=1.0)),
        episode=1,
        first_seen=at,
        leader=None,
        seed_post=seed,
        authors=10,
        mentions=40,
        sources=("x",),
        series=((at, 3),),
        top_posts=(),
    )
    collector = ReportCollector()
    alert = AlertEvent(view, at + timedelta(minutes=5), 1)
    collector.alerts.append(alert)
    collector.tracks[view.key] = NarrativeTrack(alert, [alert])
    page = collector.html("<b>file</b>.jsonl")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for raw in ("<img src=x", "<script>", "<b>file</b>"):
        assert raw not in page
