"""The stream bundled for `ghostwatch demo`, built once with the project's own generator.

Run `python -m bot.demo_stream` to rebuild bot/data/demo.jsonl.gz and
bot/data/demo-launches.jsonl; the demo itself only reads those files.

What the stream holds (times are minutes after its start):
- chatter from thousands of accounts for the whole 3.5 h, with a daily volume cycle;
- an account spamming one line and a ring of accounts posting identical text (must not alert);
- @karpathy coining "vibe coding" at 125 (after the engine's 2 h warm-up), picked up in English
  from 135 and in Japanese ("バイブコーディング") from 150;
- two token launches on the story, one on Solana and one on Base, at 185 and 200.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.engine.generator import START, StreamGenerator, merge
from bot.posts import Post
from bot.tokens.types import TokenLaunch

DATA_DIR = Path(__file__).resolve().parent / "data"
POSTS_FILE = DATA_DIR / "demo.jsonl.gz"
LAUNCHES_FILE = DATA_DIR / "demo-launches.jsonl"
SEED = 13
MINUTES = 210
LEADER = "karpathy"
LEADER_TEXT = "there is a new kind of coding I call vibe coding, where you forget the code exists"
# One canonical phrase in three spellings (a looser variant such as "vibe coded" can make the
# engine name the story after a fragment, "coded", depending on tick timing).
EN_VARIANTS = ("vibe coding", "Vibe Coding", "vibe coding", "#VibeCoding")
JA_VARIANTS = (
    "バイブコーディング",
    "バイブコーディングで",
    "バイブコーディングした",
    "バイブコーディング (vibe coding)",  # Japanese posts often carry the English term too
)


@dataclass(frozen=True, slots=True)
class DemoLaunch:
    """A recorded token launch, `minute` after the start of the demo stream."""

    minute: float
    chain: str
    address: str
    name: str
    symbol: str
    source: str

    def at(self, start: datetime) -> TokenLaunch:
        moment = start + timedelta(minutes=self.minute)
        return TokenLaunch(
            chain=self.chain,
            address=self.address,
            name=self.name,
            symbol=self.symbol,
            source=self.source,
            seen_at=moment,
            pair_url=f"https://dexscreener.com/{self.chain}/{self.address}",
            launched_at=moment,
        )


LAUNCHES = (
    DemoLaunch(
        185.0,
        "solana",
        "VibeCod1ng111111111111111111111111111pump",
        "Vibe Coding",
        "VIBE",
        "pumpportal",
    ),
    DemoLaunch(
        200.0,
        "base",
        "0x7a1be00000000000000000000000000000c0de",
        "vibecoded",
        "VIBED",
        "geckoterminal",
    ),
)


def build_posts(seed: int = SEED) -> list[Post]:
    gen = StreamGenerator(seed, n_authors=5000, vocab=3000)
    return merge(
        gen.background(MINUTES / 60, 30),
        gen.meme(
            list(EN_VARIANTS),
            start_minute=135,
            ramp_minutes=45,
            peak_per_minute=7,
            hold_minutes=30,
            decay_minutes=30,
            authors=500,
            pool="dev",
            leader=LEADER,
            leader_text=LEADER_TEXT,
            leader_lead_minutes=10,
        ),
        gen.meme(
            list(JA_VARIANTS),
            start_minute=150,
            ramp_minutes=40,
            peak_per_minute=3,
            hold_minutes=20,
            decay_minutes=20,
            authors=200,
            pool="jp",
        ),
        gen.spam("moonboy", "buy ghostcoin now, moon soon", 150, 100, 60),
        gen.ring(10, "ghostcoin is the next hundred bagger, ape in", 12, 110, 40),
    )


def write(directory: Path = DATA_DIR) -> tuple[int, int]:
    """Write the two demo files; returns (posts, compressed bytes)."""
    posts = [p for p in build_posts() if p.created_at < START + timedelta(minutes=MINUTES)]
    target = directory / POSTS_FILE.name
    # mtime=0: the same stream always compresses to the same bytes
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for post in posts:
            out.write((json.dumps(post.to_json(), ensure_ascii=False) + "\n").encode())
    lines = [
        json.dumps({"minute": launch.minute, **_launch_fields(launch)}) + "\n"
        for launch in LAUNCHES
    ]
    (directory / LAUNCHES_FILE.name).write_text("".join(lines), encoding="utf-8")
    return len(posts), target.stat().st_size


def _launch_fields(launch: DemoLaunch) -> dict[str, str]:
    return {
        "chain": launch.chain,
        "address": launch.address,
        "name": launch.name,
        "symbol": launch.symbol,
        "source": launch.source,
    }


def read_launches(path: Path = LAUNCHES_FILE) -> list[DemoLaunch]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            out.append(
                DemoLaunch(
                    minute=float(data["minute"]),
                    chain=str(data["chain"]),
                    address=str(data["address"]),
                    name=str(data["name"]),
                    symbol=str(data["symbol"]),
                    source=str(data["source"]),
                )
            )
    return out


if __name__ == "__main__":
    count, size = write()
    print(f"wrote {count} posts ({size / 1e6:.2f} MB) to {POSTS_FILE} and {LAUNCHES_FILE.name}")
