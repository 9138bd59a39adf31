"""Narrative lifecycle: quiet -> emerging -> viral -> cooling -> dormant, with hysteresis."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.engine import clustering
from bot.engine.candidates import Candidate
from bot.engine.config import EngineConfig
from bot.engine.types import Lifecycle, SamplePost


class Narrative:
    """A group of phrases with one identity, one state and an alert episode counter.

    The identity is the anchor: the phrase the narrative was first tracked by (its canonical
    form is the key). The narrative lives exactly as long as the anchor's candidate, so its
    label, phrase and chart always describe that phrase, never a co-occurring member's.
    """

    __slots__ = (
        "anchor",
        "below_since",
        "episode",
        "first_seen",
        "key",
        "last_alert",
        "leader",
        "members",
        "seed_post",
        "state",
    )

    def __init__(self, key: str, first_seen: datetime, anchor: Candidate, episode: int = 0) -> None:
        self.key = key
        self.first_seen = first_seen
        self.anchor = anchor
        self.members: list[Candidate] = []
        self.state = Lifecycle.QUIET
        self.episode = episode
        self.last_alert: datetime | None = None
        self.below_since: datetime | None = None
        # The earliest seeding leader post among all phrases that ever joined: kept when that
        # phrase retires, so a cooling narrative never forgets who started it.
        self.leader: str | None = None
        self.seed_post: SamplePost | None = None
        self.add(anchor)

    def add(self, cand: Candidate) -> None:
        """Make ``cand`` a member (and re-check who seeded the story)."""
        cand.narrative = self.key
        if cand not in self.members:
            self.members.append(cand)
        if cand.scale is None:
            # A form joining a told story is scored at the story's time scale: looking back
            # the scan's longest window, the story's own burst would keep it "viral" for days.
            cand.scale = max((c.scale for c in self.members if c.scale is not None), default=None)
        self.attribute()

    def attribute(self) -> None:
        """Credit the leader who first posted a whole form of the story (never a fragment)."""
        seeder = clustering.seeding(self.members)
        if seeder is None or seeder.seed_post is None:
            return
        seed, mine = seeder.seed_post, self.seed_post
        if mine is None or (seed.created_at, seed.id) < (mine.created_at, mine.id):
            self.leader, self.seed_post = seeder.leader, seed

    @property
    def top(self) -> Candidate | None:
        return max(self.members, key=lambda c: (c.score, c.canonical or ""), default=None)

    @property
    def score(self) -> float:
        top = self.top
        return top.score if top else 0.0


def step(
    n: Narrative,
    score: float,
    accel: float,
    now: datetime,
    cfg: EngineConfig,
    armed: bool,
    slowing: bool = False,
) -> bool:
    """Advance the state machine one tick; True when an alert must fire now.

    ``slowing``: the newest part of the story's window runs at under half its average rate,
    so a story past its peak reads as cooling even while its evidence is still strong.
    """
    cooled = n.last_alert is None or now - n.last_alert >= timedelta(minutes=cfg.cooldown_minutes)
    # A story that went dormant and re-emerged has cooled already: its evidence is the new
    # wave's. One that is only cooling must also be re-accelerating.
    revived = n.state in (Lifecycle.DORMANT, Lifecycle.EMERGING)
    realert = (
        score >= cfg.alert_threshold + cfg.realert_margin
        and (revived or accel >= cfg.realert_acceleration)
        and cooled
    )
    state = n.state
    if state is Lifecycle.VIRAL:
        if score < cfg.viral_exit or slowing:
            n.state = Lifecycle.COOLING
            n.below_since = None
        return False
    if n.episode == 0:
        if armed and score >= cfg.alert_threshold:
            return _fire(n, now)
        if score >= cfg.emerging_threshold:
            n.state = Lifecycle.EMERGING
        elif score < cfg.emerging_threshold - 10:
            n.state = Lifecycle.QUIET
        return False
    # Already alerted at least once: only a story that went quiet (dormant) and then
    # re-accelerates strongly re-alerts; one still cooling is the same wave (a new form of it
    # taking off, a second peak).
    if armed and realert and revived:
        return _fire(n, now)
    if state is Lifecycle.COOLING and score >= cfg.alert_threshold and not (cooled or slowing):
        n.state = Lifecycle.VIRAL  # a dip, not a cooling: back to viral without a new alert
        return False
    if state is Lifecycle.DORMANT:
        if score >= cfg.emerging_threshold:
            n.state = Lifecycle.EMERGING
        return False
    if score < cfg.dormant_below:
        n.below_since = n.below_since or now
        if now - n.below_since >= timedelta(minutes=cfg.dormant_minutes):
            n.state = Lifecycle.DORMANT
    else:
        n.below_since = None
        if state is Lifecycle.EMERGING and score < cfg.emerging_threshold - 10:
            n.state = Lifecycle.COOLING
    return False


def _fire(n: Narrative, now: datetime) -> bool:
    n.state = Lifecycle.VIRAL
    n.episode += 1
    n.last_alert = now
    n.below_since = None
    return True
