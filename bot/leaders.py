"""The shipped list of thought leaders, plus the ones operators add through configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    handle: str  # canonical handle: lowercase, no "@" (the X handle where there is one)
    name: str = ""
    x_handle: str | None = None
    bluesky_handle: str | None = None


# AI researchers and builders whose phrases become memes, and crypto voices whose words become
# tickers. Bluesky handles only where the account is the person's own, well-known one.
DEFAULT_LEADERS: tuple[LeaderInfo, ...] = (
    LeaderInfo("karpathy", "Andrej Karpathy", "karpathy"),
    LeaderInfo("sama", "Sam Altman", "sama"),
    LeaderInfo("elonmusk", "Elon Musk", "elonmusk"),
    LeaderInfo("ylecun", "Yann LeCun", "ylecun"),
    LeaderInfo("richardssutton", "Richard Sutton", "RichardSSutton"),
    LeaderInfo("demishassabis", "Demis Hassabis", "demishassabis"),
    LeaderInfo("ilyasut", "Ilya Sutskever", "ilyasut"),
    LeaderInfo("darioamodei", "Dario Amodei", "DarioAmodei"),
    LeaderInfo("emollick", "Ethan Mollick", "emollick"),
    LeaderInfo("simonw", "Simon Willison", "simonw", "simonwillison.net"),
    LeaderInfo("garymarcus", "Gary Marcus", "GaryMarcus", "garymarcus.bsky.social"),
    LeaderInfo("paulg", "Paul Graham", "paulg"),
    LeaderInfo("naval", "Naval Ravikant", "naval"),
    LeaderInfo("pmarca", "Marc Andreessen", "pmarca"),
    LeaderInfo("balajis", "Balaji Srinivasan", "balajis"),
    LeaderInfo("vitalikbuterin", "Vitalik Buterin", "VitalikButerin"),
    LeaderInfo("cz_binance", "Changpeng Zhao", "cz_binance"),
    LeaderInfo("brian_armstrong", "Brian Armstrong", "brian_armstrong"),
    LeaderInfo("aeyakovenko", "Anatoly Yakovenko", "aeyakovenko"),
    LeaderInfo("jack", "Jack Dorsey", "jack"),
    LeaderInfo("muststopmurad", "Murad", "MustStopMurad"),
    LeaderInfo("blknoiz06", "Ansem", "blknoiz06"),
    LeaderInfo("jay.bsky.team", "Jay Graber", None, "jay.bsky.team"),
)


def normalize_handle(handle: str) -> str:
    """Lowercase, without a leading "@" or surrounding space."""
    return handle.strip().lstrip("@").strip().lower()


def read_leaders_file(path: Path) -> list[str]:
    """One handle per line; blank lines and `#` comments ignored."""
    handles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        handle = normalize_handle(line.split("#", 1)[0])
        if handle:
            handles.append(handle)
    return handles


def configured_leaders(extra: Iterable[str] = (), path: Path | None = None) -> list[LeaderInfo]:
    """Shipped defaults plus GHOSTWATCH_LEADERS and GHOSTWATCH_LEADERS_FILE, without repeats."""
    result = list(DEFAULT_LEADERS)
    seen = {leader.handle for leader in result}
    added = [normalize_handle(h) for h in extra]
    if path is not None:
        added.extend(read_leaders_file(path))
    for handle in added:
        if handle and handle not in seen:
            seen.add(handle)
            result.append(LeaderInfo(handle))
    return result


def leader_aliases(leaders: Iterable[LeaderInfo]) -> list[str]:
    """Every author name that identifies a leader in posts (handles on each network)."""
    names: list[str] = []
    for leader in leaders:
        for name in (leader.handle, leader.x_handle, leader.bluesky_handle):
            if name:
                names.append(normalize_handle(name))
    return sorted(set(names))
