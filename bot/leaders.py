"""Who counts as a thought leader, and how a leader is named on each network.

Design (issue 14, item 2): the *global* leader set is the operator's alone. It is what the
engine tracks, what every chat's alerts call "seeded by", and what the X source searches for:

- the shipped list below (`DEFAULT_LEADERS`);
- configuration: `GHOSTWATCH_LEADERS`, `GHOSTWATCH_LEADERS_FILE`, and the handles named in
  `GHOSTWATCH_BLUESKY_LEADER_DIDS`;
- `/leaders global add|remove` (Telegram) and `/operator leader-add|leader-remove` (Discord),
  accepted only from the user ids in `GHOSTWATCH_OPERATORS`.

A chat's own `/leaders add` is a chat-local *follow list*: it never reaches the engine, the X
searches or any other chat. It only marks, in that chat's own `/ghosts` and `/narrative`, the
narratives whose stored posts (seed and top posts) were written by a followed account.

Leaders are identified per network: the identity "network:handle" names one account, where
network is the part of `Post.source` before ":" ("x", "bluesky", "mastodon", "reddit",
"hackernews", "rss", ...) and handle is the author, lowercase, without "@". An X handle is
therefore not a Reddit name of the same spelling. A bare handle (in configuration, a leaders
file or a chat's follow list) means the same handle on X and on Bluesky, where the shipped
leaders post.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Networks a bare handle stands for: where the shipped leaders post under their handle.
BARE_NETWORKS: tuple[str, ...] = ("x", "bluesky")
# What may follow "network:" in an explicit identity (Mastodon accounts are user@host).
_NETWORK = re.compile(r"[a-z][a-z0-9_-]{0,19}")
_ACCOUNT = re.compile(r"[a-z0-9_][a-z0-9_.@-]{0,78}")  # stored "network:handle" <= 100
_BARE = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,99}")


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


class LeaderFormatError(ValueError):
    """A leader entry that is neither a handle nor "network:handle"."""


def leader_id(network: str, handle: str) -> str:
    """The identity of one account: "network:handle", lowercase, without "@"."""
    return f"{network.strip().lower()}:{normalize_handle(handle)}"


def post_identity(source: str, author: str) -> str:
    """The identity a post is matched by: its source's network and its author."""
    return f"{source.split(':', 1)[0].lower()}:{normalize_handle(author)}"


def entry_ids(entry: str) -> tuple[str, ...]:
    """The identities one configured or typed entry names, in a stable order.

    "network:handle" names that one account; a bare "handle" (or "@handle") names the handle
    on each of `BARE_NETWORKS`. Raises LeaderFormatError for anything else.
    """
    text = normalize_handle(entry)
    network, sep, account = text.partition(":")
    if sep:
        account = normalize_handle(account)
        if not _NETWORK.fullmatch(network) or not _ACCOUNT.fullmatch(account):
            raise LeaderFormatError(f"expected handle or network:handle, got {entry[:60]!r}")
        return (f"{network}:{account}",)
    handle = normalize_handle(text)
    if not _BARE.fullmatch(handle):
        raise LeaderFormatError(f"expected handle or network:handle, got {entry[:60]!r}")
    return tuple(f"{net}:{handle}" for net in BARE_NETWORKS)


def canonical_entry(entry: str) -> str:
    """How an entry is stored and shown: "handle" for bare ones, else "network:handle"."""
    ids = entry_ids(entry)
    return ids[0] if len(ids) == 1 else ids[0].split(":", 1)[1]


def info_ids(info: LeaderInfo) -> tuple[str, ...]:
    """A leader's identities: its X and Bluesky accounts, or what its handle names."""
    ids = []
    if info.x_handle:
        ids.append(leader_id("x", info.x_handle))
    if info.bluesky_handle:
        ids.append(leader_id("bluesky", info.bluesky_handle))
    if not ids:
        try:
            ids.extend(entry_ids(info.handle))
        except LeaderFormatError:
            return ()
    return tuple(ids)


def ordered_ids(leaders: Iterable[LeaderInfo] = (), extra: Iterable[str] = ()) -> list[str]:
    """The identities of `leaders`, then of the `extra` entries, first mention first."""
    seen: dict[str, None] = {}
    for info in leaders:
        seen.update(dict.fromkeys(info_ids(info)))
    for entry in extra:
        try:
            seen.update(dict.fromkeys(entry_ids(entry)))
        except LeaderFormatError:
            continue
    return list(seen)


def leader_ids(leaders: Iterable[LeaderInfo] = (), extra: Iterable[str] = ()) -> frozenset[str]:
    """The set of "network:handle" identities the engine matches posts against."""
    return frozenset(ordered_ids(leaders, extra))


def x_handles(ids: Iterable[str]) -> list[str]:
    """The X handles among `ids`, in their order (the X search serves the first ones first)."""
    return [i.split(":", 1)[1] for i in dict.fromkeys(ids) if i.startswith("x:")]


def engine_handles(ids: Iterable[str]) -> list[str]:
    """What the engine is given: the identities it matches posts against (`post_identity`)."""
    return sorted(ids)


def read_leaders_file(path: Path) -> list[str]:
    """One handle or "network:handle" per line; blank lines and `#` comments ignored."""
    handles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        handle = normalize_handle(line.split("#", 1)[0])
        if handle:
            handles.append(handle)
    return handles


def read_leader_ids(path: Path) -> frozenset[str]:
    """A leaders file (`ghostwatch backtest --leaders`) as identities: a bare handle is that
    handle on X and Bluesky, "network:handle" that one account.

    Raises LeaderFormatError naming the first bad line.
    """
    ids: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            ids.update(entry_ids(entry))
        except LeaderFormatError as exc:
            raise LeaderFormatError(f"line {number}: {exc}") from None
    return frozenset(ids)


def configured_leaders(extra: Iterable[str] = (), path: Path | None = None) -> list[LeaderInfo]:
    """Shipped defaults plus GHOSTWATCH_LEADERS and GHOSTWATCH_LEADERS_FILE, without repeats.

    An entry that is neither a handle nor "network:handle" is left out (configuration
    validation reports it at start-up).
    """
    result = list(DEFAULT_LEADERS)
    seen = {leader.handle for leader in result}
    added = [normalize_handle(h) for h in extra]
    if path is not None:
        added.extend(read_leaders_file(path))
    for entry in added:
        try:
            handle = canonical_entry(entry) if entry else ""
        except LeaderFormatError:
            continue
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
