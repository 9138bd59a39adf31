"""`--real FILE`: replay a real post file, list the engine's headlines, check known bursts.

Known bursts come from the fixture's README table (term | before | burst), e.g.
``| "prism" | ~0 | 23 on 06-07, 42 on 06-10 (...) |``; quiet terms from its
"Steady chatter to stay quiet on:" sentence. There is no other ground truth: the headlines are
printed for a person to judge.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import BinaryIO, TextIO

from bot.engine.evaluation.drive import engine_alerts
from bot.engine.evaluation.peers import PEERS
from bot.engine.evaluation.scorer import Alert, alert_forms, contains, phrase_forms
from bot.posts import Post, PostFormatError

_QUOTED = re.compile(r'"([^"]+)"')
_BURST_DAY = re.compile(r"(\d+) on (\d\d)-(\d\d)")


@dataclass(frozen=True, slots=True)
class Burst:
    terms: tuple[str, ...]
    days: tuple[tuple[int, int, int], ...]  # (posts, month, day)


def parse_bursts(readme: str) -> tuple[list[Burst], list[str]]:
    """Known bursts (table rows with quoted terms and "N on MM-DD") and quiet terms."""
    bursts, quiet = [], []
    in_quiet = False  # the quiet-terms sentence may wrap over several lines
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 3:
            terms = tuple(_QUOTED.findall(cells[0]))
            days = tuple((int(n), int(m), int(d)) for n, m, d in _BURST_DAY.findall(cells[2]))
            if terms and days:
                bursts.append(Burst(terms, days))
            in_quiet = False
            continue
        if "stay quiet on" in line:
            in_quiet, line = True, line.split("stay quiet on", 1)[1]
        elif not line.strip() or line.lstrip().startswith("#"):
            in_quiet = False
        if in_quiet:
            sentence, ended = _until_full_stop(line)
            quiet += _QUOTED.findall(sentence)
            in_quiet = not ended
    return bursts, quiet


def _open(path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _until_full_stop(line: str) -> tuple[str, bool]:
    """The part of ``line`` before its sentence ends (". " or a final "."), and whether it did."""
    stripped = line.rstrip()
    cut = stripped.find(". ")
    if cut >= 0:
        return stripped[:cut], True
    if stripped.endswith("."):
        return stripped[:-1], True
    return stripped, False


def read_posts(path: str) -> tuple[list[Post], int]:
    """Posts in file order (as backtest reads them) and the number of bad lines skipped."""
    posts, bad = [], 0
    with _open(path) as src:
        for raw in src:
            if not raw.strip():
                continue
            try:
                posts.append(Post.from_line(raw))
            except PostFormatError:
                bad += 1
    return posts, bad


def _first_match(alerts: list[Alert], terms: tuple[str, ...]) -> Alert | None:
    keys = set().union(*(phrase_forms(t) for t in terms))
    for a in alerts:
        if any(contains(h, k) for h in alert_forms(a) for k in keys):
            return a
    return None


def run_real(
    path: str, bursts_path: str | None, out: TextIO, err: TextIO, peers: bool = True
) -> int:
    """Replay ``path`` through the engine (and the peers); print headlines and burst checks."""
    try:
        posts, bad = read_posts(path)
    except OSError as exc:
        print(f"evaluation: cannot read {path}: {exc}", file=err)
        return 2
    if not posts:
        print(f"evaluation: no posts in {path}", file=err)
        return 2
    first = min(p.created_at for p in posts)
    last = max(p.created_at for p in posts)
    hours = max((last - first).total_seconds() / 3600.0, 1e-9)
    print(
        f"{path}: {len(posts):,} posts ({bad} bad lines skipped), {first:%Y-%m-%d} to"
        f" {last:%Y-%m-%d} ({hours / 24:.1f} days)",
        file=out,
    )
    detectors: dict[str, list[Alert]] = {}
    runs = {"engine": lambda: engine_alerts(posts), **({} if not peers else _peer_runs(posts))}
    for name, run in runs.items():
        started = time.perf_counter()
        detectors[name] = sorted(run(), key=lambda a: a.fired_at)
        spent = time.perf_counter() - started
        n = len(detectors[name])
        print(f"{name}: {n} alerts ({n / hours:.3f} an hour), replay {spent:.0f}s", file=out)
    for a in detectors["engine"]:
        lead = f" @{a.leader}" if a.leader else ""
        print(f"  {a.fired_at:%Y-%m-%d %H:%M}  {a.headline!r}{lead}  {list(a.phrases)}", file=out)
    readme = bursts_path or os.path.join(os.path.dirname(os.path.abspath(path)), "README.md")
    if not os.path.exists(readme):
        print("no known-bursts table (pass --bursts README.md)", file=out)
        return 0
    with open(readme, encoding="utf-8") as fh:
        bursts, quiet = parse_bursts(fh.read())
    print(f"known bursts ({readme}):", file=out)
    for b in bursts:
        n, month, day = b.days[0]
        burst_day = datetime(first.year, month, day, tzinfo=UTC)
        terms = ", ".join(repr(t) for t in b.terms)
        print(f"  {terms} (burst from {burst_day:%m-%d}, {n} posts that day):", file=out)
        for name, alerts in detectors.items():
            hit = _first_match(alerts, b.terms)
            if hit is None:
                print(f"    {name:<14} MISSED", file=out)
                continue
            lag = (hit.fired_at - burst_day).total_seconds() / 3600.0
            print(
                f"    {name:<14} found {hit.fired_at:%m-%d %H:%M} ({lag:+.0f} h from the start of"
                f" {burst_day:%m-%d}) as {hit.headline!r}",
                file=out,
            )
    for term in quiet:
        verdicts = []
        for name, alerts in detectors.items():
            hit = _first_match(alerts, (term,))
            verdicts.append(
                f"{name} quiet" if hit is None else f"{name} ALERTED {hit.fired_at:%m-%d %H:%M}"
            )
        print(f"  steady {term!r}: {'; '.join(verdicts)}", file=out)
    return 0


def _peer_runs(posts: list[Post]) -> dict[str, Callable[[], list[Alert]]]:
    return {name: partial(peer, posts) for name, peer in PEERS.items()}
